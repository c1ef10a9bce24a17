package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Bulk loading writes many rows at once for seeding test and benchmark
// databases (bench/seed): COPY on PostgreSQL, large multi-row INSERTs in
// big transactions on SQLite. It trusts its input — nothing is validated,
// audited or recorded in the change feed row by row — so it is for empty
// or offline databases, never for serving traffic. Each Bulk… method
// returns how many rows it wrote. BulkControlPlaneDone tells running
// replicas to reload everything afterwards.

// bulkSQLiteTxRows is how many rows one SQLite bulk transaction holds:
// large enough that commits do not dominate, small enough that the
// write-ahead log stays modest.
const bulkSQLiteTxRows = 50_000

// bulkInsert writes rows into table's columns. rows is iterated once; a
// row slice may be reused by the iterator after it was yielded.
func (db *DB) bulkInsert(ctx context.Context, table string, cols []string, rows iter.Seq[[]any]) (n int64, err error) {
	restore, err := db.dropIndexesIfEmpty(ctx, table)
	if err != nil {
		return 0, err
	}
	defer func() {
		if rerr := restore(); err == nil {
			err = rerr
		}
	}()
	if db.dialect == Postgres {
		return db.copyPostgres(ctx, table, cols, rows)
	}
	return db.insertSQLite(ctx, table, cols, rows)
}

// dropIndexesIfEmpty drops an empty table's secondary indexes and returns
// the function that builds them again. Building an index once over sorted
// rows is many times cheaper than keeping it up to date row by row while
// millions of rows arrive in no particular order of its columns. Indexes
// that back constraints (primary keys, UNIQUE) stay. The definitions come
// from the database's own catalogue, so they are exactly the migrations'.
func (db *DB) dropIndexesIfEmpty(ctx context.Context, table string) (restore func() error, err error) {
	noop := func() error { return nil }
	var one int
	switch err := db.write.QueryRowContext(ctx, `SELECT 1 FROM `+table+` LIMIT 1`).Scan(&one); {
	case err == nil:
		return noop, nil // not empty: keep the indexes in place
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	query := `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL`
	if db.dialect == Postgres {
		query = `SELECT i.indexname, i.indexdef FROM pg_indexes i
			WHERE i.tablename = $1 AND i.schemaname = current_schema()
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`
	}
	rows, err := db.write.QueryContext(ctx, query, table)
	if err != nil {
		return nil, err
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return nil, err
		}
		names, defs = append(names, name), append(defs, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, name := range names {
		if _, err := db.write.ExecContext(ctx, `DROP INDEX `+name); err != nil {
			// Put back what was already dropped before giving up.
			for _, def := range defs[:i] {
				_, _ = db.write.ExecContext(context.WithoutCancel(ctx), def)
			}
			return nil, err
		}
	}
	return func() error {
		var err error
		for _, def := range defs {
			if _, e := db.write.ExecContext(context.WithoutCancel(ctx), def); e != nil {
				err = errors.Join(err, fmt.Errorf("rebuild index: %w", e))
			}
		}
		return err
	}, nil
}

// copyPostgres streams rows through COPY FROM STDIN on one connection.
func (db *DB) copyPostgres(ctx context.Context, table string, cols []string, rows iter.Seq[[]any]) (int64, error) {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var n int64
	err = conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("sqlstore: bulk load needs the pgx driver, got %T", dc)
		}
		next, stop := iter.Pull(rows)
		defer stop()
		n, err = pc.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, &pullSource{next: next})
		return err
	})
	if err != nil {
		return n, fmt.Errorf("copy into %s: %w", table, err)
	}
	return n, nil
}

// pullSource adapts a pulled iterator to pgx.CopyFromSource.
type pullSource struct {
	next func() ([]any, bool)
	row  []any
}

func (s *pullSource) Next() bool {
	var ok bool
	s.row, ok = s.next()
	return ok
}
func (s *pullSource) Values() ([]any, error) { return s.row, nil }
func (s *pullSource) Err() error             { return nil }

