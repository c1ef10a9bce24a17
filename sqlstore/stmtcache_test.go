package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"
)

// A query run in a transaction is prepared once the transaction ends and
// reused by the next transactions, with the same results.
func TestStmtCache(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cache.db")
	write, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	write.SetMaxOpenConns(1)
	db := New(write, write, SQLite, nil)
	defer db.Close()
	if _, err := write.Exec(`CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	const insert = `INSERT INTO counters (name, n) VALUES ($1, 1) ON CONFLICT (name) DO UPDATE SET n = n + 1 RETURNING n`
	for i := 1; i <= 3; i++ {
		var n int
		err := db.inTx(ctx, func(tx *Tx) error {
			if i > 1 && len(tx.unprepared) != 0 {
				t.Errorf("run %d: %d queries unprepared before any ran", i, len(tx.unprepared))
			}
			err := tx.QueryRowContext(ctx, insert, "a").Scan(&n)
			if i > 1 && len(tx.unprepared) != 0 {
				t.Errorf("run %d: query ran unprepared although cached", i)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != i {
			t.Fatalf("run %d: counter %d, want %d", i, n, i)
		}
		if db.stmts.get(insert) == nil {
			t.Fatalf("run %d: query not prepared after its transaction", i)
		}
	}
	// A rolled-back transaction through a cached statement changes nothing.
	_ = db.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, insert, "a"); err != nil {
			t.Fatal(err)
		}
		return sql.ErrTxDone // any error rolls back
	})
	var n int
	if err := write.QueryRow(`SELECT n FROM counters WHERE name = 'a'`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("after rollback: %d %v, want 3", n, err)
	}
}
