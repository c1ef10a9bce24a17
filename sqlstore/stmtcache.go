package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCacheLimit bounds the statements kept prepared. The queries run in
// transactions are a fixed set of texts (about a hundred); the bound only
// guards against a future caller that builds texts from data.
const stmtCacheLimit = 512

// stmtCache keeps the statements run in transactions prepared on the
// writer, so the money path does not parse the same SQL on every request
// (statement preparation was a quarter of a one-call job's CPU on
// SQLite). PostgreSQL needs none: pgx caches prepared statements per
// connection itself.
//
// A statement cannot be prepared while a transaction holds the writer's
// only connection, so a statement first runs unprepared and is prepared
// once its transaction has ended.
type stmtCache struct {
	db    *sql.DB
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}}
}

// get returns the prepared statement for query, or nil.
func (c *stmtCache) get(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.stmts[query]
}

// prepare prepares the queries a transaction ran unprepared. Failure is
// harmless (the query simply stays unprepared), so it is not reported.
func (c *stmtCache) prepare(ctx context.Context, queries []string) {
	for _, q := range queries {
		c.mu.RLock()
		_, done := c.stmts[q]
		full := len(c.stmts) >= stmtCacheLimit
		c.mu.RUnlock()
		if done || full {
			continue
		}
		s, err := c.db.PrepareContext(context.WithoutCancel(ctx), q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if _, dup := c.stmts[q]; dup {
			s.Close()
		} else {
			c.stmts[q] = s
		}
		c.mu.Unlock()
	}
}

// close releases every prepared statement.
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, s := range c.stmts {
		s.Close()
		delete(c.stmts, q)
	}
}

// stmt returns query bound to this transaction: the cached prepared
// statement when there is one; otherwise nil, noting the query for
// preparation after the transaction.
func (tx *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if tx.db.stmts == nil {
		return nil
	}
	if s := tx.db.stmts.get(query); s != nil {
		return tx.Tx.StmtContext(ctx, s)
	}
	tx.unprepared = append(tx.unprepared, query)
	return nil
}

// ExecContext runs a statement in the transaction, prepared when cached.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := tx.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs a query in the transaction, prepared when cached.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := tx.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a one-row query in the transaction, prepared when
// cached.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := tx.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
}
