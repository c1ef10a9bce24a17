package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/jackc/pgx/v5/stdlib"
)

// ChangesSince returns the change feed after version after, oldest first,
// and the current version. complete is false when the caller cannot catch
// up from the feed alone: entries it needs were pruned, or there are more
// than limit of them (loading everything is then about as cheap).
func (db *DB) ChangesSince(ctx context.Context, after int64, limit int) (changes []gatehouse.Change, version int64, complete bool, err error) {
	// The version is read first: every change up to it has committed (see
	// change()), so the feed read next holds all of their entries.
	if version, err = db.StateVersion(ctx); err != nil {
		return nil, 0, false, err
	}
	if version <= after {
		return nil, version, true, nil
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT seq, kind, entity_id FROM control_changes WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit+1)
	if err != nil {
		return nil, 0, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var c gatehouse.Change
		if err := rows.Scan(&c.Seq, &c.Kind, &c.ID); err != nil {
			return nil, 0, false, err
		}
		changes = append(changes, c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, false, err
	}
	if len(changes) > limit {
		return nil, version, false, nil
	}
	// Every version from after+1 to the one read must be present: each
	// bump writes at least one entry, so a hole means pruning.
	next := after + 1
	for _, c := range changes {
		switch {
		case c.Seq == next:
			next++
		case c.Seq < next: // another entity of the same change
		default:
			return nil, version, false, nil
		}
	}
	if next <= version {
		return nil, version, false, nil
	}
	if last := changes[len(changes)-1].Seq; last > version {
		version = last // changes committed between the two reads
	}
	return changes, version, true, nil
}

// FindKeyByHash returns a key, usable or not, by its hash.
func (db *DB) FindKeyByHash(ctx context.Context, hash string) (*gatehouse.Key, error) {
	k, err := scanKey(db.sql.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM virtual_keys WHERE key_hash = $1`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Key", "")
	}
	return k, err
}

// LoadControlPlane streams organizations, aliases, access groups and
// active credentials (the small part of the control plane; teams and keys
// load with LoadTeams and LoadKeys) into sink from one consistent read,
// and returns the version it reflects. The sink copies what it keeps
// (see gatehouse.StateSink).
func (db *DB) LoadControlPlane(ctx context.Context, sink gatehouse.StateSink) (int64, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	} else {
		opts = nil // SQLite transactions are already snapshots in WAL mode
	}
	tx, err := db.sql.BeginTx(ctx, opts)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var version int64
	if err := tx.QueryRowContext(ctx, `SELECT version FROM gatehouse_state WHERE id = 1`).Scan(&version); err != nil {
		return 0, fmt.Errorf("read state version: %w", err)
	}
	if err := each(ctx, tx, `SELECT `+orgColumns+` FROM organizations`, func(r *sql.Rows) error {
		o, err := scanOrg(r)
		if err == nil {
			sink.PutOrganization(o)
		}
		return err
	}); err != nil {
		return 0, err
	}
	deployments, err := allDeployments(ctx, tx)
	if err != nil {
		return 0, err
	}
	if err := each(ctx, tx, `SELECT `+aliasColumns+` FROM model_aliases`, func(r *sql.Rows) error {
		a, err := scanAlias(r)
		if err == nil {
			a.Deployments = deployments[a.Alias]
			defaultDeployments(a)
			sink.PutAlias(a)
		}
		return err
	}); err != nil {
		return 0, err
	}
	groups := map[string]*gatehouse.AccessGroup{}
	var order []*gatehouse.AccessGroup
	if err := each(ctx, tx, `SELECT name, description, active, created_at, updated_at FROM access_groups`, func(r *sql.Rows) error {
		g := &gatehouse.AccessGroup{ModelAliases: []string{}}
		err := r.Scan(&g.Name, &g.Description, &g.Active, &g.CreatedAt, &g.UpdatedAt)
		groups[g.Name] = g
		order = append(order, g)
		return err
	}); err != nil {
		return 0, err
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
		return 0, err
	}
	for _, g := range order {
		sink.PutAccessGroup(g)
	}
	if err := each(ctx, tx, `SELECT `+credColumns+` FROM provider_credentials WHERE active ORDER BY created_at, id`, func(r *sql.Rows) error {
		c, sealed, err := scanCred(r)
		if err != nil {
			return err
		}
		if err := db.openCred(c, sealed); err != nil {
			return err
		}
		sink.PutCredential(c)
		return nil
	}); err != nil {
		return 0, err
	}
	return version, tx.Commit()
}

// LoadTeams streams every team into put, with the columns the request
// path reads and its access groups, reading parts slices of the table at
// once (see scanSlices). put is called from several goroutines and must
// be safe for that; it may keep nothing it is given but copies.
func (db *DB) LoadTeams(ctx context.Context, parts int, put func(*gatehouse.Team)) error {
	// Each team's groups come joined into one column (group names never
	// hold the unit separator), looked up in team_access_groups' primary
	// key.
	return db.scanSlices(ctx, "teams", "t", parts, `SELECT t.id, t.organization_id, t.status, t.budget_mode, t.credits_allocated,
			t.credits_balance, t.credits_held, t.credits_per_dollar, t.tokens_per_credit, t.markup_bp, t.rpm_limit, t.tpm_limit,
			t.concurrency_limit, (SELECT `+db.joinStrings("g.group_name")+` FROM team_access_groups g WHERE g.team_id = t.id)
		FROM teams t WHERE true`, func(r *sql.Rows) error {
		var t gatehouse.Team
		var groups sql.NullString
		if err := r.Scan(&t.ID, &t.OrganizationID, &t.Status, &t.BudgetMode, &t.CreditsAllocated, &t.CreditsBalance,
			&t.CreditsHeld, &t.CreditsPerDollar, &t.TokensPerCredit, &t.MarkupBP, &t.RateLimits.RequestsPerMinute,
			&t.RateLimits.TokensPerMinute, &t.RateLimits.Concurrent, &groups); err != nil {
			return err
		}
		t.CreditsRemaining = t.CreditsBalance - t.CreditsHeld
		if groups.Valid && groups.String != "" {
			t.AccessGroups = strings.Split(groups.String, "\x1f")
		}
		put(&t)
		return nil
	})
}

// LoadKeys streams every usable virtual key into put, like LoadTeams.
func (db *DB) LoadKeys(ctx context.Context, parts int, put func(*gatehouse.Key)) error {
	return db.scanSlices(ctx, "virtual_keys", "k", parts, `SELECT k.id, k.team_id, k.key_hash, k.rpm_limit, k.tpm_limit,
		k.concurrency_limit, k.expires_at FROM virtual_keys k WHERE k.revoked_at IS NULL`, func(r *sql.Rows) error {
		var k gatehouse.Key
		if err := r.Scan(&k.ID, &k.TeamID, &k.Hash, &k.RateLimits.RequestsPerMinute, &k.RateLimits.TokensPerMinute,
			&k.RateLimits.Concurrent, &k.ExpiresAt); err != nil {
			return err
		}
		put(&k)
		return nil
	})
}

// scanSlices runs query (which ends in a WHERE clause over table, aliased
// as) on parts slices of the table at once, each on its own connection,
// calling each for every row from that slice's goroutine. A slice is a
// range of rows in storage order — rowids on SQLite, block numbers (ctid)
// on PostgreSQL — so each is one sequential read. The slices are separate
// reads, so a row changed while they run may appear as it was before or
// after the change: callers reconcile with the change feed (package
// state).
func (db *DB) scanSlices(ctx context.Context, table, as string, parts int, query string, each func(*sql.Rows) error) error {
	conds, args, err := db.slices(ctx, table, as, max(1, parts))
	if err != nil {
		return err
	}
	errs := make(chan error, len(conds))
	for i := range conds {
		go func() {
			rows, err := db.sql.QueryContext(ctx, query+conds[i], args[i]...)
			if err != nil {
				errs <- err
				return
			}
			defer rows.Close()
			for rows.Next() {
				if err := each(rows); err != nil {
					errs <- err
					return
				}
			}
			errs <- rows.Err()
		}()
	}
	for range conds {
		err = errors.Join(err, <-errs)
	}
	return err
}

// slices cuts a table into about parts ranges of rows in storage order
// and returns the condition selecting each, with its arguments.
func (db *DB) slices(ctx context.Context, table, as string, parts int) ([]string, [][]any, error) {
	if parts == 1 {
		return []string{""}, [][]any{nil}, nil
	}
	if db.dialect == Postgres {
		// Pages per slice from the planner's estimate of the table's size;
		// the last slice is open-ended, so a stale estimate loses nothing.
		var pages int64
		if err := db.sql.QueryRowContext(ctx, `SELECT relpages FROM pg_class WHERE oid = $1::regclass`, table).Scan(&pages); err != nil {
			return nil, nil, err
		}
		step := pages/int64(parts) + 1
		conds, args := []string{}, [][]any{}
		for i := range int64(parts) {
			lo, hi := fmt.Sprintf("(%d,0)", i*step), fmt.Sprintf("(%d,0)", (i+1)*step)
			if i == int64(parts)-1 {
				conds, args = append(conds, ` AND `+as+`.ctid >= $1::tid`), append(args, []any{lo})
			} else {
				conds, args = append(conds, ` AND `+as+`.ctid >= $1::tid AND `+as+`.ctid < $2::tid`), append(args, []any{lo, hi})
			}
		}
		return conds, args, nil
	}
	var lo, hi sql.NullInt64
	if err := db.sql.QueryRowContext(ctx, `SELECT MIN(rowid), MAX(rowid) FROM `+table).Scan(&lo, &hi); err != nil {
		return nil, nil, err
	}
	if !lo.Valid {
		return nil, nil, nil
	}
	step := (hi.Int64 - lo.Int64 + int64(parts)) / int64(parts)
	var conds []string
	var args [][]any
	for from := lo.Int64; from <= hi.Int64; from += step {
		conds, args = append(conds, ` AND `+as+`.rowid >= $1 AND `+as+`.rowid < $2`), append(args, []any{from, from + step})
	}
	return conds, args, nil
}

// joinStrings aggregates a text column into one string separated by the
// ASCII unit separator.
func (db *DB) joinStrings(col string) string {
	if db.dialect == Postgres {
		return `string_agg(` + col + `, chr(31) ORDER BY ` + col + `)`
	}
	return `group_concat(` + col + `, char(31))`
}

// ListenForChanges calls notify for every control-plane change committed
// anywhere (a PostgreSQL notification) until ctx ends or the connection
// fails; it holds one connection meanwhile. listening, when not nil, runs
// once the LISTEN is in place. On SQLite, whose writers all live in one
// process, it returns errors.ErrUnsupported at once: replicas poll.
func (db *DB) ListenForChanges(ctx context.Context, listening, notify func()) error {
	if db.dialect != Postgres {
		return errors.ErrUnsupported
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return errors.ErrUnsupported
		}
		c := pc.Conn()
		if _, err := c.Exec(ctx, `LISTEN `+NotifyChannel); err != nil {
			return err
		}
		defer func() {
			// If the connection survives and returns to the pool, it must
			// not keep listening.
			if !c.IsClosed() {
				_, _ = c.Exec(context.WithoutCancel(ctx), `UNLISTEN *`)
			}
		}()
		if listening != nil {
			listening()
		}
		for {
			if _, err := c.WaitForNotification(ctx); err != nil {
				return err
			}
			notify()
		}
	})
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
