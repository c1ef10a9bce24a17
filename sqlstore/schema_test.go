package sqlstore_test

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-llm/gatehouse/postgres"
	"github.com/gatehouse-llm/gatehouse/sqlite"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// The two migration histories must yield the same logical schema: the same
// tables with the same columns.
func TestSchemaParity(t *testing.T) {
	lite := storetest.OpenSQLite(t)
	pg := storetest.OpenPostgres(t) // skips without PostgreSQL
	liteCols := columns(t, lite, `
		SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`)
	pgCols := columns(t, pg, `
		SELECT table_name || '.' || column_name FROM information_schema.columns
		WHERE table_schema = current_schema()`)
	if !slices.Equal(liteCols, pgCols) {
		t.Fatalf("schemas differ:\nsqlite:   %v\npostgres: %v", liteCols, pgCols)
	}
}

func columns(t *testing.T, db *sqlstore.DB, query string) []string {
	t.Helper()
	rows, err := db.SQL().Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.ToLower(c))
	}
	slices.Sort(out)
	return out
}

// A release's migrations must be safe while the previous release still
// runs against the same database: they may add, never drop or rename.
// Removing something takes two releases (stop using it, then drop it), and
// the drop must be listed here with the release that stopped using it.
func TestMigrationsAreAdditive(t *testing.T) {
	allowed := map[string]bool{} // "engine/file.sql" → reviewed destructive migration
	destructive := regexp.MustCompile(`(?i)\b(DROP\s+(TABLE|COLUMN|INDEX|VIEW)|RENAME\s+(TO|COLUMN)|ALTER\s+COLUMN\s+\w+\s+(SET\s+NOT\s+NULL|TYPE))\b`)
	for engine, fsys := range map[string]fs.FS{"sqlite": sqlite.Migrations(), "postgres": postgres.Migrations()} {
		entries, err := fs.ReadDir(fsys, ".")
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) == 0 {
			t.Fatalf("%s: no migrations", engine)
		}
		for _, e := range entries {
			b, _ := fs.ReadFile(fsys, e.Name())
			if m := destructive.Find(b); m != nil && !allowed[engine+"/"+e.Name()] {
				t.Errorf("%s/%s contains %q: migrations must stay compatible with the previous release", engine, e.Name(), m)
			}
		}
	}
}

// Both engines ship the same migration versions, one history each.
func TestMigrationHistoriesMatch(t *testing.T) {
	names := func(fsys fs.FS) []string {
		entries, _ := fs.ReadDir(fsys, ".")
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	if a, b := names(sqlite.Migrations()), names(postgres.Migrations()); !slices.Equal(a, b) {
		t.Fatalf("migration files differ:\nsqlite:   %v\npostgres: %v", a, b)
	}
}
