package http

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// fakeOpenAI is an OpenAI-compatible upstream counting its requests. Each
// answer reports 12 prompt and 8 completion tokens.
type fakeOpenAI struct {
	*httptest.Server
	hits    atomic.Int64
	release chan struct{} // when set, streams pause after the first event
	gone    chan struct{} // closed when a paused stream's client went away
}

func newFakeOpenAI(t *testing.T) *fakeOpenAI {
	f := &fakeOpenAI{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(body), `"stream":true`) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"c","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hello world"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":8,"total_tokens":20}}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		io.WriteString(w, `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"},"finish_reason":null}]}`+"\n\n")
		fl.Flush()
		if f.release != nil {
			select {
			case <-f.release:
			case <-r.Context().Done():
				if f.gone != nil {
					close(f.gone)
				}
				return
			}
		}
		io.WriteString(w, `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":" world"},"finish_reason":"stop"}]}`+"\n\n")
		io.WriteString(w, `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":8,"total_tokens":20}}`+"\n\n")
		io.WriteString(w, "data: [DONE]\n\n")
		fl.Flush()
	}))
	t.Cleanup(f.Close)
	return f
}

// jobWorld sets up alias "smart" (openai/gpt-4o at the fake upstream)
// granted to team t in the given budget mode with the given credits, and
// returns t's key.
func jobWorld(t *testing.T, h *harness, up *fakeOpenAI, mode string, credits string) string {
	t.Helper()
	h.admin("POST", "/api/provider-credentials/create", fmt.Sprintf(`{"provider": "openai", "credential_name": "default", "api_key": "sk-test", "api_base": %q}`, up.URL), 201)
	h.admin("POST", "/api/model-aliases/create", `{"alias": "smart", "litellm_model": "openai/gpt-4o"}`, 201)
	h.admin("POST", "/api/model-access-groups/create", `{"group_name": "g", "model_aliases": ["smart"]}`, 201)
	h.admin("POST", "/api/organizations/create", `{"organization_id": "o", "name": "O"}`, 201)
	team := h.admin("POST", "/api/teams/create", `{"organization_id": "o", "team_id": "t", "access_groups": ["g"], "budget_mode": "`+mode+`", "credits_allocated": `+credits+`}`, 201)
	return team["virtual_key"].(string)
}

const helloCall = `{"model": "smart", "messages": [{"role": "user", "content": "Say hello"}], "purpose": "greeting", "call_metadata": {"step": 1}}`

