package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

const testMasterKey = "test-master-key-0123456789abcdefghijklmnop"

// call sends a JSON request with a bearer token and decodes the answer.
func call(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func jsonDecode(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// Two replicas on one PostgreSQL behave as one system: a change made
// through one is enforced by the other within a second.
func TestReplicasSeeEachOthersChanges(t *testing.T) {
	dbURL := storetest.PostgresURL(t) // skips without PostgreSQL
	env := []string{"GATEHOUSE_DATABASE_URL=" + dbURL, "GATEHOUSE_MASTER_KEY=" + testMasterKey,
		"GATEHOUSE_ENCRYPTION_KEY=" + strings.Repeat("ab", 32), "GATEHOUSE_AUTO_MIGRATE=true"}
	a := startProcess(t, t.TempDir(), env)
	b := startProcess(t, t.TempDir(), env)

	for _, step := range [][2]string{
		{"/api/model-aliases/create", `{"alias": "smart", "litellm_model": "openai/gpt-4"}`},
		{"/api/model-access-groups/create", `{"group_name": "g", "model_aliases": ["smart"]}`},
		{"/api/organizations/create", `{"organization_id": "o", "name": "O"}`},
	} {
		if code, body := call(t, "POST", a.URL+step[0], testMasterKey, step[1]); code != 201 {
			t.Fatalf("%s: %d %v", step[0], code, body)
		}
	}
	code, team := call(t, "POST", a.URL+"/api/teams/create", testMasterKey, `{"organization_id": "o", "team_id": "t", "access_groups": ["g"]}`)
	if code != 201 {
		t.Fatalf("team: %d %v", code, team)
	}
	key := team["virtual_key"].(string)

	within := func(what string, limit time.Duration, cond func() bool) {
		t.Helper()
		start := time.Now()
		for !cond() {
			if time.Since(start) > limit {
				t.Fatalf("%s: not seen by the other replica within %s", what, limit)
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("%s: seen by the other replica after %s", what, time.Since(start).Round(time.Millisecond))
	}
	within("new team and alias", time.Second, func() bool {
		code, _ := call(t, "GET", b.URL+"/v1/models/smart", key, "")
		return code == 200
	})

	if code, body := call(t, "POST", a.URL+"/api/model-aliases/smart/disable", testMasterKey, ""); code != 200 {
		t.Fatalf("disable: %d %v", code, body)
	}
	within("alias disabled", time.Second, func() bool {
		code, _ := call(t, "GET", b.URL+"/v1/models/smart", key, "")
		return code == 403
	})
	if code, _ := call(t, "GET", a.URL+"/v1/models/smart", key, ""); code != 403 {
		t.Fatalf("the replica that disabled the alias still serves it: %d", code)
	}

	if code, body := call(t, "POST", b.URL+"/api/teams/t/suspend", testMasterKey, ""); code != 200 {
		t.Fatalf("suspend: %d %v", code, body)
	}
	within("team suspended", time.Second, func() bool {
		code, _ := call(t, "GET", a.URL+"/v1/models", key, "")
		return code == 403
	})
}

// A request in flight when SIGTERM arrives completes, then the process
// exits 0.
func TestGracefulShutdownFinishesInFlightRequest(t *testing.T) {
	p := startProcess(t, t.TempDir(), []string{"GATEHOUSE_MASTER_KEY=" + testMasterKey})
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"organization_id": "org_slow", "name": "Slow upload"}`
	half := len(body) / 2
	fmt.Fprintf(conn, "POST /api/organizations/create HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		testMasterKey, len(body), body[:half])
	time.Sleep(200 * time.Millisecond) // the handler is now blocked reading the body

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-p.done:
		p.done <- err
		t.Fatalf("process exited (%v) with a request in flight:\n%s", err, p.Stderr())
	default:
	}
	if _, err := io.WriteString(conn, body[half:]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request got no response: %v\n%s", err, p.Stderr())
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 201 || !bytes.Contains(raw, []byte("org_slow")) {
		t.Fatalf("in-flight request: %d %s", resp.StatusCode, raw)
	}
	if err := p.wait(t, 10*time.Second); err != nil {
		t.Fatalf("exit status after SIGTERM: %v\n%s", err, p.Stderr())
	}
	if !strings.Contains(p.Stderr(), "shut down cleanly") {
		t.Errorf("no clean shutdown logged:\n%s", p.Stderr())
	}
}
