package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/gateway"
	ghttp "github.com/gatehouse-llm/gatehouse/http"
	"github.com/gatehouse-llm/gatehouse/ratelimit"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/state"
	"github.com/gatehouse-llm/gatehouse/telemetry"
	"go.opentelemetry.io/otel/trace"
)

// observability is the process's metrics and traces, each nil when off.
// Off means absent: no observer is installed, so the request path pays
// nothing for what is not configured.
type observability struct {
	metrics *telemetry.Metrics
	tracing *telemetry.Tracing
	tracer  trace.Tracer
}

// startTelemetry sets up metrics when they are served somewhere
// (metrics_addr or metrics_token) and traces when an OTLP endpoint is
// configured (otel_endpoint or OTEL_EXPORTER_OTLP_ENDPOINT).
func startTelemetry(ctx context.Context, cfg Config, getenv func(string) string, logger *slog.Logger) (*observability, error) {
	o := &observability{}
	if cfg.MetricsAddr != "" || cfg.MetricsToken != "" {
		o.metrics = telemetry.New(telemetry.Options{TeamLabels: cfg.MetricsTeamLabels, Version: gatehouse.Version})
		if cfg.MetricsAddr == "" {
			logger.Info("serving metrics on the main port at /metrics (bearer metrics_token)")
		}
	}
	if endpoint := telemetry.TracesEndpoint(cfg.OtelEndpoint, getenv); endpoint != "" {
		t, err := telemetry.StartTracing(ctx, endpoint, gatehouse.Version)
		if err != nil {
			return nil, err
		}
		o.tracing, o.tracer = t, t.Tracer()
		logger.Info("exporting traces", "endpoint", endpoint)
	}
	return o, nil
}

// shutdown exports the spans still queued.
func (o *observability) shutdown() {
	if o.tracing != nil {
		_ = o.tracing.Shutdown(5 * time.Second)
	}
}

func (o *observability) gatewayObserver() gateway.Observer {
	if o.metrics == nil {
		return nil
	}
	return o.metrics
}

func (o *observability) httpObserver() ghttp.Observer {
	if o.metrics == nil {
		return nil
	}
	return o.metrics
}

// recorder wraps the call recorder to count and trace records.
func (o *observability) recorder(r gateway.CallRecorder) gateway.CallRecorder {
	if o.metrics == nil && o.tracer == nil {
		return r
	}
	return &telemetry.Recorder{Next: r, Metrics: o.metrics, Tracer: o.tracer}
}

// jobs wraps the job store to count jobs.
func (o *observability) jobs(db *sqlstore.DB) ghttp.JobStore {
	if o.metrics == nil {
		return db
	}
	return telemetry.Jobs{JobStore: db, Metrics: o.metrics}
}

func (o *observability) jobsExpired(n int64) {
	if o.metrics != nil {
		o.metrics.JobsExpired(n)
	}
}

// mainPortMetrics is the /metrics handler of the API port: only behind
// metrics_token, and only when metrics have no listener of their own.
// Otherwise the API port has no /metrics (a JSON 404), so the metrics
// are never open by accident.
func (o *observability) mainPortMetrics(cfg Config) http.Handler {
	if o.metrics == nil || cfg.MetricsAddr != "" || cfg.MetricsToken == "" {
		return nil
	}
	return o.metrics.Handler(cfg.MetricsToken)
}

// watch registers the collectors that read each part's own counters at
// scrape time.
func (o *observability) watch(db *sqlstore.DB, rec *sqlstore.Recorder, st *state.State, limiter ratelimit.Limiter, gw *gateway.Gateway) {
	m := o.metrics
	if m == nil {
		return
	}
	read, write := db.Pools()
	if read == write {
		m.WatchDB("main", write)
	} else {
		m.WatchDB("read", read)
		m.WatchDB("write", write)
	}
	m.WatchRecorder(func() telemetry.RecorderStats {
		s := rec.Stats()
		return telemetry.RecorderStats{Calls: s.Calls, Batches: s.Batches, Queued: s.Queued}
	})
	m.WatchState(st.Stats)
	if d, ok := limiter.(*ratelimit.Degrading); ok {
		m.WatchLimiter(d.Stats)
	}
	m.WatchBreakers(gw.Breakers)
}

// serveMetrics serves /metrics on a listener of its own until ctx ends:
// a port that a firewall or Kubernetes' network policy keeps for the
// scraper. With metrics_token set it is needed there too.
func serveMetrics(ctx context.Context, addr string, h http.Handler, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	logger.Info("serving metrics", "addr", ln.Addr().String(), "path", "/metrics")
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
