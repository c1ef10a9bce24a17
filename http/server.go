// Package http serves Gatehouse's HTTP API: the management plane under
// /api (admin credentials), the client surface (team virtual keys), and
// the health endpoints. Every route is listed in routes.go with the role
// it requires; JSON encoding, decoding and error rendering live in
// encode.go so every handler answers in the same shape.
package http

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/catalog"
	"github.com/gatehouse-llm/gatehouse/gateway"
	"github.com/gatehouse-llm/gatehouse/state"
	"go.opentelemetry.io/otel/trace"
)

// Readiness is what /ready consults: the database answers and its schema
// is the one this binary expects.
type Readiness interface {
	Ping(ctx context.Context) error
	CheckSchema(ctx context.Context) error
}

// Store is every service the API exposes; sqlstore.DB implements it.
type Store interface {
	gatehouse.OrganizationService
	gatehouse.TeamService
	gatehouse.AliasService
	gatehouse.AccessGroupService
	gatehouse.CredentialService
	gatehouse.AdminService
	gatehouse.AuditService
	gatehouse.CreditService
	gatehouse.UsageService
	gatehouse.WebhookService
}

// CredentialTester checks that a provider accepts a credential without
// revealing it.
type CredentialTester func(ctx context.Context, c *gatehouse.Credential) error

// Deps are the server's collaborators, wired by cmd/gatehouse.
type Deps struct {
	Logger    *slog.Logger
	Readiness Readiness
	Version   string
	Store     Store
	State     *state.State
	// MasterKeyHash is the hash of the operator's master key.
	MasterKeyHash string
	// TestCredential backs POST /api/provider-credentials/{id}/test; nil
	// answers that testing is unavailable.
	TestCredential CredentialTester
	// Catalog describes known models and prices.
	Catalog *catalog.Catalog
	// SupportedProvider reports whether a provider name is supported; nil
	// accepts any.
	SupportedProvider func(name string) bool
	// Jobs runs jobs and their money; Meter runs calls inside them.
	Jobs  JobStore
	Meter *gateway.Meter
	// KeyUse records when team keys are used; nil records nothing.
	KeyUse interface {
		Used(keyID string, at time.Time)
	}
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Observer hears every request's route, status and duration
	// (metrics); nil hears nothing.
	Observer Observer
	// Tracer, when set, gives each request a server span, continuing the
	// client's W3C traceparent; nil (traces off) costs nothing.
	Tracer trace.Tracer
	// Metrics, when set, is served at GET /metrics (it checks its own
	// bearer token); nil serves no /metrics on this port.
	Metrics http.Handler
	// Pprof serves Go's runtime profiles at /debug/pprof/ to the owner
	// role (configuration key pprof; off by default).
	Pprof bool
}

// Observer hears each finished request (telemetry.Metrics implements it).
// It runs on every request, so it must be cheap and never block.
type Observer interface {
	// RequestStarted reports a request coming in; ObserveRequest follows
	// when it ends.
	RequestStarted()
	// ObserveRequest reports a finished request: its route pattern
	// ("unmatched" when none), method, status (499: the client left) and
	// duration.
	ObserveRequest(route, method string, status int, took time.Duration)
}

// server holds the dependencies shared by middleware.
type server struct {
	Deps
	logins *loginThrottle
}

// NewServer returns the complete HTTP handler, middleware included.
func NewServer(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Catalog == nil {
		d.Catalog = catalog.Default()
	}
	s := &server{Deps: d, logins: newLoginThrottle(d.Now)}
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.Method+" "+rt.Path, s.guard(rt.Access, rt.Handler))
	}
	s.mountConsole(mux)
	var h http.Handler = jsonFallbacks(mux)
	h = recoverPanics(d.Logger, h)
	h = logRequests(d.Logger, d.Observer, h)
	if d.Tracer != nil {
		h = traceRequests(d.Tracer, h)
	}
	return h
}

// jsonFallbacks answers requests no route matches (404) or whose method a
// route does not accept (405, with Allow) in the standard error shape
// instead of net/http's plain text.
func jsonFallbacks(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		probe := &headerProbe{header: make(http.Header)}
		h.ServeHTTP(probe, r)
		if probe.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", probe.header.Get("Allow"))
			writeError(w, r, &gatehouse.Error{Code: "method_not_allowed", Message: fmt.Sprintf("Method %s is not allowed on %s; allowed: %s.", r.Method, r.URL.Path, probe.header.Get("Allow"))})
			return
		}
		writeError(w, r, gatehouse.Errorf(gatehouse.ENOTFOUND, "No route for %s %s.", r.Method, r.URL.Path))
	})
}

// headerProbe captures what net/http's fallback handlers would answer.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header         { return p.header }
func (p *headerProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerProbe) WriteHeader(status int)      { p.status = status }
