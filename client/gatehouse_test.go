package client_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/catalog"
	"github.com/gatehouse-llm/gatehouse/gateway"
	gatehousehttp "github.com/gatehouse-llm/gatehouse/http"
	"github.com/gatehouse-llm/gatehouse/ratelimit"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/sqlite"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
	"github.com/gatehouse-llm/gatehouse/state"
)

// testGatehouse is a real Gatehouse API over loopback on a fresh database,
// with alias "echo" (mock/echo) in group "g", organization "o" and team
// "t" (job_based, 100 credits) whose key is Key.
type testGatehouse struct {
	URL    string
	Master string
	Key    string
	close  func()
}

// newGatehouse starts a Gatehouse for one test, on storetest's SQLite.
func newGatehouse(t *testing.T) *testGatehouse {
	t.Helper()
	g, err := startGatehouse(storetest.OpenSQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.close)
	return g
}

// startGatehouse wires the API exactly as http's test harness (newHarness)
// does, then creates the alias, group, organization and team through the
// admin API.
func startGatehouse(db *sqlstore.DB) (*testGatehouse, error) {
	ctx := context.Background()
	master := secret.NewToken(secret.PrefixMasterKey)
	if err := db.PutSetting(ctx, sqlstore.SettingMasterKeyHash, secret.HashToken(master)); err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := secret.NewSealer(key)
	if err != nil {
		return nil, err
	}
	db.Sealer = sealer
	db.Models = catalog.Default()
	st, err := state.New(ctx, db, nil)
	if err != nil {
		return nil, err
	}
	keyUse := sqlstore.NewKeyUse(db, nil)
	recorder := sqlstore.NewRecorder(db, nil)
	gw := gateway.New(gateway.DefaultRegistry(), gateway.NewEndpoints(nil, gateway.DefaultTimeouts), st, gateway.Options{})
	meter := &gateway.Meter{Gateway: gw, Store: db, Recorder: recorder, Catalog: catalog.Default(),
		Limits: &gateway.RateLimits{Limiter: ratelimit.NewLocal(time.Now)}}
	srv := httptest.NewServer(gatehousehttp.NewServer(gatehousehttp.Deps{Store: db, KeyUse: keyUse, Jobs: db, Meter: meter, State: st,
		Readiness: db, MasterKeyHash: secret.HashToken(master), SupportedProvider: catalog.Default().Supports, Version: "test",
		TestCredential: func(ctx context.Context, c *gatehouse.Credential) error { return nil }}))
	g := &testGatehouse{URL: srv.URL, Master: master, close: func() { srv.Close(); recorder.Close() }}
	for _, step := range [][2]string{
		{"/api/model-aliases/create", `{"alias": "echo", "litellm_model": "mock/echo"}`},
		{"/api/model-access-groups/create", `{"group_name": "g", "model_aliases": ["echo"]}`},
		{"/api/organizations/create", `{"organization_id": "o", "name": "O"}`},
	} {
		if _, err := g.admin("POST", step[0], step[1], http.StatusCreated); err != nil {
			g.close()
			return nil, err
		}
	}
	if g.Key, err = g.team("t", 100); err != nil {
		g.close()
		return nil, err
	}
	return g, nil
}

// team creates team id in organization "o" with access to "echo" and the
// given credits (job_based), and returns its virtual key.
func (g *testGatehouse) team(id string, credits int) (string, error) {
	body, err := g.admin("POST", "/api/teams/create", fmt.Sprintf(
		`{"organization_id": "o", "team_id": %q, "access_groups": ["g"], "budget_mode": "job_based", "credits_allocated": %d}`, id, credits), http.StatusCreated)
	if err != nil {
		return "", err
	}
	key, _ := body["virtual_key"].(string)
	return key, nil
}

// admin sends a management request with the master key and requires
// status want.
func (g *testGatehouse) admin(method, path, body string, want int) (map[string]any, error) {
	req, err := http.NewRequest(method, g.URL+path, bytes.NewBufferString(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+g.Master)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out, nil
}

// The examples' Gatehouse: examples have no *testing.T, so it is started
// on first use on a SQLite file of its own, opened and migrated as
// storetest.OpenSQLite does, and shut down by TestMain.
var (
	exampleOnce sync.Once
	exampleGH   *testGatehouse
	exampleDir  string
	exampleDB   *sqlstore.DB
)

// exampleGatehouse returns the base URL and team key of the examples'
// Gatehouse, starting it on first use.
func exampleGatehouse() (baseURL, key string) {
	exampleOnce.Do(func() {
		var err error
		if exampleDir, err = os.MkdirTemp("", "gatehouse-client-example-"); err != nil {
			panic(err)
		}
		ctx := context.Background()
		if exampleDB, err = sqlite.Open(ctx, filepath.Join(exampleDir, "gatehouse.db")); err != nil {
			panic(err)
		}
		if _, err = exampleDB.Migrate(ctx, nil); err != nil {
			panic(err)
		}
		if exampleGH, err = startGatehouse(exampleDB); err != nil {
			panic(err)
		}
	})
	return exampleGH.URL, exampleGH.Key
}

// TestMain runs the tests and examples, then stops the examples'
// Gatehouse if one was started.
func TestMain(m *testing.M) {
	code := m.Run()
	if exampleGH != nil {
		exampleGH.close()
	}
	if exampleDB != nil {
		exampleDB.Close()
	}
	if exampleDir != "" {
		os.RemoveAll(exampleDir)
	}
	os.Exit(code)
}