func TestJobLifecycle(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		up := newFakeOpenAI(t)
		key := jobWorld(t, h, up, "job_based", "3")
		r := h.do("POST", "/api/jobs/create", key, `{"team_id": "t", "job_type": "summarize", "user_id": "u1", "metadata": {"doc": 7}}`)
		if r.Status != 201 || r.Body["status"] != "pending" {
			t.Fatalf("create: %s", r.Raw)
		}
		job := r.Body["job_id"].(string)
		if b := h.admin("GET", "/api/teams/t", "", 200); b["credits_remaining"] != float64(2) || b["credits_held"] != float64(1) {
			t.Fatalf("a job_based job holds one credit: %v", b)
		}
		call := h.do("POST", "/api/jobs/"+job+"/llm-call", key, helloCall)
		if call.Status != 200 || call.Body["content"] != "Hello world" || call.Body["finish_reason"] != "stop" || call.Body["call_id"] == "" {
			t.Fatalf("call: %s", call.Raw)
		}
		if call.Body["credits_remaining"] != float64(2) {
			t.Fatalf("credits_remaining after a call in an open job_based job: %v, want 2 (3 less the job's hold)", call.Body["credits_remaining"])
		}
		usage := call.Body["usage"].(map[string]any)
		if usage["prompt_tokens"] != float64(12) || usage["completion_tokens"] != float64(8) || usage["source"] != "provider" {
			t.Fatalf("usage: %v", usage)
		}
		if cost, _ := call.Body["cost_usd"].(float64); cost <= 0 {
			t.Fatalf("every call has a cost: %v", call.Body["cost_usd"])
		}
		if j := h.do("GET", "/api/jobs/"+job, key, ""); j.Body["status"] != "in_progress" {
			t.Fatalf("after a call: %s", j.Raw)
		}
		done := h.do("POST", "/api/jobs/"+job+"/complete", key, `{"status": "completed", "metadata": {"result": "ok"}}`)
		if done.Status != 200 || done.Body["status"] != "completed" || done.Body["credits_charged"] != float64(1) {
			t.Fatalf("complete: %s", done.Raw)
		}
		again := h.do("POST", "/api/jobs/"+job+"/complete", key, `{"status": "completed"}`)
		if again.Body["credits_charged"] != float64(1) {
			t.Fatalf("second completion: %s", again.Raw)
		}
		if b := h.admin("GET", "/api/teams/t", "", 200); b["credits_remaining"] != float64(2) || b["credits_held"] != float64(0) {
			t.Fatalf("after completion: %v", b)
		}
		if r := h.do("POST", "/api/jobs/"+job+"/llm-call", key, helloCall); r.Status != 409 {
			t.Fatalf("call on a finished job: %d %s", r.Status, r.Raw)
		}
		costs := h.do("GET", "/api/jobs/"+job+"/costs", key, "")
		calls := costs.Body["calls"].([]any)
		if len(calls) != 1 || calls[0].(map[string]any)["purpose"] != "greeting" || calls[0].(map[string]any)["provider_model"] != "gpt-4o" {
			t.Fatalf("costs: %s", costs.Raw)
		}
		if list := h.do("GET", "/api/teams/t/jobs?status=completed", key, ""); list.Body["total"] != float64(1) {
			t.Fatalf("team jobs: %s", list.Raw)
		}
		if r := h.do("PATCH", "/api/jobs/"+job+"/metadata", key, `{"metadata": {"doc": null, "x": 1}}`); r.Body["metadata"].(map[string]any)["x"] != float64(1) {
			t.Fatalf("metadata: %s", r.Raw)
		}

		// Usage statistics, as the seed shows them and per team.
		alias := h.admin("GET", "/api/model-aliases/smart", "", 200)
		stats := alias["usage_stats"].(map[string]any)
		if alias["usage_count"] != float64(1) || stats["total_calls"] != float64(1) || stats["avg_tokens_per_call"] != float64(20) || stats["total_cost_usd"].(float64) <= 0 {
			t.Fatalf("alias usage: %v", alias)
		}
		if l := h.admin("GET", "/api/model-aliases", "", 200)["aliases"].([]any); l[0].(map[string]any)["usage_count"] != float64(1) {
			t.Fatalf("alias list usage_count: %v", l)
		}
		tu := h.do("GET", "/api/teams/t/usage?period="+time.Now().UTC().Format("2006-01"), key, "")
		totals := tu.Body["totals"].(map[string]any)
		if tu.Status != 200 || tu.Body["jobs_completed"] != float64(1) || totals["calls"] != float64(1) || totals["total_tokens"] != float64(20) || totals["credits_charged"] != float64(1) {
			t.Fatalf("team usage: %s", tu.Raw)
		}
		byType := tu.Body["by_job_type"].([]any)[0].(map[string]any)
		byModel := tu.Body["by_model"].([]any)[0].(map[string]any)
		byDay := tu.Body["by_day"].([]any)[0].(map[string]any)
		if byType["key"] != "summarize" || byType["jobs"] != float64(1) || byModel["key"] != "smart" || byDay["key"] != time.Now().UTC().Format("2006-01-02") {
			t.Fatalf("breakdowns: %v %v %v", byType, byModel, byDay)
		}
		if r := h.do("GET", "/api/teams/t/usage?period=1999-01", key, ""); r.Body["totals"].(map[string]any)["calls"] != float64(0) {
			t.Fatalf("another month: %s", r.Raw)
		}
	})
}

// A team at zero credits is refused with 402 before any provider is
// called.
func TestNoCreditsNoProviderCall(t *testing.T) {
	for _, mode := range []string{"job_based", "consumption_usd", "consumption_tokens"} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t, storetest.OpenSQLite(t))
			up := newFakeOpenAI(t)
			key := jobWorld(t, h, up, mode, "0")
			r := h.do("POST", "/api/jobs/create-and-call", key, helloCall)
			if e := errorOf(t, r); r.Status != 402 || e["code"] != "insufficient_credits" {
				t.Fatalf("%d %s", r.Status, r.Raw)
			}
			if mode != "job_based" {
				job := h.do("POST", "/api/jobs/create", key, `{}`).Body["job_id"].(string)
				if r := h.do("POST", "/api/jobs/"+job+"/llm-call", key, helloCall); r.Status != 402 {
					t.Fatalf("call: %d %s", r.Status, r.Raw)
				}
			}
			if n := up.hits.Load(); n != 0 {
				t.Fatalf("the provider was called %d times for a team without credits", n)
			}
		})
	}
}

// readSSE reads events until [DONE], returning the data payloads.
func readSSE(t *testing.T, body io.Reader) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(body)
	for sc.Scan() {
		line := sc.Text()
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			out = append(out, data)
			if data == "[DONE]" {
				return out
			}
		}
	}
	return out
}

