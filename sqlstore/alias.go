package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gatehouse-llm/gatehouse"
)

var _ gatehouse.AliasService = (*DB)(nil)

const aliasColumns = `alias, litellm_model, description, active, input_price_per_m, output_price_per_m, fallbacks, metadata, created_at, updated_at, routing_strategy, num_retries`

func scanAlias(row interface{ Scan(...any) error }) (*gatehouse.Alias, error) {
	var a gatehouse.Alias
	var in, out sql.NullInt64
	var fallbacks, meta []byte
	var retries sql.NullInt64
	if err := row.Scan(&a.Alias, &a.LiteLLMModel, &a.Description, &a.Active, &in, &out, &fallbacks, &meta, &a.CreatedAt, &a.UpdatedAt,
		&a.RoutingStrategy, &retries); err != nil {
		return nil, err
	}
	if retries.Valid {
		n := int(retries.Int64)
		a.NumRetries = &n
	}
	if in.Valid && out.Valid {
		a.Pricing = &gatehouse.Pricing{InputPerM: in.Int64, OutputPerM: out.Int64}
	}
	a.Fallbacks, a.Metadata = []string{}, gatehouse.Metadata{}
	if err := scanJSON(fallbacks, &a.Fallbacks); err != nil {
		return nil, err
	}
	return &a, scanJSON(meta, &a.Metadata)
}

func priceArgs(p *gatehouse.Pricing) (any, any) {
	if p == nil {
		return nil, nil
	}
	return p.InputPerM, p.OutputPerM
}

// checkAlias validates an alias, its model, and that its fallbacks exist.
func (db *DB) checkAlias(ctx context.Context, q queryer, a *gatehouse.Alias) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if err := db.checkDeployments(ctx, q, a); err != nil {
		return err
	}
	for _, f := range a.Fallbacks {
		var one int
		err := q.QueryRowContext(ctx, `SELECT 1 FROM model_aliases WHERE alias = $1`, f).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return gatehouse.FieldErrorf("fallbacks", "Fallback alias %q does not exist; create it first.", f)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// CreateAlias stores a new alias.
func (db *DB) CreateAlias(ctx context.Context, a *gatehouse.Alias) error {
	a.CreatedAt, a.UpdatedAt = db.Now(), db.Now()
	if a.Metadata == nil {
		a.Metadata = gatehouse.Metadata{}
	}
	if a.Fallbacks == nil {
		a.Fallbacks = []string{}
	}
	a.Fallbacks = dedupe(a.Fallbacks)
	return db.change(ctx, func(tx *Tx) error {
		if err := db.checkAlias(ctx, tx, a); err != nil {
			return err
		}
		in, out := priceArgs(a.Pricing)
		_, err := tx.ExecContext(ctx, `INSERT INTO model_aliases (`+aliasColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			a.Alias, a.LiteLLMModel, a.Description, a.Active, in, out, jsonText(a.Fallbacks, "[]"), jsonText(a.Metadata, "{}"), a.CreatedAt, a.UpdatedAt,
			a.RoutingStrategy, retriesArg(a.NumRetries))
		if isUniqueViolation(err) {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "Alias %q already exists; update it with PUT /api/model-aliases/%s instead.", a.Alias, a.Alias)
		} else if err != nil {
			return err
		}
		if err := writeDeployments(ctx, tx, a); err != nil {
			return err
		}
		tx.changed(gatehouse.ChangeAlias, a.Alias)
		return tx.audit("alias.create", "alias", a.Alias, nil, a)
	})
}

