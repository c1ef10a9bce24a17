package gateway

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/provider"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/state"
)

// tenants is a control plane where teams a, b and c (of organizations
// oa, ob and oc) share the operator's one OpenAI credential at url and
// may call "x" (openai/model-x), "y" (openai/model-y) and "echo"
// (mock/echo). It returns each team's caller.
func tenants(t *testing.T, url string) (*state.State, map[string]*state.Caller) {
	t.Helper()
	d := &gatehouse.StateData{
		Version: 1,
		Aliases: []*gatehouse.Alias{
			{Alias: "x", LiteLLMModel: "openai/model-x", Active: true},
			{Alias: "y", LiteLLMModel: "openai/model-y", Active: true},
			{Alias: "echo", LiteLLMModel: "mock/echo", Active: true},
		},
		AccessGroups: []*gatehouse.AccessGroup{{Name: "g", Active: true, ModelAliases: []string{"x", "y", "echo"}}},
		Credentials:  []*gatehouse.Credential{{ID: "shared", Provider: "openai", APIKey: "sk-operator", APIBase: url}},
	}
	for _, team := range []string{"a", "b", "c"} {
		d.Organizations = append(d.Organizations, &gatehouse.Organization{ID: "o" + team, Status: gatehouse.StatusActive})
		d.Teams = append(d.Teams, &gatehouse.Team{ID: team, OrganizationID: "o" + team, Status: gatehouse.StatusActive, AccessGroups: []string{"g"}})
		d.Keys = append(d.Keys, &gatehouse.Key{ID: "key-" + team, TeamID: team, Hash: secret.HashToken("k-" + team)})
	}
	st := state.NewStatic(d)
	callers := map[string]*state.Caller{}
	for _, team := range []string{"a", "b", "c"} {
		c, err := st.Snapshot().Authenticate("k-"+team, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		callers[team] = c
	}
	return st, callers
}

// modelRouter is a fake OpenAI upstream whose behaviour depends on the
// model asked for; it counts the requests each model received.
type modelRouter struct {
	hits   map[string]*atomic.Int64
	answer map[string]func(w http.ResponseWriter)
}

func newModelRouter(t *testing.T, answer map[string]func(w http.ResponseWriter)) (*modelRouter, *upstream) {
	m := &modelRouter{hits: map[string]*atomic.Int64{}, answer: answer}
	for name := range answer {
		m.hits[name] = &atomic.Int64{}
	}
	var up *upstream
	up = newUpstream(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		up.mu.Lock()
		model := up.models[len(up.models)-1] // recorded by newUpstream; requests here are sequential
		up.mu.Unlock()
		m.hits[model].Add(1)
		m.answer[model](w)
	})
	return m, up
}

func (m *modelRouter) count(model string) int64 { return m.hits[model].Load() }

// Team a hammering a failing model: its retries count as one failure per
// request, so two requests open nothing; its own breaker then spares it
// the retries, but its failures alone never switch the model off for
// team b; and the credential's other model keeps working for everyone.
func TestBreakerIsScopedToModelAndTenant(t *testing.T) {
	router, up := newModelRouter(t, map[string]func(http.ResponseWriter){
		"model-x": func(w http.ResponseWriter) { failWith(w, 500, "model x is down") },
		"model-y": func(w http.ResponseWriter) { okChat(w, "y works") },
	})
	st, callers := tenants(t, up.URL)
	now := time.Now()
	g, _ := testGateway(st, Options{BreakerThreshold: 3, BreakerOpenFor: time.Minute, Now: func() time.Time { return now }})
	ctx := context.Background()
	call := func(team, alias string) error {
		_, err := g.Chat(ctx, callers[team], alias, chatReq())
		return err
	}

	// Two failing requests (six attempts) open nothing: the third is sent.
	for i := range 3 {
		if err := call("a", "x"); err == nil {
			t.Fatal("model x answered")
		}
		if got, want := router.count("model-x"), int64(3*(i+1)); got != want {
			t.Fatalf("after %d requests model x saw %d attempts, want %d: a breaker opened early", i+1, got, want)
		}
	}

	// Three failed requests opened team a's own breaker: a is answered
	// at once with 503 and Retry-After, and the model sees nothing more.
	for range 5 {
		err := call("a", "x")
		var un *Unavailable
		if ce := ClientError(err); gatehouse.ErrorCode(ce) != gatehouse.EUNAVAILABLE || !asUnavailable(ce, &un) || un.RetryAfter <= 0 || un.RetryAfter > time.Minute {
			t.Fatalf("team a's open breaker must answer 503 with Retry-After, got %v", ce)
		}
	}
	if got := router.count("model-x"); got != 9 {
		t.Fatalf("model x saw %d attempts, want 9: team a's breaker did not open", got)
	}

	// Team b still reaches model x: a's failures alone opened nothing
	// shared.
	_ = call("b", "x")
	if got := router.count("model-x"); got != 12 {
		t.Fatalf("team b's request to model x was not sent (%d attempts): team a switched the model off for team b", got)
	}

	// Model y on the same credential works for every team, a included.
	for _, team := range []string{"a", "b", "c"} {
		if err := call(team, "y"); err != nil {
			t.Fatalf("team %s on the healthy model y: %v", team, err)
		}
	}
}

