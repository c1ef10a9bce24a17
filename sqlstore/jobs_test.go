package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// team creates organization o and a team with credits in a budget mode.
func team(t *testing.T, db *sqlstore.DB, id, mode string, credits gatehouse.Credits) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.FindOrganization(ctx, "o"); err != nil {
		if err := db.CreateOrganization(ctx, &gatehouse.Organization{ID: "o", Name: "O"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.CreateTeam(ctx, &gatehouse.Team{ID: id, OrganizationID: "o", BudgetMode: mode, CreditsAllocated: credits,
		TokensPerCredit: 1000}); err != nil {
		t.Fatal(err)
	}
}

// checkBooks asserts the ledger sums to the team's balance and holds.
func checkBooks(t *testing.T, db *sqlstore.DB, id string, wantBalance, wantHeld gatehouse.Credits) {
	t.Helper()
	tm, err := db.FindTeam(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	bal, held, err := db.LedgerTotals(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if tm.CreditsBalance != wantBalance || tm.CreditsHeld != wantHeld {
		t.Errorf("team balance %s held %s, want %s / %s", tm.CreditsBalance, tm.CreditsHeld, wantBalance, wantHeld)
	}
	if bal != tm.CreditsBalance || held != tm.CreditsHeld {
		t.Errorf("ledger sums to balance %s held %s, team says %s / %s", bal, held, tm.CreditsBalance, tm.CreditsHeld)
	}
}

// 200 concurrent jobs for a team with 10 credits: exactly 10 are charged,
// the other 190 are refused, and the books balance. A refusal while the
// credits are held by open jobs says "retry" (ERATELIMIT); once they are
// spent, ECREDITS.
func TestConformanceJobBasedConcurrency(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		team(t, db, "t", gatehouse.BudgetJobBased, 10*gatehouse.OneCredit)
		ctx := context.Background()
		var charged, refused atomic.Int64
		var wg sync.WaitGroup
		for range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				j, err := db.CreateJob(ctx, &gatehouse.Job{TeamID: "t", JobType: "load"}, "")
				if code := gatehouse.ErrorCode(err); code == gatehouse.ECREDITS || code == gatehouse.ERATELIMIT {
					refused.Add(1)
					return
				} else if err != nil {
					t.Error(err)
					return
				}
				done, err := db.CompleteJob(ctx, "t", j.ID, gatehouse.JobCompleted, "", nil)
				if err != nil {
					t.Error(err)
					return
				}
				if done.Charged == gatehouse.OneCredit {
					charged.Add(1)
				}
			}()
		}
		wg.Wait()
		if charged.Load() != 10 || refused.Load() != 190 {
			t.Fatalf("charged %d, refused %d; want 10 and 190", charged.Load(), refused.Load())
		}
		checkBooks(t, db, "t", 0, 0)
		// Now they are spent: no retry can help.
		if _, err := db.CreateJob(ctx, &gatehouse.Job{TeamID: "t"}, ""); gatehouse.ErrorCode(err) != gatehouse.ECREDITS {
			t.Fatalf("job of a team with nothing left: %v, want %s", err, gatehouse.ECREDITS)
		}
	})
}

// Completing one job from 200 goroutines at once charges it once.
func TestConformanceCompleteTwiceChargesOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		team(t, db, "t", gatehouse.BudgetJobBased, 3*gatehouse.OneCredit)
		ctx := context.Background()
		j, err := db.CreateJob(ctx, &gatehouse.Job{TeamID: "t"}, "")
		if err != nil {
			t.Fatal(err)
		}
		checkBooks(t, db, "t", 3*gatehouse.OneCredit, gatehouse.OneCredit)
		var wg sync.WaitGroup
		for range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := db.CompleteJob(ctx, "t", j.ID, gatehouse.JobCompleted, "", nil); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		checkBooks(t, db, "t", 2*gatehouse.OneCredit, 0)
		// A later "failed" does not undo or repeat anything.
		again, _ := db.CompleteJob(ctx, "t", j.ID, gatehouse.JobFailed, "", nil)
		if again.Status != gatehouse.JobCompleted || again.Charged != gatehouse.OneCredit {
			t.Fatalf("second completion changed the job: %+v", again)
		}
		if err := db.ReserveForCall(ctx, "t", j.ID, mode(t, db, "t"), 0); gatehouse.ErrorCode(err) != gatehouse.ECONFLICT {
			t.Fatalf("call on a finished job: %v", err)
		}
		checkBooks(t, db, "t", 2*gatehouse.OneCredit, 0)
	})
}

