package sqlstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// Single-call jobs whose process died are failed by another instance once
// the owner's heartbeat has expired, releasing everything they held (the
// job's credit, a call's reservation); a live owner's jobs and explicit
// jobs are never touched; a late record from the "dead" owner releases
// nothing twice; and sweeping twice at once ends each job once.
func TestConformanceOrphanedSingleCallJobs(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		const expiry = 30 * time.Second
		clock := time.Now().UTC().Truncate(time.Microsecond)
		db.Now = func() time.Time { return clock }
		team(t, db, "jb", gatehouse.BudgetJobBased, 3*gatehouse.OneCredit)
		team(t, db, "ct", gatehouse.BudgetConsumptionTokens, 10*gatehouse.OneCredit)

		// open creates a job as instance owner (single-call unless owner
		// is ""), reserving credits for a call in consumption mode. The
		// sweeps run as a third instance.
		open := func(teamID, owner string, reserve gatehouse.Credits) *gatehouse.Job {
			t.Helper()
			db.Instance = owner
			defer func() { db.Instance = "sweeper" }()
			j, err := db.CreateJob(ctx, &gatehouse.Job{TeamID: teamID, SingleCall: owner != ""}, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := db.ReserveForCall(ctx, teamID, j.ID, mode(t, db, teamID), reserve); err != nil {
				t.Fatal(err)
			}
			return j
		}
		status := func(j *gatehouse.Job) string {
			t.Helper()
			got, err := db.FindJob(ctx, j.TeamID, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.Status
		}
		for _, id := range []string{"dead", "live"} {
			if err := db.Heartbeat(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		deadJB, deadCT := open("jb", "dead", 0), open("ct", "dead", 2*gatehouse.OneCredit)
		liveJB, liveCT := open("jb", "live", 0), open("ct", "live", gatehouse.OneCredit)
		explicitJB, explicitCT := open("jb", "", 0), open("ct", "", gatehouse.OneCredit)
		checkBooks(t, db, "jb", 3*gatehouse.OneCredit, 3*gatehouse.OneCredit)
		checkBooks(t, db, "ct", 10*gatehouse.OneCredit, 4*gatehouse.OneCredit)

		// Within the expiry nothing is an orphan.
		clock = clock.Add(expiry - time.Second)
		if n, err := db.FailOrphanedJobs(ctx, expiry); err != nil || n != 0 {
			t.Fatalf("before expiry: %d swept, %v", n, err)
		}
		// The live instance keeps beating; the dead one stopped.
		if err := db.Heartbeat(ctx, "live"); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(2 * time.Second)
		var wg sync.WaitGroup
		swept := make([]int, 2)
		for i := range swept {
			wg.Go(func() {
				n, err := db.FailOrphanedJobs(ctx, expiry)
				if err != nil {
					t.Error(err)
				}
				swept[i] = n
			})
		}
		wg.Wait()
		if swept[0]+swept[1] != 2 {
			t.Fatalf("two concurrent sweeps ended %v jobs, want 2 in all", swept)
		}
		for j, want := range map[*gatehouse.Job]string{deadJB: gatehouse.JobFailed, deadCT: gatehouse.JobFailed,
			liveJB: gatehouse.JobInProgress, liveCT: gatehouse.JobInProgress, explicitJB: gatehouse.JobInProgress, explicitCT: gatehouse.JobInProgress} {
			if got := status(j); got != want {
				t.Errorf("job %s of team %s: %s, want %s", j.ID, j.TeamID, got, want)
			}
		}
		checkBooks(t, db, "jb", 3*gatehouse.OneCredit, 2*gatehouse.OneCredit)
		checkBooks(t, db, "ct", 10*gatehouse.OneCredit, 2*gatehouse.OneCredit)

		// The "dead" owner was only paused: its call's record arrives late.
		// The job stays failed (free) and no credit is released twice.
		late := call(deadCT, "late", 1500)
		settled, err := db.RecordCalls(ctx, []gatehouse.CallOutcome{{Call: late, Reserved: 2 * gatehouse.OneCredit, Charge: 1_500_000, CompleteJob: true}})
		if err != nil {
			t.Fatal(err)
		}
		if j := settled[0].Job; j == nil || j.Status != gatehouse.JobFailed || j.Charged != 0 {
			t.Fatalf("late record's job: %+v", settled[0].Job)
		}
		checkBooks(t, db, "ct", 10*gatehouse.OneCredit, 2*gatehouse.OneCredit)

		// A live owner's jobs are never swept, however old.
		for range 10 {
			clock = clock.Add(expiry / 2)
			if err := db.Heartbeat(ctx, "live"); err != nil {
				t.Fatal(err)
			}
			if n, err := db.FailOrphanedJobs(ctx, expiry); err != nil || n != 0 {
				t.Fatalf("live owner's jobs swept: %d, %v", n, err)
			}
		}

		// A single-call job left open by a live owner (its end failed, say
		// in a database outage) is failed once no call could still run.
		stuck := open("jb", "live", 0)
		clock = clock.Add(sqlstore.SingleCallMaxAge - time.Second)
		if err := db.Heartbeat(ctx, "live"); err != nil {
			t.Fatal(err)
		}
		// (The live owner's first two jobs are older still.)
		if n, err := db.FailOrphanedJobs(ctx, expiry); err != nil || n != 2 || status(liveJB) != gatehouse.JobFailed {
			t.Fatalf("live owner's jobs past the maximum age: %d swept, %v; want 2", n, err)
		}
		clock = clock.Add(2 * time.Second)
		if err := db.Heartbeat(ctx, "live"); err != nil {
			t.Fatal(err)
		}
		if n, err := db.FailOrphanedJobs(ctx, expiry); err != nil || n != 1 {
			t.Fatalf("past the maximum age: %d swept, %v; want the stuck job", n, err)
		}
		if got := status(stuck); got != gatehouse.JobFailed {
			t.Fatalf("stuck single-call job: %s", got)
		}
		checkBooks(t, db, "jb", 3*gatehouse.OneCredit, gatehouse.OneCredit)
		checkBooks(t, db, "ct", 10*gatehouse.OneCredit, gatehouse.OneCredit)

		// Retiring (a clean stop) fails what the instance still owns.
		fresh := open("ct", "live", gatehouse.OneCredit)
		if n, err := db.RetireInstance(ctx, "live"); err != nil || n != 1 {
			t.Fatalf("retire: %d, %v", n, err)
		}
		if got := status(fresh); got != gatehouse.JobFailed {
			t.Fatalf("retired instance's job: %s", got)
		}
		checkBooks(t, db, "jb", 3*gatehouse.OneCredit, gatehouse.OneCredit)
		checkBooks(t, db, "ct", 10*gatehouse.OneCredit, gatehouse.OneCredit)

		// job_ttl still ends explicit jobs, releasing a call that never
		// reported back as well.
		if n, err := db.ExpireJobs(ctx, time.Minute); err != nil || n != 2 {
			t.Fatalf("expire: %d, %v", n, err)
		}
		checkBooks(t, db, "jb", 3*gatehouse.OneCredit, 0)
		checkBooks(t, db, "ct", 10*gatehouse.OneCredit, 0)
	})
}

// RunInstance beats, frees a dead instance's single-call job once its
// heartbeat expired, never frees its own, and retires when stopped.
func TestConformanceRunInstance(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		team(t, db, "jb", gatehouse.BudgetJobBased, 2*gatehouse.OneCredit)
		db.Instance = "dead"
		if err := db.Heartbeat(ctx, "dead"); err != nil {
			t.Fatal(err)
		}
		orphan, err := db.CreateJob(ctx, &gatehouse.Job{TeamID: "jb", SingleCall: true}, "")
		if err != nil {
			t.Fatal(err)
		}
		db.Instance = "live"
		if err := db.Heartbeat(ctx, "live"); err != nil {
			t.Fatal(err)
		}
		own, err := db.CreateJob(ctx, &gatehouse.Job{TeamID: "jb", SingleCall: true}, "")
		if err != nil {
			t.Fatal(err)
		}
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); db.RunInstance(runCtx, 300*time.Millisecond, nil) }()
		deadline := time.Now().Add(20 * time.Second)
		for {
			j, err := db.FindJob(ctx, "jb", orphan.ID)
			if err != nil {
				t.Fatal(err)
			}
			if j.Status == gatehouse.JobFailed {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the dead instance's job is still %s after 20s", j.Status)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if j, _ := db.FindJob(ctx, "jb", own.ID); j.Status != gatehouse.JobPending {
			t.Fatalf("the running instance's own job was swept: %s", j.Status)
		}
		checkBooks(t, db, "jb", 2*gatehouse.OneCredit, gatehouse.OneCredit)
		stop()
		<-done
		if j, _ := db.FindJob(ctx, "jb", own.ID); j.Status != gatehouse.JobFailed {
			t.Fatalf("a stopped instance left its job %s", j.Status)
		}
		checkBooks(t, db, "jb", 2*gatehouse.OneCredit, 0)
	})
}
