package main

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
)

// liveLeases counts the credit leases that still hold credits of a team.
func liveLeases(t *testing.T, db *sqlstore.DB, teamID string) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM credit_leases WHERE team_id = $1 AND amount > 0`, teamID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Two replicas on one database (two processes on one SQLite file, or on
// one PostgreSQL) race for a job_based team's last 10 credits with 200
// concurrent /v1 calls, each of which is a single-call job admitted from
// memory against its replica's credit lease: exactly 10 are served and
// charged, the other 190 are refused before any provider call, and the
// books balance with nothing left held.
func TestReplicasRaceForLastCreditsThroughLeases(t *testing.T) {
	forEachEngine(t, nil, func(t *testing.T, e engine) {
		a := startProcess(t, e.dir, e.env)
		b := startProcess(t, e.dir, e.env)
		key := setupMockTeam(t, a.URL, "job_based", 10)
		eventually(t, "replica b knows the team", 10*time.Second, func() bool {
			code, _ := call(t, "GET", b.URL+"/v1/models", key, "")
			return code == 200
		})
		var served, refused atomic.Int64
		var mu sync.Mutex
		jobs := map[string]bool{}
		var wg sync.WaitGroup
		for i := range 200 {
			wg.Go(func() {
				url := a.URL
				if i%2 == 1 {
					url = b.URL
				}
				ans := oneCall(url, key, "hi [mock:latency=20ms]", false)
				switch ans.status {
				case 200:
					served.Add(1)
					mu.Lock()
					jobs[ans.job] = true
					mu.Unlock()
				case 429: // the OpenAI surface answers both "held" and "spent" with 429
					refused.Add(1)
				default:
					t.Errorf("unexpected answer %d %v", ans.status, ans.err)
				}
			})
		}
		wg.Wait()
		if served.Load() != 10 || refused.Load() != 190 {
			t.Fatalf("served %d, refused %d; want 10 and 190", served.Load(), refused.Load())
		}
		db := e.open(t)
		team := assertBooks(t, db, "t", 0)
		if team.CreditsBalance != 0 || team.CreditsHeld != 0 {
			t.Errorf("balance %s, held %s; want both 0", team.CreditsBalance, team.CreditsHeld)
		}
		list, total, err := db.ListJobs(context.Background(), gatehouse.JobFilter{TeamID: "t", Page: gatehouse.Page{Limit: 50}})
		if err != nil || total != 10 {
			t.Fatalf("%d jobs (%v); want the 10 served, no job for a refused call", total, err)
		}
		for _, j := range list {
			if j.Status != gatehouse.JobCompleted || j.Charged != gatehouse.OneCredit || !jobs[j.ID] {
				t.Errorf("job %s: %s, charged %s, answered %v; want completed, one credit, and answered", j.ID, j.Status, j.Charged, jobs[j.ID])
			}
		}
	})
}

// A replica is killed (SIGKILL) while its credit lease holds a team's
// credit for a call in flight, on both engines. The other replica's call
// runs past the instance expiry and is charged once; once the dead
// replica's heartbeat has expired the live one returns its lease, the
// cut-off call leaves no job and costs nothing, and the credit it held
// can be spent again.
func TestKilledReplicasLeaseComesBack(t *testing.T) {
	forEachEngine(t, []string{"GATEHOUSE_INSTANCE_EXPIRY=2s"}, func(t *testing.T, e engine) {
		a := startProcess(t, e.dir, e.env)
		b := startProcess(t, e.dir, e.env)
		key := setupMockTeam(t, a.URL, "job_based", 3)
		eventually(t, "replica b knows the team", 10*time.Second, func() bool {
			code, _ := call(t, "GET", b.URL+"/v1/models", key, "")
			return code == 200
		})
		db := e.open(t)
		go oneCall(a.URL, key, "dies with its process [mock:latency=60s]", false)
		var live answer
		liveDone := make(chan struct{})
		go func() {
			defer close(liveDone)
			live = oneCall(b.URL, key, "outlives the expiry [mock:latency=5s]", false)
		}()
		eventually(t, "both replicas hold a lease for their call", 30*time.Second, func() bool {
			_, held := funds(t, b.URL, "t")
			return held == 2*gatehouse.OneCredit && liveLeases(t, db, "t") == 2
		})
		if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = a.wait(t, 10*time.Second)
		<-liveDone
		if live.status != 200 {
			t.Fatalf("the live replica's call: %d %v", live.status, live.err)
		}
		eventually(t, "the dead replica's lease is returned", 60*time.Second, func() bool {
			_, held := funds(t, b.URL, "t")
			return held == 0 && liveLeases(t, db, "t") == 0
		})
		job, err := db.FindJob(context.Background(), "t", live.job)
		if err != nil || job.Status != gatehouse.JobCompleted || job.Charged != gatehouse.OneCredit {
			t.Fatalf("the live replica's job: %+v %v; want completed and charged one credit", job, err)
		}
		if _, total, err := db.ListJobs(context.Background(), gatehouse.JobFilter{TeamID: "t"}); err != nil || total != 1 {
			t.Fatalf("%d jobs (%v); want only the live call's (the cut-off call leaves none)", total, err)
		}
		team := assertBooks(t, db, "t", 0)
		if team.CreditsBalance != 2*gatehouse.OneCredit {
			t.Fatalf("balance %s; want 2 (one job charged, the cut-off one free)", team.CreditsBalance)
		}
		// The returned credit is spendable: both remaining credits serve a call.
		for i := range 2 {
			if ans := oneCall(b.URL, key, "spend it", false); ans.status != 200 {
				t.Fatalf("call %d after the lease came back: %d %v", i, ans.status, ans.err)
			}
		}
		if ans := oneCall(b.URL, key, "one too many", false); ans.status != 429 {
			t.Fatalf("a call with no credit left: %d; want 429 insufficient_quota", ans.status)
		}
		ledger, _, err := db.ListLedger(context.Background(), "t", gatehouse.Page{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		returned := false
		for _, l := range ledger {
			returned = returned || (l.Kind == gatehouse.LedgerRelease && strings.Contains(l.Reason, "heartbeat expired"))
		}
		if !returned {
			t.Errorf("no ledger entry says the dead instance's lease was returned")
		}
	})
}
