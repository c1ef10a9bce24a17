package http

import (
	"context"
	"net/http"
	"runtime"
	"time"
)

// handleHealth is liveness: the process serves HTTP. It deliberately checks
// nothing else, so an orchestrator never restarts a gateway because its
// database blinked.
func handleHealth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// handleReady is readiness: the database answers within two seconds and
// its schema is current. Load balancers should route only to ready
// replicas.
func handleReady(rd Readiness) http.Handler {
	type check struct {
		Status string `json:"status"`
		Error  string `json:"error,omitempty"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		db, schema := check{Status: "ok"}, check{Status: "ok"}
		if err := rd.Ping(ctx); err != nil {
			db = check{Status: "failing", Error: "database unreachable"}
			schema = check{Status: "unknown"}
		} else if err := rd.CheckSchema(ctx); err != nil {
			schema = check{Status: "failing", Error: err.Error()}
		}
		status, code := "ready", http.StatusOK
		if db.Status != "ok" || schema.Status != "ok" {
			status, code = "not_ready", http.StatusServiceUnavailable
		}
		encode(w, code, map[string]any{"status": status, "checks": map[string]check{"database": db, "schema": schema}})
	})
}

// handleVersion reports the build.
func handleVersion(version string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, map[string]string{"version": version, "go": runtime.Version()})
	})
}