func TestConformanceFailedJobsCostNothing(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		team(t, db, "t", gatehouse.BudgetJobBased, gatehouse.OneCredit)
		ctx := context.Background()
		for _, status := range []string{gatehouse.JobFailed, gatehouse.JobCancelled} {
			j, err := db.CreateJob(ctx, &gatehouse.Job{TeamID: "t"}, "")
			if err != nil {
				t.Fatal(err)
			}
			// With its only credit held, the team cannot open a second job
			// now, but may once the first ends: a retryable refusal.
			if _, err := db.CreateJob(ctx, &gatehouse.Job{TeamID: "t"}, ""); gatehouse.ErrorCode(err) != gatehouse.ERATELIMIT {
				t.Fatalf("second job: %v", err)
			}
			if _, err := db.CompleteJob(ctx, "t", j.ID, status, "boom", nil); err != nil {
				t.Fatal(err)
			}
			checkBooks(t, db, "t", gatehouse.OneCredit, 0)
		}
	})
}

func call(job *gatehouse.Job, id string, tokens int64) *gatehouse.Call {
	return &gatehouse.Call{ID: id, JobID: job.ID, TeamID: job.TeamID, OrganizationID: job.OrganizationID, Alias: "fast",
		Status: "success", PromptTokens: tokens / 2, CompletionTokens: tokens - tokens/2, TotalTokens: tokens, UsageSource: "provider",
		CreatedAt: time.Now().UTC()}
}

// Consumption mode: reservations are held while calls run, settled on the
// reported usage, and charged when the job completes.
func TestConformanceConsumptionSettlement(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		team(t, db, "t", gatehouse.BudgetConsumptionTokens, 10*gatehouse.OneCredit) // 1000 tokens per credit
		ctx := context.Background()
		j, err := db.CreateJob(ctx, &gatehouse.Job{TeamID: "t"}, "")
		if err != nil {
			t.Fatal(err)
		}
		checkBooks(t, db, "t", 10*gatehouse.OneCredit, 0) // consumption jobs hold nothing up front
		if err := db.ReserveForCall(ctx, "t", j.ID, mode(t, db, "t"), 3*gatehouse.OneCredit); err != nil {
			t.Fatal(err)
		}
		checkBooks(t, db, "t", 10*gatehouse.OneCredit, 3*gatehouse.OneCredit)
		// 1500 tokens = 1.5 credits; the 3 reserved are released to 1.5 accrued.
		if _, err := db.RecordCalls(ctx, []gatehouse.CallOutcome{{Call: call(j, "c1", 1500), Reserved: 3 * gatehouse.OneCredit, Charge: 1_500_000}}); err != nil {
			t.Fatal(err)
		}
		checkBooks(t, db, "t", 10*gatehouse.OneCredit, 1_500_000)
		// Recording the same call again (a replay) changes nothing.
		if _, err := db.RecordCalls(ctx, []gatehouse.CallOutcome{{Call: call(j, "c1", 1500), Reserved: 3 * gatehouse.OneCredit, Charge: 1_500_000}}); err != nil {
			t.Fatal(err)
		}
		checkBooks(t, db, "t", 10*gatehouse.OneCredit, 1_500_000)
		// A reservation larger than what is free is refused, nothing held:
		// retryable while the balance covers it (the job may still fail and
		// release what it accrued), ECREDITS when even the balance does not.
		if err := db.ReserveForCall(ctx, "t", j.ID, mode(t, db, "t"), 9*gatehouse.OneCredit); gatehouse.ErrorCode(err) != gatehouse.ERATELIMIT {
			t.Fatalf("reservation blocked by holds: %v", err)
		}
		if err := db.ReserveForCall(ctx, "t", j.ID, mode(t, db, "t"), 11*gatehouse.OneCredit); gatehouse.ErrorCode(err) != gatehouse.ECREDITS {
			t.Fatalf("overspend reservation: %v", err)
		}
		checkBooks(t, db, "t", 10*gatehouse.OneCredit, 1_500_000)
		done, err := db.CompleteJob(ctx, "t", j.ID, gatehouse.JobCompleted, "", nil)
		if err != nil || done.Charged != 1_500_000 || done.TotalTokens != 1500 || done.CallCount != 1 {
			t.Fatalf("completed %+v %v", done, err)
		}
		checkBooks(t, db, "t", 8_500_000, 0)

		// A call whose cost exceeds what the team can still hold is
		// capped: the balance never goes negative, the rest is recorded.
		j2, _ := db.CreateJob(ctx, &gatehouse.Job{TeamID: "t"}, "")
		if err := db.ReserveForCall(ctx, "t", j2.ID, mode(t, db, "t"), gatehouse.OneCredit); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RecordCalls(ctx, []gatehouse.CallOutcome{{Call: call(j2, "c2", 20_000), Reserved: gatehouse.OneCredit, Charge: 20 * gatehouse.OneCredit}}); err != nil {
			t.Fatal(err)
		}
		done, _ = db.CompleteJob(ctx, "t", j2.ID, gatehouse.JobCompleted, "", nil)
		if done.Charged != 8_500_000 || done.Uncollected != 20*gatehouse.OneCredit-8_500_000 {
			t.Fatalf("capped job: charged %s uncollected %s", done.Charged, done.Uncollected)
		}
		checkBooks(t, db, "t", 0, 0)
	})
}

