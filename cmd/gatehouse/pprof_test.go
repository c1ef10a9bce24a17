package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Go's runtime profiles are served on the API's port to the owner role
// (and the master key) only, and only when the pprof key enables them.
func TestPprofIsOwnersOnlyAndOffByDefault(t *testing.T) {
	get := func(t *testing.T, url, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url+"/debug/pprof/goroutine?debug=1", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	off := startProcess(t, t.TempDir(), []string{"GATEHOUSE_MASTER_KEY=" + testMasterKey})
	if code, _ := get(t, off.URL, testMasterKey); code != 404 {
		t.Errorf("without pprof enabled, the master key gets %d; want 404", code)
	}

	p := startProcess(t, t.TempDir(), []string{"GATEHOUSE_MASTER_KEY=" + testMasterKey, "GATEHOUSE_PPROF=true"})
	teamKey := setupMockTeam(t, p.URL, "job_based", 1)
	tokens := map[string]string{}
	for _, role := range []string{"owner", "admin", "viewer"} {
		body := fmt.Sprintf(`{"email": "%s@example.com", "display_name": %q, "password": "a long enough password", "role": %q}`, role, role, role)
		if code, out := call(t, "POST", p.URL+"/api/admin-users", testMasterKey, body); code != 201 {
			t.Fatalf("create %s: %d %v", role, code, out)
		}
		code, out := call(t, "POST", p.URL+"/api/admin-users/login", "", fmt.Sprintf(`{"email": "%s@example.com", "password": "a long enough password"}`, role))
		if code != 200 {
			t.Fatalf("login %s: %d %v", role, code, out)
		}
		tokens[role] = out["access_token"].(string)
	}
	for _, tc := range []struct {
		who, token string
		want       int
	}{
		{"nobody", "", 401},
		{"a team key", teamKey, 403},
		{"a viewer", tokens["viewer"], 403},
		{"an admin", tokens["admin"], 403},
		{"an owner", tokens["owner"], 200},
		{"the master key", testMasterKey, 200},
	} {
		code, body := get(t, p.URL, tc.token)
		if code != tc.want {
			t.Errorf("%s: %d; want %d", tc.who, code, tc.want)
		}
		if code == 200 && !strings.HasPrefix(body, "goroutine profile: total ") {
			t.Errorf("%s: the goroutine profile reads %.100q", tc.who, body)
		}
		if code != 200 && strings.Contains(body, "goroutine") {
			t.Errorf("%s was refused with a profile in the body", tc.who)
		}
	}
}
