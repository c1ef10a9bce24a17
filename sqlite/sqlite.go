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
	"runtime"

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
// Every connection runs in WAL mode so readers never block the writer,
// waits up to five seconds for a lock held by another process instead of
// failing, and enforces foreign keys. Two pools share the file:
//
//   - one writer connection whose transactions begin IMMEDIATE, so a
//     transaction that reads a balance and then writes it holds the write
//     lock from the start; in-process writers wait their turn in
//     database/sql's queue, in order, with no lock polling;
//   - reader connections that are query-only, so a write that strays onto
//     them fails loudly instead of racing the writer.
func Open(ctx context.Context, path string) (*sqlstore.DB, error) {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
	}
	write, err := open(ctx, path, "immediate", false)
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	// The file holds key hashes and encrypted provider keys: owner only.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Chmod(path+suffix, 0o600); err != nil && !os.IsNotExist(err) {
			write.Close()
			return nil, fmt.Errorf("restrict permissions of %s: %w", path+suffix, err)
		}
	}
	read, err := open(ctx, path, "deferred", true)
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	return sqlstore.New(read, write, sqlstore.SQLite, Migrations()), nil
}

// open opens one pool on the file with the given transaction lock mode.
func open(ctx context.Context, path, txlock string, queryOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if queryOnly {
		q.Add("_pragma", "query_only(1)")
	}
	q.Set("_txlock", txlock)
	q.Set("_time_format", "sqlite")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return db, nil
}