// Concurrent reservations never hold more than the balance.
func TestConformanceConcurrentReservations(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		team(t, db, "t", gatehouse.BudgetConsumptionUSD, 10*gatehouse.OneCredit)
		ctx := context.Background()
		j, _ := db.CreateJob(ctx, &gatehouse.Job{TeamID: "t"}, "")
		m := mode(t, db, "t")
		var ok atomic.Int64
		var wg sync.WaitGroup
		for range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := db.ReserveForCall(ctx, "t", j.ID, m, 300_000) // 0.3 credits
				if err == nil {
					ok.Add(1)
				} else if gatehouse.ErrorCode(err) != gatehouse.ERATELIMIT { // held, not spent
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 33 {
			t.Fatalf("%d reservations of 0.3 fit in 10 credits, want 33", ok.Load())
		}
		checkBooks(t, db, "t", 10*gatehouse.OneCredit, 9_900_000)
	})
}

func TestConformanceLateCallsAndExpiry(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		team(t, db, "t", gatehouse.BudgetConsumptionTokens, 10*gatehouse.OneCredit)
		ctx := context.Background()
		j, _ := db.CreateJob(ctx, &gatehouse.Job{TeamID: "t"}, "")
		if err := db.ReserveForCall(ctx, "t", j.ID, mode(t, db, "t"), 2*gatehouse.OneCredit); err != nil {
			t.Fatal(err)
		}
		// The job completes while its call is still running…
		if _, err := db.CompleteJob(ctx, "t", j.ID, gatehouse.JobCompleted, "", nil); err != nil {
			t.Fatal(err)
		}
		checkBooks(t, db, "t", 10*gatehouse.OneCredit, 2*gatehouse.OneCredit)
		// …and the call's cost is still collected when it ends.
		if _, err := db.RecordCalls(ctx, []gatehouse.CallOutcome{{Call: call(j, "late", 1000), Reserved: 2 * gatehouse.OneCredit, Charge: gatehouse.OneCredit}}); err != nil {
			t.Fatal(err)
		}
		checkBooks(t, db, "t", 9*gatehouse.OneCredit, 0)
		if got, _ := db.FindJob(ctx, "t", j.ID); got.Charged != gatehouse.OneCredit {
			t.Fatalf("late call not charged to its job: %+v", got)
		}

		// Expiry fails old open jobs and releases their holds (the clock
		// is the test's, so a slow machine cannot blur old and fresh).
		team(t, db, "jb", gatehouse.BudgetJobBased, 2*gatehouse.OneCredit)
		clock := time.Now().UTC().Truncate(time.Microsecond)
		db.Now = func() time.Time { return clock }
		old, _ := db.CreateJob(ctx, &gatehouse.Job{TeamID: "jb"}, "")
		clock = clock.Add(2 * time.Hour)
		fresh, _ := db.CreateJob(ctx, &gatehouse.Job{TeamID: "jb"}, "")
		clock = clock.Add(30 * time.Minute)
		n, err := db.ExpireJobs(ctx, time.Hour)
		if err != nil || n < 1 {
			t.Fatalf("expired %d, %v", n, err)
		}
		if j, _ := db.FindJob(ctx, "jb", old.ID); j.Status != gatehouse.JobFailed {
			t.Fatalf("old job %s", j.Status)
		}
		if j, _ := db.FindJob(ctx, "jb", fresh.ID); j.Status != gatehouse.JobPending {
			t.Fatalf("a fresh job was expired: %s", j.Status)
		}
		checkBooks(t, db, "jb", 2*gatehouse.OneCredit, gatehouse.OneCredit)
	})
}

