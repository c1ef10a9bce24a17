// Package sqlstore implements Gatehouse's storage with hand-written SQL
// through database/sql, shared by SQLite and PostgreSQL.
//
// Both engines bind $1…$N by number, so one query text serves both; where
// the dialects differ (locking, upserts, types) the DB's Dialect says which
// form to use. Opening a database and its migrations live in the sqlite and
// postgres packages; this package only needs a *sql.DB and the migration
// files for that engine.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/secret"
)

// Dialect names the SQL engine behind a DB.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is a migrated-or-migratable Gatehouse database.
type DB struct {
	// sql serves reads; write serves every transaction and write. They are
	// one pool on PostgreSQL. On SQLite, which has one writer at a time,
	// write is a single connection: writers queue in order inside the
	// process instead of polling the file lock, where a busy enough
	// moment could starve one past its timeout.
	sql        *sql.DB
	write      *sql.DB
	stmts      *stmtCache // SQLite only
	closers    []func() error
	dialect    Dialect
	migrations fs.FS
	knownOnce  sync.Once
	known      int64

	// Now returns the current time; tests replace it to control clocks.
	Now func() time.Time
	// Models validates the provider model behind aliases; nil accepts any
	// provider/model string.
	Models gatehouse.ModelChecker
	// Sealer encrypts provider API keys; credentials cannot be stored
	// without one.
	Sealer *secret.Sealer
	// Instance identifies this process among the replicas sharing the
	// database. It owns the single-call jobs it opens, and keeps them
	// from being taken for orphans with Heartbeat; empty leaves them
	// unowned (then only job_ttl ends them).
	Instance string
	// lastBeat is when the last successful heartbeat of Instance was sent
	// (UnixNano), for HeartbeatAge.
	lastBeat atomic.Int64
}

// New wraps an open database: read for queries outside transactions,
// write for transactions and writes (they may be the same pool).
// migrations holds the engine's numbered goose migration files at its root.
func New(read, write *sql.DB, dialect Dialect, migrations fs.FS) *DB {
	db := &DB{
		sql:        read,
		write:      write,
		dialect:    dialect,
		migrations: migrations,
		Now:        func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	}
	if dialect == SQLite {
		db.stmts = newStmtCache(write)
	}
	return db
}

// SQL returns the handle that may read and write, for engine-specific
// code and tests.
func (db *DB) SQL() *sql.DB { return db.write }

// Pools returns the read and write connection pools (the same pool on
// PostgreSQL), for their statistics.
func (db *DB) Pools() (read, write *sql.DB) { return db.sql, db.write }

// OnClose registers f to run when the DB closes, before its pools do: the
// engine package's background work (SQLite's checkpointer) stops there.
func (db *DB) OnClose(f func() error) { db.closers = append(db.closers, f) }

// Dialect reports which engine this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// Close closes the database.
func (db *DB) Close() error {
	var err error
	for _, f := range db.closers {
		err = errors.Join(err, f())
	}
	db.stmts.close()
	err = errors.Join(err, db.write.Close())
	if db.sql != db.write {
		err = errors.Join(err, db.sql.Close())
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.sql.PingContext(ctx) }

// Setting names kept in gatehouse_settings.
const (
	// SettingMasterKeyHash is the hash of the operator's master key.
	SettingMasterKeyHash = "master_key_hash"
	// SettingEncryptionKeyFingerprint identifies the key provider
	// credentials are encrypted with.
	SettingEncryptionKeyFingerprint = "encryption_key_fingerprint"
)

// Setting returns a stored setting; ok is false when it was never set.
func (db *DB) Setting(ctx context.Context, name string) (value string, ok bool, err error) {
	err = db.sql.QueryRowContext(ctx, `SELECT value FROM gatehouse_settings WHERE name = $1`, name).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	} else if err != nil {
		return "", false, fmt.Errorf("read setting %s: %w", name, err)
	}
	return value, true, nil
}

// PutSetting stores a setting, replacing any previous value.
func (db *DB) PutSetting(ctx context.Context, name, value string) error {
	_, err := db.write.ExecContext(ctx, `
		INSERT INTO gatehouse_settings (name, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		name, value, db.Now())
	if err != nil {
		return fmt.Errorf("store setting %s: %w", name, err)
	}
	return nil
}

// PutSettingIfAbsent stores value unless the setting exists. It returns the
// value now stored and whether it was this call that stored it, so that of
// several replicas bootstrapping at once exactly one wins.
func (db *DB) PutSettingIfAbsent(ctx context.Context, name, value string) (stored string, inserted bool, err error) {
	res, err := db.write.ExecContext(ctx, `
		INSERT INTO gatehouse_settings (name, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO NOTHING`, name, value, db.Now())
	if err != nil {
		return "", false, fmt.Errorf("store setting %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return value, true, nil
	}
	stored, _, err = db.Setting(ctx, name)
	return stored, false, err
}
