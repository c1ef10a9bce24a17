package gateway

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/provider"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Observer hears what the gateway does upstream, for metrics
// (telemetry.Metrics implements it). The gateway knows nothing of the
// metrics library: it reports events, the observer counts them. Methods
// run on the request path, so they must be cheap and never block. A nil
// Observer costs nothing.
type Observer interface {
	// UpstreamAttempt reports one finished upstream attempt.
	UpstreamAttempt(e AttemptEvent)
	// BreakerSkipped reports a target skipped because its circuit breaker
	// was open.
	BreakerSkipped(t Target, deployment, team string)
	// Refused reports a call refused before any provider was called, with
	// RefusalReason's reason (never "").
	Refused(reason, team string)
}

// AttemptEvent is one upstream attempt, as Observer hears it.
type AttemptEvent struct {
	Target
	// Deployment names the alias's deployment that served the attempt
	// (its id: the provider model unless the operator named it).
	Deployment string
	Team       string
	// N counts attempts on this target: 1 is the first try, above 1 a
	// retry.
	N int
	// Fallback is true when the target is a fallback of the alias the
	// caller named.
	Fallback bool
	Err      error
	Latency  time.Duration
}

// AttemptOutcome names how an attempt ended, for metric labels and span
// attributes: "ok", a provider.ErrorKind ("rate_limited", "server_error",
// "timeout", …), "canceled" (the client left), "deadline" (the call's
// total time ran out) or "error".
func AttemptOutcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline"
	}
	if pe, ok := provider.AsError(err); ok && pe.Kind != "" {
		return string(pe.Kind)
	}
	return "error"
}

// Refusal reasons (RefusalReason). Rate-limit refusals are named after the
// subject and the limit that refused: "team_requests_per_minute",
// "key_tokens_per_minute", "team_concurrent", ….
const (
	// RefusedCreditsHeld: the team's credits are held by work in progress
	// (a retryable 429).
	RefusedCreditsHeld = "credits_held"
	// RefusedCreditsExhausted: the team's balance is spent (402).
	RefusedCreditsExhausted = "credits_exhausted"
)

// RefusalReason tells why a call or job was refused before any provider
// was called: a rate limit, or credits (held or spent). It is "" for
// every other error (no access, unknown alias, a provider's own 429).
func RefusalReason(err error) string {
	var rl *RateLimited
	if errors.As(err, &rl) {
		return rl.Reason // "" for a provider's rate limit
	}
	switch gatehouse.ErrorCode(err) {
	case gatehouse.ECREDITS:
		return RefusedCreditsExhausted
	case gatehouse.ERATELIMIT:
		return RefusedCreditsHeld // storage's refusal of work while credits are held
	}
	return ""
}

// BreakerState is one circuit breaker that is not closed.
type BreakerState struct {
	Credential, Deployment string
	// Team is "" for the shared breaker of the scope, else the team whose
	// own breaker it is.
	Team string
	// HalfOpen: the open period ended and a trial request decides.
	HalfOpen bool
}

// Breakers lists the circuit breakers that are open or half-open, for a
// metrics collector (read at scrape time, not on the request path).
func (g *Gateway) Breakers() []BreakerState {
	b := g.breakers
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	var out []BreakerState
	for k, br := range b.state {
		if !b.tripped(br, k.team == "") {
			continue
		}
		out = append(out, BreakerState{Credential: k.Credential, Deployment: k.Deployment, Team: k.team,
			HalfOpen: !now.Before(br.openUntil)})
	}
	return out
}

// GenAI semantic-convention attribute keys (OpenTelemetry), and
// Gatehouse's own.
const (
	attrGenAISystem       = attribute.Key("gen_ai.system")
	attrGenAIProvider     = attribute.Key("gen_ai.provider.name")
	attrGenAIRequestModel = attribute.Key("gen_ai.request.model")
	attrAlias             = attribute.Key("gatehouse.alias")
	attrDeployment        = attribute.Key("gatehouse.deployment")
	attrAttempt           = attribute.Key("gatehouse.attempt")
	attrFallback          = attribute.Key("gatehouse.fallback")
	attrTeam              = attribute.Key("gatehouse.team_id")
	attrJob               = attribute.Key("gatehouse.job_id")
	attrErrorType         = attribute.Key("error.type")
)