func TestConformanceIdempotentJobCreation(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		team(t, db, "t", gatehouse.BudgetJobBased, 5*gatehouse.OneCredit)
		ctx := context.Background()
		ids := make(chan string, 20)
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				j, err := db.CreateJob(ctx, &gatehouse.Job{TeamID: "t"}, "req-42")
				if err != nil {
					t.Error(err)
					return
				}
				ids <- j.ID
			}()
		}
		wg.Wait()
		close(ids)
		seen := map[string]bool{}
		for id := range ids {
			seen[id] = true
		}
		if len(seen) != 1 {
			t.Fatalf("one idempotency key made %d jobs", len(seen))
		}
		checkBooks(t, db, "t", 5*gatehouse.OneCredit, gatehouse.OneCredit)
		// Another team's key space is separate; another team can't read the job.
		team(t, db, "u", gatehouse.BudgetJobBased, gatehouse.OneCredit)
		for id := range seen {
			if _, err := db.FindJob(ctx, "u", id); gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
				t.Fatalf("another team sees the job: %v", err)
			}
		}
	})
}

// mode is a team's stored budget mode.
func mode(t *testing.T, db *sqlstore.DB, team string) string {
	t.Helper()
	tm, err := db.FindTeam(context.Background(), team)
	if err != nil {
		t.Fatal(err)
	}
	return tm.BudgetMode
}

// A call planned for another budget mode than its job's is refused with
// ErrModeMismatch, holding nothing, so the caller re-plans.
func TestConformanceReserveChecksTheJobsMode(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		team(t, db, "t", gatehouse.BudgetConsumptionTokens, 10*gatehouse.OneCredit)
		ctx := context.Background()
		j, _ := db.CreateJob(ctx, &gatehouse.Job{TeamID: "t"}, "")
		if err := db.ReserveForCall(ctx, "t", j.ID, gatehouse.BudgetJobBased, 0); !errors.Is(err, gatehouse.ErrModeMismatch) {
			t.Fatalf("stale mode: %v", err)
		}
		checkBooks(t, db, "t", 10*gatehouse.OneCredit, 0)
		if got, _ := db.FindJob(ctx, "t", j.ID); got.Status != gatehouse.JobPending || got.Inflight != 0 {
			t.Fatalf("a refused call changed the job: %+v", got)
		}
	})
}

