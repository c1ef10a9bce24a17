package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
)

// batchLimit bounds how many transactions share one commit.
const batchLimit = 64

// writeBatcher runs SQLite transactions with group commit. SQLite has one
// writer at a time, and most of a short transaction's cost is its commit
// (writing the changed pages to the log): on the money path, the job
// creations, call admissions and call records of concurrent requests
// touch the same few pages. The batcher runs the transactions that queued
// while the previous commit was in progress inside one database
// transaction, each in a savepoint of its own, and commits once.
//
// Each transaction keeps its own all-or-nothing outcome: one that fails
// is rolled back to its savepoint and the others carry on; none is
// reported done before the commit that makes it durable, and if that
// commit fails, all of them fail and nothing of any of them is kept. A
// lone transaction commits at once; batches only form under load.
type writeBatcher struct {
	db   *DB
	in   chan *batchItem
	stop chan struct{}
	done chan struct{}

	commits atomic.Int64 // database transactions committed
}

type batchItem struct {
	ctx  context.Context
	fn   func(*Tx) error
	tx   *Tx
	err  error
	done chan struct{}
}

func newWriteBatcher(db *DB) *writeBatcher {
	b := &writeBatcher{db: db, in: make(chan *batchItem, batchLimit), stop: make(chan struct{}), done: make(chan struct{})}
	go b.run()
	return b
}

// do runs fn as one transaction of a batch and returns once its batch is
// committed (or rolled back). A ctx cancelled while the transaction waits
// for its turn withdraws it; once it runs, it runs to the end.
func (b *writeBatcher) do(ctx context.Context, fn func(*Tx) error) error {
	it := &batchItem{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case b.in <- it:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.stop:
		return errors.New("sqlstore: database is closed")
	}
	<-it.done
	return it.err
}

// close stops the batcher after the transactions already queued.
func (b *writeBatcher) close() {
	close(b.stop)
	<-b.done
}

func (b *writeBatcher) run() {
	defer close(b.done)
	for {
		var first *batchItem
		select {
		case first = <-b.in:
		case <-b.stop:
			for {
				select {
				case it := <-b.in:
					b.commit([]*batchItem{it})
				default:
					return
				}
			}
		}
		batch := []*batchItem{first}
	collect:
		for len(batch) < batchLimit {
			select {
			case it := <-b.in:
				batch = append(batch, it)
			default:
				break collect
			}
		}
		b.commit(batch)
	}
}

// commit runs a batch in one database transaction.
func (b *writeBatcher) commit(batch []*batchItem) {
	defer func() {
		for _, it := range batch {
			close(it.done)
		}
	}()
	sqlTx, err := b.db.write.BeginTx(context.Background(), nil)
	if err != nil {
		for _, it := range batch {
			it.err = fmt.Errorf("begin: %w", err)
		}
		return
	}
	ran := 0
	for _, it := range batch {
		if err := it.ctx.Err(); err != nil {
			it.err = err // withdrawn before it ran
			continue
		}
		it.tx = &Tx{Tx: sqlTx, db: b.db, ctx: it.ctx, shared: true}
		if err := b.runOne(sqlTx, it); err != nil {
			// The savepoint machinery itself failed: nothing in this
			// transaction can be trusted.
			sqlTx.Rollback()
			failAll(batch, err)
			return
		}
		if it.err == nil {
			ran++
		}
	}
	if ran == 0 {
		sqlTx.Rollback()
		return
	}
	if err := sqlTx.Commit(); err != nil {
		failAll(batch, fmt.Errorf("commit: %w", err))
		return
	}
	b.commits.Add(1)
	var unprepared []string
	for _, it := range batch {
		if it.tx != nil {
			unprepared = append(unprepared, it.tx.unprepared...)
		}
	}
	if len(unprepared) > 0 {
		b.db.stmts.prepare(context.Background(), unprepared)
	}
}

// runOne runs one transaction in a savepoint, rolling back to it when the
// transaction fails (or panics). It returns an error only when the
// savepoint statements themselves fail.
func (b *writeBatcher) runOne(sqlTx *sql.Tx, it *batchItem) (err error) {
	ctx := context.Background()
	if _, err := sqlTx.ExecContext(ctx, `SAVEPOINT gatehouse_tx`); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	func() {
		defer func() {
			if p := recover(); p != nil {
				it.err = fmt.Errorf("sqlstore: transaction panicked: %v", p)
			}
		}()
		it.err = it.fn(it.tx)
	}()
	if it.err != nil {
		if _, err := sqlTx.ExecContext(ctx, `ROLLBACK TO gatehouse_tx`); err != nil {
			return fmt.Errorf("rollback to savepoint: %w", err)
		}
	}
	if _, err := sqlTx.ExecContext(ctx, `RELEASE gatehouse_tx`); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// failAll reports err to every transaction of a batch that had not
// already failed on its own.
func failAll(batch []*batchItem, err error) {
	for _, it := range batch {
		if it.err == nil {
			it.err = err
		}
	}
}
