package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/gatehouse-llm/gatehouse"
)

var _ gatehouse.AccessGroupService = (*DB)(nil)

func findGroup(ctx context.Context, q queryer, name string) (*gatehouse.AccessGroup, error) {
	var g gatehouse.AccessGroup
	err := q.QueryRowContext(ctx, `SELECT name, description, active, created_at, updated_at FROM access_groups WHERE name = $1`, name).
		Scan(&g.Name, &g.Description, &g.Active, &g.CreatedAt, &g.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Access group", name)
	} else if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT alias FROM access_group_aliases WHERE group_name = $1 ORDER BY alias`, name)
	if err != nil {
		return nil, err
	}
	g.ModelAliases, err = collectStrings(rows)
	return &g, err
}

// requireAliases fails with ENOTFOUND naming the first unknown alias.
func requireAliases(ctx context.Context, q queryer, aliases []string) error {
	for _, a := range aliases {
		var one int
		err := q.QueryRowContext(ctx, `SELECT 1 FROM model_aliases WHERE alias = $1`, a).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return &gatehouse.Error{Code: gatehouse.ENOTFOUND, Field: "model_aliases", Message: "Alias \"" + a + "\" not found; create it with POST /api/model-aliases/create first."}
		} else if err != nil {
			return err
		}
	}
	return nil
}

// CreateAccessGroup stores a new active group with its aliases.
func (db *DB) CreateAccessGroup(ctx context.Context, g *gatehouse.AccessGroup) error {
	if err := g.Validate(); err != nil {
		return err
	}
	g.Active = true
	g.CreatedAt, g.UpdatedAt = db.Now(), db.Now()
	g.ModelAliases = dedupe(g.ModelAliases)
	return db.change(ctx, func(tx *Tx) error {
		if err := requireAliases(ctx, tx, g.ModelAliases); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO access_groups (name, description, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)`,
			g.Name, g.Description, g.Active, g.CreatedAt, g.UpdatedAt)
		if isUniqueViolation(err) {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "Access group %q already exists; use add-models or remove-models to change it.", g.Name)
		} else if err != nil {
			return err
		}
		for _, a := range g.ModelAliases {
			if _, err := tx.ExecContext(ctx, `INSERT INTO access_group_aliases (group_name, alias) VALUES ($1, $2)`, g.Name, a); err != nil {
				return err
			}
		}
		tx.changed(gatehouse.ChangeAccessGroup, g.Name)
		return tx.audit("access_group.create", "access_group", g.Name, nil, g)
	})
}

// FindAccessGroup returns one group with its aliases.
func (db *DB) FindAccessGroup(ctx context.Context, name string) (*gatehouse.AccessGroup, error) {
	return findGroup(ctx, db.sql, name)
}

// ListAccessGroups returns a page of groups ordered by name.
func (db *DB) ListAccessGroups(ctx context.Context, f gatehouse.AccessGroupFilter) ([]*gatehouse.AccessGroup, int, error) {
	var w where
	if f.Active != nil {
		w.add("active = ?", *f.Active)
	}
	total, err := db.count(ctx, db.sql, "access_groups", &w)
	if err != nil {
		return nil, 0, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT name FROM access_groups`+w.String()+` ORDER BY name`+w.page(f.Page), w.args...)
	if err != nil {
		return nil, 0, err
	}
	names, err := collectStrings(rows)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*gatehouse.AccessGroup, 0, len(names))
	for _, n := range names {
		g, err := findGroup(ctx, db.sql, n)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, g)
	}
	return out, total, nil
}

// UpdateAccessGroup changes a group's description or active flag. An
// inactive group grants nothing.
func (db *DB) UpdateAccessGroup(ctx context.Context, name string, description *string, active *bool) (*gatehouse.AccessGroup, error) {
	return db.changeGroup(ctx, name, "access_group.update", func(tx *Tx, g *gatehouse.AccessGroup) error {
		if description != nil {
			g.Description = *description
		}
		if active != nil {
			g.Active = *active
		}
		_, err := tx.ExecContext(ctx, `UPDATE access_groups SET description = $1, active = $2, updated_at = $3 WHERE name = $4`,
			g.Description, g.Active, db.Now(), name)
		return err
	})
}

// AddGroupAliases adds aliases to a group (already present ones are kept).
func (db *DB) AddGroupAliases(ctx context.Context, name string, aliases []string) (*gatehouse.AccessGroup, error) {
	return db.changeGroup(ctx, name, "access_group.add_models", func(tx *Tx, g *gatehouse.AccessGroup) error {
		if len(aliases) == 0 {
			return gatehouse.FieldErrorf("model_aliases", "model_aliases must name at least one alias.")
		}
		if err := requireAliases(ctx, tx, aliases); err != nil {
			return err
		}
		for _, a := range dedupe(aliases) {
			if _, err := tx.ExecContext(ctx, `INSERT INTO access_group_aliases (group_name, alias) VALUES ($1, $2) ON CONFLICT DO NOTHING`, name, a); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE access_groups SET updated_at = $1 WHERE name = $2`, db.Now(), name)
		return err
	})
}