// The same usage costs the same whether it was streamed or not.
func TestStreamedAndPlainCostTheSame(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		up := newFakeOpenAI(t)
		key := jobWorld(t, h, up, "consumption_usd", "100")
		h.admin("PUT", "/api/teams/t", `{"metadata": {}}`, 200)
		job := h.do("POST", "/api/jobs/create", key, `{}`).Body["job_id"].(string)
		plain := h.do("POST", "/api/jobs/"+job+"/llm-call", key, helloCall)
		if plain.Status != 200 {
			t.Fatalf("plain: %s", plain.Raw)
		}
		req, _ := http.NewRequest("POST", h.Server.URL+"/api/jobs/"+job+"/llm-call-stream", strings.NewReader(helloCall))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("content type %q", ct)
		}
		events := readSSE(t, resp.Body)
		if len(events) < 3 || events[len(events)-1] != "[DONE]" {
			t.Fatalf("events: %v", events)
		}
		var text strings.Builder
		for _, e := range events[:len(events)-2] {
			var d struct{ Type, Content string }
			_ = jsonUnmarshal(e, &d)
			text.WriteString(d.Content)
		}
		var done struct {
			Type           string
			CallID         string `json:"call_id"`
			Usage          map[string]any
			CostUSD        float64 `json:"cost_usd"`
			CreditsCharged float64 `json:"credits_charged"`
		}
		if err := jsonUnmarshal(events[len(events)-2], &done); err != nil || done.Type != "done" {
			t.Fatalf("final event %q: %v", events[len(events)-2], err)
		}
		if text.String() != "Hello world" {
			t.Errorf("streamed text %q", text.String())
		}
		if done.CostUSD != plain.Body["cost_usd"].(float64) || done.CreditsCharged != plain.Body["credits_charged"].(float64) ||
			done.Usage["total_tokens"] != plain.Body["usage"].(map[string]any)["total_tokens"] || done.Usage["source"] != "provider" {
			t.Fatalf("streamed %+v vs plain %s", done, plain.Raw)
		}
		costs := h.do("GET", "/api/jobs/"+job+"/costs", key, "")
		calls := costs.Body["calls"].([]any)
		if len(calls) != 2 || calls[0].(map[string]any)["cost_usd"] != calls[1].(map[string]any)["cost_usd"] {
			t.Fatalf("recorded costs differ: %s", costs.Raw)
		}
	})
}

