package http

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/catalog"
	"github.com/gatehouse-llm/gatehouse/gateway"
	"github.com/gatehouse-llm/gatehouse/ratelimit"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/state"
	"github.com/gatehouse-llm/gatehouse/telemetry"
	"go.opentelemetry.io/otel/trace"
)

// harness is a real Gatehouse API over loopback on a fresh database.
type harness struct {
	t      testing.TB
	DB     *sqlstore.DB
	State  *state.State
	Server *httptest.Server
	Master string
	KeyUse *sqlstore.KeyUse
	Meter  *gateway.Meter
}

func newHarness(t testing.TB, db *sqlstore.DB) *harness {
	t.Helper()
	return newLoggedHarness(t, db, nil)
}

// newLoggedHarness is newHarness whose server logs to logger.
func newLoggedHarness(t testing.TB, db *sqlstore.DB, logger *slog.Logger) *harness {
	t.Helper()
	return newObservedHarness(t, db, logger, nil, nil)
}

// newObservedHarness is newLoggedHarness with metrics and traces (either
// may be nil: off).
func newObservedHarness(t testing.TB, db *sqlstore.DB, logger *slog.Logger, metrics *telemetry.Metrics, tracer trace.Tracer) *harness {
	t.Helper()
	ctx := context.Background()
	master := secret.NewToken(secret.PrefixMasterKey)
	if err := db.PutSetting(ctx, sqlstore.SettingMasterKeyHash, secret.HashToken(master)); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := secret.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	db.Sealer = sealer
	db.Models = catalog.Default()
	st, err := state.New(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	keyUse := sqlstore.NewKeyUse(db, nil)
	recorder := sqlstore.NewRecorder(db, nil)
	t.Cleanup(recorder.Close)
	gwOpts := gateway.Options{Tracer: tracer}
	var rec gateway.CallRecorder = recorder
	var jobs JobStore = db
	var obs Observer
	if metrics != nil {
		gwOpts.Observer, obs, jobs = metrics, metrics, telemetry.Jobs{JobStore: db, Metrics: metrics}
	}
	if metrics != nil || tracer != nil {
		rec = &telemetry.Recorder{Next: recorder, Metrics: metrics, Tracer: tracer}
	}
	gw := gateway.New(gateway.DefaultRegistry(), gateway.NewEndpoints(nil, gateway.DefaultTimeouts), st, gwOpts)
	meter := &gateway.Meter{Gateway: gw, Store: db, Recorder: rec, Catalog: catalog.Default(),
		Limits: &gateway.RateLimits{Limiter: ratelimit.NewLocal(time.Now)}}
	srv := httptest.NewServer(NewServer(Deps{Logger: logger, Store: db, KeyUse: keyUse, Jobs: jobs, Meter: meter, State: st, Readiness: db, MasterKeyHash: secret.HashToken(master),
		SupportedProvider: catalog.Default().Supports, Version: "test", Observer: obs, Tracer: tracer,
		TestCredential: func(ctx context.Context, c *gatehouse.Credential) error { return nil }}))
	t.Cleanup(srv.Close)
	return &harness{t: t, DB: db, State: st, Server: srv, Master: master, KeyUse: keyUse, Meter: meter}
}

// response is a decoded JSON answer.
type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

// do sends a request with an optional bearer token and raw JSON body.
func (h *harness) do(method, path, token, body string) response {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.Server.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{Status: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	if len(bytes.TrimSpace(raw)) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out.Body); err != nil {
			h.t.Fatalf("%s %s: response is not a JSON object: %q", method, path, raw)
		}
	}
	return out
}

// admin sends a request with the master key and requires wantStatus.
func (h *harness) admin(method, path, body string, wantStatus int) map[string]any {
	h.t.Helper()
	r := h.do(method, path, h.Master, body)
	if r.Status != wantStatus {
		h.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, wantStatus, r.Raw)
	}
	return r.Body
}

// errorOf returns the error object of a response, failing if absent.
func errorOf(t *testing.T, r response) map[string]any {
	t.Helper()
	e, ok := r.Body["error"].(map[string]any)
	if !ok || e["code"] == "" || e["message"] == "" {
		t.Fatalf("response is not in the error shape {error:{code,message}}: %s", r.Raw)
	}
	return e
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func gatehouseTeamRates(mode *string) gatehouse.TeamRates {
	return gatehouse.TeamRates{BudgetMode: mode}
}
