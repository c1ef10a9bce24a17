package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/postgres"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// Chaos tests: gatehouse processes under load while their database or
// Redis goes away, or while they are killed. They are part of CI; each
// keeps its own servers (see servers_test.go) and polls with generous
// deadlines rather than sleeping on a slow machine's behalf.

// answer is what one request of a load got.
type answer struct {
	start, end time.Time
	status     int
	job, call  string
	err        error // no HTTP answer at all
}

// load sends calls from several workers until stopped, alternating a /v1
// chat completion (its job and call ids in headers) and a job API
// create-and-call (ids in the body), and keeps every answer.
type load struct {
	mu      sync.Mutex
	answers []answer
	stop    chan struct{}
	wg      sync.WaitGroup
}

func startLoad(urls []string, key, content string, workers int) *load {
	l := &load{stop: make(chan struct{})}
	for w := range workers {
		l.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				a := oneCall(urls[(w+i)%len(urls)], key, content, (w+i)%2 == 1)
				l.mu.Lock()
				l.answers = append(l.answers, a)
				l.mu.Unlock()
				if a.err != nil {
					time.Sleep(20 * time.Millisecond) // the server is gone; do not spin
				}
			}
		})
	}
	return l
}

// oneCall makes one call of the echo alias with content: a /v1 chat
// completion (its job and call ids in headers), or with jobAPI a job API
// create-and-call (ids in the body).
func oneCall(url, key, content string, jobAPI bool) answer {
	path := "/v1/chat/completions"
	if jobAPI {
		path = "/api/jobs/create-and-call"
	}
	a := answer{start: time.Now()}
	req, _ := http.NewRequest("POST", url+path, strings.NewReader(fmt.Sprintf(`{"model": "echo", "messages": [{"role": "user", "content": %q}]}`, content)))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := loadClient.Do(req)
	if err != nil {
		a.err, a.end = err, time.Now()
		return a
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	a.end, a.status = time.Now(), resp.StatusCode
	a.job, a.call = resp.Header.Get("X-Gatehouse-Job-Id"), resp.Header.Get("X-Gatehouse-Call-Id")
	var ids struct {
		JobID  string `json:"job_id"`
		CallID string `json:"call_id"`
	}
	if a.call == "" && json.Unmarshal(raw, &ids) == nil {
		a.job, a.call = ids.JobID, ids.CallID
	}
	return a
}

// loadClient bounds every chaos test request: a hang is a failure.
var loadClient = &http.Client{Timeout: time.Minute}

// snapshot returns the answers so far.
func (l *load) snapshot() []answer {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]answer(nil), l.answers...)
}

// halt stops the workers and returns every answer.
func (l *load) halt() []answer {
	close(l.stop)
	l.wg.Wait()
	return l.snapshot()
}

// assertRecorded checks that every call a client was answered 200 for is
// in the database.
func assertRecorded(t *testing.T, db *sqlstore.DB, answers []answer) int {
	t.Helper()
	n := 0
	for _, a := range answers {
		if a.status != 200 {
			continue
		}
		n++
		if a.call == "" {
			t.Errorf("a 200 answer without a call id (job %q)", a.job)
			continue
		}
		ok, err := db.CallRecorded(context.Background(), a.call)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Errorf("call %s was answered 200 but is not in the records", a.call)
		}
	}
	return n
}

