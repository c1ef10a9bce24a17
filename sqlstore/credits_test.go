package sqlstore_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/postgres"
	"github.com/gatehouse-llm/gatehouse/sqlite"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

func TestConformanceCreditOperations(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		team(t, db, "t", gatehouse.BudgetJobBased, 2*gatehouse.OneCredit)
		if _, err := db.GrantCredits(ctx, "t", gatehouse.LedgerAllocation, 3*gatehouse.OneCredit, "", 0); err != nil {
			t.Fatal(err)
		}
		if e, err := db.GrantCredits(ctx, "t", gatehouse.LedgerPayment, 10*gatehouse.OneCredit, "invoice 17", 49_990_000); err != nil || e.BalanceAfter != 15*gatehouse.OneCredit {
			t.Fatalf("payment %+v %v", e, err)
		}
		j, _ := db.CreateJob(ctx, &gatehouse.Job{TeamID: "t"}, "")
		// Held credits cannot be adjusted away.
		if _, err := db.GrantCredits(ctx, "t", gatehouse.LedgerAdjustment, -15*gatehouse.OneCredit, "cleanup", 0); gatehouse.ErrorCode(err) != gatehouse.ECREDITS {
			t.Fatalf("adjust into held credits: %v", err)
		}
		if _, err := db.GrantCredits(ctx, "t", gatehouse.LedgerAdjustment, -4*gatehouse.OneCredit, "", 0); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
			t.Fatalf("adjustment without reason: %v", err)
		}
		if _, err := db.GrantCredits(ctx, "t", gatehouse.LedgerAdjustment, -4*gatehouse.OneCredit, "goodwill reversal", 0); err != nil {
			t.Fatal(err)
		}
		// The budget mode cannot change under an open job.
		mode := gatehouse.BudgetConsumptionUSD
		if _, err := db.SetTeamRates(ctx, "t", gatehouse.TeamRates{BudgetMode: &mode}); gatehouse.ErrorCode(err) != gatehouse.ECONFLICT {
			t.Fatalf("mode change with open job: %v", err)
		}
		if _, err := db.RefundJob(ctx, "t", j.ID, ""); gatehouse.ErrorCode(err) != gatehouse.ECONFLICT {
			t.Fatalf("refund of an open job: %v", err)
		}
		if _, err := db.CompleteJob(ctx, "t", j.ID, gatehouse.JobCompleted, "", nil); err != nil {
			t.Fatal(err)
		}
		checkBooks(t, db, "t", 10*gatehouse.OneCredit, 0)
		if _, err := db.RefundJob(ctx, "t", j.ID, "customer complaint"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RefundJob(ctx, "t", j.ID, ""); gatehouse.ErrorCode(err) != gatehouse.ECONFLICT {
			t.Fatalf("second refund: %v", err)
		}
		checkBooks(t, db, "t", 11*gatehouse.OneCredit, 0)
		markup := int64(2500)
		tm, err := db.SetTeamRates(ctx, "t", gatehouse.TeamRates{BudgetMode: &mode, MarkupBP: &markup})
		if err != nil || tm.BudgetMode != mode || tm.MarkupBP != 2500 {
			t.Fatalf("rates %+v %v", tm, err)
		}
		entries, total, err := db.ListLedger(ctx, "t", gatehouse.Page{})
		if err != nil || total != 7 || entries[0].Kind != gatehouse.LedgerRefund { // 2 allocations, payment, hold, adjustment, deduction, refund
			t.Fatalf("ledger: %d entries, newest %+v, %v", total, entries[0], err)
		}
		for _, e := range entries {
			if e.BalanceAfter-e.BalanceBefore != e.Amount || e.HeldAfter-e.HeldBefore != e.Held {
				t.Errorf("ledger row does not add up: %+v", e)
			}
		}
	})
}

// Auto-refill happens once per period, however many replicas run the
// scheduler at the same moment.
func TestConformanceAutoRefillOncePerPeriod(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			url := b.URL(t)
			open := func() *sqlstore.DB {
				var db *sqlstore.DB
				var err error
				if b.Name == "postgres" {
					db, err = postgres.Open(ctx, url)
				} else {
					db, err = sqlite.Open(ctx, url)
				}
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			}
			first := open()
			if _, err := first.Migrate(ctx, nil); err != nil {
				t.Fatal(err)
			}
			replicas := []*sqlstore.DB{first, open(), open()}
			day := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
			var clock atomic.Pointer[time.Time]
			clock.Store(&day)
			for _, r := range replicas {
				r.Now = func() time.Time { return *clock.Load() }
			}
			team(t, first, "t", gatehouse.BudgetJobBased, 0)
			if _, err := first.ConfigureRefill(ctx, "t", 5*gatehouse.OneCredit, gatehouse.RefillDaily); err != nil {
				t.Fatal(err)
			}
			runAll := func() int64 {
				var made atomic.Int64
				var wg sync.WaitGroup
				for _, r := range replicas {
					for range 3 {
						wg.Add(1)
						go func() {
							defer wg.Done()
							n, err := r.RunRefills(ctx)
							if err != nil {
								t.Error(err)
							}
							made.Add(int64(n))
						}()
					}
				}
				wg.Wait()
				return made.Load()
			}
			if n := runAll(); n != 0 {
				t.Fatalf("refilled %d times in the period it was configured", n)
			}
			next := day.Add(24 * time.Hour)
			clock.Store(&next)
			if n := runAll(); n != 1 {
				t.Fatalf("refilled %d times on the next day, want exactly 1", n)
			}
			if n := runAll(); n != 0 {
				t.Fatalf("refilled again in the same period: %d", n)
			}
			after := next.Add(24 * time.Hour)
			clock.Store(&after)
			runAll()
			checkBooks(t, first, "t", 10*gatehouse.OneCredit, 0)
		})
	}
}
