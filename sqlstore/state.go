package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gatehouse-llm/gatehouse"
)

// LoadState reads the whole control plane in one transaction, so the
// snapshot is consistent with the version it reports.
func (db *DB) LoadState(ctx context.Context) (*gatehouse.StateData, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	} else {
		opts = nil // SQLite transactions are already snapshots in WAL mode
	}
	tx, err := db.sql.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	d := &gatehouse.StateData{}
	if err := tx.QueryRowContext(ctx, `SELECT version FROM gatehouse_state WHERE id = 1`).Scan(&d.Version); err != nil {
		return nil, fmt.Errorf("read state version: %w", err)
	}
	if err := each(ctx, tx, `SELECT `+orgColumns+` FROM organizations`, func(r *sql.Rows) error {
		o, err := scanOrg(r)
		d.Organizations = append(d.Organizations, o)
		return err
	}); err != nil {
		return nil, err
	}
	teams := map[string]*gatehouse.Team{}
	if err := each(ctx, tx, `SELECT `+teamColumns+` FROM teams`, func(r *sql.Rows) error {
		t, err := scanTeam(r)
		d.Teams = append(d.Teams, t)
		teams[t.ID] = t
		return err
	}); err != nil {
		return nil, err
	}
	if err := each(ctx, tx, `SELECT team_id, group_name FROM team_access_groups ORDER BY group_name`, func(r *sql.Rows) error {
		var team, group string
		if err := r.Scan(&team, &group); err != nil {
			return err
		}
		if t := teams[team]; t != nil {
			t.AccessGroups = append(t.AccessGroups, group)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := each(ctx, tx, `SELECT `+keyColumns+` FROM virtual_keys WHERE revoked_at IS NULL`, func(r *sql.Rows) error {
		k, err := scanKey(r)
		d.Keys = append(d.Keys, k)
		return err
	}); err != nil {
		return nil, err
	}
	if err := each(ctx, tx, `SELECT `+aliasColumns+` FROM model_aliases`, func(r *sql.Rows) error {
		a, err := scanAlias(r)
		d.Aliases = append(d.Aliases, a)
		return err
	}); err != nil {
		return nil, err
	}
	groups := map[string]*gatehouse.AccessGroup{}
	if err := each(ctx, tx, `SELECT name, description, active, created_at, updated_at FROM access_groups`, func(r *sql.Rows) error {
		g := &gatehouse.AccessGroup{ModelAliases: []string{}}
		err := r.Scan(&g.Name, &g.Description, &g.Active, &g.CreatedAt, &g.UpdatedAt)
		d.AccessGroups = append(d.AccessGroups, g)
		groups[g.Name] = g
		return err
	}); err != nil {
		return nil, err
	}
	if err := each(ctx, tx, `SELECT group_name, alias FROM access_group_aliases ORDER BY alias`, func(r *sql.Rows) error {
		var group, alias string
		if err := r.Scan(&group, &alias); err != nil {
			return err
		}
		if g := groups[group]; g != nil {
			g.ModelAliases = append(g.ModelAliases, alias)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := each(ctx, tx, `SELECT `+credColumns+` FROM provider_credentials WHERE active ORDER BY created_at, id`, func(r *sql.Rows) error {
		c, sealed, err := scanCred(r)
		if err != nil {
			return err
		}
		if err := db.openCred(c, sealed); err != nil {
			return err
		}
		d.Credentials = append(d.Credentials, c)
		return nil
	}); err != nil {
		return nil, err
	}
	return d, tx.Commit()
}

// each runs query and calls fn for every row.
func each(ctx context.Context, q queryer, query string, fn func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