// Kill the server with SIGKILL while calls complete under load, on both
// engines: after a restart every call whose answer a client received is
// in the records, and the credits held by the calls the kill cut short
// (the job API's single-call jobs left open, the credit lease that
// admitted the /v1 calls) are released once the dead instance's
// heartbeat has expired, with the books balanced.
func TestCallsSurviveSIGKILL(t *testing.T) {
	forEachEngine(t, []string{"GATEHOUSE_INSTANCE_EXPIRY=2s"}, func(t *testing.T, e engine) {
		p := startProcess(t, e.dir, e.env)
		key := setupMockTeam(t, p.URL, "consumption_tokens", 1_000_000)
		l := startLoad([]string{p.URL}, key, "count me [mock:latency=5ms]", 8)
		// Two calls that are surely in flight at the kill, holding credits.
		slow := startLoad([]string{p.URL}, key, "cut short [mock:latency=50s]", 2)
		eventually(t, "load is being served and the slow calls hold credits", 30*time.Second, func() bool {
			_, held := funds(t, p.URL, "t")
			served := 0
			for _, a := range l.snapshot() {
				if a.status == 200 {
					served++
				}
			}
			return served >= 20 && held > 0
		})
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = p.wait(t, 10*time.Second)
		answers := append(l.halt(), slow.halt()...)

		restarted := startProcess(t, e.dir, e.env)
		db := e.open(t)
		n := assertRecorded(t, db, answers)
		eventually(t, "credits held by the killed process's single-call jobs are released", 60*time.Second, func() bool {
			_, held := funds(t, restarted.URL, "t")
			return held == 0
		})
		assertBooks(t, db, "t", 0)
		// Of the two slow calls, the job API's was a single-call job
		// written before its call, failed by the sweeper; the /v1 one was
		// admitted against the process's credit lease and leaves no job
		// (its credit came back with the lease, checked above).
		failed, _, err := db.ListJobs(context.Background(), gatehouse.JobFilter{TeamID: "t", Status: gatehouse.JobFailed})
		if err != nil || len(failed) < 1 {
			t.Fatalf("%d failed jobs (%v); want at least the job API's call cut short", len(failed), err)
		}
		for _, j := range failed {
			if !strings.Contains(j.ErrorMessage, "process") {
				t.Errorf("job %s failed with %q; want it to say its process stopped", j.ID, j.ErrorMessage)
			}
		}
		t.Logf("%d answered calls, all recorded after SIGKILL and restart; %d cut short, released", n, len(failed))
	})
}

// Two replicas on one PostgreSQL; one is killed while it runs a call in a
// single-call job. The other fails that job once the dead replica's
// heartbeat has expired, releasing its credit, while its own call, which
// runs far longer than the expiry, is never swept and is charged once.
func TestDeadReplicasSingleCallJobsAreFreed(t *testing.T) {
	dbURL := storetest.PostgresURL(t)
	env := []string{"GATEHOUSE_DATABASE_URL=" + dbURL, "GATEHOUSE_MASTER_KEY=" + testMasterKey,
		"GATEHOUSE_ENCRYPTION_KEY=" + strings.Repeat("5e", 32), "GATEHOUSE_AUTO_MIGRATE=true", "GATEHOUSE_INSTANCE_EXPIRY=2s"}
	a := startProcess(t, t.TempDir(), env)
	b := startProcess(t, t.TempDir(), env)
	key := setupMockTeam(t, a.URL, "job_based", 3)
	eventually(t, "replica b knows the team", 10*time.Second, func() bool {
		code, _ := call(t, "GET", b.URL+"/v1/models", key, "")
		return code == 200
	})
	// Job API calls: their single-call jobs are written before the call
	// and owned by the replica running it (/v1 calls are admitted against
	// credit leases instead, see TestKilledReplicasLeaseComesBack).
	go oneCall(a.URL, key, "dies with its process [mock:latency=60s]", true)
	var live answer
	liveDone := make(chan struct{})
	go func() {
		defer close(liveDone)
		live = oneCall(b.URL, key, "outlives the expiry [mock:latency=10s]", true)
	}()
	eventually(t, "both calls hold their job's credit", 30*time.Second, func() bool {
		_, held := funds(t, b.URL, "t")
		return held == 2*gatehouse.OneCredit
	})
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = a.wait(t, 10*time.Second)

	db, err := postgres.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var freed time.Time
	eventually(t, "the dead replica's job is failed", 60*time.Second, func() bool {
		jobs, _, err := db.ListJobs(context.Background(), gatehouse.JobFilter{TeamID: "t", Status: gatehouse.JobFailed})
		if err != nil {
			t.Fatal(err)
		}
		freed = time.Now()
		return len(jobs) == 1
	})
	<-liveDone
	if live.status != 200 {
		t.Fatalf("the live replica's call: %d %v", live.status, live.err)
	}
	if live.end.Before(freed) {
		t.Logf("note: the live call ended before the dead replica's job was freed; the sweep was slow")
	}
	job, err := db.FindJob(context.Background(), "t", live.job)
	if err != nil || job.Status != gatehouse.JobCompleted || job.Charged != gatehouse.OneCredit {
		t.Fatalf("the live replica's job: %+v %v; want completed and charged one credit", job, err)
	}
	team := assertBooks(t, db, "t", 0)
	if team.CreditsBalance != 2*gatehouse.OneCredit {
		t.Fatalf("balance %s; want 2 (one job charged, the dead one free)", team.CreditsBalance)
	}
}

