package http

// The fault matrix: a scripted OpenAI-format upstream misbehaves in every
// way the issue lists, for plain and streamed calls on every ingress
// (/v1/chat/completions, /v1/messages, the job API's llm-call and
// llm-call-stream). Each cell checks what the client is told, what is
// recorded (status, attempts, tokens, usage source, cost), the job's
// state and charge, and that a tenant of another organization using the
// same provider credential and model is unaffected.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/gateway"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// Timeouts of the fault tests: small, so a stall costs under a second,
// yet far above what a loopback upstream needs even on a loaded machine
// (a healthy attempt cut by them would show as a second attempt).
const (
	faultFirstByte = 750 * time.Millisecond
	faultIdle      = 750 * time.Millisecond
	faultTotal     = 6 * time.Second
	faultMaxBody   = 32 << 10
)

// faultGateway replaces the harness's gateway with one whose limits are
// the fault tests' small values (retry backoff shortened to match); the
// breakers keep their production settings.
func faultGateway(h *harness) {
	eps := gateway.NewEndpoints(nil, gateway.Timeouts{Connect: time.Second, FirstByte: faultFirstByte, Idle: faultIdle, MaxBody: faultMaxBody})
	h.Meter.Gateway = gateway.New(gateway.DefaultRegistry(), eps, h.State, gateway.Options{TotalTimeout: faultTotal,
		Retry: gateway.RetryPolicy{MaxAttempts: 3, BaseDelay: 20 * time.Millisecond, MaxDelay: 100 * time.Millisecond, MaxRetryAfter: 30 * time.Second}})
}

// faultUpstream is an OpenAI-compatible upstream whose answer is scripted
// by the request's text: "fault:<name>:<id>" plays fault name, counting
// requests per id (for "500 then 200"); any other text gets a healthy
// answer of "Hello world" with usage 12 + 8.
type faultUpstream struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

var faultPattern = regexp.MustCompile(`fault:([a-z-]+):([0-9]+)`)

const (
	okChunk1    = `{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"},"finish_reason":null}]}`
	okChunk2    = `{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":" world"},"finish_reason":"stop"}]}`
	usageChunk  = `{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":8,"total_tokens":20}}`
	okBody      = `{"id":"c","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hello world"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":8,"total_tokens":20}}`
	noUsageBody = `{"id":"c","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hello world"},"finish_reason":"stop"}]}`
)

func newFaultUpstream(t testing.TB) *faultUpstream {
	f := &faultUpstream{hits: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		stream := strings.Contains(string(body), `"stream":true`)
		m := faultPattern.FindStringSubmatch(string(body))
		if m == nil {
			healthy(w, stream, true)
			return
		}
		f.mu.Lock()
		f.hits[m[2]]++
		n := f.hits[m[2]]
		f.mu.Unlock()
		playFault(w, r, m[1], n, stream)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *faultUpstream) count(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[id]
}

func healthy(w http.ResponseWriter, stream, usage bool) {
	if !stream {
		w.Header().Set("Content-Type", "application/json")
		if usage {
			io.WriteString(w, okBody)
		} else {
			io.WriteString(w, noUsageBody)
		}
		return
	}
	events := []string{okChunk1, okChunk2}
	if usage {
		events = append(events, usageChunk)
	}
	sseEvents(w, append(events, "[DONE]")...)
}

func sseEvents(w http.ResponseWriter, events ...string) {
	w.Header().Set("Content-Type", "text/event-stream")
	for _, e := range events {
		fmt.Fprintf(w, "data: %s\n\n", e)
	}
	w.(http.Flusher).Flush()
}

// holdUntilGone blocks until the gateway gives up on the request (or a
// deadline far beyond every test timeout passes).
func holdUntilGone(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(15 * time.Second):
	}
}