// insertSQLite writes rows with multi-row INSERTs on the writer, in
// transactions of bulkSQLiteTxRows rows.
func (db *DB) insertSQLite(ctx context.Context, table string, cols []string, rows iter.Seq[[]any]) (int64, error) {
	// SQLite binds at most 32766 parameters a statement; 500 rows of the
	// widest table (30 columns) stay well below.
	// Tables with several indexes touch pages all over the file; the
	// default page cache (2 MB) made every insert a read from the OS.
	var cache int64
	if err := db.write.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&cache); err != nil {
		return 0, err
	}
	if _, err := db.write.ExecContext(ctx, `PRAGMA cache_size = -262144`); err != nil { // 256 MB
		return 0, err
	}
	defer db.write.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = `+strconv.FormatInt(cache, 10))
	// Each multi-row statement keeps a statement journal (to undo itself
	// alone); in memory it costs no file writes.
	if _, err := db.write.ExecContext(ctx, `PRAGMA temp_store = MEMORY`); err != nil {
		return 0, err
	}
	defer db.write.ExecContext(context.WithoutCancel(ctx), `PRAGMA temp_store = DEFAULT`)
	perStmt := min(500, 32000/len(cols))
	stmtText := func(n int) string {
		return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + valueRows(SQLite, n, len(cols))
	}
	full := stmtText(perStmt)
	var (
		tx    *sql.Tx
		stmt  *sql.Stmt
		args  = make([]any, 0, perStmt*len(cols))
		inTx  int
		total int64
	)
	flush := func(final bool) error {
		nrows := len(args) / len(cols)
		if nrows == 0 {
			return nil
		}
		if tx == nil {
			var err error
			if tx, err = db.write.BeginTx(ctx, nil); err != nil {
				return err
			}
			if stmt, err = tx.PrepareContext(ctx, full); err != nil {
				return err
			}
		}
		var err error
		if nrows == perStmt {
			_, err = stmt.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, stmtText(nrows), args...)
		}
		if err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		total += int64(nrows)
		inTx += nrows
		args = args[:0]
		if final || inTx >= bulkSQLiteTxRows {
			stmt.Close()
			err := tx.Commit()
			tx, stmt, inTx = nil, nil, 0
			return err
		}
		return nil
	}
	for row := range rows {
		args = append(args, row...)
		if len(args) == cap(args) {
			if err := flush(false); err != nil {
				if tx != nil {
					tx.Rollback()
				}
				return total, err
			}
		}
	}
	if err := flush(true); err != nil {
		if tx != nil {
			tx.Rollback()
		}
		return total, err
	}
	if tx != nil {
		stmt.Close()
		return total, tx.Commit()
	}
	return total, nil
}

// columnsOf splits a column list constant.
func columnsOf(list string) []string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}

// BulkOrganizations inserts organizations as given.
func (db *DB) BulkOrganizations(ctx context.Context, orgs iter.Seq[*gatehouse.Organization]) (int64, error) {
	row := make([]any, 6)
	return db.bulkInsert(ctx, "organizations", columnsOf(orgColumns), func(yield func([]any) bool) {
		for o := range orgs {
			row[0], row[1], row[2], row[3], row[4], row[5] = o.ID, o.Name, o.Status, jsonText(o.Metadata, "{}"), o.CreatedAt, o.UpdatedAt
			if !yield(row) {
				return
			}
		}
	})
}

// BulkTeams inserts teams with their balances as given, and their access
// groups (which must exist). The ledger is not written: seed it with
// BulkLedger so that it sums to the balances.
func (db *DB) BulkTeams(ctx context.Context, teams iter.Seq[*gatehouse.Team]) (int64, error) {
	var grants [][2]string
	row := make([]any, 21)
	n, err := db.bulkInsert(ctx, "teams", columnsOf(teamColumns), func(yield func([]any) bool) {
		for t := range teams {
			lastPeriod := ""
			if t.RefillPeriod != "" && t.LastRefillAt != nil {
				lastPeriod = gatehouse.RefillPeriodKey(t.RefillPeriod, *t.LastRefillAt)
			}
			copy(row, []any{t.ID, t.OrganizationID, t.Alias, t.Status, t.BudgetMode, t.CreditsAllocated, t.CreditsBalance,
				t.CreditsHeld, t.CreditsPerDollar, t.TokensPerCredit, t.MarkupBP, t.RefillAmount, t.RefillPeriod, lastPeriod,
				t.LastRefillAt, t.RateLimits.RequestsPerMinute, t.RateLimits.TokensPerMinute, t.RateLimits.Concurrent,
				jsonText(t.Metadata, "{}"), t.CreatedAt, t.UpdatedAt})
			for _, g := range t.AccessGroups {
				grants = append(grants, [2]string{t.ID, g})
			}
			if !yield(row) {
				return
			}
		}
	})
	if err != nil {
		return n, err
	}
	row2 := make([]any, 2)
	_, err = db.bulkInsert(ctx, "team_access_groups", []string{"team_id", "group_name"}, func(yield func([]any) bool) {
		for _, g := range grants {
			row2[0], row2[1] = g[0], g[1]
			if !yield(row2) {
				return
			}
		}
	})
	return n, err
}

// BulkKeys inserts virtual keys as given (Hash must be
// secret.HashToken of the key).
func (db *DB) BulkKeys(ctx context.Context, keys iter.Seq[*gatehouse.Key]) (int64, error) {
	row := make([]any, 12)
	return db.bulkInsert(ctx, "virtual_keys", columnsOf(keyColumns), func(yield func([]any) bool) {
		for k := range keys {
			row[0], row[1], row[2], row[3], row[4] = k.ID, k.TeamID, k.Name, k.Prefix, k.Hash
			row[5], row[6], row[7] = k.RateLimits.RequestsPerMinute, k.RateLimits.TokensPerMinute, k.RateLimits.Concurrent
			row[8], row[9], row[10], row[11] = k.CreatedAt, k.LastUsedAt, k.ExpiresAt, k.RevokedAt
			if !yield(row) {
				return
			}
		}
	})
}

// BulkControlPlaneDone records a full-reload marker in the change feed,
// so replicas already running reload everything (a bulk load records no
// per-entity changes).
func (db *DB) BulkControlPlaneDone(ctx context.Context) error {
	return db.change(ctx, func(tx *Tx) error {
		tx.changed(gatehouse.ChangeReload, "")
		return nil
	})
}

// BulkJobs inserts jobs as given.
func (db *DB) BulkJobs(ctx context.Context, jobs iter.Seq[*gatehouse.Job]) (int64, error) {
	row := make([]any, 25)
	return db.bulkInsert(ctx, "jobs", columnsOf(jobColumns), func(yield func([]any) bool) {
		for j := range jobs {
			copy(row, []any{j.ID, j.TeamID, j.OrganizationID, j.JobType, j.UserID, j.Status, jsonText(j.Metadata, "{}"),
				j.ErrorMessage, j.BudgetMode, j.Reserved, j.Accrued, j.Charged, j.Uncollected, j.Refunded, j.CallCount,
				j.FailedCalls, j.Inflight, j.PromptTokens, j.CompletionTokens, j.TotalTokens, j.CostMicroUSD,
				j.ClientCostMicroUSD, j.CreatedAt, j.UpdatedAt, j.CompletedAt})
			if !yield(row) {
				return
			}
		}
	})
}

// BulkCall is a call to bulk-load with the type of its job, which the
// usage rollups are keyed by.
type BulkCall struct {
	*gatehouse.Call
	JobType string
}

// callColumns lists llm_calls' columns in the order bulk loading writes.
const callColumns = `id, job_id, team_id, organization_id, key_id, alias, served_alias, provider, provider_model, purpose,
	metadata, status, error, stream, finish_reason, prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens,
	reasoning_tokens, total_tokens, usage_source, cost_micro_usd, client_cost_micro_usd, latency_ms, first_token_ms,
	attempts, request_body, response_body, created_at`

// BulkCalls inserts call records. It leaves the usage rollups alone: add
// the same calls with BulkUsage (loading calls in time order and rolling
// them up team by team each writes its rows in key order).
func (db *DB) BulkCalls(ctx context.Context, calls iter.Seq[BulkCall]) (int64, error) {
	row := make([]any, 30)
	return db.bulkInsert(ctx, "llm_calls", columnsOf(callColumns), func(yield func([]any) bool) {
		for bc := range calls {
			c := bc.Call
			copy(row, []any{c.ID, c.JobID, c.TeamID, c.OrganizationID, c.KeyID, c.Alias, c.ServedAlias, c.Provider,
				c.ProviderModel, c.Purpose, jsonText(c.Metadata, "{}"), c.Status, c.Error, c.Stream, c.FinishReason,
				c.PromptTokens, c.CompletionTokens, c.CachedTokens, c.CacheWriteTokens, c.ReasoningTokens, c.TotalTokens,
				c.UsageSource, c.CostMicroUSD, c.ClientCostMicro, c.LatencyMS, c.FirstTokenMS, c.Attempts, c.RequestBody,
				c.ResponseBody, c.CreatedAt})
			if !yield(row) {
				return
			}
		}
	})
}

// BulkUsage adds calls to the usage rollups, as recording them would,
// and returns how many rollup rows it wrote. Calls grouped by team roll
// up in the fewest writes.
func (db *DB) BulkUsage(ctx context.Context, calls iter.Seq[BulkCall]) (int64, error) {
	roll := newUsageRollup()
	var n int64
	flush := func() error {
		n += int64(len(roll.daily) + len(roll.hourly))
		tx, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := roll.writeBulk(ctx, tx, db.dialect); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	team := ""
	for bc := range calls {
		if bc.TeamID != team && roll.size() >= usageBulkFlush {
			if err := flush(); err != nil {
				return n, err
			}
		}
		team = bc.TeamID
		roll.add(bc.JobType, bc.Call)
	}
	return n, flush()
}

// usageBulkFlush is how many distinct rollup rows bulk loading gathers
// before writing them.
const usageBulkFlush = 20_000

// BulkLedger inserts ledger entries as given.
func (db *DB) BulkLedger(ctx context.Context, entries iter.Seq[*gatehouse.LedgerEntry]) (int64, error) {
	row := make([]any, 14)
	return db.bulkInsert(ctx, "credit_ledger", []string{"id", "team_id", "job_id", "kind", "amount", "held", "balance_before",
		"balance_after", "held_before", "held_after", "reason", "actor", "payment_micro_usd", "created_at"}, func(yield func([]any) bool) {
		for e := range entries {
			copy(row, []any{e.ID, e.TeamID, e.JobID, e.Kind, e.Amount, e.Held, e.BalanceBefore, e.BalanceAfter,
				e.HeldBefore, e.HeldAfter, e.Reason, e.Actor, e.PaymentMicroUSD, e.CreatedAt})
			if !yield(row) {
				return
			}
		}
	})
}

// BulkAudit inserts audit entries as given.
func (db *DB) BulkAudit(ctx context.Context, entries iter.Seq[*gatehouse.AuditEntry]) (int64, error) {
	row := make([]any, 8)
	return db.bulkInsert(ctx, "audit_log", []string{"id", "actor", "action", "resource_type", "resource_id",
		"before_state", "after_state", "created_at"}, func(yield func([]any) bool) {
		for e := range entries {
			row[0], row[1], row[2], row[3], row[4] = e.ID, e.Actor, e.Action, e.ResourceType, e.ResourceID
			row[5], row[6], row[7] = nullableJSON(e.Before), nullableJSON(e.After), e.CreatedAt
			if !yield(row) {
				return
			}
		}
	})
}

// nullableJSON stores empty or null JSON as SQL NULL.
func nullableJSON(b []byte) any {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	return string(b)
}

// Analyze refreshes the planner's statistics after a bulk load, so the
// first queries use the indexes rather than plans made for empty tables.
// On PostgreSQL it also vacuums jobs, whose usage counts are read from a
// covering index: until a vacuum marks the freshly loaded pages
// all-visible, every entry would still visit its row (autovacuum would
// get there, minutes later).
func (db *DB) Analyze(ctx context.Context) error {
	stmts := []string{`ANALYZE`}
	if db.dialect == Postgres {
		stmts = []string{`VACUUM (ANALYZE) jobs`, `ANALYZE`}
	}
	for _, q := range stmts {
		if _, err := db.write.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}
