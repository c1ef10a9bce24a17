package fuzz

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/catalog"
	"github.com/gatehouse-llm/gatehouse/gateway"
	gatehousehttp "github.com/gatehouse-llm/gatehouse/http"
	"github.com/gatehouse-llm/gatehouse/ratelimit"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
	"github.com/gatehouse-llm/gatehouse/state"
)

// bodyCap is the management body cap (http.maxBodyBytes): what one
// request may allocate besides 64 bytes per body byte.
const bodyCap = 1 << 20

// server is one Gatehouse on a fresh SQLite database per target (a
// fuzzing process runs one target, once), with every resource a route's
// path names: alias echo (mock/echo) and emb (mock/embed) in group g,
// organization o, team t with its key, a job, a credential and an owner.
type server struct {
	t       testing.TB
	handler http.Handler
	master  string
	teamKey string
	owner   string // the owner's session token: passes every admin route
	paths   *strings.Replacer
}

func newServer(f testing.TB) *server {
	f.Helper()
	ctx := context.Background()
	db := storetest.OpenSQLite(f)
	master := secret.NewToken(secret.PrefixMasterKey)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := secret.NewSealer(key)
	if err != nil {
		f.Fatal(err)
	}
	db.Sealer, db.Models = sealer, catalog.Default()
	st, err := state.New(ctx, db, nil)
	if err != nil {
		f.Fatal(err)
	}
	recorder := sqlstore.NewRecorder(db, nil)
	f.Cleanup(recorder.Close)
	gw := gateway.New(gateway.DefaultRegistry(), gateway.NewEndpoints(nil, gateway.DefaultTimeouts), st, gateway.Options{})
	meter := &gateway.Meter{Gateway: gw, Store: db, Recorder: recorder, Catalog: catalog.Default(),
		Limits: &gateway.RateLimits{Limiter: ratelimit.NewLocal(time.Now)}}
	s := &server{t: f, master: master, handler: gatehousehttp.NewServer(gatehousehttp.Deps{Store: db, KeyUse: sqlstore.NewKeyUse(db, nil), Jobs: db,
		Meter: meter, State: st, Readiness: db, MasterKeyHash: secret.HashToken(master), SupportedProvider: catalog.Default().Supports,
		TestCredential: func(context.Context, *gatehouse.Credential) error { return nil }})}

	s.must("POST", "/api/model-aliases/create", master, `{"alias": "echo", "litellm_model": "mock/echo"}`)
	s.must("POST", "/api/model-aliases/create", master, `{"alias": "emb", "litellm_model": "mock/embed"}`)
	s.must("POST", "/api/model-access-groups/create", master, `{"group_name": "g", "model_aliases": ["echo", "emb"]}`)
	s.must("POST", "/api/organizations/create", master, `{"organization_id": "o", "name": "O"}`)
	s.teamKey = s.must("POST", "/api/teams/create", master, `{"organization_id": "o", "team_id": "t", "access_groups": ["g"], "credits_allocated": 1000000}`)["virtual_key"].(string)
	user := s.must("POST", "/api/admin-users", master, `{"email": "owner@example.com", "password": "a long enough password", "role": "owner"}`)["user_id"].(string)
	s.owner = s.must("POST", "/api/admin-users/login", "", `{"email": "owner@example.com", "password": "a long enough password"}`)["access_token"].(string)
	cred := s.must("POST", "/api/provider-credentials/create", master, `{"provider": "openai", "credential_name": "c", "api_key": "sk-fuzz-credential"}`)["credential_id"].(string)
	keyID := s.must("GET", "/api/teams/t/keys", master, "")["keys"].([]any)[0].(map[string]any)["key_id"].(string)
	job := s.must("POST", "/api/jobs/create", s.teamKey, `{}`)["job_id"].(string)
	hook := s.must("POST", "/api/webhooks/create", master, `{"url": "https://example.com/hook", "event_types": ["*"]}`)["endpoint_id"].(string)
	s.paths = strings.NewReplacer("/api/webhooks/{id}", "/api/webhooks/"+hook, "{alias}", "echo", "{group}", "g", "{key}", keyID, "{model}", "echo", "{team_id}", "t",
		"/api/organizations/{id}", "/api/organizations/o", "/api/teams/{id}", "/api/teams/t", "/api/jobs/{id}", "/api/jobs/"+job,
		"/api/provider-credentials/{id}", "/api/provider-credentials/"+cred, "/api/admin-users/{id}", "/api/admin-users/"+user)
	return s
}

