// Package http serves Gatehouse's HTTP API: the management plane under
// /api, the client job API, and the health endpoints. Every route is listed
// in routes.go; JSON encoding, decoding and error rendering live in
// encode.go so every handler answers in the same shape.
package http

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gatehouse-llm/gatehouse"
)

// Readiness is what /ready consults: the database answers and its schema
// is the one this binary expects.
type Readiness interface {
	Ping(ctx context.Context) error
	CheckSchema(ctx context.Context) error
}

// Deps are the server's collaborators, wired by cmd/gatehouse.
type Deps struct {
	Logger    *slog.Logger
	Readiness Readiness
	Version   string
}

// NewServer returns the complete HTTP handler, middleware included.
func NewServer(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	addRoutes(mux, d)
	var h http.Handler = jsonFallbacks(mux)
	h = recoverPanics(d.Logger, h)
	h = logRequests(d.Logger, h)
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
