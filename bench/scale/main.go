// Command scale measures Gatehouse at SaaS size: it seeds (or reuses) a
// database with bench/seed, starts two `gatehouse serve` replicas on it,
// and reports start-up time, management write latency, how fast a change
// made through one replica is enforced by the other (an alias, a new key,
// a revoked key), usage and list query times, and each replica's peak
// RSS. Results print as a Markdown table for the README.
//
//	go run ./bench/scale -engine sqlite -dir /tmp/gh-scale            # seeds 100k teams, 1M keys, 10M calls first
//	go run ./bench/scale -engine postgres -database-url postgres://…/gh_scale
//
// Seeding a full-size database takes minutes; later runs reuse it
// (writes made by a run are small and undone where they matter).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-llm/gatehouse/bench/seed"
	"github.com/gatehouse-llm/gatehouse/postgres"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/sqlite"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
)

const (
	masterKey     = "bench-master-key-0123456789abcdefghijklmnopqrstuv"
	encryptionKey = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

type config struct {
	engine, dir, dbURL, bin string
	size                    seed.Size
	writes, propagations    int
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	var c config
	fs.StringVar(&c.engine, "engine", "sqlite", "sqlite or postgres")
	fs.StringVar(&c.dir, "dir", "", "SQLite data directory (seeded when empty)")
	fs.StringVar(&c.dbURL, "database-url", "", "PostgreSQL database (seeded when empty)")
	fs.StringVar(&c.bin, "bin", "", "gatehouse binary (built from ./cmd/gatehouse when empty)")
	fs.IntVar(&c.size.Teams, "teams", 100_000, "teams to seed")
	fs.IntVar(&c.size.KeysPerTeam, "keys-per-team", 10, "keys per team to seed")
	fs.IntVar(&c.size.Jobs, "jobs", 1_000_000, "jobs to seed")
	fs.IntVar(&c.size.Calls, "calls", 10_000_000, "calls to seed")
	fs.IntVar(&c.size.Ledger, "ledger", 1_000_000, "ledger rows to seed")
	fs.IntVar(&c.size.Audit, "audit", 1_000_000, "audit entries to seed")
	fs.IntVar(&c.size.HotTeamPercent, "hot", 10, "percent of jobs, calls and ledger for team 0")
	fs.IntVar(&c.size.Credentials, "credentials", 100, "organizations with their own credential")
	fs.IntVar(&c.writes, "writes", 200, "management writes to time")
	fs.IntVar(&c.propagations, "propagations", 20, "changes to time across replicas")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.bin == "" {
		c.bin = filepath.Join(os.TempDir(), "gatehouse-scale-bench")
		build := exec.CommandContext(ctx, "go", "build", "-o", c.bin, "./cmd/gatehouse")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build gatehouse: %w", err)
		}
	}
	f, seedTook, lookups, err := ensureSeeded(ctx, c)
	if err != nil {
		return err
	}
	env := []string{"GATEHOUSE_MASTER_KEY=" + masterKey, "GATEHOUSE_LOG_LEVEL=info", "GATEHOUSE_LOG_FORMAT=text"}
	if c.engine == "postgres" {
		env = append(env, "GATEHOUSE_DATABASE_URL="+c.dbURL, "GATEHOUSE_ENCRYPTION_KEY="+encryptionKey)
	} else { // the data directory's own key file, as the seed made it
		env = append(env, "GATEHOUSE_DATA_DIR="+c.dir)
	}
	var r report
	if seedTook > 0 {
		r.add("seed", seedTook, "")
	}
	r.dist("key looked up in the database by hash (what an on-demand design pays per cache miss)", lookups, "")

	a, err := start(ctx, c.bin, env, seed.KeySecret(1, 0))
	if err != nil {
		return err
	}
	defer a.stop()
	r.addText("start-up to /health (replica A)", fmt.Sprintf("%s (%s CPU)", fmtDur(a.health), fmtDur(a.healthCPU)), "≤ 3 s (goal ≤ 1 s)")
	r.add("start-up to first authenticated call (A)", a.ready, "")
	warm, err := a.warmed(5 * time.Minute)
	if err != nil {
		return err
	}
	r.add("start-up until every team and key is in memory (A, background)", warm, "")
	b, err := start(ctx, c.bin, env, seed.KeySecret(1, 0))
	if err != nil {
		return err
	}
	defer b.stop()
	r.addText("start-up to /health (replica B)", fmt.Sprintf("%s (%s CPU)", fmtDur(b.health), fmtDur(b.healthCPU)), "≤ 3 s (goal ≤ 1 s)")
	if _, err := b.warmed(5 * time.Minute); err != nil {
		return err
	}

	if err := measureWrites(c, a, &r); err != nil {
		return err
	}
	if err := measurePropagation(c, a, b, &r); err != nil {
		return err
	}
	if err := measureQueries(f, a, &r); err != nil {
		return err
	}
	for i, p := range []*proc{a, b} {
		hwm, rss := p.memory()
		r.addText("peak RSS (VmHWM), replica "+"AB"[i:i+1], fmt.Sprintf("%d MiB (now %d MiB)", hwm>>20, rss>>20), "≤ 512 MiB (goal ≤ 256 MiB)")
	}
	r.print(out, c.engine, f.Size)
	return nil
}

