package http

import (
	"net/http"
	"net/http/pprof"
	"strings"
)

// handlePprof serves Go's runtime profiles under /debug/pprof/. They show
// the process's memory, goroutines and command line, so the route is the
// owner's only and is absent unless the operator enabled it; on the API's
// own port, behind the same guard as every route, rather than on an
// unauthenticated listener of its own.
func handlePprof() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch strings.TrimPrefix(r.URL.Path, "/debug/pprof/") {
		case "cmdline":
			pprof.Cmdline(w, r)
		case "profile":
			pprof.Profile(w, r)
		case "symbol":
			pprof.Symbol(w, r)
		case "trace":
			pprof.Trace(w, r)
		default:
			pprof.Index(w, r) // the index, and every named profile (goroutine, heap, allocs, …)
		}
	})
}
