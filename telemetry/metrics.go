// Package telemetry makes Gatehouse observable: Prometheus metrics (what
// it serves, what it spends, how its upstreams and its own parts behave)
// and OpenTelemetry traces. The gateway and the HTTP layer only report
// events through small observer interfaces (gateway.Observer,
// http.Observer) and the OpenTelemetry API; this package turns them into
// series and spans, and owns the metrics registry and the tracer setup.
// It holds no SQL: database pool statistics come from database/sql, the
// rest from the services' own Stats methods at scrape time.
package telemetry

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gatehouse-llm/gatehouse/gateway"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options configure the metrics.
type Options struct {
	// TeamLabels adds a team label to the per-call series (calls, tokens,
	// cost, credits, refusals). Off by default: a series per team and
	// model can reach millions on a large fleet.
	TeamLabels bool
	// Version is exported as gatehouse_build_info{version}.
	Version string
}

// Metrics holds Gatehouse's series in a registry of its own (never the
// process-wide default, so nothing registers there by accident and tests
// get a fresh set each). It implements gateway.Observer and
// http.Observer.
type Metrics struct {
	reg        *prometheus.Registry
	teamLabels bool

	httpDuration *prometheus.HistogramVec
	httpInFlight prometheus.Gauge

	attempts     *prometheus.HistogramVec
	retries      *prometheus.CounterVec
	fallbacks    *prometheus.CounterVec
	breakerSkips *prometheus.CounterVec
	ttft         *prometheus.HistogramVec

	calls          *prometheus.CounterVec
	callDuration   *prometheus.HistogramVec
	tokens         *prometheus.CounterVec
	cost           *prometheus.CounterVec
	clientCost     *prometheus.CounterVec
	creditsCharged *prometheus.CounterVec
	jobsCreated    prometheus.Counter
	jobsFinished   *prometheus.CounterVec
	refusals       *prometheus.CounterVec

	// Label children resolved once per label set, so the request path
	// does a map read instead of hashing label values into the vector.
	httpChildren    sync.Map // httpKey → prometheus.Observer
	attemptChildren sync.Map // attemptKey → *attemptChild
}

type httpKey struct {
	route, method string
	status        int
}

type attemptKey struct {
	provider, alias, deployment, outcome string
}

type attemptChild struct {
	duration                  prometheus.Observer
	retries, fallbacks, skips prometheus.Counter
}

// Latency buckets: HTTP and upstream answers run from milliseconds (the
// management API) to minutes (long generations).
var (
	latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}
	ttftBuckets    = []float64{.05, .1, .25, .5, 1, 2, 4, 8, 15, 30, 60}
)

// New returns the metrics, with Go runtime and process collectors
// registered.
func New(o Options) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{reg: reg, teamLabels: o.TeamLabels}
	f := factory{reg}
	team := func(labels ...string) []string {
		if o.TeamLabels {
			return append(labels, "team")
		}
		return labels
	}
	m.httpDuration = f.histogram("gatehouse_http_request_duration_seconds",
		"HTTP requests by route pattern, method and status (499: the client left), and how long they took; _count counts them.",
		latencyBuckets, "route", "method", "status")
	m.httpInFlight = prometheus.NewGauge(prometheus.GaugeOpts{Name: "gatehouse_http_requests_in_flight", Help: "HTTP requests being served."})
	reg.MustRegister(m.httpInFlight)

	m.attempts = f.histogram("gatehouse_upstream_attempt_duration_seconds",
		"Upstream attempts by provider, alias, deployment and outcome (ok or the failure kind), until the answer (a stream: its headers); _count counts them.",
		latencyBuckets, "provider", "alias", "deployment", "outcome")
	m.retries = f.counter("gatehouse_upstream_retries_total", "Upstream attempts that repeated a failed one on the same target.", "provider", "alias", "deployment")
	m.fallbacks = f.counter("gatehouse_upstream_fallbacks_total", "Upstream attempts on a fallback alias (the alias label) after the named one failed.", "provider", "alias", "deployment")
	m.breakerSkips = f.counter("gatehouse_upstream_breaker_skips_total", "Targets skipped because their circuit breaker was open.", "provider", "alias", "deployment")
	m.ttft = f.histogram("gatehouse_upstream_time_to_first_token_seconds", "Streamed calls: time from the call's start to its first chunk.",
		ttftBuckets, "provider", "alias")

	m.calls = f.counter("gatehouse_calls_total", "Recorded calls by provider, served alias and status (success or error).", team("provider", "alias", "status")...)
	m.callDuration = f.histogram("gatehouse_call_duration_seconds", "Recorded calls: admission to record, retries and fallbacks included.",
		latencyBuckets, "provider", "alias")
	m.tokens = f.counter("gatehouse_tokens_total", "Tokens of recorded calls by kind (prompt, completion, cached, reasoning).", team("provider", "alias", "kind")...)
	m.cost = f.counter("gatehouse_cost_micro_usd_total", "Provider cost of recorded calls, in micro-dollars (the operator's spend).", team("provider", "alias")...)
	m.clientCost = f.counter("gatehouse_client_cost_micro_usd_total", "Client cost of recorded calls (markup included), in micro-dollars.", team("provider", "alias")...)
	m.creditsCharged = f.counter("gatehouse_credits_charged_micro_total", "Credits charged to teams when their jobs completed, in micro-credits.", team()...)
	m.jobsCreated = prometheus.NewCounter(prometheus.CounterOpts{Name: "gatehouse_jobs_created_total", Help: "Jobs opened (explicit and single-call)."})
	reg.MustRegister(m.jobsCreated)
	m.jobsFinished = f.counter("gatehouse_jobs_finished_total", "Jobs ended by this replica, by final status (completed, failed, cancelled; expired jobs count as failed).", "status")
	m.refusals = f.counter("gatehouse_refusals_total",
		"Calls and jobs refused before any provider was called, by reason: a rate limit (team_/key_ + requests_per_minute, tokens_per_minute, concurrent) or credits (credits_held, credits_exhausted).",
		team("reason")...)

	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gatehouse_build_info", Help: "The running version (always 1)."}, []string{"version"})
	build.WithLabelValues(o.Version).Set(1)
	reg.MustRegister(build)
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// factory registers vectors as it makes them.
type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string, labels ...string) *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(v)
	return v
}