// startSpan starts a child span of ctx's when traces are on; with traces
// off it returns ctx and a nil span, and costs nothing.
func (g *Gateway) startSpan(ctx context.Context, name string, kind trace.SpanKind, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	if g.tracer == nil {
		return ctx, nil
	}
	return g.tracer.Start(ctx, name, trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
}

// endSpan ends a span from startSpan, marking it failed by err.
func endSpan(span trace.Span, err error) {
	if span == nil {
		return
	}
	if err != nil {
		span.SetAttributes(attrErrorType.String(AttemptOutcome(err)))
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// startAttempt opens an upstream attempt's span. Its context is the one
// the provider request is sent with, so the W3C traceparent injected
// upstream names this span.
func (g *Gateway) startAttempt(ctx context.Context, p *prepared, team string, n int) (context.Context, trace.Span) {
	if g.tracer == nil {
		return ctx, nil
	}
	return g.startSpan(ctx, "upstream "+p.Provider+"/"+p.Model, trace.SpanKindClient,
		attrGenAISystem.String(p.Provider), attrGenAIProvider.String(p.Provider), attrGenAIRequestModel.String(p.Model),
		attrAlias.String(p.Alias.Alias), attrDeployment.String(deploymentOf(p)), attrAttempt.Int(n), attrTeam.String(team))
}

// endAttempt closes an attempt's span and tells the observer.
func (g *Gateway) endAttempt(span trace.Span, p *prepared, named *gatehouse.Alias, team string, n int, a Attempt) {
	fallback := p.Alias != named
	if span != nil {
		if fallback {
			span.SetAttributes(attrFallback.Bool(true))
		}
		endSpan(span, a.Err)
	}
	if g.observer != nil {
		g.observer.UpstreamAttempt(AttemptEvent{Target: p.Target, Deployment: deploymentOf(p), Team: team, N: n,
			Fallback: fallback, Err: a.Err, Latency: a.Latency})
	}
}

// breakerSkipped tells the observer a target was skipped by its breaker.
func (g *Gateway) breakerSkipped(p *prepared, team string) {
	if g.observer != nil {
		g.observer.BreakerSkipped(p.Target, deploymentOf(p), team)
	}
}

// admit runs admitCall in an "admission" span and reports a refusal to
// the observer.
func (m *Meter) admit(ctx context.Context, in *CallInput) (*admission, error) {
	g := m.Gateway
	ctx, span := g.startSpan(ctx, "gatehouse.admission", trace.SpanKindInternal, attrAlias.String(in.Alias),
		attrTeam.String(in.Caller.Team.ID), attrJob.String(in.JobID))
	a, err := m.admitCall(ctx, in)
	endSpan(span, err)
	if err != nil && g.observer != nil {
		if reason := RefusalReason(err); reason != "" {
			g.observer.Refused(reason, in.Caller.Team.ID)
		}
	}
	return a, err
}

// traceContext is the W3C Trace Context format (traceparent, tracestate).
var traceContext = propagation.TraceContext{}

// traceHeaders sends the W3C traceparent of the attempt's span with each
// provider request, so a provider (or a proxy in front of it) that traces
// joins the caller's trace. With traces off the context holds no span and
// the request goes out untouched.
type traceHeaders struct{ next http.RoundTripper }

func (t traceHeaders) RoundTrip(r *http.Request) (*http.Response, error) {
	if trace.SpanContextFromContext(r.Context()).IsValid() {
		r = r.Clone(r.Context()) // a RoundTripper must not modify its request
		traceContext.Inject(r.Context(), propagation.HeaderCarrier(r.Header))
	}
	return t.next.RoundTrip(r)
}

// deploymentOf names a prepared target's deployment for labels: its id,
// else the breaker scope's provider/model.
func deploymentOf(p *prepared) string {
	if id := p.DeploymentID(); id != "" {
		return id
	}
	return p.breaker.Deployment
}
