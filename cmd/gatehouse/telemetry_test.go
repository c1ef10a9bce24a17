package main

import (
	"compress/gzip"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

const testMetricsToken = "metrics-token-0123456789"

// upstream is a fake OpenAI-compatible provider that keeps the headers
// of every request it received.
type upstream struct {
	*httptest.Server
	mu      sync.Mutex
	headers []http.Header
}

// received returns the headers of every request so far.
func (u *upstream) received() []http.Header {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]http.Header(nil), u.headers...)
}

// fakeOpenAI answers plain calls with usage, streams with a final usage
// chunk, and the first request whose prompt says "fail once" with a 500
// (so the gateway retries it).
func fakeOpenAI(t *testing.T) *upstream {
	var failed atomic.Bool
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.headers = append(u.headers, r.Header.Clone())
		u.mu.Unlock()
		if strings.Contains(string(body), "fail once") && failed.CompareAndSwap(false, true) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(500)
			io.WriteString(w, `{"error":{"message":"boom","type":"server_error"}}`)
			return
		}
		if strings.Contains(string(body), `"stream":true`) {
			w.Header().Set("Content-Type", "text/event-stream")
			for _, ev := range []string{
				`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":"hel"}}]}`,
				`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}`,
				`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}`,
				`[DONE]`,
			} {
				fmt.Fprintf(w, "data: %s\n\n", ev)
				w.(http.Flusher).Flush()
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":13,"completion_tokens":5,"total_tokens":18}}`)
	}))
	t.Cleanup(u.Close)
	return u
}

// setupUpstreamTeams points alias "up" at the fake upstream (as OpenAI's
// gpt-4o-mini, which the catalogue prices) and creates teams: "t" with
// plenty of credits, "tight" limited to one request a minute, "poor" with
// one credit. It returns their keys.
func setupUpstreamTeams(t *testing.T, url, upstream string) (rich, tight, poor string) {
	t.Helper()
	for _, step := range [][2]string{
		{"/api/provider-credentials/create", fmt.Sprintf(`{"provider": "openai", "credential_name": "fake", "api_key": "sk-fake", "api_base": %q}`, upstream)},
		{"/api/model-aliases/create", `{"alias": "up", "litellm_model": "openai/gpt-4o-mini"}`},
		{"/api/model-access-groups/create", `{"group_name": "g", "model_aliases": ["up"]}`},
		{"/api/organizations/create", `{"organization_id": "o", "name": "O"}`},
	} {
		if code, body := call(t, "POST", url+step[0], testMasterKey, step[1]); code != 201 {
			t.Fatalf("%s: %d %v", step[0], code, body)
		}
	}
	team := func(id string, credits int, extra string) string {
		code, body := call(t, "POST", url+"/api/teams/create", testMasterKey,
			fmt.Sprintf(`{"organization_id": "o", "team_id": %q, "access_groups": ["g"], "credits_allocated": %d%s}`, id, credits, extra))
		if code != 201 {
			t.Fatalf("team %s: %d %v", id, code, body)
		}
		return body["virtual_key"].(string)
	}
	return team("t", 1000, ""), team("tight", 1000, `, "rate_limits": {"requests_per_minute": 1}`), team("poor", 1, "")
}