// ensureSeeded seeds the database unless it already holds a fleet, and
// returns the fleet's description and the latencies of looking keys up
// in it one by one.
func ensureSeeded(ctx context.Context, c config) (*seed.Seeded, time.Duration, []time.Duration, error) {
	f, took, db, err := seeded(ctx, c)
	if err != nil {
		return nil, 0, nil, err
	}
	defer db.Close()
	var lookups []time.Duration
	for i := range 2000 {
		team := int(uint64(i) * 7919 % uint64(f.Teams))
		start := time.Now()
		if _, err := db.FindKeyByHash(ctx, secret.HashToken(seed.KeySecret(team, i%f.KeysPerTeam))); err != nil {
			return nil, 0, nil, fmt.Errorf("look up a seeded key: %w", err)
		}
		lookups = append(lookups, time.Since(start))
	}
	return f, took, lookups, nil
}

func seeded(ctx context.Context, c config) (*seed.Seeded, time.Duration, *sqlstore.DB, error) {
	var db *sqlstore.DB
	var err error
	if c.engine == "postgres" {
		db, err = postgres.Open(ctx, c.dbURL)
	} else {
		if c.dir == "" {
			return nil, 0, nil, errors.New("-dir is required with sqlite")
		}
		db, err = sqlite.Open(ctx, filepath.Join(c.dir, "gatehouse.db"))
	}
	if err != nil {
		return nil, 0, nil, err
	}
	if _, err := db.Migrate(ctx, nil); err != nil {
		db.Close()
		return nil, 0, nil, err
	}
	if f, err := seed.Load(ctx, db); err == nil {
		fmt.Fprintf(os.Stderr, "scale: reusing the database seeded with %+v\n", f.Size)
		return f, 0, db, nil
	}
	if db.Sealer, err = sealer(ctx, db, c); err != nil {
		db.Close()
		return nil, 0, nil, err
	}
	fmt.Fprintf(os.Stderr, "scale: seeding %+v …\n", c.size)
	start := time.Now()
	f, err := seed.Fleet(ctx, db, c.size)
	if err != nil {
		db.Close()
		return nil, 0, nil, err
	}
	for _, t := range f.Took {
		fmt.Fprintf(os.Stderr, "  %-13s %10d rows %8.1fs\n", t.What, t.Rows, t.Took.Seconds())
	}
	return f, time.Since(start), db, nil
}

// sealer encrypts seeded credentials with the key the replicas will use:
// the configured one on PostgreSQL, the data directory's key file on
// SQLite.
func sealer(ctx context.Context, db *sqlstore.DB, c config) (*secret.Sealer, error) {
	key, err := secret.ParseKey(encryptionKey)
	if c.engine != "postgres" {
		key, _, err = secret.LoadOrCreateKeyFile(filepath.Join(c.dir, "encryption.key"))
	}
	if err != nil {
		return nil, err
	}
	s, err := secret.NewSealer(key)
	if err != nil {
		return nil, err
	}
	return s, db.PutSetting(ctx, sqlstore.SettingEncryptionKeyFingerprint, s.Fingerprint())
}

