package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// mainEnv makes the test binary behave as the gatehouse binary, so process
// tests (signals, exit codes) run the real main without a second build.
const mainEnv = "GATEHOUSE_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// process is a gatehouse binary started by a test.
type process struct {
	cmd    *exec.Cmd
	URL    string
	mu     sync.Mutex
	stderr strings.Builder
	done   chan error
}

// Stderr returns everything the process wrote to stderr so far.
func (p *process) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// startProcess runs `gatehouse serve` in dir with exactly env (plus the
// marker that turns the test binary into gatehouse) and waits until it
// logs its listening address.
func startProcess(t *testing.T, dir string, env []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append([]string{mainEnv + "=1"}, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.stderr.WriteString(line + "\n")
			p.mu.Unlock()
			var entry struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "listening" {
				addr <- entry.Addr
			}
		}
		p.done <- cmd.Wait()
	}()
	select {
	case a := <-addr:
		p.URL = "http://" + a
	case err := <-p.done:
		p.done <- err
		t.Fatalf("gatehouse exited before listening (%v):\n%s", err, p.Stderr())
	case <-time.After(time.Minute):
		// Generous: a loaded 2-core machine running the race-enabled
		// suite can take many seconds to start a process.
		t.Fatalf("gatehouse did not listen within a minute:\n%s", p.Stderr())
	}
	return p
}

// wait returns the process's exit error, failing the test after timeout.
func (p *process) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(timeout):
		t.Fatalf("gatehouse did not exit within %s:\n%s", timeout, p.Stderr())
		return nil
	}
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("GET %s: body %q is not JSON: %v", url, b, err)
	}
	return resp.StatusCode, body
}

// A fresh checkout with no configuration at all serves health and readiness
// from the embedded database within ten seconds, and stops cleanly on
// SIGTERM with exit status 0.
func TestFreshStartServesWithinTenSeconds(t *testing.T) {
	dir := t.TempDir()
	start := time.Now()
	p := startProcess(t, dir, nil)
	if code, body := getJSON(t, p.URL+"/health"); code != 200 || body["status"] != "ok" {
		t.Fatalf("/health = %d %v", code, body)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Fatalf("healthy after %s, want < 10s", elapsed)
	}
	if code, body := getJSON(t, p.URL+"/ready"); code != 200 || body["status"] != "ready" {
		t.Fatalf("/ready = %d %v", code, body)
	}
	if code, body := getJSON(t, p.URL+"/version"); code != 200 || body["version"] == "" {
		t.Fatalf("/version = %d %v", code, body)
	}
	if _, err := os.Stat(dir + "/gatehouse-data/gatehouse.db"); err != nil {
		t.Fatalf("embedded database not created under ./gatehouse-data: %v", err)
	}
	if !strings.Contains(p.Stderr(), "gh-master-") {
		t.Errorf("first start must print the generated master key to stderr")
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	if err := p.wait(t, 10*time.Second); err != nil {
		t.Fatalf("exit after SIGINT: %v\n%s", err, p.Stderr())
	}
}

// runInProcess runs `gatehouse serve` in-process and stops it as soon as
// it is listening (or returns as soon as it fails), returning its error
// and stderr. It waits on what the server says, not on a clock, so a slow
// machine cannot make it flaky.
func runInProcess(env map[string]string, args ...string) (error, string) {
	var stderr strings.Builder
	out := &syncWriter{w: &stderr}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, args...),
			func(k string) string { return env[k] }, io.Discard, out)
	}()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case err := <-done:
			return err, out.String()
		case <-deadline:
			cancel()
			<-done
			return errors.New("serve neither listened nor failed within 60s"), out.String()
		case <-time.After(10 * time.Millisecond):
			if strings.Contains(out.String(), `"msg":"listening"`) {
				cancel()
				return <-done, out.String()
			}
		}
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.(fmt.Stringer).String()
}

func TestMasterKeyBootstrap(t *testing.T) {
	dir := t.TempDir()
	start := func(env map[string]string) (error, string) {
		return runInProcess(env, "--data-dir", dir)
	}
	err, out := start(nil)
	if err != nil {
		t.Fatal(err, out)
	}
	if n := strings.Count(out, "gh-master-"); n != 1 {
		t.Fatalf("first start printed the master key %d times, want once:\n%s", n, out)
	}
	err, out = start(nil)
	if err != nil || strings.Contains(out, "gh-master-") {
		t.Fatalf("second start must reuse the stored hash and print nothing (err %v):\n%s", err, out)
	}
	err, _ = start(map[string]string{"GATEHOUSE_MASTER_KEY": "too-short"})
	if err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Fatalf("short master key: err = %v, want refusal", err)
	}
}

// A database migrated by a newer release is refused at start, naming both
// versions, and nothing is served.
func TestServeRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	err, out := runInProcess(nil, "--data-dir", dir)
	if err != nil {
		t.Fatal(err, out)
	}
	db := openTestSQLite(t, dir)
	var known int64
	if err := db.QueryRow(`SELECT MAX(version_id) FROM gatehouse_schema_migrations`).Scan(&known); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO gatehouse_schema_migrations (version_id, is_applied) VALUES (9042, 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	started := time.Now()
	err, out = runInProcess(nil, "--data-dir", dir)
	if err == nil {
		t.Fatal("serve started on a newer schema")
	}
	if msg := err.Error(); !strings.Contains(msg, "9042") || !strings.Contains(msg, fmt.Sprint(known)) {
		t.Fatalf("error %q must name the database version 9042 and the binary's %d", msg, known)
	}
	if time.Since(started) > 5*time.Second {
		t.Fatalf("refusal took %s; must fail fast", time.Since(started))
	}
	if strings.Contains(out, `"listening"`) {
		t.Fatalf("serve listened before refusing:\n%s", out)
	}
}
