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
	"time"

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
// failing, and enforces foreign keys. Three pools share the file:
//
//   - one writer connection whose transactions begin IMMEDIATE, so a
//     transaction that reads a balance and then writes it holds the write
//     lock from the start; in-process writers wait their turn in
//     database/sql's queue, in order, with no lock polling;
//   - reader connections that are query-only, so a write that strays onto
//     them fails loudly instead of racing the writer;
//   - one connection for the background checkpointer.
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
	ckpt, err := open(ctx, path, "deferred", false)
	if err != nil {
		write.Close()
		read.Close()
		return nil, err
	}
	ckpt.SetMaxOpenConns(1)
	db := sqlstore.New(read, write, sqlstore.SQLite, Migrations())
	stop := make(chan struct{})
	done := make(chan struct{})
	go checkpoint(ckpt, stop, done)
	db.OnClose(func() error {
		close(stop)
		<-done
		return ckpt.Close()
	})
	return db, nil
}

// CheckpointInterval is how often the write-ahead log is copied back into
// the database file.
const CheckpointInterval = 250 * time.Millisecond

// checkpoint copies the write-ahead log into the database file in the
// background until stop closes. SQLite would otherwise do it inline in
// whichever commit crosses the log's size threshold, and that request
// would wait for the copy and its fsync (it was most of the p99 at one
// request at a time). A PASSIVE checkpoint never blocks the writer or the
// readers.
func checkpoint(db *sql.DB, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			_, _ = db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
		}
	}
}

// open opens one pool on the file with the given transaction lock mode.
func open(ctx context.Context, path, txlock string, queryOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// The background checkpointer keeps the log short; SQLite's own
	// inline checkpoint stays as a backstop (about 40 MB of log).
	q.Add("_pragma", "wal_autocheckpoint(10000)")
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
