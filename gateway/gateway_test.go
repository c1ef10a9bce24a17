package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/provider"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/state"
)

// upstream is a fake OpenAI-compatible server whose behaviour per request
// is scripted by the test.
type upstream struct {
	*httptest.Server
	hits   atomic.Int64
	mu     sync.Mutex
	models []string
	script func(n int64, w http.ResponseWriter, r *http.Request)
}

func newUpstream(t *testing.T, script func(n int64, w http.ResponseWriter, r *http.Request)) *upstream {
	u := &upstream{script: script}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := u.hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		if i := strings.Index(string(body), `"model":"`); i >= 0 {
			rest := string(body)[i+9:]
			u.models = append(u.models, rest[:strings.Index(rest, `"`)])
		}
		u.mu.Unlock()
		u.script(n, w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

func okChat(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":%q},"finish_reason":"stop"}],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}`, text)
}

func failWith(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"message":%q,"type":"server_error","code":null}}`, msg)
}

// world is a control plane with team t (key "k") granted aliases
// "primary" (→ openai/gpt-4 at primaryURL) with fallback "backup"
// (→ openai_compatible/backup-model at backupURL).
func world(primaryURL, backupURL string) (*state.State, *state.Caller) {
	d := &gatehouse.StateData{
		Version:       1,
		Organizations: []*gatehouse.Organization{{ID: "o", Status: gatehouse.StatusActive}},
		Teams:         []*gatehouse.Team{{ID: "t", OrganizationID: "o", Status: gatehouse.StatusActive, AccessGroups: []string{"g"}}},
		Keys:          []*gatehouse.Key{{ID: "key", TeamID: "t", Hash: secret.HashToken("k")}},
		Aliases: []*gatehouse.Alias{
			{Alias: "primary", LiteLLMModel: "openai/gpt-4", Active: true, Fallbacks: []string{"backup"}},
			{Alias: "backup", LiteLLMModel: "openai_compatible/backup-model", Active: true},
		},
		AccessGroups: []*gatehouse.AccessGroup{{Name: "g", Active: true, ModelAliases: []string{"primary"}}},
		Credentials: []*gatehouse.Credential{
			{ID: "c1", Provider: "openai", APIKey: "sk-primary-secret", APIBase: primaryURL},
			{ID: "c2", Provider: "openai_compatible", APIKey: "sk-backup-secret", APIBase: backupURL},
		},
	}
	st := state.NewStatic(d)
	c, err := st.Snapshot().Authenticate("k", time.Now())
	if err != nil {
		panic(err)
	}
	return st, c
}

// testGateway returns a gateway whose retry waits are recorded, not slept.
func testGateway(st *state.State, o Options) (*Gateway, *[]time.Duration) {
	g := New(DefaultRegistry(), NewEndpoints(nil, Timeouts{Connect: time.Second, FirstByte: 5 * time.Second}), st, o)
	var waits []time.Duration
	var mu sync.Mutex
	g.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return g, &waits
}

func chatReq() *provider.ChatRequest {
	return &provider.ChatRequest{Messages: []provider.Message{{Role: "user", Content: provider.TextContent("hi")}}}
}

func TestChatFaults(t *testing.T) {
	tests := []struct {
		name         string
		primary      func(n int64, w http.ResponseWriter, r *http.Request)
		closePrimary bool
		wantText     string // "" = expect an error
		wantErrKind  provider.ErrorKind
		wantPrimary  int64 // requests the primary upstream saw
		wantBackup   int64
		wantWaits    []time.Duration // exact waits; nil = don't check
		wantNWaits   int
	}{
		{name: "success", primary: func(n int64, w http.ResponseWriter, r *http.Request) { okChat(w, "hello") },
			wantText: "hello", wantPrimary: 1},
		{name: "500 then success is retried", primary: func(n int64, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				failWith(w, 500, "boom")
				return
			}
			okChat(w, "second time")
		}, wantText: "second time", wantPrimary: 2, wantNWaits: 1},
		{name: "429 honours Retry-After", primary: func(n int64, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				w.Header().Set("Retry-After", "2")
				failWith(w, 429, "slow down")
				return
			}
			okChat(w, "after wait")
		}, wantText: "after wait", wantPrimary: 2, wantWaits: []time.Duration{2 * time.Second}},
		{name: "persistent 500 falls back after retries", primary: func(n int64, w http.ResponseWriter, r *http.Request) {
			failWith(w, 503, "down")
		}, wantText: "from backup", wantPrimary: 3, wantBackup: 1, wantNWaits: 2},
		// The provider answered 200: it did the work, so neither a retry nor
		// a fallback (a second billed generation) may follow.
		{name: "malformed JSON is neither retried nor fallen back", primary: func(n int64, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id": "x", "choices": [`)
		}, wantErrKind: provider.ErrBadResponse, wantPrimary: 1},
		{name: "400 is neither retried nor fallen back", primary: func(n int64, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"message":"messages: too long","type":"invalid_request_error"}}`)
		}, wantErrKind: provider.ErrBadRequest, wantPrimary: 1},
		{name: "connection refused is retried then falls back", closePrimary: true,
			wantText: "from backup", wantBackup: 1, wantNWaits: 2},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			primary := newUpstream(t, func(n int64, w http.ResponseWriter, r *http.Request) {
				if tt.primary != nil {
					tt.primary(n, w, r)
				}
			})
			backup := newUpstream(t, func(n int64, w http.ResponseWriter, r *http.Request) { okChat(w, "from backup") })
			if tt.closePrimary {
				primary.Close()
			}
			st, caller := world(primary.URL, backup.URL)
			g, waits := testGateway(st, Options{})
			res, err := g.Chat(context.Background(), caller, "primary", chatReq())
			if tt.wantText != "" {
				if err != nil {
					t.Fatalf("Chat: %v", err)
				}
				if got := res.Response.Message.Content.Text(); got != tt.wantText {
					t.Errorf("text = %q, want %q", got, tt.wantText)
				}
			} else {
				pe, ok := provider.AsError(err)
				if !ok || pe.Kind != tt.wantErrKind {
					t.Fatalf("err = %v, want kind %s", err, tt.wantErrKind)
				}
				if ce := ClientError(err); tt.wantErrKind == provider.ErrBadRequest &&
					(gatehouse.ErrorCode(ce) != gatehouse.EINVALID || !strings.Contains(gatehouse.ErrorMessage(ce), "messages: too long")) {
					t.Errorf("client error %v must keep the provider's message", ce)
				}
			}
			if got := primary.hits.Load(); got != tt.wantPrimary {
				t.Errorf("primary saw %d requests, want %d", got, tt.wantPrimary)
			}
			if got := backup.hits.Load(); got != tt.wantBackup {
				t.Errorf("backup saw %d requests, want %d", got, tt.wantBackup)
			}
			if tt.wantWaits != nil && fmt.Sprint(*waits) != fmt.Sprint(tt.wantWaits) {
				t.Errorf("waits = %v, want %v", *waits, tt.wantWaits)
			}
			if tt.wantWaits == nil && len(*waits) != tt.wantNWaits {
				t.Errorf("%d waits (%v), want %d", len(*waits), *waits, tt.wantNWaits)
			}
			for _, w := range *waits {
				if w <= 0 || w > DefaultRetryPolicy.MaxRetryAfter {
					t.Errorf("wait %v out of bounds", w)
				}
			}
			if tt.wantBackup > 0 && res != nil && res.Alias.Alias != "backup" {
				t.Errorf("served by %v, want the fallback", res.Target)
			}
			primary.mu.Lock()
			for _, m := range primary.models {
				if m != "gpt-4" {
					t.Errorf("primary received model %q, want the provider model gpt-4", m)
				}
			}
			primary.mu.Unlock()
		})
	}
}

func TestTotalTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	slow := newUpstream(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	st, caller := world(slow.URL, slow.URL)
	g, _ := testGateway(st, Options{TotalTimeout: 200 * time.Millisecond})
	start := time.Now()
	_, err := g.Chat(context.Background(), caller, "primary", chatReq())
	pe, ok := provider.AsError(err)
	if !ok || pe.Kind != provider.ErrTimeout {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("timed out after %s", d)
	}
}

// A retry waiting longer than MaxRetryAfter falls back instead.
func TestLongRetryAfterFallsBack(t *testing.T) {
	primary := newUpstream(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		failWith(w, 429, "quota")
	})
	backup := newUpstream(t, func(n int64, w http.ResponseWriter, r *http.Request) { okChat(w, "from backup") })
	st, caller := world(primary.URL, backup.URL)
	g, waits := testGateway(st, Options{})
	res, err := g.Chat(context.Background(), caller, "primary", chatReq())
	if err != nil || res.Alias.Alias != "backup" || len(*waits) != 0 || primary.hits.Load() != 1 {
		t.Fatalf("res %v err %v waits %v primary hits %d", res, err, *waits, primary.hits.Load())
	}
}

func TestAccessIsCheckedOnTheNamedAlias(t *testing.T) {
	up := newUpstream(t, func(n int64, w http.ResponseWriter, r *http.Request) { okChat(w, "x") })
	st, caller := world(up.URL, up.URL)
	g, _ := testGateway(st, Options{})
	// "backup" is only reachable as primary's fallback, never by name.
	_, err := g.Chat(context.Background(), caller, "backup", chatReq())
	if gatehouse.ErrorCode(err) != gatehouse.EFORBIDDEN || up.hits.Load() != 0 {
		t.Fatalf("err = %v, hits %d", err, up.hits.Load())
	}
}

func TestMissingCredentialIsAClearError(t *testing.T) {
	st, caller := world("", "")
	d := &gatehouse.StateData{Version: 2, Organizations: []*gatehouse.Organization{caller.Org}, Teams: []*gatehouse.Team{caller.Team},
		Keys: []*gatehouse.Key{caller.Key}, AccessGroups: []*gatehouse.AccessGroup{{Name: "g", Active: true, ModelAliases: []string{"claude"}}},
		Aliases: []*gatehouse.Alias{{Alias: "claude", LiteLLMModel: "anthropic/claude-3-opus-20240229", Active: true}}}
	_ = st
	st2 := state.NewStatic(d)
	g, _ := testGateway(st2, Options{})
	_, err := g.Chat(context.Background(), caller, "claude", chatReq())
	if gatehouse.ErrorCode(err) != gatehouse.EUNAVAILABLE || !strings.Contains(gatehouse.ErrorMessage(err), "anthropic") {
		t.Fatalf("err = %v", err)
	}
}

func sse(w http.ResponseWriter, events ...string) {
	for _, e := range events {
		fmt.Fprintf(w, "data: %s\n\n", e)
	}
	w.(http.Flusher).Flush()
}

const (
	chunkHello = `{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}`
	chunkLo    = `{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}`
	chunkUsage = `{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`
)

// The first event reaches the caller while the upstream is still waiting
// to send the next one.
func TestStreamPassThrough(t *testing.T) {
	release := make(chan struct{})
	up := newUpstream(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		sse(w, chunkHello)
		<-release
		sse(w, chunkLo, chunkUsage, "[DONE]")
	})
	st, caller := world(up.URL, up.URL)
	g, _ := testGateway(st, Options{})
	s, err := g.ChatStream(context.Background(), caller, "primary", chatReq())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := make(chan *provider.Chunk, 1)
	go func() {
		c, _ := s.Recv()
		got <- c
	}()
	select {
	case c := <-got:
		if c == nil || c.Content != "Hel" {
			t.Fatalf("first chunk %+v", c)
		}
	case <-time.After(3 * time.Second):
		close(release)
		t.Fatal("first event not delivered while the upstream held the rest: the stream is buffered")
	}
	close(release)
	var text strings.Builder
	text.WriteString("Hel")
	for {
		c, err := s.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		text.WriteString(c.Content)
	}
	sum := s.Summary()
	if text.String() != "Hello" || !sum.Complete || !sum.UsageFromProvider || sum.Usage.TotalTokens != 7 || sum.FinishReason != "stop" {
		t.Fatalf("text %q summary %+v", text.String(), sum)
	}
}

// After the first byte nothing is retried: a stream cut midway is an
// error for the caller, and the upstream is not asked again.
func TestTruncatedStreamIsNotRetried(t *testing.T) {
	up := newUpstream(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		sse(w, chunkHello)
		// the connection ends without [DONE]
	})
	st, caller := world(up.URL, up.URL)
	g, _ := testGateway(st, Options{})
	s, err := g.ChatStream(context.Background(), caller, "primary", chatReq())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if c, err := s.Recv(); err != nil || c.Content != "Hel" {
		t.Fatalf("first: %v %v", c, err)
	}
	_, err = s.Recv()
	if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.ErrStreamTruncated {
		t.Fatalf("err = %v, want a truncated stream", err)
	}
	if up.hits.Load() != 1 {
		t.Fatalf("upstream asked %d times", up.hits.Load())
	}
	if sum := s.Summary(); sum.Complete || sum.CompletionBytes != 3 || sum.UsageFromProvider {
		t.Fatalf("summary %+v", sum)
	}
}

// Failures before the first byte are retried for streams too.
func TestStreamRetriesBeforeFirstByte(t *testing.T) {
	up := newUpstream(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			failWith(w, 502, "bad gateway")
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		sse(w, chunkHello, chunkLo, chunkUsage, "[DONE]")
	})
	st, caller := world(up.URL, up.URL)
	g, _ := testGateway(st, Options{})
	s, err := g.ChatStream(context.Background(), caller, "primary", chatReq())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.Attempts) != 2 || up.hits.Load() != 2 {
		t.Fatalf("attempts %d hits %d", len(s.Attempts), up.hits.Load())
	}
}

// Closing a stream (the client went away) cancels the upstream request.
func TestStreamCloseCancelsUpstream(t *testing.T) {
	cancelled := make(chan struct{})
	up := newUpstream(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		sse(w, chunkHello)
		<-r.Context().Done()
		close(cancelled)
	})
	st, caller := world(up.URL, up.URL)
	g, _ := testGateway(st, Options{})
	s, err := g.ChatStream(context.Background(), caller, "primary", chatReq())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	select {
	case <-cancelled:
	case <-time.After(3 * time.Second):
		t.Fatal("upstream request still running after Close")
	}
	if sum := s.Summary(); sum.CompletionBytes != 3 {
		t.Fatalf("what was used must stay known: %+v", sum)
	}
}

func TestClientErrorNeverLeaksTheKey(t *testing.T) {
	up := newUpstream(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		io.WriteString(w, `{"error":{"message":"Incorrect API key provided: sk-primary-secret","type":"invalid_request_error"}}`)
	})
	st, caller := world(up.URL, "http://127.0.0.1:1")
	g, _ := testGateway(st, Options{Retry: RetryPolicy{MaxAttempts: 1}})
	_, err := g.Chat(context.Background(), caller, "primary", chatReq())
	ce := ClientError(err)
	if strings.Contains(ce.Error(), "sk-primary-secret") || strings.Contains(gatehouse.ErrorMessage(ce), "sk-primary-secret") {
		t.Fatalf("key leaked: %v", ce)
	}
	if gatehouse.ErrorCode(ce) != gatehouse.EUPSTREAM {
		t.Fatalf("auth failure upstream must be a 502 for the client: %v", ce)
	}
}