// must sends a setup request that has to succeed and returns its JSON.
func (s *server) must(method, path, token, body string) map[string]any {
	s.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)
	var out map[string]any
	if rec.Code >= 300 || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
		s.t.Fatalf("setup %s %s: %d %s", method, path, rec.Code, rec.Body.String())
	}
	return out
}

// serve sends one fuzzed request in-process and checks the properties
// every target shares.
func (s *server) serve(t *testing.T, method, path, token string, body []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second) // a [mock:latency=…] directive must not stall fuzzing
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, method, path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.handler.ServeHTTP(rec, req)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		buf := make([]byte, 1<<20)
		t.Fatalf("%s %s: still running 25 s after its context ended:\n%s", method, path, buf[:runtime.Stack(buf, true)])
	}
	runtime.ReadMemStats(&after)
	// 502 and 503 are a provider's failures, which a [mock:error=…]
	// directive asks for; anything else from 500 up is a bug.
	if rec.Code >= 500 && rec.Code != http.StatusBadGateway && rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("%s %s answered %d: %.500s", method, path, rec.Code, rec.Body.String())
	}
	if rec.Code >= 400 {
		var e struct {
			Error *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == nil || e.Error.Message == "" {
			t.Fatalf("%s %s: a %d that is not an error object: %.500s", method, path, rec.Code, rec.Body.String())
		}
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(bodyCap+64*len(body)) {
		t.Fatalf("%s %s: a %d-byte body made the server allocate %d bytes", method, path, len(body), alloc)
	}
}

// route is a route with a JSON body, ready to call.
type route struct{ method, pattern, path, token string }

// bodyRoutes lists every route with a request body except LLM calls
// (FuzzJobCall and the /v1 targets cover those), read from the server's
// own OpenAPI document, which is generated from the route table: a new
// route with a body is fuzzed without anyone listing it here.
func (s *server) bodyRoutes() []route {
	req := httptest.NewRequest("GET", "/openapi.json", nil)
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)
	var doc struct {
		Paths map[string]map[string]struct {
			Security    []map[string]any `json:"security"`
			RequestBody *struct {
				Content map[string]struct {
					Schema struct {
						Properties map[string]any `json:"properties"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		s.t.Fatal(err)
	}
	var out []route
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if op.RequestBody == nil || !strings.HasPrefix(path, "/api/") {
				continue
			}
			if _, isCall := op.RequestBody.Content["application/json"].Schema.Properties["purpose"]; isCall {
				continue
			}
			r := route{method: strings.ToUpper(method), pattern: path, path: s.paths.Replace(path), token: s.owner}
			switch {
			case len(op.Security) == 0:
				r.token = ""
			case op.Security[0]["teamKey"] != nil:
				r.token = s.teamKey
			}
			out = append(out, r)
		}
	}
	return out
}

// Management and job API bodies (all but LLM calls): every route with a
// body, chosen by the first input.
func FuzzManagementBody(f *testing.F) {
	s := newServer(f)
	routes := s.bodyRoutes()
	if len(routes) < 20 {
		f.Fatalf("only %d routes with a body found", len(routes))
	}
	// Sorted, so an input's route index means the same route in every
	// run and the saved corpus stays meaningful.
	slices.SortFunc(routes, func(a, b route) int { return strings.Compare(a.method+" "+a.pattern, b.method+" "+b.pattern) })
	seeds := map[string][]string{
		"/api/model-aliases/create":                  {`{"alias": "a1", "litellm_model": "mock/echo", "pricing": {"input_per_million": "1.5", "output_per_million": 2}}`, `{"alias": "a2", "litellm_model": "openai/gpt-4o", "fallbacks": ["echo"]}`},
		"/api/model-access-groups/create":            {`{"group_name": "g2", "model_aliases": ["echo"]}`},
		"/api/organizations/create":                  {`{"organization_id": "o2", "name": "N", "metadata": {"tier": "gold"}}`},
		"/api/teams/create":                          {`{"organization_id": "o", "team_id": "t2", "credits_allocated": 1e3, "rate_limits": {"requests_per_minute": 10}}`},
		"/api/teams/t/keys":                          {`{"name": "ci", "expires_at": "2030-01-01T00:00:00Z"}`},
		"/api/teams/t/access-groups":                 {`["g"]`, `{"access_groups": ["g"]}`},
		"/api/credits/teams/t/add":                   {`{"credits": 5, "reason": "bonus"}`, `{"credits": 9000000000000}`},
		"/api/credits/teams/t/replenish":             {`{"credits": 100, "payment_type": "one_time", "payment_amount_usd": "9.99"}`},
		"/api/credits/teams/t/adjust":                {`{"credits": -1.5, "reason": "fix"}`},
		"/api/credits/teams/t/markup":                {`{"cost_markup_percentage": 12.5}`},
		"/api/credits/teams/t/configure-auto-refill": {`{"enabled": true, "refill_amount": 50, "refill_period": "monthly"}`},
		"/api/provider-credentials/create":           {`{"provider": "anthropic", "credential_name": "n", "api_key": "sk-ant-x", "extra": {"api_version": "1"}}`},
		"/api/admin-users":                           {`{"email": "a@example.com", "password": "long enough password", "role": "viewer"}`},
		"/api/admin-users/login":                     {`{"email": "owner@example.com", "password": "wrong"}`},
		"/api/jobs/create":                           {`{"job_type": "t", "user_id": "u", "metadata": {"k": [1, {"x": null}]}}`},
	}
	for i, r := range routes {
		for p, bodies := range seeds {
			if r.path == p {
				for _, b := range bodies {
					f.Add(uint8(i), []byte(b))
				}
			}
		}
		f.Add(uint8(i), []byte(`{}`))
	}
	f.Fuzz(func(t *testing.T, pick uint8, body []byte) {
		r := routes[int(pick)%len(routes)]
		s.serve(t, r.method, r.path, r.token, body)
	})
}

// fuzzPost fuzzes the bodies of one POST route called with the team's
// key, from seeds.
func fuzzPost(f *testing.F, path string, seeds ...string) {
	s := newServer(f)
	for _, b := range seeds {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s.serve(t, "POST", path, s.teamKey, body)
	})
}

// A job's LLM call body: Gatehouse's fields beside an OpenAI-style
// request.
func FuzzJobCall(f *testing.F) {
	fuzzPost(f, "/api/jobs/create-and-call",
		`{"model": "echo", "messages": [{"role": "user", "content": "hi"}], "purpose": "p", "call_metadata": {"k": 1}}`,
		`{"model": "echo", "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}], "max_tokens": 5, "temperature": 0.5}`,
		`{"model": "echo", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}], "tool_choice": "auto"}`,
		`{"model": "echo", "messages": [{"role": "user", "content": "hi"}], "team_id": "t", "job_type": "x", "job_metadata": {"a": "b"}}`)
}

// POST /v1/chat/completions, streamed or not.
func FuzzV1Chat(f *testing.F) {
	fuzzPost(f, "/v1/chat/completions",
		`{"model": "echo", "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]}`,
		`{"model": "echo", "messages": [{"role": "user", "content": "hi"}], "stream": true, "stream_options": {"include_usage": true}}`,
		`{"model": "echo", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}], "max_completion_tokens": 10}`,
		`{"model": "echo", "messages": [{"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}, {"role": "tool", "tool_call_id": "c1", "content": "42"}], "response_format": {"type": "json_object"}}`,
		`{"model": "echo", "messages": [{"role": "user", "content": "hi"}], "functions": [{"name": "f"}], "function_call": {"name": "f"}, "n": 1, "seed": 7, "stop": ["x"]}`)
}

// POST /v1/messages, streamed or not.
func FuzzV1Messages(f *testing.F) {
	fuzzPost(f, "/v1/messages",
		`{"model": "echo", "max_tokens": 20, "system": "be brief", "messages": [{"role": "user", "content": "hi"}]}`,
		`{"model": "echo", "max_tokens": 20, "stream": true, "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}`,
		`{"model": "echo", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]}, {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}]}], "tools": [{"name": "f", "input_schema": {"type": "object"}}], "tool_choice": {"type": "auto"}}`,
		`{"model": "echo", "max_tokens": 20, "messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}]}], "metadata": {"user_id": "u"}, "stop_sequences": ["x"], "temperature": 0.2}`)
}

// POST /v1/embeddings.
func FuzzV1Embeddings(f *testing.F) {
	fuzzPost(f, "/v1/embeddings",
		`{"model": "emb", "input": "hello"}`,
		`{"model": "emb", "input": ["a", "b"], "encoding_format": "base64"}`,
		`{"model": "emb", "input": [1, 2, 3], "dimensions": 8}`,
		`{"model": "emb", "input": [[1, 2], [3]], "user": "u"}`)
}

// Bodies over a cap are refused without holding more than the cap: a
// declared length over it is refused before anything is read, and an
// undeclared (chunked) one is cut at the cap. Both get a 400 in the
// route's error shape.
func TestBodyCaps(t *testing.T) {
	s := newServer(t)
	const callCap = 32 << 20
	tests := []struct {
		name, path, token string
		limit             int
	}{
		{"management body", "/api/organizations/create", s.master, bodyCap},
		{"job call", "/api/jobs/create-and-call", s.teamKey, callCap},
		{"chat", "/v1/chat/completions", s.teamKey, callCap},
		{"messages", "/v1/messages", s.teamKey, callCap},
		{"embeddings", "/v1/embeddings", s.teamKey, callCap},
	}
	for _, tt := range tests {
		over := `{"name": "` + strings.Repeat("x", tt.limit) + `"}`
		for _, declared := range []bool{true, false} {
			req := httptest.NewRequest("POST", tt.path, nil)
			req.Header.Set("Authorization", "Bearer "+tt.token)
			if declared {
				req.Body, req.ContentLength = io.NopCloser(strings.NewReader(over)), int64(len(over))
			} else {
				req.Body, req.ContentLength = io.NopCloser(struct{ io.Reader }{strings.NewReader(over)}), -1
			}
			rec := httptest.NewRecorder()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			s.handler.ServeHTTP(rec, req)
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "larger than") {
				t.Errorf("%s (declared %v): %d %.300s", tt.name, declared, rec.Code, rec.Body.String())
			}
			// Declared: nothing read. Chunked: io.ReadAll's doubling up to
			// the cap, which sums to at most twice the cap.
			budget := uint64(256 << 10)
			if !declared {
				budget += 2 * uint64(tt.limit)
			}
			if alloc > budget {
				t.Errorf("%s (declared %v): refusing a body over the %d-byte cap allocated %d bytes", tt.name, declared, tt.limit, alloc)
			}
		}
	}
}

// A body of many tiny values is refused before it is decoded: decoding
// allocates per value, and a 30 MB chat body of 3 million unknown keys
// used to cost 1 GB. Refusing it costs about the body itself.
func TestManyValuesAreRefusedCheaply(t *testing.T) {
	s := newServer(t)
	var b strings.Builder
	b.WriteString(`{"model": "echo", "messages": [{"role": "user", "content": "hi"}]`)
	for i := 0; b.Len() < 5<<20; i++ {
		b.WriteString(`,"k` + strconv.Itoa(i) + `":0`)
	}
	b.WriteString("}")
	body := b.String()
	for _, path := range []string{"/v1/chat/completions", "/v1/messages", "/v1/embeddings", "/api/jobs/create-and-call"} {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.teamKey)
		rec := httptest.NewRecorder()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s.handler.ServeHTTP(rec, req)
		runtime.ReadMemStats(&after)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "JSON values") {
			t.Errorf("%s: %d %.300s", path, rec.Code, rec.Body.String())
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(2*len(body)+bodyCap) {
			t.Errorf("%s: refusing a %d-byte body of tiny values allocated %d bytes", path, len(body), alloc)
		}
	}
}
