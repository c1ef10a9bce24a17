package http

import "net/http"

// addRoutes is the whole API surface in one place.
func addRoutes(mux *http.ServeMux, d Deps) {
	mux.Handle("GET /health", handleHealth())
	mux.Handle("GET /ready", handleReady(d.Readiness))
	mux.Handle("GET /version", handleVersion(d.Version))
}
