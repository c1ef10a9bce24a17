package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Backups of the embedded database, and the checks a restore makes. A
// PostgreSQL deployment is backed up with pg_dump (see docs/operations.md).

// errNotSQLite refuses SQLite-only operations on PostgreSQL.
var errNotSQLite = errors.New("this is for the embedded SQLite database; back up PostgreSQL with pg_dump (see docs/operations.md)")

// BackupInto writes a consistent copy of the whole database into path
// (which must not exist or be empty) with SQLite's VACUUM INTO: one read
// transaction, so the copy is the database as of one commit, while the
// server keeps reading and writing. The copy is compact and has no
// write-ahead log beside it.
func (db *DB) BackupInto(ctx context.Context, path string) error {
	if db.dialect != SQLite {
		return errNotSQLite
	}
	_, err := db.write.ExecContext(ctx, `VACUUM INTO $1`, path)
	return err
}

// IntegrityCheck runs SQLite's full integrity check and returns its
// findings as an error ("ok" is nil).
func (db *DB) IntegrityCheck(ctx context.Context) error {
	if db.dialect != SQLite {
		return errNotSQLite
	}
	rows, err := db.sql.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		if len(problems) > 5 {
			problems = append(problems[:5], fmt.Sprintf("… %d more", len(problems)-5))
		}
		return fmt.Errorf("integrity check failed: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Checkpoint copies the whole write-ahead log into the database file and
// truncates the log, so the file alone is the database.
func (db *DB) Checkpoint(ctx context.Context) error {
	if db.dialect != SQLite {
		return errNotSQLite
	}
	_, err := db.write.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

// LiveInstances lists the server processes whose heartbeat is younger
// than expiry, with its age: a database they use must not be replaced.
func (db *DB) LiveInstances(ctx context.Context, expiry time.Duration) (map[string]time.Duration, error) {
	now := db.Now()
	rows, err := db.sql.QueryContext(ctx, `SELECT id, heartbeat_at FROM instances WHERE heartbeat_at > $1`, now.Add(-expiry))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]time.Duration{}
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			return nil, err
		}
		out[id] = now.Sub(at).Round(time.Millisecond)
	}
	return out, rows.Err()
}

// UnbalancedTeams returns the teams whose balance or held credits differ
// from what their ledger sums to (at most 20): none, in a sound database.
func (db *DB) UnbalancedTeams(ctx context.Context) ([]string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT t.id FROM teams t
		LEFT JOIN (SELECT team_id, SUM(amount) AS amount, SUM(held) AS held FROM credit_ledger GROUP BY team_id) l ON l.team_id = t.id
		WHERE t.credits_balance <> COALESCE(l.amount, 0) OR t.credits_held <> COALESCE(l.held, 0)
		ORDER BY t.id LIMIT 20`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