// playFault answers the n-th request of one case with a fault.
func playFault(w http.ResponseWriter, r *http.Request, fault string, n int, stream bool) {
	switch fault {
	case "hang": // nothing, not even headers
		holdUntilGone(r)
	case "stall": // half an answer, then silence
		if stream {
			sseEvents(w, okChunk1)
		} else {
			w.Header().Set("Content-Length", strconv.Itoa(len(okBody)))
			io.WriteString(w, okBody[:len(okBody)/2])
			w.(http.Flusher).Flush()
		}
		holdUntilGone(r)
	case "cut": // half an answer, then the connection ends
		if stream {
			sseEvents(w, okChunk1) // and no [DONE]
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(okBody)))
		io.WriteString(w, okBody[:len(okBody)/2])
	case "malformed":
		if stream {
			sseEvents(w, okChunk1, `{"id":"c","choices":[{"index":0,"delta":{"content":`, "[DONE]")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":"Hel`+"\n}")
	case "ratelimit":
		w.Header().Set("Retry-After", "120")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"error":{"message":"Rate limit reached for gpt-4o","type":"requests","code":"rate_limit_exceeded"}}`)
	case "flaky": // 500, then a good answer
		if n == 1 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"error":{"message":"The server had an error","type":"server_error","code":null}}`)
			return
		}
		healthy(w, stream, true)
	case "auth":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":{"message":"Incorrect API key provided: sk-op***","type":"invalid_request_error","code":"invalid_api_key"}}`)
	case "huge": // far past the body cap; a stream as long is forwarded whole
		text := strings.Repeat("x", 1000)
		if stream {
			w.Header().Set("Content-Type", "text/event-stream")
			for range 2 * faultMaxBody / 1000 {
				fmt.Fprintf(w, "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%q},\"finish_reason\":null}]}\n\n", text)
			}
			sseEvents(w, okChunk2, usageChunk, "[DONE]")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"c","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"`)
		for range 2 * faultMaxBody / 1000 {
			io.WriteString(w, text)
			w.(http.Flusher).Flush()
		}
		io.WriteString(w, `"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":8,"total_tokens":20}}`)
	case "nousage":
		healthy(w, stream, false)
	case "down": // a model that fails every time
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"error":{"message":"The model is down","type":"server_error","code":null}}`)
	case "overloaded": // a failure reported inside the stream, as OpenRouter and others do
		sseEvents(w, okChunk1, `{"error":{"message":"Overloaded","type":"overloaded_error"}}`)
	default:
		panic("unknown fault " + fault)
	}
}

// shown is what a client was told by one call.
type shown struct {
	status     int
	header     http.Header // with a stream's trailers
	body       string      // a plain answer or a refusal
	errorEvent bool        // a started stream ended with an error event
	complete   bool        // a started stream ended the way a complete answer ends
	text       string
	usage      int64 // total tokens the answer showed, -1 if none
	usageSrc   string
}

// ingressClient makes one call on one surface and reports what it showed.
type ingressClient struct {
	name string
	// v1 surfaces end single-call jobs; the job API calls in a job the
	// test opened.
	v1   bool
	call func(t *testing.T, h *harness, key, alias, job, text string, stream bool) shown
}

