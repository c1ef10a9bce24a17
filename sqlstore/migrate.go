package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// MigrationTable records which migrations have been applied.
const MigrationTable = "gatehouse_schema_migrations"

// SchemaError reports a database whose schema does not match this binary.
type SchemaError struct {
	Current int64 // version recorded in the database
	Known   int64 // newest version this binary ships
}

func (e *SchemaError) Error() string {
	if e.Current > e.Known {
		return fmt.Sprintf("database schema is at version %d but this gatehouse binary only knows versions up to %d: "+
			"it was migrated by a newer release; run that release (or newer) instead", e.Current, e.Known)
	}
	return fmt.Sprintf("database schema is at version %d but this gatehouse binary needs version %d: "+
		"run `gatehouse migrate up` (or start with --auto-migrate)", e.Current, e.Known)
}

// TooNew reports whether the database was migrated by a newer release.
func (e *SchemaError) TooNew() bool { return e.Current > e.Known }

// MigrationStatus describes one known migration.
type MigrationStatus struct {
	Version int64
	Name    string
	Applied bool
}

func (db *DB) goose(logger *slog.Logger) (*goose.Provider, error) {
	opts := []goose.ProviderOption{
		goose.WithTableName(MigrationTable),
		goose.WithDisableGlobalRegistry(true),
	}
	if logger != nil {
		opts = append(opts, goose.WithSlog(logger))
	}
	dialect := goose.DialectSQLite3
	if db.dialect == Postgres {
		dialect = goose.DialectPostgres
		// Replicas starting together must not run the same migration twice.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(dialect, db.write, db.migrations, opts...)
}

// SchemaVersion returns the version recorded in the database and the newest
// version this binary knows.
func (db *DB) SchemaVersion(ctx context.Context) (current, known int64, err error) {
	p, err := db.goose(nil)
	if err != nil {
		return 0, 0, err
	}
	return p.GetVersions(ctx)
}

// CheckSchema returns a *SchemaError unless the database is at exactly the
// version this binary knows. It is one indexed query, cheap enough for
// every readiness probe, and unlike goose's own version read it takes no
// migration lock, so probes never queue behind a running migration.
func (db *DB) CheckSchema(ctx context.Context) error {
	var current int64
	err := db.sql.QueryRowContext(ctx,
		`SELECT COALESCE(MAX(version_id), 0) FROM `+MigrationTable+` WHERE is_applied`).Scan(&current)
	if err != nil {
		return fmt.Errorf("read schema version (has the database been migrated?): %w", err)
	}
	if known := db.knownVersion(); current != known {
		return &SchemaError{Current: current, Known: known}
	}
	return nil
}

// knownVersion is the newest migration this binary ships, read from the
// numeric prefix of the migration file names.
func (db *DB) knownVersion() int64 {
	db.knownOnce.Do(func() {
		entries, _ := fs.ReadDir(db.migrations, ".")
		for _, e := range entries {
			digits := e.Name()[:strings.IndexFunc(e.Name()+"_", func(r rune) bool { return r < '0' || r > '9' })]
			if v, err := strconv.ParseInt(digits, 10, 64); err == nil && v > db.known {
				db.known = v
			}
		}
	})
	return db.known
}

// Migrate applies every pending migration. It refuses, with a
// *SchemaError, to touch a database migrated by a newer release.
func (db *DB) Migrate(ctx context.Context, logger *slog.Logger) (applied []MigrationStatus, err error) {
	p, err := db.goose(logger)
	if err != nil {
		return nil, err
	}
	current, known, err := p.GetVersions(ctx)
	if err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	if current > known {
		return nil, &SchemaError{Current: current, Known: known}
	}
	results, err := p.Up(ctx)
	for _, r := range results {
		if r.Error == nil {
			applied = append(applied, MigrationStatus{Version: r.Source.Version, Name: r.Source.Path, Applied: true})
		}
	}
	var partial *goose.PartialError
	if errors.As(err, &partial) {
		return applied, fmt.Errorf("migration %s failed: %w", partial.Failed.Source.Path, partial.Err)
	}
	return applied, err
}

// MigrationStatuses lists every migration this binary knows and whether
// the database has it.
func (db *DB) MigrationStatuses(ctx context.Context) ([]MigrationStatus, error) {
	p, err := db.goose(nil)
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, s := range st {
		out = append(out, MigrationStatus{Version: s.Source.Version, Name: s.Source.Path, Applied: s.State == goose.StateApplied})
	}
	return out, nil
}