func asUnavailable(err error, target **Unavailable) bool {
	u, ok := err.(*Unavailable)
	*target = u
	return ok
}

// Failures from two teams open the shared breaker: a model that fails for
// everyone is skipped for everyone (503 with Retry-After), and after the
// open period one trial request decides.
func TestSharedBreakerNeedsTwoTenants(t *testing.T) {
	var healthy atomic.Bool
	router, up := newModelRouter(t, map[string]func(http.ResponseWriter){
		"model-x": func(w http.ResponseWriter) {
			if healthy.Load() {
				okChat(w, "x is back")
				return
			}
			failWith(w, 503, "overloaded")
		},
	})
	st, callers := tenants(t, up.URL)
	var clock atomic.Pointer[time.Time]
	start := time.Now()
	clock.Store(&start)
	g, _ := testGateway(st, Options{BreakerThreshold: 3, BreakerOpenFor: time.Minute, Retry: RetryPolicy{MaxAttempts: 1},
		Now: func() time.Time { return *clock.Load() }})
	ctx := context.Background()
	for _, team := range []string{"a", "b", "a"} {
		if _, err := g.Chat(ctx, callers[team], "x", chatReq()); err == nil {
			t.Fatal("model x answered")
		}
	}
	before := router.count("model-x")
	_, err := g.Chat(ctx, callers["c"], "x", chatReq())
	if router.count("model-x") != before {
		t.Fatal("three failing requests from two teams did not open the shared breaker")
	}
	if ce := ClientError(err); gatehouse.ErrorCode(ce) != gatehouse.EUNAVAILABLE || RetryAfter(ce) != time.Minute {
		t.Fatalf("open breaker: %v (Retry-After %s)", ce, RetryAfter(ce))
	}
	later := start.Add(2 * time.Minute)
	clock.Store(&later)
	healthy.Store(true)
	if _, err := g.Chat(ctx, callers["c"], "x", chatReq()); err != nil {
		t.Fatalf("the half-open trial: %v", err)
	}
	if _, err := g.Chat(ctx, callers["a"], "x", chatReq()); err != nil {
		t.Fatalf("after a successful trial the breaker is closed for every team: %v", err)
	}
}