var faultIngresses = []ingressClient{
	{"openai", true, func(t *testing.T, h *harness, key, alias, _, text string, stream bool) shown {
		return send(t, h, key, "/v1/chat/completions", fmt.Sprintf(`{"model":%q,"stream":%v,"messages":[{"role":"user","content":%q}]}`, alias, stream, text), readOpenAIStream)
	}},
	{"anthropic", true, func(t *testing.T, h *harness, key, alias, _, text string, stream bool) shown {
		return send(t, h, key, "/v1/messages", fmt.Sprintf(`{"model":%q,"max_tokens":256,"stream":%v,"messages":[{"role":"user","content":%q}]}`, alias, stream, text), readAnthropicStream)
	}},
	{"jobs", false, func(t *testing.T, h *harness, key, alias, job, text string, stream bool) shown {
		path := "/api/jobs/" + job + "/llm-call"
		if stream {
			path += "-stream"
		}
		return send(t, h, key, path, fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":%q}]}`, alias, text), readJobStream)
	}},
}

// send posts body and reads the answer: a JSON body, or a stream through
// read.
func send(t *testing.T, h *harness, key, path, body string, read func(*bufio.Scanner, *shown)) shown {
	t.Helper()
	req, _ := http.NewRequest("POST", h.Server.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := shown{status: resp.StatusCode, header: resp.Header, usage: -1}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		read(sc, &out)
		for k, v := range resp.Trailer {
			out.header[k] = v
		}
		return out
	}
	raw, _ := io.ReadAll(resp.Body)
	out.body = string(raw)
	var answer struct {
		Content any `json:"content"` // job API: a string; Anthropic: blocks
		Choices []struct {
			Message struct{ Content string }
		}
		Usage map[string]any
	}
	if resp.StatusCode == 200 && json.Unmarshal(raw, &answer) == nil {
		switch c := answer.Content.(type) {
		case string:
			out.text = c
		case []any:
			for _, b := range c {
				if m, ok := b.(map[string]any); ok && m["type"] == "text" {
					out.text += m["text"].(string)
				}
			}
		}
		if len(answer.Choices) > 0 {
			out.text = answer.Choices[0].Message.Content
		}
		out.usage = shownTotal(answer.Usage)
		out.usageSrc = resp.Header.Get(headerUsageSource)
	}
	return out
}

// shownTotal is the total tokens of a usage object in OpenAI's,
// Anthropic's or the job API's shape.
func shownTotal(u map[string]any) int64 {
	if u == nil {
		return -1
	}
	if v, ok := u["total_tokens"].(float64); ok {
		return int64(v)
	}
	var n float64
	for _, k := range []string{"input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"} {
		v, _ := u[k].(float64)
		n += v
	}
	return int64(n)
}

// sseLines yields each event's name and data.
func sseLines(sc *bufio.Scanner, each func(name, data string)) {
	name := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			each(name, strings.TrimPrefix(line, "data: "))
			name = ""
		}
	}
}

func readOpenAIStream(sc *bufio.Scanner, out *shown) {
	sseLines(sc, func(_, data string) {
		if data == "[DONE]" {
			out.complete = true
			return
		}
		var c struct {
			Error   any
			Choices []struct {
				Delta struct{ Content string }
			}
			Usage map[string]any
		}
		_ = json.Unmarshal([]byte(data), &c)
		if c.Error != nil {
			out.errorEvent = true
		}
		for _, ch := range c.Choices {
			out.text += ch.Delta.Content
		}
		if c.Usage != nil {
			out.usage = shownTotal(c.Usage)
		}
	})
}

func readAnthropicStream(sc *bufio.Scanner, out *shown) {
	var input, output float64
	sseLines(sc, func(name, data string) {
		var e struct {
			Message struct{ Usage map[string]float64 }
			Delta   struct{ Text string }
			Usage   map[string]float64
		}
		_ = json.Unmarshal([]byte(data), &e)
		switch name {
		case "error":
			out.errorEvent = true
		case "message_stop":
			out.complete = true
		case "content_block_delta":
			out.text += e.Delta.Text
		case "message_delta":
			input, output = e.Usage["input_tokens"]+e.Usage["cache_read_input_tokens"]+e.Usage["cache_creation_input_tokens"], e.Usage["output_tokens"]
			out.usage = int64(input + output)
		}
	})
}

func readJobStream(sc *bufio.Scanner, out *shown) {
	sawDone := false
	sseLines(sc, func(_, data string) {
		if data == "[DONE]" {
			return
		}
		var e struct {
			Type    string
			Content string
			Usage   struct {
				TotalTokens int64 `json:"total_tokens"`
				Source      string
			}
		}
		_ = json.Unmarshal([]byte(data), &e)
		switch e.Type {
		case "delta":
			out.text += e.Content
		case "error":
			out.errorEvent = true
		case "done":
			sawDone = true
			out.usage, out.usageSrc = e.Usage.TotalTokens, e.Usage.Source
		}
	})
	out.complete = sawDone && !out.errorEvent
}