func findAlias(ctx context.Context, q queryer, name string) (*gatehouse.Alias, error) {
	a, err := scanAlias(q.QueryRowContext(ctx, `SELECT `+aliasColumns+` FROM model_aliases WHERE alias = $1`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Alias", name)
	} else if err != nil {
		return nil, err
	}
	return a, withDeployments(ctx, q, a)
}

func retriesArg(n *int) any {
	if n == nil {
		return nil
	}
	return *n
}

// FindAlias returns one alias.
func (db *DB) FindAlias(ctx context.Context, name string) (*gatehouse.Alias, error) {
	return findAlias(ctx, db.sql, name)
}

// ListAliases returns a page of aliases ordered by name.
func (db *DB) ListAliases(ctx context.Context, f gatehouse.AliasFilter) ([]*gatehouse.Alias, int, error) {
	var w where
	if f.Provider != "" {
		w.add("litellm_model LIKE ?", f.Provider+"/%")
	}
	if f.Active != nil {
		w.add("active = ?", *f.Active)
	}
	if f.Search != "" {
		pat := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(f.Search)) + "%"
		w.addN(`(alias LIKE ? ESCAPE '\' OR LOWER(litellm_model) LIKE ? ESCAPE '\')`, pat, pat)
	}
	total, err := db.count(ctx, db.sql, "model_aliases", &w)
	if err != nil {
		return nil, 0, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+aliasColumns+` FROM model_aliases`+w.String()+` ORDER BY alias`+w.page(f.Page), w.args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*gatehouse.Alias{}
	for rows.Next() {
		a, err := scanAlias(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	return out, total, withDeployments(ctx, db.sql, out...)
}

// UpdateAlias applies a partial update; a new litellm_model takes effect on
// the next request.
func (db *DB) UpdateAlias(ctx context.Context, name string, upd gatehouse.AliasUpdate) (*gatehouse.Alias, error) {
	var out *gatehouse.Alias
	err := db.change(ctx, func(tx *Tx) error {
		before, err := findAlias(ctx, tx, name)
		if err != nil {
			return err
		}
		a := *before
		a.Deployments = slices.Clone(before.Deployments)
		switch {
		case upd.Deployments != nil:
			a.Deployments = slices.Clone(*upd.Deployments)
			if upd.LiteLLMModel != nil && len(a.Deployments) > 0 {
				a.LiteLLMModel = ""
			}
		case upd.LiteLLMModel != nil && len(a.Deployments) == 1:
			// The seed's single-model update: the only deployment
			// changes model, keeping its other settings (and its id, unless
			// the id was the old model's name).
			d := &a.Deployments[0]
			if d.ID == d.LiteLLMModel {
				d.ID = *upd.LiteLLMModel
			}
			d.LiteLLMModel = *upd.LiteLLMModel
		case upd.LiteLLMModel != nil:
			return gatehouse.FieldErrorf("litellm_model", "Alias %q has %d deployments; send deployments to change them.", name, len(a.Deployments))
		}
		if upd.RoutingStrategy != nil {
			a.RoutingStrategy = *upd.RoutingStrategy
		}
		if upd.NumRetries != nil {
			a.NumRetries = *upd.NumRetries
		}
		if upd.Description != nil {
			a.Description = *upd.Description
		}
		if upd.Active != nil {
			a.Active = *upd.Active
		}
		if upd.Pricing != nil {
			a.Pricing = *upd.Pricing
		}
		if upd.Fallbacks != nil {
			a.Fallbacks = dedupe(*upd.Fallbacks)
		}
		if upd.Metadata != nil {
			a.Metadata = *upd.Metadata
		}
		if err := db.checkAlias(ctx, tx, &a); err != nil {
			return err
		}
		a.UpdatedAt = db.Now()
		in, outP := priceArgs(a.Pricing)
		if _, err := tx.ExecContext(ctx, `UPDATE model_aliases SET litellm_model = $1, description = $2, active = $3,
			input_price_per_m = $4, output_price_per_m = $5, fallbacks = $6, metadata = $7, updated_at = $8,
			routing_strategy = $9, num_retries = $10 WHERE alias = $11`,
			a.LiteLLMModel, a.Description, a.Active, in, outP, jsonText(a.Fallbacks, "[]"), jsonText(a.Metadata, "{}"), a.UpdatedAt,
			a.RoutingStrategy, retriesArg(a.NumRetries), name); err != nil {
			return err
		}
		if upd.Deployments != nil || upd.LiteLLMModel != nil {
			if err := writeDeployments(ctx, tx, &a); err != nil {
				return err
			}
		}
		out = &a
		action := "alias.update"
		if upd.Active != nil && *upd.Active != before.Active && upd.LiteLLMModel == nil && upd.Description == nil {
			action = map[bool]string{true: "alias.enable", false: "alias.disable"}[*upd.Active]
		}
		tx.changed(gatehouse.ChangeAlias, name)
		if err := tx.aliasUpdated(ctx, action, before, &a); err != nil { // webhook event (webhook.go)
			return err
		}
		return tx.audit(action, "alias", name, before, a)
	})
	return out, err
}

// DeleteAlias deletes an alias, its access group memberships, and its
// place in other aliases' fallbacks.
func (db *DB) DeleteAlias(ctx context.Context, name string) error {
	return db.change(ctx, func(tx *Tx) error {
		before, err := findAlias(ctx, tx, name)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT alias, fallbacks FROM model_aliases WHERE alias <> $1`, name)
		if err != nil {
			return err
		}
		type fix struct {
			alias     string
			fallbacks []string
		}
		var fixes []fix
		for rows.Next() {
			var a string
			var raw []byte
			var fb []string
			if err := rows.Scan(&a, &raw); err != nil {
				rows.Close()
				return err
			}
			if err := scanJSON(raw, &fb); err != nil {
				rows.Close()
				return err
			}
			if i := slices.Index(fb, name); i >= 0 {
				fixes = append(fixes, fix{a, slices.Delete(fb, i, i+1)})
			}
		}
		rows.Close()
		for _, f := range fixes {
			if _, err := tx.ExecContext(ctx, `UPDATE model_aliases SET fallbacks = $1 WHERE alias = $2`, jsonText(f.fallbacks, "[]"), f.alias); err != nil {
				return err
			}
			tx.changed(gatehouse.ChangeAlias, f.alias)
		}
		// Only the groups that held the alias change; teams are untouched
		// (replicas work out a team's aliases from its groups on lookup).
		groups, err := tx.QueryContext(ctx, `DELETE FROM access_group_aliases WHERE alias = $1 RETURNING group_name`, name)
		if err != nil {
			return err
		}
		names, err := collectStrings(groups)
		if err != nil {
			return err
		}
		for _, g := range names {
			tx.changed(gatehouse.ChangeAccessGroup, g)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM model_deployments WHERE alias = $1`, name); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM model_aliases WHERE alias = $1`, name); err != nil {
			return err
		}
		tx.changed(gatehouse.ChangeAlias, name)
		return tx.audit("alias.delete", "alias", name, before, nil)
	})
}

// AliasGroups lists the groups containing an alias and counts the distinct
// teams granted it through active groups, up to gatehouse.CountCap+1 (an
// alias in a group the whole fleet uses would otherwise count every team
// on every read).
func (db *DB) AliasGroups(ctx context.Context, name string) ([]string, int, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT group_name FROM access_group_aliases WHERE alias = $1 ORDER BY group_name`, name)
	if err != nil {
		return nil, 0, err
	}
	groups, err := collectStrings(rows)
	if err != nil {
		return nil, 0, err
	}
	var teams int
	err = db.sql.QueryRowContext(ctx, fmt.Sprintf(`SELECT COUNT(*) FROM (
		SELECT DISTINCT tag.team_id FROM team_access_groups tag
		WHERE tag.group_name IN (SELECT aga.group_name FROM access_group_aliases aga
			JOIN access_groups g ON g.name = aga.group_name WHERE aga.alias = $1 AND g.active)
		LIMIT %d) AS capped`, gatehouse.CountCap+1), name).Scan(&teams)
	return groups, teams, err
}
