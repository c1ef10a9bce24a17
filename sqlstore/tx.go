package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// Tx is a transaction of a control-plane change. Every change made through
// change() is audited and records the entities it touched in the change
// feed in the same transaction, so a replica that sees the change's
// version also sees the change.
type Tx struct {
	*sql.Tx
	db  *DB
	ctx context.Context
	// unprepared lists the queries run without a cached statement, to be
	// prepared once the transaction has released the writer.
	unprepared []string
	// changes lists the control-plane entities this transaction touched.
	changes []gatehouse.Change
	// hooks caches whether any webhook endpoint is active, for emit: 0
	// not asked yet, 1 yes, 2 none (an endpoint created by a concurrent
	// transaction is not this one's to notify either way).
	hooks int
}

// changed notes that the transaction changed an entity the request path
// holds in memory; change() writes it to the feed.
func (tx *Tx) changed(kind, id string) {
	tx.changes = append(tx.changes, gatehouse.Change{Kind: kind, ID: id})
}

// FeedRetention is how many versions the change feed keeps. A replica
// further behind than that loads the whole control plane again.
const FeedRetention = 100_000

// NotifyChannel is the PostgreSQL channel every control-plane change
// notifies with its version, so replicas apply it without waiting for
// their next poll.
const NotifyChannel = "gatehouse_control_plane"

// change runs fn as a control-plane change. When fn touched entities the
// request path holds (tx.changed), the same transaction bumps the state
// version and records the entities under the new version in
// control_changes. An error from fn rolls everything back: a rejected
// request changes nothing.
//
// Feed order is commit order. A poller reading "seq > last applied" can
// only miss a change if a lower seq commits after a higher one is
// visible. That cannot happen here: bumping gatehouse_state's single row
// takes its row lock (PostgreSQL) or the database's write lock (SQLite)
// until commit, so control-plane changes are serialised at that point and
// the version a change gets is higher than that of every change committed
// before it, and lower than that of every change that commits after it.
// Control-plane changes are rare (operators, not traffic), so the
// serialisation costs nothing that matters; the bump is the change's last
// statement, so the lock is held only for the commit. (The alternatives
// were an advisory lock with the same effect, or re-reading a window of
// recent seqs on every poll, which still cannot bound how late a
// transaction commits.)
func (db *DB) change(ctx context.Context, fn func(tx *Tx) error) error {
	return db.inTx(ctx, func(tx *Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return tx.publish(ctx)
	})
}

// publish bumps the version and writes the transaction's changes to the
// feed; a transaction that touched nothing the request path holds (admin
// users, sessions) leaves the version alone.
func (tx *Tx) publish(ctx context.Context) error {
	if len(tx.changes) == 0 {
		return nil
	}
	var version int64
	if err := tx.QueryRowContext(ctx, `UPDATE gatehouse_state SET version = version + 1 WHERE id = 1 RETURNING version`).Scan(&version); err != nil {
		return fmt.Errorf("bump state version: %w", err)
	}
	now := tx.db.Now()
	seen := make(map[gatehouse.Change]bool, len(tx.changes))
	for _, c := range tx.changes {
		if seen[c] {
			continue
		}
		seen[c] = true
		if _, err := tx.ExecContext(ctx, `INSERT INTO control_changes (seq, kind, entity_id, created_at) VALUES ($1, $2, $3, $4)`,
			version, c.Kind, c.ID, now); err != nil {
			return fmt.Errorf("record change: %w", err)
		}
	}
	// Pruning as we go keeps the feed bounded without a background job:
	// each change removes about as many old rows as it adds.
	if _, err := tx.ExecContext(ctx, `DELETE FROM control_changes WHERE seq <= $1`, version-FeedRetention); err != nil {
		return fmt.Errorf("prune change feed: %w", err)
	}
	if tx.db.dialect == Postgres {
		// Delivered at commit, to every replica LISTENing.
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify('`+NotifyChannel+`', $1)`, strconv.FormatInt(version, 10)); err != nil {
			return fmt.Errorf("notify change: %w", err)
		}
	}
	return nil
}

// inTx runs fn in a transaction, committed only if fn succeeds.
func (db *DB) inTx(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{Tx: sqlTx, db: db, ctx: ctx}
	err = fn(tx)
	if err == nil {
		err = sqlTx.Commit()
	} else {
		sqlTx.Rollback()
	}
	if len(tx.unprepared) > 0 {
		db.stmts.prepare(ctx, tx.unprepared)
	}
	return err
}

// forUpdate is appended to a SELECT that is followed by a write based on
// what it read. PostgreSQL needs the row lock; SQLite transactions here
// begin IMMEDIATE and already hold the database's write lock.
func (tx *Tx) forUpdate() string {
	if tx.db.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// audit records one change by the context's actor.
func (tx *Tx) audit(action, resourceType, resourceID string, before, after any) error {
	enc := func(v any) (any, error) {
		if v == nil {
			return nil, nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		return string(b), nil
	}
	b, err := enc(before)
	if err != nil {
		return err
	}
	a, err := enc(after)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(tx.ctx, `
		INSERT INTO audit_log (id, actor, action, resource_type, resource_id, before_state, after_state, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		newID(), gatehouse.ActorFrom(tx.ctx).String(), action, resourceType, resourceID, b, a, tx.db.Now())
	if err != nil {
		return fmt.Errorf("write audit entry: %w", err)
	}
	return nil
}

// StateVersion returns the current control-plane version; replicas poll it
// to learn that their in-memory state is stale.
func (db *DB) StateVersion(ctx context.Context) (int64, error) {
	var v int64
	err := db.sql.QueryRowContext(ctx, `SELECT version FROM gatehouse_state WHERE id = 1`).Scan(&v)
	return v, err
}

// newID returns a time-ordered unique id.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// isUniqueViolation reports whether err is a unique or primary key clash.
func isUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return lite.Code() == 2067 || lite.Code() == 1555 // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
	}
	return false
}

// jsonText encodes v for a JSON column ("{}" / "[]" rather than null for
// empty values, so readers never special-case NULL).
func jsonText(v any, empty string) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return empty
	}
	return string(b)
}

// scanJSON decodes a JSON column into v.
func scanJSON(raw []byte, v any) error {
	if len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, v)
}

// placeholders returns "$from, $from+1, …" for n arguments.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", from+i)
	}
	return b.String()
}

// where accumulates optional filter conditions with numbered arguments.
type where struct {
	conds []string
	args  []any
}

// add appends a condition; "?" in cond is replaced by the next argument's
// placeholder.
func (w *where) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, strings.Replace(cond, "?", fmt.Sprintf("$%d", len(w.args)), 1))
}

// String renders " WHERE …" or "".
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// page renders LIMIT/OFFSET with the next two placeholders.
func (w *where) page(p gatehouse.Page) string {
	p = p.Normalize()
	w.args = append(w.args, p.Limit, p.Offset)
	return fmt.Sprintf(" LIMIT $%d OFFSET $%d", len(w.args)-1, len(w.args))
}

// count counts the rows of table that match the filter, up to
// gatehouse.CountCap+1: counting further would walk every row.
func (db *DB) count(ctx context.Context, q queryer, table string, w *where) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM `+table+w.String()+
		fmt.Sprintf(` LIMIT %d) AS capped`, gatehouse.CountCap+1), w.args...).Scan(&n)
	return n, err
}

// queryer is satisfied by *sql.DB and *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// notFound builds the standard 404 error.
func notFound(kind, id string) error {
	return gatehouse.Errorf(gatehouse.ENOTFOUND, "%s %q not found.", kind, id)
}