// Over HTTP, the first token reaches the client while the upstream is
// still holding the rest; a client that leaves cancels the upstream and
// the call is still recorded.
func TestStreamPassThroughAndDisconnect(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite(t))
	up := newFakeOpenAI(t)
	up.release, up.gone = make(chan struct{}), make(chan struct{})
	key := jobWorld(t, h, up, "consumption_tokens", "100")
	job := h.do("POST", "/api/jobs/create", key, `{}`).Body["job_id"].(string)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", h.Server.URL+"/api/jobs/"+job+"/llm-call-stream", strings.NewReader(helloCall))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				first <- d
				return
			}
		}
		first <- ""
	}()
	select {
	case d := <-first:
		if !strings.Contains(d, `"content":"Hello"`) {
			t.Fatalf("first event %q", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the first event did not arrive while the upstream held the rest: the stream is buffered")
	}
	cancel() // the client goes away
	resp.Body.Close()
	select {
	case <-up.gone:
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream request was not cancelled when the client left")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		costs := h.do("GET", "/api/jobs/"+job+"/costs", key, "")
		if calls, _ := costs.Body["calls"].([]any); len(calls) == 1 {
			c := calls[0].(map[string]any)
			if c["usage_source"] != "estimated" || c["status"] != "error" || c["completion_tokens"].(float64) < 1 {
				t.Fatalf("abandoned call record: %v", c)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no record of the abandoned stream")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if j := h.do("GET", "/api/jobs/"+job, key, ""); j.Body["credits_reserved"] != float64(0) {
		t.Fatalf("the abandoned call's reservation was not settled: %s", j.Raw)
	}
}

// A key only ever reaches its own team's jobs.
func TestJobsAreIsolatedBetweenTeams(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite(t))
	up := newFakeOpenAI(t)
	keyA := jobWorld(t, h, up, "job_based", "5")
	keyB := h.admin("POST", "/api/teams/create", `{"organization_id": "o", "team_id": "b", "access_groups": ["g"], "credits_allocated": 5}`, 201)["virtual_key"].(string)
	job := h.do("POST", "/api/jobs/create", keyA, `{}`).Body["job_id"].(string)
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/jobs/" + job, ""},
		{"GET", "/api/jobs/" + job + "/costs", ""},
		{"POST", "/api/jobs/" + job + "/llm-call", helloCall},
		{"POST", "/api/jobs/" + job + "/complete", `{"status": "cancelled"}`},
		{"PATCH", "/api/jobs/" + job + "/metadata", `{"metadata": {"x": 1}}`},
	} {
		if r := h.do(c.method, c.path, keyB, c.body); r.Status != 404 {
			t.Errorf("team b %s %s: %d %s", c.method, c.path, r.Status, r.Raw)
		}
	}
	if r := h.do("POST", "/api/jobs/create", keyB, `{"team_id": "t"}`); r.Status != 403 {
		t.Errorf("job for another team: %d", r.Status)
	}
	if r := h.do("GET", "/api/teams/t/jobs", keyB, ""); r.Status != 403 {
		t.Errorf("another team's job list: %d", r.Status)
	}
	if up.hits.Load() != 0 {
		t.Errorf("provider called on another team's job")
	}
	if r := h.do("GET", "/api/credits/teams/t/balance", keyB, ""); r.Status != 403 {
		t.Errorf("another team's balance: %d", r.Status)
	}
	if r := h.do("GET", "/api/credits/teams/b/balance", keyB, ""); r.Status != 200 || r.Body["credits_remaining"] != float64(5) {
		t.Errorf("own balance: %d %s", r.Status, r.Raw)
	}
	if r := h.do("GET", "/api/credits/teams/t/transactions", keyB, ""); r.Status != 403 {
		t.Errorf("another team's ledger: %d", r.Status)
	}
}

// Bodies are kept only when the operator turns it on, and purged after
// their retention while the rest of the record stays.
func TestStoredBodies(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite(t))
	up := newFakeOpenAI(t)
	key := jobWorld(t, h, up, "job_based", "5")
	ctx := context.Background()
	job := h.do("POST", "/api/jobs/create", key, `{}`).Body["job_id"].(string)
	off := h.do("POST", "/api/jobs/"+job+"/llm-call", key, helloCall).Body["call_id"].(string)
	if req, resp, err := h.DB.CallBodies(ctx, off); err != nil || req != nil || resp != nil {
		t.Fatalf("bodies stored by default: %v %v %v", req, resp, err)
	}
	h.Meter.StoreBodies = true
	on := h.do("POST", "/api/jobs/"+job+"/llm-call", key, helloCall).Body["call_id"].(string)
	req, resp, err := h.DB.CallBodies(ctx, on)
	if err != nil || req == nil || !strings.Contains(*req, "Say hello") || resp == nil || !strings.Contains(*resp, "Hello world") {
		t.Fatalf("stored bodies: %v %v %v", req, resp, err)
	}
	if n, err := h.DB.PurgeBodies(ctx, -time.Hour); err != nil || n != 1 {
		t.Fatalf("purged %d, %v", n, err)
	}
	if req, resp, _ := h.DB.CallBodies(ctx, on); req != nil || resp != nil {
		t.Fatal("bodies survived their retention")
	}
	if ok, _ := h.DB.CallRecorded(ctx, on); !ok {
		t.Fatal("purging removed the call record")
	}
}

// Rate limits per team and per key answer 429 with Retry-After before any
// provider call.
func TestRateLimits(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite(t))
	up := newFakeOpenAI(t)
	key := jobWorld(t, h, up, "job_based", "100")
	h.admin("PUT", "/api/teams/t", `{"rate_limits": {"requests_per_minute": 2}}`, 200)
	job := h.do("POST", "/api/jobs/create", key, `{}`).Body["job_id"].(string)
	for i := range 2 {
		if r := h.do("POST", "/api/jobs/"+job+"/llm-call", key, helloCall); r.Status != 200 {
			t.Fatalf("call %d: %s", i, r.Raw)
		}
	}
	r := h.do("POST", "/api/jobs/"+job+"/llm-call", key, helloCall)
	if e := errorOf(t, r); r.Status != 429 || e["code"] != "rate_limited" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("third call: %d %s (Retry-After %q)", r.Status, r.Raw, r.Header.Get("Retry-After"))
	}
	if up.hits.Load() != 2 {
		t.Fatalf("the provider saw %d calls, want 2", up.hits.Load())
	}
	// A key's own limit applies on top of its team's.
	h.admin("PUT", "/api/teams/t", `{"rate_limits": {}}`, 200)
	k2 := h.admin("POST", "/api/teams/t/keys", `{"name": "slow", "rate_limits": {"requests_per_minute": 1}}`, 201)["virtual_key"].(string)
	if r := h.do("POST", "/api/jobs/"+job+"/llm-call", k2, helloCall); r.Status != 200 {
		t.Fatalf("slow key first call: %s", r.Raw)
	}
	if r := h.do("POST", "/api/jobs/"+job+"/llm-call", k2, helloCall); r.Status != 429 {
		t.Fatalf("slow key second call: %d", r.Status)
	}
	if r := h.do("POST", "/api/jobs/"+job+"/llm-call", key, helloCall); r.Status != 200 {
		t.Fatalf("the other key is not limited: %s", r.Raw)
	}
}

