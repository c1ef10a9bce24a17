package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

type loggerKey struct{}

// loggerFrom returns the request's logger, which names the request's id.
// The id is added here, when a handler logs, rather than to every
// request's logger up front: most requests log only their request line.
func loggerFrom(r *http.Request) *slog.Logger {
	l, ok := r.Context().Value(loggerKey{}).(*slog.Logger)
	if !ok {
		l = slog.Default()
	}
	if id := gatehouse.RequestID(r.Context()); id != "" {
		l = l.With(slog.String("request_id", id))
	}
	return l
}

// requestIDHeader carries a request's id both ways: a client may send one
// (its own correlation id), and every response names the one used.
const requestIDHeader = "X-Request-Id"

// requestID returns the client's X-Request-Id when it is sane (1 to 128
// characters of letters, digits and -_.:/+=), so it can be logged and
// stored as it is, and a new random id otherwise.
func requestID(r *http.Request) string {
	if id := r.Header.Get(requestIDHeader); id != "" && len(id) <= 128 {
		sane := true
		for i := 0; i < len(id) && sane; i++ {
			c := id[i]
			sane = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.:/+=", c) >= 0
		}
		if sane {
			return id
		}
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
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
// raw path, which may carry ids), status, duration and the request's id.
// Headers and bodies, which carry keys, are never logged. A request whose
// client went away before its answer is logged with status 499 and
// client_closed=true. It gives every request its id (X-Request-Id on the
// response, in the context for call records), reports each request to obs
// (metrics) when set, and names the request's trace span after its route.
func logRequests(logger *slog.Logger, obs Observer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		if obs != nil {
			obs.RequestStarted()
		}
		rec := &statusRecorder{ResponseWriter: w}
		info := &requestInfo{}
		id := requestID(r)
		w.Header().Set(requestIDHeader, id)
		ctx := context.WithValue(context.WithValue(r.Context(), loggerKey{}, logger), requestInfoKey{}, info)
		ctx = gatehouse.WithRequestID(ctx, id)
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
		took := time.Since(start)
		if obs != nil {
			obs.ObserveRequest(route, r.Method, status, took)
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Float64("duration_ms", float64(took.Microseconds())/1000),
			slog.Int64("bytes", rec.bytes),
			slog.String("request_id", id),
		}
		if gone {
			attrs = append(attrs, slog.Bool("client_closed", true))
		}
		if span := trace.SpanFromContext(r.Context()); span.IsRecording() {
			if r.Pattern != "" {
				span.SetName(r.Pattern) // "{method} {route}", as OpenTelemetry's HTTP conventions name it
			}
			path := route
			if _, p, ok := strings.Cut(route, " "); ok {
				path = p // the pattern without its method
			}
			span.SetAttributes(attribute.String("http.route", path), attribute.Int("http.response.status_code", status),
				attribute.String("gatehouse.request_id", id))
			if status >= 500 && status != statusClientClosed {
				span.SetStatus(codes.Error, http.StatusText(status))
			}
			attrs = append(attrs, slog.String("trace_id", span.SpanContext().TraceID().String()))
		}
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// traceContext reads and writes the W3C Trace Context headers.
var traceContext = propagation.TraceContext{}

// traceRequests gives each request a server span, the child of the
// client's span when it sent a valid W3C traceparent (the trace then
// continues through Gatehouse to the provider). logRequests names the
// span after the route once the mux has matched it.
func traceRequests(tracer trace.Tracer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := traceContext.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path)))
		defer span.End()
		next.ServeHTTP(w, r.WithContext(ctx))
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