// The recorder answers every call only once it is durable, and calls that
// arrive together share transactions.
func TestConformanceRecorderGroupCommit(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		team(t, db, "t", gatehouse.BudgetConsumptionTokens, 1000*gatehouse.OneCredit)
		ctx := context.Background()
		j, err := db.CreateJob(ctx, &gatehouse.Job{TeamID: "t"}, "")
		if err != nil {
			t.Fatal(err)
		}
		const n = 200
		for range n {
			if err := db.ReserveForCall(ctx, "t", j.ID, mode(t, db, "t"), gatehouse.OneCredit); err != nil {
				t.Fatal(err)
			}
		}
		r := sqlstore.NewRecorder(db, nil)
		defer r.Close()
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o := gatehouse.CallOutcome{Call: call(j, fmt.Sprintf("c%03d", i), 1000), Reserved: gatehouse.OneCredit, Charge: gatehouse.OneCredit}
				if _, err := r.Record(ctx, o); err != nil {
					t.Error(err)
					return
				}
				// Answered means committed: another connection sees it.
				if ok, err := db.CallRecorded(ctx, o.Call.ID); err != nil || !ok {
					t.Errorf("call %s answered but not recorded (%v)", o.Call.ID, err)
				}
			}()
		}
		wg.Wait()
		st := r.Stats()
		if st.Calls != n || st.Batches < 1 || st.Batches >= n {
			t.Errorf("recorder stats %+v: want %d calls in fewer than %d transactions", st, n, n)
		}
		calls, err := db.JobCalls(ctx, "t", j.ID)
		if err != nil || len(calls) != n {
			t.Fatalf("%d calls recorded (%v), want %d", len(calls), err, n)
		}
		checkBooks(t, db, "t", 1000*gatehouse.OneCredit, n*gatehouse.OneCredit)
	})
}

// A single-call job is ended by its call's record, in the same
// transaction: completed and charged when the call succeeded, failed and
// free when it did not. A replayed record changes nothing more.
func TestConformanceRecordCompletesSingleCallJob(t *testing.T) {
	cases := []struct {
		name        string
		mode        string
		status      string
		wantStatus  string
		wantCharged gatehouse.Credits
	}{
		{"job_based success", gatehouse.BudgetJobBased, "success", gatehouse.JobCompleted, gatehouse.OneCredit},
		{"job_based error", gatehouse.BudgetJobBased, "error", gatehouse.JobFailed, 0},
		{"tokens success", gatehouse.BudgetConsumptionTokens, "success", gatehouse.JobCompleted, 1_500_000},
		{"tokens error", gatehouse.BudgetConsumptionTokens, "error", gatehouse.JobFailed, 0},
	}
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ctx := context.Background()
				id := fmt.Sprintf("t%d", i)
				team(t, db, id, tc.mode, 10*gatehouse.OneCredit)
				j, err := db.CreateJob(ctx, &gatehouse.Job{TeamID: id}, "")
				if err != nil {
					t.Fatal(err)
				}
				var reserve gatehouse.Credits
				if tc.mode != gatehouse.BudgetJobBased {
					reserve = 2 * gatehouse.OneCredit
				}
				if err := db.ReserveForCall(ctx, id, j.ID, tc.mode, reserve); err != nil {
					t.Fatal(err)
				}
				c := call(j, "c-"+id, 1500)
				c.Status = tc.status
				if tc.status != "success" {
					c.Error = "upstream refused"
				}
				var charge gatehouse.Credits
				if tc.mode != gatehouse.BudgetJobBased && tc.status == "success" {
					charge = 1_500_000
				}
				o := gatehouse.CallOutcome{Call: c, Reserved: reserve, Charge: charge, CompleteJob: true}
				for replay := range 2 {
					settled, err := db.RecordCalls(ctx, []gatehouse.CallOutcome{o})
					if err != nil {
						t.Fatal(err)
					}
					if len(settled) != 1 || settled[0].Job == nil {
						t.Fatalf("replay %d: settlement %+v, want the ended job", replay, settled)
					}
					got := settled[0].Job
					if got.Status != tc.wantStatus || got.Charged != tc.wantCharged || got.CallCount != 1 {
						t.Fatalf("replay %d: job %s charged %s after %d calls, want %s charged %s after 1",
							replay, got.Status, got.Charged, got.CallCount, tc.wantStatus, tc.wantCharged)
					}
					if tc.status != "success" && got.ErrorMessage != c.Error {
						t.Errorf("failed job's error_message %q, want the call's %q", got.ErrorMessage, c.Error)
					}
					if want := 10*gatehouse.OneCredit - tc.wantCharged; settled[0].CreditsRemaining != want {
						t.Errorf("replay %d: credits remaining %s, want %s", replay, settled[0].CreditsRemaining, want)
					}
				}
				checkBooks(t, db, id, 10*gatehouse.OneCredit-tc.wantCharged, 0)
			})
		}
	})
}