// A replica whose in-memory view of a team's budget mode is stale (the
// mode changed moments ago) still charges the job the way it is paid.
func TestStaleBudgetModeIsCorrected(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite(t))
	up := newFakeOpenAI(t)
	key := jobWorld(t, h, up, "job_based", "100")
	mode := "consumption_tokens"
	ctx := context.Background()
	// Change the mode behind the in-memory state's back.
	if _, err := h.DB.SetTeamRates(ctx, "t", gatehouseTeamRates(&mode)); err != nil {
		t.Fatal(err)
	}
	job := h.do("POST", "/api/jobs/create", key, `{}`).Body["job_id"].(string)
	if r := h.do("POST", "/api/jobs/"+job+"/llm-call", key, helloCall); r.Status != 200 {
		t.Fatalf("call: %s", r.Raw)
	}
	done := h.do("POST", "/api/jobs/"+job+"/complete", key, `{"status": "completed"}`)
	// 20 tokens at 10 000 tokens per credit = 0.002 credits, not job_based's 1.
	if done.Body["budget_mode"] != mode || done.Body["credits_charged"] != 0.002 {
		t.Fatalf("job: %s", done.Raw)
	}
}

// A single-call job (create-and-call, plain or streamed) ends with its
// call: completed and charged when the call succeeded, failed and free
// when the provider failed. The answer reports the team's credits left.
func TestSingleCallJobsEndWithTheirCall(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		up := newFakeOpenAI(t)
		key := jobWorld(t, h, up, "job_based", "3")
		lastJob := func() map[string]any {
			t.Helper()
			jobs := h.do("GET", "/api/teams/t/jobs", key, "").Body["jobs"].([]any)
			return jobs[0].(map[string]any)
		}

		plain := h.do("POST", "/api/jobs/create-and-call", key, helloCall)
		job, _ := plain.Body["job"].(map[string]any)
		if plain.Status != 200 || job["status"] != "completed" || plain.Body["credits_charged"] != float64(1) || plain.Body["credits_remaining"] != float64(2) {
			t.Fatalf("create-and-call: %s", plain.Raw)
		}

		resp := h.do("POST", "/api/jobs/create-and-call-stream", key, helloCall)
		events := readSSE(t, strings.NewReader(resp.Raw))
		if len(events) < 2 {
			t.Fatalf("stream: %s", resp.Raw)
		}
		var done struct {
			Type             string
			CreditsCharged   float64 `json:"credits_charged"`
			CreditsRemaining float64 `json:"credits_remaining"`
			Job              struct{ Status string }
		}
		if err := jsonUnmarshal(events[len(events)-2], &done); err != nil || done.Type != "done" || done.Job.Status != "completed" ||
			done.CreditsCharged != 1 || done.CreditsRemaining != 1 {
			t.Fatalf("stream's final event %s (%v)", events[len(events)-2], err)
		}

		up.Close() // the provider is gone: calls fail, and cost nothing
		if r := h.do("POST", "/api/jobs/create-and-call", key, helloCall); r.Status < 500 {
			t.Fatalf("call to a dead provider: %d %s", r.Status, r.Raw)
		}
		if j := lastJob(); j["status"] != "failed" || j["credits_charged"] != float64(0) || j["error_message"] == "" {
			t.Fatalf("job of a failed call: %v", j)
		}
		h.do("POST", "/api/jobs/create-and-call-stream", key, helloCall)
		if j := lastJob(); j["status"] != "failed" || j["credits_charged"] != float64(0) {
			t.Fatalf("job of a failed streamed call: %v", j)
		}
		if b := h.admin("GET", "/api/teams/t", "", 200); b["credits_remaining"] != float64(1) || b["credits_held"] != float64(0) {
			t.Fatalf("team after two charged and two failed single-call jobs: %v", b)
		}
	})
}