// proc is a running replica.
type proc struct {
	cmd       *exec.Cmd
	url       string
	begin     time.Time
	health    time.Duration
	healthCPU time.Duration
	ready     time.Duration
	stderr    *strings.Builder
	finished  chan error
	keysIn    chan time.Duration // when "keys loaded" was logged
}

// start runs `gatehouse serve` on a free port and times how long until
// /health answers, then until a seeded key is served.
func start(ctx context.Context, bin string, env []string, key string) (*proc, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &proc{url: "http://" + addr, stderr: &strings.Builder{}, finished: make(chan error, 1), keysIn: make(chan time.Duration, 1)}
	p.cmd = exec.CommandContext(ctx, bin, "serve", "--addr", addr)
	p.cmd.Env = append(os.Environ(), env...)
	pipe, _ := p.cmd.StderrPipe()
	begin := time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	p.begin = begin
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "state: teams and keys loaded") {
				p.keysIn <- time.Since(begin)
			}
			if !strings.HasPrefix(line, "time=") || strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") ||
				strings.Contains(line, "state:") {
				p.stderr.WriteString(line + "\n")
			}
		}
		p.finished <- p.cmd.Wait()
	}()
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case err := <-p.finished:
			return nil, fmt.Errorf("gatehouse exited (%v):\n%s", err, p.stderr)
		default:
		}
		if resp, err := client.Get(p.url + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Since(begin) > 5*time.Minute {
			return nil, errors.New("gatehouse did not answer /health within 5 minutes")
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.health = time.Since(begin)
	p.healthCPU = p.cpu()
	for {
		if code, _ := p.call("GET", "/v1/models", key, ""); code == 200 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.ready = time.Since(begin)
	return p, nil
}

// warmed waits until the replica logged that every key is in memory.
func (p *proc) warmed(limit time.Duration) (time.Duration, error) {
	select {
	case d := <-p.keysIn:
		return d, nil
	case <-time.After(limit):
		return 0, fmt.Errorf("keys not loaded within %s:\n%s", limit, p.stderr)
	}
}

// cpu is the CPU time the replica has used so far.
func (p *proc) cpu() time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // clock ticks of 1/100 s
}

func (p *proc) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.finished:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
	}
}

// memory reads the replica's peak and current resident set.
func (p *proc) memory() (hwm, rss int64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmHWM:":
			hwm = kb << 10
		case "VmRSS:":
			rss = kb << 10
		}
	}
	return hwm, rss
}

var client = &http.Client{Timeout: time.Minute}