func (f factory) histogram(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(v)
	return v
}

// Registry is where every series lives, for collectors added by the
// caller and for tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format. With a
// token, a request must carry it as "Authorization: Bearer <token>"
// (401 otherwise); with none, whoever reaches the listener may read them,
// so an empty token only belongs on a listener of its own.
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error": {"code": "unauthorized", "message": "GET /metrics needs the metrics_token as a bearer token."}}` + "\n"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// RequestStarted implements http.Observer.
func (m *Metrics) RequestStarted() { m.httpInFlight.Inc() }

// ObserveRequest implements http.Observer.
func (m *Metrics) ObserveRequest(route, method string, status int, took time.Duration) {
	m.httpInFlight.Dec()
	k := httpKey{route, method, status}
	o, ok := m.httpChildren.Load(k)
	if !ok {
		o, _ = m.httpChildren.LoadOrStore(k, m.httpDuration.WithLabelValues(route, method, strconv.Itoa(status)))
	}
	o.(prometheus.Observer).Observe(took.Seconds())
}

func (m *Metrics) attemptChild(provider, alias, deployment, outcome string) *attemptChild {
	k := attemptKey{provider, alias, deployment, outcome}
	if c, ok := m.attemptChildren.Load(k); ok {
		return c.(*attemptChild)
	}
	c := &attemptChild{duration: m.attempts.WithLabelValues(provider, alias, deployment, outcome),
		retries: m.retries.WithLabelValues(provider, alias, deployment), fallbacks: m.fallbacks.WithLabelValues(provider, alias, deployment),
		skips: m.breakerSkips.WithLabelValues(provider, alias, deployment)}
	got, _ := m.attemptChildren.LoadOrStore(k, c)
	return got.(*attemptChild)
}

func aliasName(t gateway.Target) string {
	if t.Alias == nil {
		return ""
	}
	return t.Alias.Alias
}

// UpstreamAttempt implements gateway.Observer.
func (m *Metrics) UpstreamAttempt(e gateway.AttemptEvent) {
	c := m.attemptChild(e.Provider, aliasName(e.Target), e.Deployment, gateway.AttemptOutcome(e.Err))
	c.duration.Observe(e.Latency.Seconds())
	if e.N > 1 {
		c.retries.Inc()
	}
	if e.Fallback && e.N == 1 {
		c.fallbacks.Inc()
	}
}

// BreakerSkipped implements gateway.Observer.
func (m *Metrics) BreakerSkipped(t gateway.Target, deployment, team string) {
	m.attemptChild(t.Provider, aliasName(t), deployment, "breaker_open").skips.Inc()
}

// Refused implements gateway.Observer.
func (m *Metrics) Refused(reason, team string) {
	if m.teamLabels {
		m.refusals.WithLabelValues(reason, team).Inc()
		return
	}
	m.refusals.WithLabelValues(reason).Inc()
}
