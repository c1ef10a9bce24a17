package http

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

type loggerKey struct{}

// loggerFrom returns the request's logger.
func loggerFrom(r *http.Request) *slog.Logger {
	if l, ok := r.Context().Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// statusRecorder remembers the status a handler wrote. Unwrap lets
// http.ResponseController reach the real writer, so streaming handlers can
// still flush through it.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// statusClientClosed is the status logged for a request whose client went
// away before it was answered (nginx's 499 "client closed request"). It
// is never sent, and never counted as a server error.
const statusClientClosed = 499

type requestInfoKey struct{}

// requestInfo is what a request's handlers tell its log line.
type requestInfo struct {
	// clientClosed is set when an answer was dropped because the client
	// had gone.
	clientClosed bool
}

// logRequests writes one line per request: method, route pattern (not the
// raw path, which may carry ids), status and duration. Headers and bodies,
// which carry keys, are never logged. A request whose client went away
// before its answer is logged with status 499 and client_closed=true.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		info := &requestInfo{}
		ctx := context.WithValue(context.WithValue(r.Context(), loggerKey{}, logger), requestInfoKey{}, info)
		r = r.WithContext(ctx)
		next.ServeHTTP(rec, r)
		gone := r.Context().Err() != nil
		status := rec.status
		switch {
		case info.clientClosed || (status == 0 && gone):
			status = statusClientClosed
		case status == 0:
			status = http.StatusOK
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.Int64("bytes", rec.bytes),
		}
		if gone {
			attrs = append(attrs, slog.Bool("client_closed", true))
		}
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// recoverPanics turns a handler panic into a 500 in the standard shape and
// a logged stack trace, instead of a dropped connection.
func recoverPanics(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.Error("panic serving request", "method", r.Method, "route", r.Pattern, "panic", v, "stack", string(debug.Stack()))
				writeError(w, r, gatehouse.Errorf(gatehouse.EINTERNAL, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}