// expect is one cell's expected outcome.
type expect struct {
	status      int    // HTTP status (200 once a stream started)
	retryAfter  string // Retry-After the client must get
	streamError bool   // the started stream ends with an error event, never as complete
	text        string // the text of a successful answer
	callStatus  string // recorded status
	attempts    int64  // upstream requests recorded
	source      string // recorded usage source
	tokens      bool   // tokens recorded (> 0)
	charged     bool   // the client pays for the call (its charge > 0)
}

// Outcomes shared by several faults.
var (
	refused = func(status, attempts int) expect {
		return expect{status: status, callStatus: "error", attempts: int64(attempts), source: "none"}
	}
	// A plain answer broken after the provider started it: the provider
	// likely billed it, so tokens and cost are recorded as an estimate,
	// but the client, who got nothing, pays nothing.
	brokenPlain = expect{status: 502, callStatus: "error", attempts: 1, source: "estimated", tokens: true}
	// A stream broken after its first chunk: the client saw "Hello" and
	// pays for it, and is told the answer is not complete.
	brokenStream = expect{status: 200, streamError: true, text: "Hello", callStatus: "error", attempts: 1, source: "estimated", tokens: true, charged: true}
	answered     = func(attempts int, source string) expect {
		return expect{status: 200, text: "Hello world", callStatus: "success", attempts: int64(attempts), source: source, tokens: true, charged: true}
	}
)

var faultCases = []struct {
	fault          string
	plain, streamd expect
}{
	{"hang", refused(502, 1), refused(502, 3)},
	{"stall", brokenPlain, brokenStream},
	{"cut", brokenPlain, brokenStream},
	{"malformed", brokenPlain, brokenStream},
	{"ratelimit", expect{status: 429, retryAfter: "120", callStatus: "error", attempts: 1, source: "none"},
		expect{status: 429, retryAfter: "120", callStatus: "error", attempts: 1, source: "none"}},
	{"flaky", answered(2, "provider"), answered(2, "provider")},
	{"auth", refused(502, 1), refused(502, 1)},
	{"huge", brokenPlain, expect{status: 200, text: strings.Repeat("x", 1000) + " world", callStatus: "success", attempts: 1, source: "provider", tokens: true, charged: true}},
	{"nousage", answered(1, "estimated"), answered(1, "estimated")},
}

// faultWorld sets up alias "faulty" (openai/gpt-4o at the scripted
// upstream, through the operator's one credential) for team a of org oa
// (consumption_usd, so every call's charge shows) and team b of org ob
// (job_based), and returns their keys.
func faultWorld(t *testing.T, h *harness, upstreamURL string) (keyA, keyB string) {
	h.admin("POST", "/api/provider-credentials/create", fmt.Sprintf(`{"provider": "openai", "credential_name": "operator", "api_key": "sk-operator", "api_base": %q}`, upstreamURL), 201)
	h.admin("POST", "/api/model-aliases/create", `{"alias": "faulty", "litellm_model": "openai/gpt-4o"}`, 201)
	h.admin("POST", "/api/model-access-groups/create", `{"group_name": "g", "model_aliases": ["faulty"]}`, 201)
	h.admin("POST", "/api/organizations/create", `{"organization_id": "oa", "name": "A"}`, 201)
	h.admin("POST", "/api/organizations/create", `{"organization_id": "ob", "name": "B"}`, 201)
	keyA = h.admin("POST", "/api/teams/create", `{"organization_id": "oa", "team_id": "a", "access_groups": ["g"], "budget_mode": "consumption_usd", "credits_allocated": 1000}`, 201)["virtual_key"].(string)
	keyB = h.admin("POST", "/api/teams/create", `{"organization_id": "ob", "team_id": "b", "access_groups": ["g"], "credits_allocated": 1000}`, 201)["virtual_key"].(string)
	return keyA, keyB
}

