// Package storetest gives tests fresh, migrated databases on every backend
// Gatehouse supports, so one test body runs against SQLite and PostgreSQL
// alike.
//
// SQLite always runs (a file in the test's temporary directory).
// PostgreSQL runs when GATEHOUSE_TEST_POSTGRES_URL points at a server the
// tests may create databases on; each call creates its own database, so
// parallel packages and repeated runs never see each other's rows, and
// drops it when the test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gatehouse-llm/gatehouse/postgres"
	"github.com/gatehouse-llm/gatehouse/sqlite"
	"github.com/gatehouse-llm/gatehouse/sqlstore"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// PostgresEnv names the variable holding the PostgreSQL server URL.
const PostgresEnv = "GATEHOUSE_TEST_POSTGRES_URL"

// Backend is one database engine tests can run against.
type Backend struct {
	Name string
	// Open returns a fresh migrated database, closed when t ends.
	Open func(t testing.TB) *sqlstore.DB
	// URL returns the connection string of a fresh unmigrated database
	// (a file path for SQLite), for tests that start server processes.
	URL func(t testing.TB) string
}

// Backends lists the engines available in this run. PostgreSQL is left out
// (and its absence reported once per package) when PostgresEnv is unset.
func Backends(t testing.TB) []Backend {
	bs := []Backend{{Name: "sqlite", Open: OpenSQLite, URL: SQLitePath}}
	if os.Getenv(PostgresEnv) != "" {
		bs = append(bs, Backend{Name: "postgres", Open: OpenPostgres, URL: PostgresURL})
	} else {
		reportSkipOnce.Do(func() {
			fmt.Fprintf(os.Stderr, "storetest: PostgreSQL tests skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run them\n", PostgresEnv)
		})
	}
	return bs
}

var reportSkipOnce sync.Once

// ForEach runs fn as a subtest on every available backend.
func ForEach(t *testing.T, fn func(t *testing.T, db *sqlstore.DB)) {
	t.Helper()
	for _, b := range Backends(t) {
		t.Run(b.Name, func(t *testing.T) { fn(t, b.Open(t)) })
	}
}

// SQLitePath returns a path for a new SQLite database in t's temp dir.
func SQLitePath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "gatehouse.db")
}

// OpenSQLite returns a fresh migrated SQLite database.
func OpenSQLite(t testing.TB) *sqlstore.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), SQLitePath(t))
	if err != nil {
		t.Fatal(err)
	}
	return migrated(t, db)
}

// OpenPostgres returns a fresh migrated PostgreSQL database, skipping the
// test when no server is configured.
func OpenPostgres(t testing.TB) *sqlstore.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	return migrated(t, db)
}

// PostgresURL creates an empty database for t and returns its URL.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL not configured: set %s", PostgresEnv)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "gatehouse_test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

func migrated(t testing.TB, db *sqlstore.DB) *sqlstore.DB {
	t.Helper()
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background(), nil); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// Open opens the database a Backend's URL returned with that backend's
// engine, without migrating it: a second handle on one database is what
// a second replica process has.
func Open(ctx context.Context, backend, url string) (*sqlstore.DB, error) {
	if backend == "postgres" {
		return postgres.Open(ctx, url)
	}
	return sqlite.Open(ctx, url)
}
