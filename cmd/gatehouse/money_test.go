package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/postgres"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// setupMockTeam creates alias "echo" (mock/echo), a group, an
// organization and a team with credits through the API, and returns the
// team's key.
func setupMockTeam(t *testing.T, url, mode string, credits int) string {
	return setupMockTeamID(t, url, "t", mode, credits, "")
}

// setupMockTeamID is setupMockTeam with a chosen team id and extra team
// fields (a JSON fragment starting with a comma, or "").
func setupMockTeamID(t *testing.T, url, teamID, mode string, credits int, extra string) string {
	t.Helper()
	for _, step := range [][2]string{
		{"/api/model-aliases/create", `{"alias": "echo", "litellm_model": "mock/echo"}`},
		{"/api/model-access-groups/create", `{"group_name": "g", "model_aliases": ["echo"]}`},
		{"/api/organizations/create", `{"organization_id": "o", "name": "O"}`},
	} {
		if code, body := call(t, "POST", url+step[0], testMasterKey, step[1]); code != 201 {
			t.Fatalf("%s: %d %v", step[0], code, body)
		}
	}
	code, team := call(t, "POST", url+"/api/teams/create", testMasterKey,
		fmt.Sprintf(`{"organization_id": "o", "team_id": %q, "access_groups": ["g"], "budget_mode": %q, "credits_allocated": %d%s}`, teamID, mode, credits, extra))
	if code != 201 {
		t.Fatalf("team: %d %v", code, team)
	}
	return team["virtual_key"].(string)
}

// Two replicas on one PostgreSQL, 200 concurrent one-call jobs for a team
// with 10 credits: exactly 10 are served and charged, 190 are refused
// before any provider call (429 while the credits are held by jobs in
// flight, 402 once they are spent), and the ledger sums to the balance.
func TestReplicasNeverOverspend(t *testing.T) {
	dbURL := storetest.PostgresURL(t)
	env := []string{"GATEHOUSE_DATABASE_URL=" + dbURL, "GATEHOUSE_MASTER_KEY=" + testMasterKey,
		"GATEHOUSE_ENCRYPTION_KEY=" + strings.Repeat("cd", 32), "GATEHOUSE_AUTO_MIGRATE=true"}
	a := startProcess(t, t.TempDir(), env)
	b := startProcess(t, t.TempDir(), env)
	key := setupMockTeam(t, a.URL, "job_based", 10)
	time.Sleep(600 * time.Millisecond) // let replica b see the new team

	var served, refused, other atomic.Int64
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			url := a.URL
			if i%2 == 1 {
				url = b.URL
			}
			code, body := call(t, "POST", url+"/api/jobs/create-and-call", key, `{"model": "echo", "messages": [{"role": "user", "content": "hi"}]}`)
			switch code {
			case 200:
				served.Add(1)
			case 402, 429:
				refused.Add(1)
			default:
				other.Add(1)
				t.Errorf("unexpected %d %v", code, body)
			}
		}()
	}
	wg.Wait()
	if served.Load() != 10 || refused.Load() != 190 {
		t.Fatalf("served %d, refused %d (other %d); want 10 and 190", served.Load(), refused.Load(), other.Load())
	}
	db, err := postgres.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	team, err := db.FindTeam(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	bal, held, err := db.LedgerTotals(context.Background(), "t")
	if err != nil || team.CreditsBalance != 0 || team.CreditsHeld != 0 || bal != team.CreditsBalance || held != team.CreditsHeld {
		t.Fatalf("books: team %s/%s, ledger %s/%s, %v", team.CreditsBalance, team.CreditsHeld, bal, held, err)
	}
	jobs, total, _ := db.ListJobs(context.Background(), gatehouse.JobFilter{TeamID: "t", Status: gatehouse.JobCompleted})
	if total != 10 || len(jobs) != 10 {
		t.Fatalf("%d completed jobs, want 10", total)
	}
}

// Two replicas sharing Redis enforce one rate limit between them.
func TestReplicasShareRateLimitsThroughRedis(t *testing.T) {
	redisURL := os.Getenv("GATEHOUSE_TEST_REDIS_URL")
	if redisURL == "" {
		t.Skip("Redis not configured: set GATEHOUSE_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
	}
	env := []string{"GATEHOUSE_DATABASE_URL=" + storetest.PostgresURL(t), "GATEHOUSE_MASTER_KEY=" + testMasterKey,
		"GATEHOUSE_ENCRYPTION_KEY=" + strings.Repeat("ef", 32), "GATEHOUSE_AUTO_MIGRATE=true", "GATEHOUSE_REDIS_URL=" + redisURL}
	a := startProcess(t, t.TempDir(), env)
	b := startProcess(t, t.TempDir(), env)
	team := fmt.Sprintf("rl-%d", time.Now().UnixNano()) // Redis outlives the test database
	key := setupMockTeamID(t, a.URL, team, "job_based", 100, `, "rate_limits": {"requests_per_minute": 4}`)
	time.Sleep(600 * time.Millisecond)
	codes := map[int]int{}
	for i := range 10 {
		url := a.URL
		if i%2 == 1 {
			url = b.URL
		}
		code, _ := call(t, "POST", url+"/api/jobs/create-and-call", key, `{"model": "echo", "messages": [{"role": "user", "content": "hi"}]}`)
		codes[code]++
	}
	if codes[200] != 4 || codes[429] != 6 {
		t.Fatalf("status counts %v; want 4 served and 6 limited across both replicas", codes)
	}
}