// faultModels gives each ingress its own provider model, so the three run
// in parallel without sharing a circuit breaker (whose scope is the
// credential and the model).
var faultModels = map[string]string{"openai": "gpt-4o", "anthropic": "gpt-4.1", "jobs": "gpt-4.1-mini"}

func TestFaultMatrix(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		faultGateway(h)
		up := newFaultUpstream(t)
		_, keyB := faultWorld(t, h, up.URL)
		var seq atomic.Int64
		for _, in := range faultIngresses {
			// Each ingress has its own team of its own organization
			// (consumption_usd) calling its own alias; team b of org ob
			// uses every alias, on the same credential.
			alias, team := "faulty-"+in.name, "a-"+in.name
			h.admin("POST", "/api/model-aliases/create", fmt.Sprintf(`{"alias": %q, "litellm_model": "openai/%s"}`, alias, faultModels[in.name]), 201)
			h.admin("POST", "/api/model-access-groups/g/add-models", fmt.Sprintf(`{"model_aliases": [%q]}`, alias), 200)
			h.admin("POST", "/api/organizations/create", fmt.Sprintf(`{"organization_id": "o%s", "name": "A"}`, team), 201)
			keyA := h.admin("POST", "/api/teams/create", fmt.Sprintf(`{"organization_id": "o%s", "team_id": %q, "access_groups": ["g"], "budget_mode": "consumption_usd", "credits_allocated": 1000}`, team, team), 201)["virtual_key"].(string)
			t.Run(in.name, func(t *testing.T) {
				t.Parallel()
				for _, tc := range faultCases {
					for _, stream := range []bool{false, true} {
						want, mode := tc.plain, "plain"
						if stream {
							want, mode = tc.streamd, "stream"
						}
						t.Run(mode+"/"+tc.fault, func(t *testing.T) {
							id := strconv.FormatInt(seq.Add(1), 10)
							var job string
							if !in.v1 {
								job = h.do("POST", "/api/jobs/create", keyA, `{"job_type": "fault"}`).Body["job_id"].(string)
							}
							got := in.call(t, h, keyA, alias, job, "fault:"+tc.fault+":"+id, stream)
							if in.v1 {
								job = latestJob(t, h, keyA, team)
							}
							checkShown(t, got, want)
							call := checkRecord(t, h, keyA, job, want)
							checkUsageShown(t, got, call, want)
							checkJob(t, h, keyA, job, in.v1, want)
							if up.count(id) != int(want.attempts) {
								t.Errorf("the upstream saw %d requests, the record says %d", up.count(id), want.attempts)
							}
							// Another organization's team on the same credential
							// and model is served at once; so is this team again.
							for who, key := range map[string]string{"b": keyB, team: keyA} {
								r := h.do("POST", "/v1/chat/completions", key, fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"hello"}]}`, alias))
								if r.Status != 200 || !strings.Contains(r.Raw, "Hello world") {
									t.Errorf("team %s after the fault: %d %s", who, r.Status, r.Raw)
								}
							}
						})
					}
				}
			})
		}
	})
}

// latestJob is the team's newest job.
func latestJob(t *testing.T, h *harness, key, team string) string {
	t.Helper()
	r := h.do("GET", "/api/teams/"+team+"/jobs?limit=1", key, "")
	jobs, _ := r.Body["jobs"].([]any)
	if len(jobs) == 0 {
		t.Fatalf("no job: %s", r.Raw)
	}
	return jobs[0].(map[string]any)["job_id"].(string)
}

func checkShown(t *testing.T, got shown, want expect) {
	t.Helper()
	if got.status != want.status {
		t.Fatalf("client got status %d, want %d: %s", got.status, want.status, short(got.body))
	}
	if want.retryAfter != "" && got.header.Get("Retry-After") != want.retryAfter {
		t.Errorf("Retry-After %q, want %q", got.header.Get("Retry-After"), want.retryAfter)
	}
	if want.status != 200 {
		return
	}
	isStream := got.body == "" && (got.complete || got.errorEvent || got.text != "" || got.usage >= 0)
	if want.streamError {
		if !got.errorEvent || got.complete {
			t.Fatalf("a broken stream must end with an error event and not as complete: error event %v, complete %v", got.errorEvent, got.complete)
		}
	} else if isStream && (got.errorEvent || !got.complete) {
		t.Fatalf("a sound stream ended with error event %v, complete %v", got.errorEvent, got.complete)
	}
	if want.streamError {
		if got.text != want.text {
			t.Errorf("the client saw %q before the error, want %q", short(got.text), want.text)
		}
	} else if !strings.HasSuffix(got.text, want.text) {
		t.Errorf("answer %q, want one ending %q", short(got.text), short(want.text))
	}
}

// short keeps a long text readable in a failure message.
func short(s string) string {
	if len(s) <= 80 {
		return s
	}
	return fmt.Sprintf("%s…(%d bytes)…%s", s[:40], len(s), s[len(s)-30:])
}

// checkRecord checks the job's one call record and returns it.
func checkRecord(t *testing.T, h *harness, key, job string, want expect) map[string]any {
	t.Helper()
	costs := h.do("GET", "/api/jobs/"+job+"/costs", key, "")
	calls, _ := costs.Body["calls"].([]any)
	if len(calls) != 1 {
		t.Fatalf("job %s has %d call records, want 1: %s", job, len(calls), costs.Raw)
	}
	c := calls[0].(map[string]any)
	tokens, _ := c["total_tokens"].(float64)
	cost, _ := c["cost_usd"].(float64)
	clientCost, _ := c["client_cost_usd"].(float64)
	if c["status"] != want.callStatus || c["attempts"] != float64(want.attempts) || c["usage_source"] != want.source ||
		(tokens > 0) != want.tokens || (cost > 0) != want.tokens || (clientCost > 0) != want.charged {
		t.Errorf("record: status %v attempts %v usage_source %v tokens %v cost %v client cost %v;\nwant %s, %d attempts, %s, tokens %v, cost %v, client cost %v",
			c["status"], c["attempts"], c["usage_source"], tokens, cost, clientCost, want.callStatus, want.attempts, want.source, want.tokens, want.tokens, want.charged)
	}
	if want.callStatus == "error" && c["error"] == "" {
		t.Errorf("a failed call's record names no error")
	}
	return c
}

// checkUsageShown: a successful answer shows the usage that was recorded
// and charged, and says where it came from.
func checkUsageShown(t *testing.T, got shown, call map[string]any, want expect) {
	t.Helper()
	if want.callStatus != "success" {
		return
	}
	if recorded := int64(call["total_tokens"].(float64)); got.usage != recorded {
		t.Errorf("the answer shows %d tokens, the record (and the charge) %d", got.usage, recorded)
	}
	src := got.usageSrc
	if src == "" {
		src = got.header.Get(headerUsageSource) // a /v1 stream's trailer
	}
	if src != want.source {
		t.Errorf("usage source shown %q, want %q", src, want.source)
	}
}

// checkJob: a /v1 call's single-call job is completed (and charged) when
// the call succeeded, failed (and free) otherwise; a job API call leaves
// its job in progress with the call's charge accrued, which completion
// then charges.
func checkJob(t *testing.T, h *harness, key, job string, single bool, want expect) {
	t.Helper()
	j := h.do("GET", "/api/jobs/"+job, key, "").Body
	charged, _ := j["credits_charged"].(float64)
	if single {
		wantStatus := "failed"
		if want.callStatus == "success" {
			wantStatus = "completed"
		}
		if j["status"] != wantStatus || (charged > 0) != (want.callStatus == "success") || j["credits_reserved"] != float64(0) {
			t.Errorf("single-call job: %v charged %v reserved %v, want %s", j["status"], charged, j["credits_reserved"], wantStatus)
		}
		return
	}
	accrued, _ := j["credits_accrued"].(float64)
	if j["status"] != "in_progress" || (accrued > 0) != want.charged || j["credits_reserved"] != float64(0) {
		t.Errorf("job after the call: %v accrued %v reserved %v, want in_progress, accrued %v", j["status"], accrued, j["credits_reserved"], want.charged)
	}
	done := h.do("POST", "/api/jobs/"+job+"/complete", key, `{"status": "completed"}`).Body
	if done["status"] != "completed" || done["credits_charged"] != accrued {
		t.Errorf("completed job charged %v, accrued %v", done["credits_charged"], accrued)
	}
}

// One tenant cannot switch a model off for the others: team a of org oa
// hammers a failing model ("broken", openai/gpt-4o-mini) and the mock
// provider with [mock:error=500]; team b of org ob is still served on the
// same credential — its healthy model answers, and even the failing model
// is still tried for it rather than refused — and a's mock failures open
// nothing, not even for a.
func TestOneTenantCannotSwitchAModelOffForOthers(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		faultGateway(h)
		up := newFaultUpstream(t)
		keyA, keyB := faultWorld(t, h, up.URL)
		h.admin("POST", "/api/model-aliases/create", `{"alias": "echo", "litellm_model": "mock/echo"}`, 201)
		h.admin("POST", "/api/model-aliases/create", `{"alias": "broken", "litellm_model": "openai/gpt-4o-mini"}`, 201)
		h.admin("POST", "/api/model-access-groups/g/add-models", `{"model_aliases": ["echo", "broken"]}`, 200)
		chat := func(key, alias, text string) response {
			return h.do("POST", "/v1/chat/completions", key, fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":%q}]}`, alias, text))
		}
		for i := range 10 {
			if r := chat(keyA, "echo", "fail [mock:error=500]"); r.Status != 502 {
				t.Fatalf("mock failure %d: %d %s", i, r.Status, r.Raw)
			}
		}
		for _, key := range []string{keyB, keyA} {
			if r := chat(key, "echo", "still here"); r.Status != 200 || !strings.Contains(r.Raw, "still here") {
				t.Fatalf("after ten [mock:error=500]: %d %s", r.Status, r.Raw)
			}
		}

		// Two failing requests open nothing: the third is still sent.
		for i := range 3 {
			chat(keyA, "broken", "fault:down:1")
			if got, want := up.count("1"), 3*(i+1); got != want {
				t.Fatalf("after %d failing requests the upstream saw %d attempts, want %d", i+1, got, want)
			}
		}
		// a goes on: its own breaker opens (503 with Retry-After)...
		for range 4 {
			chat(keyA, "broken", "fault:down:1")
		}
		r := chat(keyA, "broken", "fault:down:1")
		if r.Status != 503 || r.Header.Get("Retry-After") == "" {
			t.Fatalf("team a's open breaker: %d %s (Retry-After %q)", r.Status, r.Raw, r.Header.Get("Retry-After"))
		}
		// ...but team b's healthy model on the same credential answers,
		// for a too...
		for _, key := range []string{keyB, keyA} {
			if r := chat(key, "faulty", "hello"); r.Status != 200 {
				t.Fatalf("the healthy model: %d %s", r.Status, r.Raw)
			}
		}
		// ...and team b's request to the failing model is still sent to
		// the provider (a 502 from the model, not a 503 from a breaker a
		// opened).
		if r := chat(keyB, "broken", "fault:down:2"); r.Status != 502 || up.count("2") != 3 {
			t.Fatalf("team b on the failing model: %d %s, %d attempts", r.Status, r.Raw, up.count("2"))
		}
	})
}
