// Package sqlite opens Gatehouse's embedded default database: one SQLite
// file through the pure-Go modernc driver, so `gatehouse serve` needs no
// cgo and no server.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/gatehouse-llm/gatehouse/sqlstore"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the SQLite migration history.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the embedded directory is fixed at build time
	}
	return sub
}

// Open opens (creating if needed) the database file at path.
//
// Every connection runs in WAL mode so readers never block the writer, waits
// up to five seconds for a lock instead of failing, enforces foreign keys,
// and begins transactions IMMEDIATE: a transaction that reads a balance and
// then writes it takes the write lock up front, so two of them can never
// both read the old value (deferred transactions would fail with
// SQLITE_BUSY on the lock upgrade instead).
func Open(ctx context.Context, path string) (*sqlstore.DB, error) {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// The file holds key hashes and encrypted provider keys: owner only.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Chmod(path+suffix, 0o600); err != nil && !os.IsNotExist(err) {
			db.Close()
			return nil, fmt.Errorf("restrict permissions of %s: %w", path+suffix, err)
		}
	}
	return sqlstore.New(db, sqlstore.SQLite, Migrations()), nil
}