// PostgreSQL crashes and restarts under load. While it is down, calls
// fail fast with 503 (nothing was done, so clients may retry); once it is
// back, calls succeed again; and every call answered 200, before or
// after, is in the records, with the books balanced.
func TestPostgresRestartMidLoad(t *testing.T) {
	pg := startOwnPostgres(t)
	env := []string{"GATEHOUSE_DATABASE_URL=" + pg.URL, "GATEHOUSE_MASTER_KEY=" + testMasterKey,
		"GATEHOUSE_ENCRYPTION_KEY=" + strings.Repeat("7c", 32), "GATEHOUSE_AUTO_MIGRATE=true"}
	p := startProcess(t, t.TempDir(), env)
	key := setupMockTeam(t, p.URL, "consumption_tokens", 1_000_000)
	l := startLoad([]string{p.URL}, key, "chaos [mock:latency=20ms]", 6)
	served := func(after time.Time) int {
		n := 0
		for _, a := range l.snapshot() {
			if a.status == 200 && a.start.After(after) {
				n++
			}
		}
		return n
	}
	eventually(t, "load is served", 30*time.Second, func() bool { return served(time.Time{}) >= 30 })

	pg.Crash()
	down := time.Now()
	eventually(t, "calls are refused during the outage", 30*time.Second, func() bool {
		n := 0
		for _, a := range l.snapshot() {
			if a.start.After(down) && a.status == 503 {
				n++
			}
		}
		return n >= 20
	})
	if code, _ := getJSON(t, p.URL+"/ready"); code != 503 {
		t.Errorf("/ready during the outage: %d, want 503", code)
	}
	// The outage ends when PostgreSQL starts again: a call may be served
	// the moment it accepts connections, before pg.Start returns.
	restarting := time.Now()
	pg.Start()
	up := time.Now()
	eventually(t, "calls are served again after the restart", 60*time.Second, func() bool { return served(up) >= 30 })
	answers := l.halt()

	var during int
	var worst time.Duration
	for _, a := range answers {
		if !a.start.After(down) || !a.end.Before(restarting) {
			continue
		}
		during++
		if d := a.end.Sub(a.start); d > worst {
			worst = d
		}
		if a.status != 503 {
			t.Errorf("a call made during the outage got %d (%v); want 503", a.status, a.err)
		}
	}
	// "Fast": a refused call returns in well under a second; five leaves
	// room for a loaded machine and still tells a hang from a refusal.
	if worst > 5*time.Second {
		t.Errorf("a call during the outage took %s to be refused", worst)
	}
	db, err := postgres.Open(context.Background(), pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := assertRecorded(t, db, answers)
	// Calls in flight at the crash could not be recorded, so their jobs may
	// still hold credits (released by the sweeper after an hour); the books
	// must balance regardless.
	team, err := db.FindTeam(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	leased, err := db.LeasedCredits(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	assertBooks(t, db, "t", team.CreditsHeld-leased)
	t.Logf("%d calls during a %s outage, all refused with 503 within %s; %d answered calls, all recorded",
		during, restarting.Sub(down).Round(time.Millisecond), worst.Round(time.Millisecond), n)
}

// Redis stops under two replicas: rate limits keep holding, but each
// replica counts on its own (so a team gets its limit once per replica),
// each replica logs a warning, and credits are enforced exactly as before.
func TestRedisOutageDegradesRateLimitsPerReplica(t *testing.T) {
	rd := startOwnRedis(t)
	env := []string{"GATEHOUSE_DATABASE_URL=" + storetest.PostgresURL(t), "GATEHOUSE_MASTER_KEY=" + testMasterKey,
		"GATEHOUSE_ENCRYPTION_KEY=" + strings.Repeat("3b", 32), "GATEHOUSE_AUTO_MIGRATE=true", "GATEHOUSE_REDIS_URL=" + rd.URL}
	a := startProcess(t, t.TempDir(), env)
	b := startProcess(t, t.TempDir(), env)
	key := setupMockTeamID(t, a.URL, "limited", "job_based", 100, `, "rate_limits": {"requests_per_minute": 4}`)
	code, team := call(t, "POST", a.URL+"/api/teams/create", testMasterKey,
		`{"organization_id": "o", "team_id": "budget", "access_groups": ["g"], "credits_allocated": 3}`)
	if code != 201 {
		t.Fatalf("team: %d %v", code, team)
	}
	budgetKey := team["virtual_key"].(string)
	eventually(t, "replica b knows both teams", 10*time.Second, func() bool {
		c1, _ := call(t, "GET", b.URL+"/v1/models", key, "")
		c2, _ := call(t, "GET", b.URL+"/v1/models", budgetKey, "")
		return c1 == 200 && c2 == 200
	})
	callAll := func(k string, urls ...string) map[int]int {
		codes := map[int]int{}
		for _, u := range urls {
			req, _ := http.NewRequest("POST", u+"/api/jobs/create-and-call", strings.NewReader(`{"model": "echo", "messages": [{"role": "user", "content": "hi"}]}`))
			req.Header.Set("Authorization", "Bearer "+k)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			codes[resp.StatusCode]++
			if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
				t.Errorf("a 429 without Retry-After")
			}
		}
		return codes
	}
	repeat := func(n int, urls ...string) []string {
		var out []string
		for range n {
			out = append(out, urls...)
		}
		return out
	}
	if codes := callAll(key, repeat(5, a.URL, b.URL)...); codes[200] != 4 || codes[429] != 6 {
		t.Fatalf("with Redis: %v; want 4 served and 6 limited across both replicas", codes)
	}

	rd.Stop()
	// The team already used its 4 requests of this minute in Redis; each
	// replica now counts alone, from zero.
	for _, r := range []*process{a, b} {
		if codes := callAll(key, repeat(6, r.URL)...); codes[200] != 4 || codes[429] != 2 {
			t.Fatalf("Redis down, one replica: %v; want its own limit of 4, then 429", codes)
		}
		if !strings.Contains(r.Stderr(), "rate limits now count per replica") {
			t.Errorf("no warning logged by a replica whose Redis went away:\n%s", r.Stderr())
		}
	}
	// Credits do not depend on Redis: 3 credits pay exactly 3 jobs.
	if codes := callAll(budgetKey, repeat(5, a.URL, b.URL)...); codes[200] != 3 || codes[402] != 7 {
		t.Fatalf("budget with Redis down: %v; want exactly 3 served and 7 refused for credits", codes)
	}
	db, err := postgres.Open(context.Background(), strings.TrimPrefix(env[0], "GATEHOUSE_DATABASE_URL="))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if team := assertBooks(t, db, "budget", 0); team.CreditsBalance != 0 {
		t.Fatalf("budget team balance %s, want 0", team.CreditsBalance)
	}
}
