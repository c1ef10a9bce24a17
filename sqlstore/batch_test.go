package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	_ "modernc.org/sqlite"
)

// openBatchTestDB opens a SQLite DB the way sqlite.Open does for writes
// (one IMMEDIATE writer connection), with a table of counters.
func openBatchTestDB(t *testing.T) (*DB, *sql.DB) {
	t.Helper()
	write, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "batch.db")+"?_txlock=immediate&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	write.SetMaxOpenConns(1)
	db := New(write, write, SQLite, nil)
	t.Cleanup(func() { db.Close() })
	if _, err := write.Exec(`CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL CHECK (n >= 0))`); err != nil {
		t.Fatal(err)
	}
	return db, write
}

func count(t *testing.T, q *sql.DB, name string) (n int, ok bool) {
	t.Helper()
	err := q.QueryRow(`SELECT n FROM counters WHERE name = $1`, name).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false
	} else if err != nil {
		t.Fatal(err)
	}
	return n, true
}

// Concurrent transactions share commits, and each keeps its own outcome:
// the failed ones (an error, a broken constraint, a panic) leave nothing,
// the others are all there.
func TestWriteBatcherKeepsEachTransactionAtomic(t *testing.T) {
	db, raw := openBatchTestDB(t)
	ctx := context.Background()
	const n = 300
	errBoom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.inTx(ctx, func(tx *Tx) error {
				name := fmt.Sprint("c", i)
				if _, err := tx.ExecContext(ctx, `INSERT INTO counters (name, n) VALUES ($1, 1)`, name); err != nil {
					return err
				}
				switch i % 4 {
				case 1:
					return errBoom // after its insert: the insert must vanish
				case 2:
					_, err := tx.ExecContext(ctx, `UPDATE counters SET n = -1 WHERE name = $1`, name)
					return err // CHECK violation
				case 3:
					if i%8 == 3 {
						panic("transaction bug")
					}
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i := range n {
		_, present := count(t, raw, fmt.Sprint("c", i))
		wantOK := i%4 == 0 || (i%4 == 3 && i%8 != 3)
		if wantOK != (errs[i] == nil) || wantOK != present {
			t.Errorf("transaction %d: err %v, row present %v; want success %v", i, errs[i], present, wantOK)
		}
	}
	if c := db.batch.commits.Load(); c >= n*5/8 {
		t.Errorf("%d commits for %d successful transactions: no batching", c, n*5/8)
	} else {
		t.Logf("%d transactions in %d commits", n, c)
	}
}

// A caller that cancels its context while its transaction runs does not
// interrupt the batch it shares; one that cancels while still queued is
// withdrawn and leaves nothing.
func TestWriteBatcherCancellation(t *testing.T) {
	db, raw := openBatchTestDB(t)
	release := make(chan struct{})
	started := make(chan struct{})
	blockerDone := make(chan error, 1)
	go func() {
		blockerDone <- db.inTx(context.Background(), func(tx *Tx) error {
			close(started)
			<-release // holds the batcher: what comes next queues
			_, err := tx.ExecContext(context.Background(), `INSERT INTO counters (name, n) VALUES ('blocker', 1)`)
			return err
		})
	}()
	<-started
	queuedCtx, cancelQueued := context.WithCancel(context.Background())
	queuedDone := make(chan error, 1)
	go func() {
		queuedDone <- db.inTx(queuedCtx, func(tx *Tx) error {
			_, err := tx.ExecContext(queuedCtx, `INSERT INTO counters (name, n) VALUES ('queued', 1)`)
			return err
		})
	}()
	for len(db.batch.in) == 0 {
		runtime.Gosched()
	}
	cancelQueued()
	close(release)
	if err := <-blockerDone; err != nil {
		t.Fatal(err)
	}
	if err := <-queuedDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("transaction cancelled while queued: %v, want context.Canceled", err)
	}
	if _, ok := count(t, raw, "queued"); ok {
		t.Fatal("a withdrawn transaction wrote its row")
	}

	// Cancelled mid-transaction: its statements still run, and it commits.
	ctx, cancel := context.WithCancel(context.Background())
	err := db.inTx(ctx, func(tx *Tx) error {
		cancel()
		_, err := tx.ExecContext(ctx, `INSERT INTO counters (name, n) VALUES ('midway', 1)`)
		return err
	})
	if n, ok := count(t, raw, "midway"); err != nil || !ok || n != 1 {
		t.Fatalf("cancelled mid-transaction: err %v, row %v", err, ok)
	}
}