// RemoveGroupAliases removes aliases from a group; naming one that is not
// in it is an error, so a typo is not mistaken for success.
func (db *DB) RemoveGroupAliases(ctx context.Context, name string, aliases []string) (*gatehouse.AccessGroup, error) {
	return db.changeGroup(ctx, name, "access_group.remove_models", func(tx *Tx, g *gatehouse.AccessGroup) error {
		if len(aliases) == 0 {
			return gatehouse.FieldErrorf("model_aliases", "model_aliases must name at least one alias.")
		}
		for _, a := range dedupe(aliases) {
			res, err := tx.ExecContext(ctx, `DELETE FROM access_group_aliases WHERE group_name = $1 AND alias = $2`, name, a)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return &gatehouse.Error{Code: gatehouse.ENOTFOUND, Field: "model_aliases", Message: "Alias \"" + a + "\" is not in access group \"" + name + "\"."}
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE access_groups SET updated_at = $1 WHERE name = $2`, db.Now(), name)
		return err
	})
}

// changeGroup runs fn on a group inside an audited change and returns the
// group as it is afterwards.
func (db *DB) changeGroup(ctx context.Context, name, action string, fn func(tx *Tx, g *gatehouse.AccessGroup) error) (*gatehouse.AccessGroup, error) {
	var out *gatehouse.AccessGroup
	err := db.change(ctx, func(tx *Tx) error {
		before, err := findGroup(ctx, tx, name)
		if err != nil {
			return err
		}
		g := *before
		if err := fn(tx, &g); err != nil {
			return err
		}
		if out, err = findGroup(ctx, tx, name); err != nil {
			return err
		}
		tx.changed(gatehouse.ChangeAccessGroup, name)
		return tx.audit(action, "access_group", name, before, out)
	})
	return out, err
}

// DeleteAccessGroup deletes a group no team uses.
func (db *DB) DeleteAccessGroup(ctx context.Context, name string) error {
	return db.change(ctx, func(tx *Tx) error {
		before, err := findGroup(ctx, tx, name)
		if err != nil {
			return err
		}
		teams, err := tx.dependents(ctx, `SELECT team_id FROM team_access_groups WHERE group_name = $1 ORDER BY team_id`, name)
		if err != nil {
			return err
		}
		if teams != "" {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "Access group %q is used by teams %s; remove it from them first (PUT /api/teams/{id}/access-groups).", name, teams)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM access_group_aliases WHERE group_name = $1`, name); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM access_groups WHERE name = $1`, name); err != nil {
			return err
		}
		tx.changed(gatehouse.ChangeAccessGroup, name)
		return tx.audit("access_group.delete", "access_group", name, before, nil)
	})
}

// GroupTeams lists the first limit teams granted a group and counts them
// (index team_access_groups_group, up to CountCap+1).
func (db *DB) GroupTeams(ctx context.Context, name string, limit int) ([]string, int, error) {
	var w where
	w.add("group_name = ?", name)
	total, err := db.count(ctx, db.sql, "team_access_groups", &w)
	if err != nil {
		return nil, 0, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT team_id FROM team_access_groups WHERE group_name = $1 ORDER BY team_id LIMIT $2`, name, limit)
	if err != nil {
		return nil, 0, err
	}
	teams, err := collectStrings(rows)
	return teams, total, err
}