// call sends a request and decodes a JSON object answer.
func (p *proc) call(method, path, token, body string) (int, map[string]any) {
	req, _ := http.NewRequest(method, p.url+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// timed runs fn n times and returns the latencies, failing on the first
// unexpected status.
func timed(n int, fn func(i int) (int, int)) ([]time.Duration, error) {
	var ds []time.Duration
	for i := range n {
		start := time.Now()
		got, want := fn(i)
		ds = append(ds, time.Since(start))
		if got != want {
			return nil, fmt.Errorf("request %d: status %d, want %d", i, got, want)
		}
	}
	return ds, nil
}

func measureWrites(c config, a *proc, r *report) error {
	ds, err := timed(c.writes, func(i int) (int, int) {
		code, _ := a.call("PUT", "/api/model-aliases/backup", masterKey, fmt.Sprintf(`{"description": "write %d"}`, i))
		return code, 200
	})
	if err != nil {
		return fmt.Errorf("PUT alias: %w", err)
	}
	r.dist("management write: PUT /api/model-aliases/{alias}", ds, "p50 ≤ 100 ms (goal ≤ 20 ms)")
	team := seed.TeamID(6) // not a team the propagation checks use
	ds, err = timed(c.writes/2, func(i int) (int, int) {
		verb := []string{"suspend", "resume"}[i%2]
		code, _ := a.call("POST", "/api/teams/"+team+"/"+verb, masterKey, "")
		return code, 200
	})
	if err != nil {
		return fmt.Errorf("suspend/resume: %w", err)
	}
	r.dist("management write: suspend / resume a team", ds, "")
	ds, err = timed(c.writes/2, func(i int) (int, int) {
		code, _ := a.call("PUT", "/api/teams/"+team+"/access-groups", masterKey, []string{`["pro"]`, `["starter"]`}[i%2])
		return code, 200
	})
	if err != nil {
		return fmt.Errorf("team groups: %w", err)
	}
	r.dist("management write: PUT a team's access groups", ds, "")
	ds, err = timed(c.writes/4, func(i int) (int, int) {
		code, _ := a.call("POST", "/api/model-access-groups/enterprise/"+[]string{"remove-models", "add-models"}[i%2], masterKey, `{"model_aliases": ["long"]}`)
		return code, 200
	})
	if err != nil {
		return fmt.Errorf("group change: %w", err)
	}
	r.dist("management write: take an alias out of / back into a group a third of the teams use", ds, "")
	return nil
}

// waitFor polls until cond holds and returns how long that took.
func waitFor(limit time.Duration, cond func() bool) (time.Duration, error) {
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			return 0, fmt.Errorf("not seen within %s", limit)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Since(start), nil
}

func measurePropagation(c config, a, b *proc, r *report) error {
	// Team 2 is in group "enterprise" (i%3 == 2), which grants "long"; a
	// reused database is put back that way first.
	key := seed.KeySecret(2, 1)
	for _, w := range [][3]string{
		{"PUT", "/api/teams/" + seed.TeamID(2) + "/access-groups", `["enterprise"]`},
		{"POST", "/api/teams/" + seed.TeamID(2) + "/resume", ``},
		{"POST", "/api/model-aliases/long/enable", ``},
	} {
		if code, body := a.call(w[0], w[1], masterKey, w[2]); code != 200 {
			return fmt.Errorf("%s %s: %d %v", w[0], w[1], code, body)
		}
	}
	if code, body := a.call("POST", "/api/model-access-groups/enterprise/add-models", masterKey, `{"model_aliases": ["long"]}`); code != 200 {
		return fmt.Errorf("restore group: %d %v", code, body)
	}
	if _, err := waitFor(30*time.Second, func() bool { code, _ := b.call("GET", "/v1/models/long", key, ""); return code == 200 }); err != nil {
		return fmt.Errorf("replica B never served alias long to team 2: %w", err)
	}
	var alias, created, revoked []time.Duration
	for i := range c.propagations {
		verb, want := []string{"disable", "enable"}[i%2], []int{403, 200}[i%2]
		if code, body := a.call("POST", "/api/model-aliases/long/"+verb, masterKey, ""); code != 200 {
			return fmt.Errorf("alias %s: %d %v", verb, code, body)
		}
		d, err := waitFor(30*time.Second, func() bool { code, _ := b.call("GET", "/v1/models/long", key, ""); return code == want })
		if err != nil {
			return fmt.Errorf("alias %s on B: %w", verb, err)
		}
		alias = append(alias, d)

		code, body := a.call("POST", "/api/teams/"+seed.TeamID(3)+"/keys", masterKey, `{"name": "bench"}`)
		if code != 201 {
			return fmt.Errorf("create key: %d %v", code, body)
		}
		secret, _ := body["virtual_key"].(string)
		keyID, _ := body["key_id"].(string)
		d, err = waitFor(30*time.Second, func() bool { code, _ := b.call("GET", "/v1/models", secret, ""); return code == 200 })
		if err != nil {
			return fmt.Errorf("new key on B: %w", err)
		}
		created = append(created, d)
		if code, body := a.call("POST", "/api/teams/"+seed.TeamID(3)+"/keys/"+keyID+"/revoke", masterKey, ""); code != 200 {
			return fmt.Errorf("revoke: %d %v", code, body)
		}
		d, err = waitFor(30*time.Second, func() bool { code, _ := b.call("GET", "/v1/models", secret, ""); return code == 401 })
		if err != nil {
			return fmt.Errorf("revoked key on B: %w", err)
		}
		revoked = append(revoked, d)
	}
	r.dist("alias disabled/enabled on A → enforced on B", alias, "≤ 1 s (goal ≤ 300 ms)")
	r.dist("new key on A → accepted by B", created, "≤ 1 s (goal ≤ 300 ms)")
	r.dist("revoked key on A → refused by B", revoked, "≤ 1 s (goal ≤ 300 ms)")
	return nil
}

func measureQueries(f *seed.Seeded, a *proc, r *report) error {
	hot, plain := seed.TeamID(seed.HotTeam), seed.TeamID(5)
	hotKey, plainKey := seed.KeySecret(seed.HotTeam, 0), seed.KeySecret(5, 0)
	last := f.Now.AddDate(0, 0, -20).Format("2006-01")
	jobID, calls, _ := f.TeamJob(seed.HotTeam, f.TeamJobs(seed.HotTeam)/2)
	type q struct{ name, path, token string }
	var deep []q
	for _, l := range []struct{ name, path, token, key string }{
		{"jobs", "/api/teams/" + hot + "/jobs", hotKey, "jobs"},
		{"ledger", "/api/credits/teams/" + hot + "/transactions", hotKey, "transactions"},
		{"audit log", "/api/audit-log", masterKey, "entries"},
	} {
		// Walk 20 pages of 500 to reach depth 10,000 by cursor.
		next := ""
		for range 20 {
			path := l.path + "?limit=500"
			if next != "" {
				path += "&after=" + url.QueryEscape(next)
			}
			code, body := a.call("GET", path, l.token, "")
			if code != 200 {
				return fmt.Errorf("%s: %d %v", path, code, body)
			}
			next, _ = body["next_after"].(string)
		}
		deep = append(deep,
			q{l.name + ": first page (50, with total)", l.path, l.token},
			q{l.name + ": offset 9,950", l.path + "?offset=9950", l.token},
			q{l.name + ": page after 10,000 by cursor", l.path + "?after=" + url.QueryEscape(next), l.token})
	}
	queries := []q{
		{"usage, largest team (1M calls), a month", "/api/teams/" + hot + "/usage?period=" + last, hotKey},
		{"usage, largest team, 60 days cutting days", "/api/teams/" + hot + "/usage?since=" + f.Now.AddDate(0, 0, -60).Add(5*time.Hour).Format(time.RFC3339) + "&until=" + f.Now.Format(time.RFC3339), hotKey},
		{"usage, ordinary team, a month", "/api/teams/" + plain + "/usage?period=" + last, plainKey},
		{fmt.Sprintf("job costs (%d calls)", calls), "/api/jobs/" + jobID + "/costs", hotKey},
		{"audit log filtered by resource", "/api/audit-log?resource_type=team&resource_id=" + hot, masterKey},
		{"alias detail with usage", "/api/model-aliases/fast", masterKey},
		{"teams list, first page", "/api/teams", masterKey},
	}
	for _, qq := range append(queries, deep...) {
		ds, err := timed(15, func(int) (int, int) { code, _ := a.call("GET", qq.path, qq.token, ""); return code, 200 })
		if err != nil {
			return fmt.Errorf("%s (%s): %w", qq.name, qq.path, err)
		}
		r.dist("query: "+qq.name, ds, "")
	}
	return nil
}

// report collects rows of the result table.
type report struct{ rows [][3]string }

func (r *report) add(name string, d time.Duration, target string) {
	r.rows = append(r.rows, [3]string{name, fmtDur(d), target})
}

func (r *report) addText(name, value, target string) {
	r.rows = append(r.rows, [3]string{name, value, target})
}

// dist adds p50 / p99 / max of a set of latencies.
func (r *report) dist(name string, ds []time.Duration, target string) {
	slices.Sort(ds)
	pct := func(p float64) time.Duration { return ds[min(len(ds)-1, int(float64(len(ds))*p))] }
	r.addText(name, fmt.Sprintf("p50 %s · p99 %s · max %s (n=%d)", fmtDur(pct(0.5)), fmtDur(pct(0.99)), fmtDur(ds[len(ds)-1]), len(ds)), target)
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
}

func (r *report) print(w io.Writer, engine string, size seed.Size) {
	host, _ := os.Hostname()
	fmt.Fprintf(w, "\n%s, %s, %d teams, %d keys, %d jobs, %d calls, %d ledger rows, %d audit entries (host %s)\n\n",
		time.Now().Format(time.DateOnly), engine, size.Teams, size.Teams*size.KeysPerTeam, size.Jobs, size.Calls,
		size.Ledger, size.Audit, host)
	fmt.Fprintln(w, "| measured | result | target |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, row := range r.rows {
		fmt.Fprintf(w, "| %s | %s | %s |\n", row[0], row[1], row[2])
	}
}