// chat makes a /v1/chat/completions call and returns the response (body
// read and closed).
func chat(t *testing.T, url, key, content string, stream bool, header ...string) (*http.Response, string) {
	t.Helper()
	body := fmt.Sprintf(`{"model": "up", "messages": [{"role": "user", "content": %q}], "stream": %v}`, content, stream)
	req, _ := http.NewRequest("POST", url+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

// scrape GETs a metrics endpoint with token (none when ""), returning the
// status and, on 200, the parsed families.
func scrape(t *testing.T, url, token string) (int, map[string]*dto.MetricFamily) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return resp.StatusCode, nil
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return 200, fams
}

// sample sums the series of family name whose labels include labels:
// counter and gauge values, histogram and summary sample counts. ok is
// false when no series matched.
func sample(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (v float64, ok bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
metrics:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, want := range labels {
			if have[k] != want {
				continue metrics
			}
		}
		ok = true
		switch {
		case m.Counter != nil:
			v += m.Counter.GetValue()
		case m.Gauge != nil:
			v += m.Gauge.GetValue()
		case m.Histogram != nil:
			v += float64(m.Histogram.GetSampleCount())
		case m.Summary != nil:
			v += float64(m.Summary.GetSampleCount())
		case m.Untyped != nil:
			v += m.Untyped.GetValue()
		}
	}
	return v, ok
}

// Real traffic through a fake OpenAI upstream, then a scrape of /metrics
// on the main port behind metrics_token: the series exist and their
// values match what was recorded in the database (costs, tokens, charges,
// jobs), refusals are counted by reason, a retry and the streams' time to
// first token are seen, and every response carries an X-Request-Id that
// the request's log line and the call's record name. On both engines.
func TestMetricsAfterTraffic(t *testing.T) {
	forEachEngine(t, []string{"GATEHOUSE_METRICS_TOKEN=" + testMetricsToken}, testMetricsAfterTraffic)
}

func testMetricsAfterTraffic(t *testing.T, e engine) {
	up := fakeOpenAI(t)
	p := startProcess(t, e.dir, e.env)
	rich, tight, poor := setupUpstreamTeams(t, p.URL, up.URL)

	for _, c := range []struct {
		content string
		stream  bool
	}{{"one", false}, {"two", false}, {"fail once", false}, {"three", true}, {"four", true}} {
		if resp, body := chat(t, p.URL, rich, c.content, c.stream); resp.StatusCode != 200 {
			t.Fatalf("call %q: %d %s", c.content, resp.StatusCode, body)
		}
	}
	if resp, body := chat(t, p.URL, tight, "first", false); resp.StatusCode != 200 {
		t.Fatalf("tight's first call: %d %s", resp.StatusCode, body)
	}
	if resp, body := chat(t, p.URL, tight, "second", false); resp.StatusCode != 429 {
		t.Fatalf("tight's second call: %d %s, want 429", resp.StatusCode, body)
	}
	if resp, body := chat(t, p.URL, poor, "first", false); resp.StatusCode != 200 {
		t.Fatalf("poor's first call: %d %s", resp.StatusCode, body)
	}
	// The OpenAI surface answers spent credits as OpenAI does: 429
	// insufficient_quota.
	if resp, body := chat(t, p.URL, poor, "second", false); resp.StatusCode != 429 || !strings.Contains(body, "insufficient_quota") {
		t.Fatalf("poor's second call: %d %s, want 429 insufficient_quota", resp.StatusCode, body)
	}

	// Request ids: the client's when sane, else generated; always
	// answered, and in the request's log line.
	resp, _ := chat(t, p.URL, rich, "with id", false, "X-Request-Id", "client-req-42")
	if got := resp.Header.Get("X-Request-Id"); got != "client-req-42" {
		t.Errorf("X-Request-Id = %q, want the client's", got)
	}
	resp, _ = chat(t, p.URL, rich, "bad id", false, "X-Request-Id", "no spaces allowed\there")
	if got := resp.Header.Get("X-Request-Id"); !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(got) {
		t.Errorf("X-Request-Id for an insane client id = %q, want a generated one", got)
	}
	if code, _ := call(t, "GET", p.URL+"/health", "", ""); code != 200 {
		t.Fatal("health")
	}
	eventually(t, "the request line names the client's id", 5*time.Second, func() bool {
		return strings.Contains(p.Stderr(), `"request_id":"client-req-42"`)
	})

	// Access: no token or a wrong one is refused.
	if code, _ := scrape(t, p.URL+"/metrics", ""); code != 401 {
		t.Errorf("/metrics without a token: %d, want 401", code)
	}
	if code, _ := scrape(t, p.URL+"/metrics", "wrong-token-0123456789"); code != 401 {
		t.Errorf("/metrics with a wrong token: %d, want 401", code)
	}
	code, fams := scrape(t, p.URL+"/metrics", testMetricsToken)
	if code != 200 {
		t.Fatalf("/metrics with the token: %d", code)
	}

	db := e.open(t).SQL()
	var cost, clientCost, prompt, completion, calls, okCalls int64
	if err := db.QueryRow(`SELECT COALESCE(SUM(cost_micro_usd), 0), COALESCE(SUM(client_cost_micro_usd), 0), COALESCE(SUM(prompt_tokens), 0),
		COALESCE(SUM(completion_tokens), 0), COUNT(*), COALESCE(SUM(CASE WHEN status = 'success' THEN 1 ELSE 0 END), 0)
		FROM llm_calls WHERE provider = 'openai' AND served_alias = 'up'`).Scan(&cost, &clientCost, &prompt, &completion, &calls, &okCalls); err != nil {
		t.Fatal(err)
	}
	var charged, completed, failed, jobs int64
	if err := db.QueryRow(`SELECT COALESCE(SUM(charged), 0), COALESCE(SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0), COUNT(*) FROM jobs`).Scan(&charged, &completed, &failed, &jobs); err != nil {
		t.Fatal(err)
	}
	var withID int
	if err := db.QueryRow(`SELECT COUNT(*) FROM llm_calls WHERE request_id = 'client-req-42'`).Scan(&withID); err != nil || withID != 1 {
		t.Errorf("calls recorded with the client's request id: %d (%v), want 1", withID, err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM llm_calls WHERE length(request_id) <> 32 AND request_id <> 'client-req-42'`).Scan(&withID); err != nil || withID != 0 {
		t.Errorf("calls recorded without a generated request id: %d (%v), want 0", withID, err)
	}
	// tight's refused call was a /v1 single-call job admitted against the
	// credit lease, so refused before it ran it left no job (the job API
	// would have failed one).
	if failed != 0 || completed != 9 {
		t.Fatalf("database: %d completed and %d failed jobs, want 9 and 0 (tight's refused call leaves none)", completed, failed)
	}
	if got, _ := sample(fams, "gatehouse_jobs_finished_total", map[string]string{"status": "failed"}); got != float64(failed) {
		t.Errorf("gatehouse_jobs_finished_total{status=failed} = %v, want %d", got, failed)
	}
	if cost == 0 || calls != 9 || okCalls != 9 {
		t.Fatalf("database: cost %d over %d calls (%d successful); want 9 priced, successful calls", cost, calls, okCalls)
	}

	up1 := map[string]string{"provider": "openai", "alias": "up"}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"gatehouse_cost_micro_usd_total", up1, float64(cost)},
		{"gatehouse_client_cost_micro_usd_total", up1, float64(clientCost)},
		{"gatehouse_tokens_total", map[string]string{"provider": "openai", "alias": "up", "kind": "prompt"}, float64(prompt)},
		{"gatehouse_tokens_total", map[string]string{"provider": "openai", "alias": "up", "kind": "completion"}, float64(completion)},
		{"gatehouse_calls_total", map[string]string{"provider": "openai", "alias": "up", "status": "success"}, float64(okCalls)},
		{"gatehouse_call_duration_seconds", up1, float64(calls)},
		{"gatehouse_credits_charged_micro_total", nil, float64(charged)},
		{"gatehouse_jobs_finished_total", map[string]string{"status": "completed"}, float64(completed)},
		{"gatehouse_jobs_created_total", nil, float64(jobs)},
		{"gatehouse_refusals_total", map[string]string{"reason": "team_requests_per_minute"}, 1},
		{"gatehouse_refusals_total", map[string]string{"reason": "credits_exhausted"}, 1},
		// 9 answered attempts, one 500 before a retry.
		{"gatehouse_upstream_attempt_duration_seconds", map[string]string{"deployment": "openai/gpt-4o-mini", "alias": "up", "outcome": "ok"}, 9},
		{"gatehouse_upstream_attempt_duration_seconds", map[string]string{"deployment": "openai/gpt-4o-mini", "outcome": "server_error"}, 1},
		{"gatehouse_upstream_retries_total", map[string]string{"deployment": "openai/gpt-4o-mini"}, 1},
		{"gatehouse_upstream_time_to_first_token_seconds", up1, 2},
		{"gatehouse_http_request_duration_seconds", map[string]string{"route": "POST /v1/chat/completions", "status": "200"}, 9},
		{"gatehouse_http_request_duration_seconds", map[string]string{"route": "POST /v1/chat/completions", "status": "429"}, 2},
		{"gatehouse_http_request_duration_seconds", map[string]string{"route": "GET /health", "method": "GET", "status": "200"}, 1},
		{"gatehouse_build_info", nil, 1},
		{"gatehouse_control_plane_warm", nil, 1},
		{"gatehouse_upstream_team_breakers_open", nil, 0},
	} {
		got, ok := sample(fams, c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	pool := "main" // PostgreSQL: one pool
	if e.name == "sqlite" {
		pool = "write" // and "read"
		if _, ok := sample(fams, "go_sql_max_open_connections", map[string]string{"db_name": "read"}); !ok {
			t.Error("no statistics of SQLite's read pool")
		}
	}
	// Series that only need to exist and be sane.
	for _, c := range []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"gatehouse_recorder_batch_size", nil, 1},
		{"gatehouse_recorder_queue_depth", nil, 0},
		{"gatehouse_control_plane_version", nil, 1},
		{"gatehouse_control_plane_full_loads_total", nil, 1},
		{"gatehouse_control_plane_apply_seconds", nil, 1},
		{"go_sql_open_connections", map[string]string{"db_name": pool}, 1},
		{"go_sql_max_open_connections", map[string]string{"db_name": pool}, 1},
		{"go_goroutines", nil, 1},
		{"process_resident_memory_bytes", nil, 1},
		{"gatehouse_http_requests_in_flight", nil, 1}, // the scrape itself
	} {
		if got, ok := sample(fams, c.name, c.labels); !ok || got < c.min {
			t.Errorf("%s%v = %v (found %v), want at least %v", c.name, c.labels, got, ok, c.min)
		}
	}
	if _, ok := fams["gatehouse_calls_total"]; ok {
		for _, m := range fams["gatehouse_calls_total"].Metric {
			for _, l := range m.Label {
				if l.GetName() == "team" {
					t.Errorf("a team label without metrics_team_labels: %v", m)
				}
			}
		}
	}
	// Traces are off: nothing was propagated upstream.
	for _, h := range up.received() {
		if h.Get("Traceparent") != "" {
			t.Fatalf("traces off, yet the upstream got traceparent %q", h.Get("Traceparent"))
		}
	}
}

// /metrics is never open by accident: with neither metrics_addr nor
// metrics_token it is not served (404); with metrics_addr it is served
// there, without a token, and not on the API port; metrics_team_labels
// adds the team label.
func TestMetricsAccess(t *testing.T) {
	var wg sync.WaitGroup
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	var none, own *process
	wg.Go(func() { none = startProcess(t, t.TempDir(), []string{"GATEHOUSE_MASTER_KEY=" + testMasterKey}) })
	wg.Go(func() {
		own = startProcess(t, t.TempDir(), []string{"GATEHOUSE_MASTER_KEY=" + testMasterKey, "GATEHOUSE_METRICS_ADDR=" + addr,
			"GATEHOUSE_METRICS_TEAM_LABELS=true"})
	})
	wg.Wait()
	if none == nil || own == nil {
		t.FailNow()
	}
	if code, _ := scrape(t, none.URL+"/metrics", ""); code != 404 {
		t.Errorf("no metrics configured: /metrics answered %d, want 404", code)
	}
	if code, _ := scrape(t, none.URL+"/metrics", testMetricsToken); code != 404 {
		t.Errorf("no metrics configured: /metrics with a token answered %d, want 404", code)
	}
	if code, _ := scrape(t, own.URL+"/metrics", ""); code != 404 {
		t.Errorf("metrics_addr set: the API port's /metrics answered %d, want 404", code)
	}
	up := fakeOpenAI(t)
	rich, _, _ := setupUpstreamTeams(t, own.URL, up.URL)
	if resp, body := chat(t, own.URL, rich, "hi", false); resp.StatusCode != 200 {
		t.Fatalf("call: %d %s", resp.StatusCode, body)
	}
	// A model whose only deployment allows one request a minute: the
	// second call is refused, counted as deployment_limit.
	for _, step := range [][2]string{
		{"/api/model-aliases/create", `{"alias": "lim", "deployments": [{"litellm_model": "openai/gpt-4o-mini", "rpm": 1}]}`},
		{"/api/model-access-groups/g/add-models", `{"model_aliases": ["lim"]}`},
	} {
		if code, body := call(t, "POST", own.URL+step[0], testMasterKey, step[1]); code != 201 && code != 200 {
			t.Fatalf("%s: %d %v", step[0], code, body)
		}
	}
	for i, want := range []int{200, 429} {
		code, body := call(t, "POST", own.URL+"/v1/chat/completions", rich, `{"model": "lim", "messages": [{"role": "user", "content": "x"}]}`)
		if code != want {
			t.Fatalf("call %d to lim: %d %v, want %d", i+1, code, body, want)
		}
	}
	var fams map[string]*dto.MetricFamily
	eventually(t, "the metrics listener answers", 10*time.Second, func() bool {
		var code int
		code, fams = scrape(t, "http://"+addr+"/metrics", "")
		return code == 200
	})
	if got, ok := sample(fams, "gatehouse_calls_total", map[string]string{"team": "t", "alias": "up", "status": "success"}); !ok || got != 1 {
		t.Errorf("gatehouse_calls_total{team=t} = %v (found %v), want 1", got, ok)
	}
	if got, ok := sample(fams, "gatehouse_refusals_total", map[string]string{"team": "t", "reason": "deployment_limit"}); !ok || got != 1 {
		t.Errorf("gatehouse_refusals_total{reason=deployment_limit} = %v (found %v), want 1", got, ok)
	}
}

// otlpReceiver is an in-process OTLP/HTTP trace receiver: it decodes each
// protobuf ExportTraceServiceRequest and keeps the spans.
type otlpReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	rc := &otlpReceiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			body = zr
		}
		raw, _ := io.ReadAll(body)
		var req coltracepb.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" || proto.Unmarshal(raw, &req) != nil {
			t.Errorf("OTLP receiver: %s %s %s: not an export request", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
			http.Error(w, "bad request", 400)
			return
		}
		rc.mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				rc.spans = append(rc.spans, ss.Spans...)
			}
		}
		rc.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// inTrace returns the spans received so far of one trace.
func (rc *otlpReceiver) inTrace(traceID string) []*tracepb.Span {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []*tracepb.Span
	for _, s := range rc.spans {
		if hex.EncodeToString(s.TraceId) == traceID {
			out = append(out, s)
		}
	}
	return out
}

// spanAttrs flattens a span's attributes to strings.
func spanAttrs(s *tracepb.Span) map[string]string {
	out := map[string]string{}
	for _, kv := range s.Attributes {
		switch v := kv.Value.Value.(type) {
		case *commonpb.AnyValue_StringValue:
			out[kv.Key] = v.StringValue
		case *commonpb.AnyValue_IntValue:
			out[kv.Key] = strconv.FormatInt(v.IntValue, 10)
		case *commonpb.AnyValue_BoolValue:
			out[kv.Key] = strconv.FormatBool(v.BoolValue)
		}
	}
	return out
}

// With otel_endpoint set, a call carrying the client's W3C traceparent is
// one trace: the request's server span continues the client's span, and
// its children are the admission, each upstream attempt (a failed one
// and its retry) and the record, with GenAI attributes, the team and the
// job. Each provider request carried the traceparent of its attempt's
// span. A request without traceparent starts a trace of its own.
func TestTracesExported(t *testing.T) {
	rc := newOTLPReceiver(t)
	up := fakeOpenAI(t)
	p := startProcess(t, t.TempDir(), []string{"GATEHOUSE_MASTER_KEY=" + testMasterKey, "GATEHOUSE_OTEL_ENDPOINT=" + rc.URL,
		"OTEL_BSP_SCHEDULE_DELAY=50"})
	rich, _, _ := setupUpstreamTeams(t, p.URL, up.URL)

	const traceID, clientSpan = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	resp, body := chat(t, p.URL, rich, "fail once", false, "traceparent", "00-"+traceID+"-"+clientSpan+"-01", "X-Request-Id", "traced-1")
	if resp.StatusCode != 200 {
		t.Fatalf("call: %d %s", resp.StatusCode, body)
	}
	jobID := resp.Header.Get("X-Gatehouse-Job-Id")

	byName := map[string][]*tracepb.Span{}
	eventually(t, "the call's spans are exported", 10*time.Second, func() bool {
		byName = map[string][]*tracepb.Span{}
		for _, s := range rc.inTrace(traceID) {
			byName[s.Name] = append(byName[s.Name], s)
		}
		return len(byName["POST /v1/chat/completions"]) == 1 && len(byName["gatehouse.record"]) == 1 &&
			len(byName["gatehouse.admission"]) == 1 && len(byName["upstream openai/gpt-4o-mini"]) == 2
	})
	root := byName["POST /v1/chat/completions"][0]
	if got := hex.EncodeToString(root.ParentSpanId); got != clientSpan {
		t.Errorf("request span's parent = %q, want the client's span %s", got, clientSpan)
	}
	if root.Kind != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("request span kind %v", root.Kind)
	}
	rootID := hex.EncodeToString(root.SpanId)
	for name, spans := range byName {
		for _, s := range spans {
			if s != root && hex.EncodeToString(s.ParentSpanId) != rootID {
				t.Errorf("span %q's parent is %x, want the request span %s", name, s.ParentSpanId, rootID)
			}
		}
	}
	wantAttrs := func(s *tracepb.Span, want map[string]string) {
		t.Helper()
		got := spanAttrs(s)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("span %q: %s = %q, want %q (all: %v)", s.Name, k, got[k], v, got)
			}
		}
	}
	genAI := map[string]string{"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini",
		"gen_ai.usage.input_tokens": "13", "gen_ai.usage.output_tokens": "5", "gatehouse.team_id": "t", "gatehouse.job_id": jobID}
	wantAttrs(byName["gatehouse.record"][0], genAI)
	wantAttrs(root, genAI)
	wantAttrs(root, map[string]string{"http.route": "/v1/chat/completions", "http.response.status_code": "200", "gatehouse.request_id": "traced-1"})
	wantAttrs(byName["gatehouse.admission"][0], map[string]string{"gatehouse.team_id": "t", "gatehouse.alias": "up"})

	attempts := byName["upstream openai/gpt-4o-mini"]
	sort.Slice(attempts, func(i, j int) bool { return attempts[i].StartTimeUnixNano < attempts[j].StartTimeUnixNano })
	for i, s := range attempts {
		wantAttrs(s, map[string]string{"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o-mini", "gatehouse.alias": "up",
			"gatehouse.deployment": "openai/gpt-4o-mini", "gatehouse.attempt": strconv.Itoa(i + 1)})
		if s.Kind != tracepb.Span_SPAN_KIND_CLIENT {
			t.Errorf("attempt span kind %v", s.Kind)
		}
	}
	if attempts[0].Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR || spanAttrs(attempts[0])["error.type"] != "server_error" {
		t.Errorf("the failed attempt's span: status %v, attributes %v", attempts[0].Status, spanAttrs(attempts[0]))
	}
	if attempts[1].Status.GetCode() == tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("the retry's span failed: %v", attempts[1].Status)
	}
	// Each provider request named its attempt's span as parent.
	got := up.received()
	if len(got) != 2 {
		t.Fatalf("upstream got %d requests, want 2", len(got))
	}
	for i, h := range got {
		want := "00-" + traceID + "-" + hex.EncodeToString(attempts[i].SpanId) + "-01"
		if tp := h.Get("Traceparent"); tp != want {
			t.Errorf("upstream request %d: traceparent %q, want %q", i+1, tp, want)
		}
	}

	// The call's record names the request's id.
	code, costs := call(t, "GET", p.URL+"/api/jobs/"+jobID+"/costs", rich, "")
	if calls, _ := costs["calls"].([]any); code != 200 || len(calls) != 1 || calls[0].(map[string]any)["request_id"] != "traced-1" {
		t.Errorf("job costs: %d %v, want one call with request_id traced-1", code, costs)
	}

	// No traceparent: a new trace, rooted at the request's span.
	resp2, _ := chat(t, p.URL, rich, "untraced", false)
	if resp2.StatusCode != 200 {
		t.Fatal(resp2.Status)
	}
	rid := resp2.Header.Get("X-Request-Id")
	eventually(t, "the untraced call's root span is exported", 10*time.Second, func() bool {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		for _, s := range rc.spans {
			if spanAttrs(s)["gatehouse.request_id"] == rid {
				if len(s.ParentSpanId) != 0 || hex.EncodeToString(s.TraceId) == traceID {
					t.Errorf("untraced request's span has parent %x in trace %x", s.ParentSpanId, s.TraceId)
				}
				return true
			}
		}
		return false
	})
}