// Failures that one caller's input provokes, rate limits (whose
// Retry-After is honoured instead) and mock directives never count: any
// number of them leaves the model open to every team.
func TestBreakerIgnoresCallerScopedFailures(t *testing.T) {
	cases := []struct {
		name   string
		answer func(w http.ResponseWriter)
		alias  string
		text   string
	}{
		{"400 bad request", func(w http.ResponseWriter) {
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"message":"This model's maximum context length is 8192 tokens","type":"invalid_request_error","code":"context_length_exceeded"}}`)
		}, "x", "hi"},
		{"content filter", func(w http.ResponseWriter) {
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"message":"filtered","type":"invalid_request_error","code":"content_filter"}}`)
		}, "x", "hi"},
		{"429 with Retry-After", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "1")
			failWith(w, 429, "slow down")
		}, "x", "hi"},
		{"mock directive 500", nil, "echo", "fail [mock:error=500]"},
		{"mock directive 503", nil, "echo", "fail [mock:error=503]"},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			answer := tc.answer
			if answer == nil {
				answer = func(w http.ResponseWriter) { okChat(w, "unused") }
			}
			_, up := newModelRouter(t, map[string]func(http.ResponseWriter){"model-x": answer})
			st, callers := tenants(t, up.URL)
			g, _ := testGateway(st, Options{BreakerThreshold: 2, BreakerOpenFor: time.Hour})
			ctx := context.Background()
			for i := range 6 {
				for _, team := range []string{"a", "b"} {
					req := &provider.ChatRequest{Messages: []provider.Message{{Role: "user", Content: provider.TextContent(tc.text)}}}
					_, err := g.Chat(ctx, callers[team], tc.alias, req)
					if err == nil {
						t.Fatalf("request %d of team %s succeeded", i, team)
					}
					if gatehouse.ErrorCode(ClientError(err)) == gatehouse.EUNAVAILABLE {
						t.Fatalf("request %d of team %s was refused by a breaker: %v", i, team, err)
					}
				}
			}
			if n := len(g.breakers.state); n != 0 {
				t.Fatalf("%d breakers hold counts after failures that must not count", n)
			}
		})
	}
}

// A stream's outcome is known only at its end: streams that keep being
// cut after their first chunk count as failing requests, while a client
// that leaves mid-stream says nothing about the upstream.
func TestBreakerCountsStreamsAtTheirEnd(t *testing.T) {
	var cut atomic.Bool
	up := newUpstream(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		sse(w, chunkHello)
		if !cut.Load() {
			sse(w, chunkLo, chunkUsage, "[DONE]")
		}
	})
	st, callers := tenants(t, up.URL)
	g, _ := testGateway(st, Options{BreakerThreshold: 2, BreakerOpenFor: time.Hour})
	ctx := context.Background()
	drain := func(team string) error {
		s, err := g.ChatStream(ctx, callers[team], "x", chatReq())
		if err != nil {
			return err
		}
		defer s.Close()
		for {
			if _, err := s.Recv(); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
		}
	}
	// Abandoned streams are neutral.
	for range 3 {
		s, err := g.ChatStream(ctx, callers["a"], "x", chatReq())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Recv(); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	if n := len(g.breakers.state); n != 0 {
		t.Fatalf("abandoned streams were counted: %d breakers", n)
	}
	cut.Store(true)
	for _, team := range []string{"a", "b"} {
		if err := drain(team); err == nil {
			t.Fatal("a cut stream ended cleanly")
		}
	}
	hits := up.hits.Load()
	if _, err := g.ChatStream(ctx, callers["c"], "x", chatReq()); gatehouse.ErrorCode(ClientError(err)) != gatehouse.EUNAVAILABLE || up.hits.Load() != hits {
		t.Fatalf("two cut streams from two teams (threshold 2) did not open the breaker: %v", err)
	}
}

// An open breaker answers the alias's callers through its fallback at
// once, without waiting on retries against the failing model.
func TestOpenBreakerFallsBackAtOnce(t *testing.T) {
	primary := newUpstream(t, func(n int64, w http.ResponseWriter, r *http.Request) { failWith(w, 500, "down") })
	backup := newUpstream(t, func(n int64, w http.ResponseWriter, r *http.Request) { okChat(w, "from backup") })
	st, caller := world(primary.URL, backup.URL)
	g, waits := testGateway(st, Options{BreakerThreshold: 2, BreakerOpenFor: time.Minute})
	for i := range 3 {
		res, err := g.Chat(context.Background(), caller, "primary", chatReq())
		if err != nil || res.Alias.Alias != "backup" {
			t.Fatalf("call %d: %v %v", i, res, err)
		}
	}
	// Two requests of 3 attempts each opened team t's breaker; the third
	// request skipped the primary.
	if hits := primary.hits.Load(); hits != 6 {
		t.Fatalf("primary saw %d requests, want 6", hits)
	}
	if len(*waits) != 4 {
		t.Fatalf("%d retry waits, want 4 (none in the third request): %v", len(*waits), *waits)
	}
}
