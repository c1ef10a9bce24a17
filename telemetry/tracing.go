package telemetry

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// TracerName names the instrumentation scope of Gatehouse's spans.
const TracerName = "github.com/gatehouse-llm/gatehouse"

// Tracing is a running trace pipeline: spans are batched and exported
// over OTLP/HTTP in the background, off the request path.
type Tracing struct {
	provider *sdktrace.TracerProvider
}

// TracesEndpoint resolves where traces go: the configured otel_endpoint,
// else the standard OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (a full URL) or
// OTEL_EXPORTER_OTLP_ENDPOINT (a base URL, to which /v1/traces is
// added). "" means traces are off.
func TracesEndpoint(configured string, getenv func(string) string) string {
	if configured != "" {
		return signalURL(configured)
	}
	if u := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); u != "" {
		return u
	}
	if u := getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); u != "" {
		return signalURL(u)
	}
	return ""
}

// signalURL adds the OTLP traces path to a base endpoint that has none.
func signalURL(base string) string {
	if strings.HasSuffix(base, "/v1/traces") {
		return base
	}
	return strings.TrimSuffix(base, "/") + "/v1/traces"
}

// StartTracing sets up the OpenTelemetry SDK exporting to endpoint (a full
// OTLP/HTTP traces URL, see TracesEndpoint) with W3C trace context.
// Sampling is the SDK's default, parent-based always-on (every request,
// unless the client's traceparent says it was not sampled), or what
// OTEL_TRACES_SAMPLER says. The exporter's other standard settings
// (OTEL_EXPORTER_OTLP_HEADERS, timeouts, OTEL_BSP_* batching) are read
// from the environment.
func StartTracing(ctx context.Context, endpoint, version string) (*Tracing, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("otel_endpoint %q: must be an http:// or https:// URL", endpoint)
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return nil, fmt.Errorf("otel exporter: %w", err)
	}
	// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override these.
	res, err := resource.New(ctx, resource.WithAttributes(attribute.String("service.name", "gatehouse"),
		attribute.String("service.version", version)), resource.WithTelemetrySDK(), resource.WithFromEnv())
	if err != nil {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return &Tracing{provider: tp}, nil
}

// Tracer returns the tracer Gatehouse's spans are made with.
func (t *Tracing) Tracer() trace.Tracer { return t.provider.Tracer(TracerName) }

// Shutdown exports the spans still queued and stops, waiting at most
// timeout.
func (t *Tracing) Shutdown(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return t.provider.Shutdown(ctx)
}
