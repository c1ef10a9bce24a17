package seed_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/bench/seed"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
	"github.com/gatehouse-llm/gatehouse/state"
)

// A small fleet seeds on every engine with the counts asked for and the
// books the product keeps: ledgers sum to balances, jobs to their calls,
// rollups to the calls; its keys authenticate as their teams.
func TestFleetIsConsistent(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		db.Sealer, _ = secret.NewSealer(key)
		size := seed.Size{Orgs: 5, Teams: 30, KeysPerTeam: 3, Jobs: 200, Calls: 1100, Ledger: 150, Audit: 40, HotTeamPercent: 25, Credentials: 2}
		f, err := seed.Fleet(ctx, db, size)
		if err != nil {
			t.Fatal(err)
		}
		for _, tm := range f.Took {
			t.Logf("%-13s %7d rows %v", tm.What, tm.Rows, tm.Took)
		}
		want := map[string]int64{"organizations": 5, "teams": 30, "keys": 90, "jobs": 200, "calls": 1100, "ledger": 150, "audit": 40, "credentials": 2}
		for _, tm := range f.Took {
			if w, ok := want[tm.What]; ok && tm.Rows != w {
				t.Errorf("%s: %d rows, want %d", tm.What, tm.Rows, w)
			}
		}
		if n := f.TeamJobs(seed.HotTeam); n != 50+150/30 {
			t.Errorf("hot team has %d jobs, want %d", n, 50+150/30)
		}

		var jobs, calls int
		for i := range size.Teams {
			var teamCalls, teamTokens int64
			id := seed.TeamID(i)
			team, err := db.FindTeam(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			bal, held, err := db.LedgerTotals(ctx, id)
			if err != nil || bal != team.CreditsBalance || held != 0 {
				t.Errorf("team %s: ledger sums to %v/%v, balance %v (%v)", id, bal, held, team.CreditsBalance, err)
			}
			for k := range f.TeamJobs(i) {
				jobID, n, _ := f.TeamJob(i, k)
				j, err := db.FindJob(ctx, id, jobID)
				if err != nil {
					t.Fatalf("team %s job %d: %v", id, k, err)
				}
				cs, err := db.JobCalls(ctx, id, jobID, gatehouse.Page{Limit: gatehouse.MaxPageLimit})
				if err != nil || len(cs) != n || j.CallCount != int64(n) {
					t.Fatalf("job %s: %d calls listed, %d counted, want %d (%v)", jobID, len(cs), j.CallCount, n, err)
				}
				var tokens int64
				for _, c := range cs {
					tokens += c.TotalTokens
				}
				if tokens != j.TotalTokens {
					t.Errorf("job %s: calls hold %d tokens, the job %d", jobID, tokens, j.TotalTokens)
				}
				teamCalls, teamTokens = teamCalls+int64(n), teamTokens+tokens
				jobs++
				calls += n
			}
			usage, err := db.TeamUsage(ctx, id, time.Time{}, f.Now.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if usage.Jobs != int64(f.TeamJobs(i)) || usage.Totals.Calls != teamCalls || usage.Totals.TotalTokens != teamTokens {
				t.Errorf("team %s usage counts %d jobs, %d calls, %d tokens; want %d, %d, %d", id, usage.Jobs,
					usage.Totals.Calls, usage.Totals.TotalTokens, f.TeamJobs(i), teamCalls, teamTokens)
			}
		}
		if jobs != size.Jobs || calls != size.Calls {
			t.Errorf("walked %d jobs and %d calls, want %d and %d", jobs, calls, size.Jobs, size.Calls)
		}

		st, err := state.New(ctx, db, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range [][2]int{{0, 0}, {29, 2}, {7, 1}} {
			c, err := st.Snapshot().Authenticate(seed.KeySecret(tk[0], tk[1]), time.Now())
			if err != nil || c.Team.ID != seed.TeamID(tk[0]) {
				t.Errorf("key %v: %v", tk, err)
			} else if len(st.Snapshot().CallableAliases(c.Team.ID)) == 0 {
				t.Errorf("team %s may call nothing", c.Team.ID)
			}
		}
		if c := st.Snapshot().Credential(seed.OrgID(0), "openai"); c == nil || c.APIKey == "" {
			t.Errorf("seeded organization credential not loaded: %+v", c)
		}
		if _, err := st.Snapshot().Authenticate(seed.KeySecret(0, 3), time.Now()); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
			t.Errorf("a key beyond KeysPerTeam authenticated: %v", err)
		}
	})
}

// The largest team's jobs spread over the whole window, like everyone's
// (a product of the window's nanoseconds and a job index once overflowed
// and piled a hundred thousand jobs into two days).
func TestHotTeamSpreadsOverTheWindow(t *testing.T) {
	f := seed.Describe(seed.Size{Teams: 10, Jobs: 2_000_000, Calls: 2_000_000, HotTeamPercent: 50}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	days := map[string]bool{}
	n := f.TeamJobs(seed.HotTeam)
	for _, k := range []int{0, n / 4, n / 2, 3 * n / 4, n - 1} {
		at := f.TeamJobTime(seed.HotTeam, k)
		if at.Before(f.Now.AddDate(0, 0, -f.Days)) || !at.Before(f.Now) {
			t.Fatalf("job %d of %d at %s, outside the window before %s", k, n, at, f.Now)
		}
		days[at.Format(time.DateOnly)] = true
	}
	if len(days) < 5 {
		t.Errorf("five jobs spread over the team's sequence fall on %d days", len(days))
	}
}
