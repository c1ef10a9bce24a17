package telemetry

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/gateway"
	"github.com/gatehouse-llm/gatehouse/provider"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The handler refuses a missing or wrong token with 401 and serves the
// text format with the right one; with no token it serves anyone (for a
// listener of its own).
func TestHandlerToken(t *testing.T) {
	m := New(Options{Version: "v-test"})
	for _, c := range []struct {
		token, header string
		want          int
	}{
		{"secret-token-0123456789", "", 401},
		{"secret-token-0123456789", "Bearer wrong", 401},
		{"secret-token-0123456789", "secret-token-0123456789", 401}, // not a bearer
		{"secret-token-0123456789", "Bearer secret-token-0123456789", 200},
		{"", "", 200},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/metrics", nil)
		if c.header != "" {
			req.Header.Set("Authorization", c.header)
		}
		m.Handler(c.token).ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("token %q, Authorization %q: %d, want %d", c.token, c.header, rec.Code, c.want)
		}
		if c.want == 200 && !strings.Contains(rec.Body.String(), `gatehouse_build_info{version="v-test"} 1`) {
			t.Errorf("served metrics lack the build info:\n%.500s", rec.Body.String())
		}
	}
}

// Attempts are counted by outcome, retries and fallbacks apart; a
// breaker skip is its own counter.
func TestUpstreamAttempts(t *testing.T) {
	m := New(Options{})
	named := &gatehouse.Alias{Alias: "smart"}
	fb := &gatehouse.Alias{Alias: "backup"}
	target := gateway.Target{Alias: named, Provider: "openai", Model: "gpt-4o"}
	m.UpstreamAttempt(gateway.AttemptEvent{Target: target, Deployment: "openai/gpt-4o", N: 1, Err: &provider.Error{Kind: provider.ErrServer}, Latency: time.Second})
	m.UpstreamAttempt(gateway.AttemptEvent{Target: target, Deployment: "openai/gpt-4o", N: 2, Latency: 2 * time.Second})
	backup := gateway.Target{Alias: fb, Provider: "anthropic", Model: "claude"}
	m.UpstreamAttempt(gateway.AttemptEvent{Target: backup, Deployment: "anthropic/claude", N: 1, Fallback: true})
	m.UpstreamAttempt(gateway.AttemptEvent{Target: backup, Deployment: "anthropic/claude", N: 2, Fallback: true})
	m.BreakerSkipped(target, "openai/gpt-4o", "t")

	if got := testutil.CollectAndCount(m.attempts); got != 3 {
		t.Errorf("attempt series: %d, want 3 (openai server_error and ok, anthropic ok)", got)
	}
	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"retries openai", testutil.ToFloat64(m.retries.WithLabelValues("openai", "smart", "openai/gpt-4o")), 1},
		{"retries anthropic", testutil.ToFloat64(m.retries.WithLabelValues("anthropic", "backup", "anthropic/claude")), 1},
		{"fallbacks", testutil.ToFloat64(m.fallbacks.WithLabelValues("anthropic", "backup", "anthropic/claude")), 1},
		{"no fallback on the named alias", testutil.ToFloat64(m.fallbacks.WithLabelValues("openai", "smart", "openai/gpt-4o")), 0},
		{"skips", testutil.ToFloat64(m.breakerSkips.WithLabelValues("openai", "smart", "openai/gpt-4o")), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// Breaker states are exported at scrape time: shared ones by deployment
// and credential, teams' own as a count.
func TestWatchBreakers(t *testing.T) {
	m := New(Options{})
	m.WatchBreakers(func() []gateway.BreakerState {
		return []gateway.BreakerState{
			{Credential: "c1", Deployment: "openai/gpt-4o"},
			{Credential: "c1", Deployment: "openai/gpt-4o-mini", HalfOpen: true},
			{Credential: "c1", Deployment: "openai/gpt-4o", Team: "a"},
		}
	})
	want := `
# HELP gatehouse_upstream_team_breakers_open Teams' own circuit breakers open or half-open (each affects one team on one deployment).
# TYPE gatehouse_upstream_team_breakers_open gauge
gatehouse_upstream_team_breakers_open 1
`
	if err := testutil.GatherAndCompare(m.reg, strings.NewReader(want), "gatehouse_upstream_team_breakers_open"); err != nil {
		t.Error(err)
	}
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != "gatehouse_upstream_breaker_state" {
			continue
		}
		for _, s := range f.Metric {
			states[s.Label[1].GetValue()] = s.Gauge.GetValue() // labels sorted: credential, deployment
		}
	}
	if states["openai/gpt-4o"] != 1 || states["openai/gpt-4o-mini"] != 0.5 || len(states) != 2 {
		t.Errorf("breaker states %v, want gpt-4o open (1) and gpt-4o-mini half-open (0.5)", states)
	}
}

// With team labels, the per-call series carry the team; without, they
// do not.
func TestTeamLabels(t *testing.T) {
	for _, on := range []bool{false, true} {
		m := New(Options{TeamLabels: on})
		c := &gatehouse.Call{TeamID: "t1", Provider: "openai", Alias: "smart", ServedAlias: "smart", Status: "success",
			PromptTokens: 10, CompletionTokens: 5, CostMicroUSD: 1234, ClientCostMicro: 1500}
		m.recorded(gatehouse.CallOutcome{Call: c}, gatehouse.Settlement{})
		m.Refused(gateway.RefusedCreditsExhausted, "t1")
		fams, err := m.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			switch f.GetName() {
			case "gatehouse_calls_total", "gatehouse_tokens_total", "gatehouse_cost_micro_usd_total", "gatehouse_refusals_total":
				for _, s := range f.Metric {
					team := ""
					for _, l := range s.Label {
						if l.GetName() == "team" {
							team = l.GetValue()
						}
					}
					if (team == "t1") != on {
						t.Errorf("team labels %v: %s has team %q", on, f.GetName(), team)
					}
				}
			}
		}
		labels := []string{"openai", "smart"}
		if on {
			labels = append(labels, "t1")
		}
		if got := testutil.ToFloat64(m.cost.WithLabelValues(labels...)); got != 1234 {
			t.Errorf("team labels %v: cost %v, want 1234", on, got)
		}
	}
}

// The request path's observer keeps one child per label set.
func TestObserveRequest(t *testing.T) {
	m := New(Options{})
	for range 3 {
		m.RequestStarted()
		m.ObserveRequest("POST /v1/chat/completions", "POST", 200, 10*time.Millisecond)
	}
	m.RequestStarted()
	m.ObserveRequest("unmatched", "GET", http.StatusNotFound, time.Millisecond)
	if got := testutil.CollectAndCount(m.httpDuration); got != 2 {
		t.Errorf("series: %d, want 2", got)
	}
	if got := testutil.ToFloat64(m.httpInFlight); got != 0 {
		t.Errorf("in flight after every request ended: %v", got)
	}
}
