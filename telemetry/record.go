package telemetry

import (
	"context"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/gateway"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Recorder wraps the call recorder: each recorded call is counted (calls,
// tokens, cost, time to first token, credits of the jobs it ended) from
// the very record that was written, so the counters add up to the
// records; with a tracer, recording is a "gatehouse.record" span and the
// call's GenAI attributes land on it and on the request's span.
type Recorder struct {
	Next    gateway.CallRecorder
	Metrics *Metrics     // nil counts nothing
	Tracer  trace.Tracer // nil traces nothing
}

// Record implements gateway.CallRecorder.
func (r *Recorder) Record(ctx context.Context, o gatehouse.CallOutcome) (gatehouse.Settlement, error) {
	var span trace.Span
	if r.Tracer != nil {
		attrs := callAttributes(o.Call)
		trace.SpanFromContext(ctx).SetAttributes(attrs...) // the request's span
		ctx, span = r.Tracer.Start(ctx, "gatehouse.record", trace.WithAttributes(attrs...))
	}
	s, err := r.Next.Record(ctx, o)
	if span != nil {
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
	if err == nil && r.Metrics != nil {
		r.Metrics.recorded(o, s)
	}
	return s, err
}

// callAttributes describes a call in GenAI semantic-convention terms,
// plus Gatehouse's ids.
func callAttributes(c *gatehouse.Call) []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String("gen_ai.system", c.Provider),
		attribute.String("gen_ai.provider.name", c.Provider),
		attribute.String("gen_ai.request.model", c.ProviderModel),
		attribute.String("gen_ai.response.model", c.ProviderModel),
		attribute.Int64("gen_ai.usage.input_tokens", c.PromptTokens),
		attribute.Int64("gen_ai.usage.output_tokens", c.CompletionTokens),
		attribute.String("gatehouse.alias", c.Alias),
		attribute.String("gatehouse.served_alias", c.ServedAlias),
		attribute.String("gatehouse.team_id", c.TeamID),
		attribute.String("gatehouse.job_id", c.JobID),
		attribute.String("gatehouse.call_id", c.ID),
		attribute.String("gatehouse.call_status", c.Status),
		attribute.String("gatehouse.usage_source", c.UsageSource),
		attribute.Int64("gatehouse.cost_micro_usd", c.CostMicroUSD),
	}
}

// recorded counts one recorded call.
func (m *Metrics) recorded(o gatehouse.CallOutcome, s gatehouse.Settlement) {
	c := o.Call
	alias := c.ServedAlias
	if alias == "" {
		alias = c.Alias // never reached a provider
	}
	with := func(labels ...string) []string {
		if m.teamLabels {
			return append(labels, c.TeamID)
		}
		return labels
	}
	m.calls.WithLabelValues(with(c.Provider, alias, c.Status)...).Inc()
	m.callDuration.WithLabelValues(c.Provider, alias).Observe(float64(c.LatencyMS) / 1000)
	for _, t := range []struct {
		kind string
		n    int64
	}{{"prompt", c.PromptTokens}, {"completion", c.CompletionTokens}, {"cached", c.CachedTokens}, {"reasoning", c.ReasoningTokens}} {
		if t.n > 0 {
			m.tokens.WithLabelValues(with(c.Provider, alias, t.kind)...).Add(float64(t.n))
		}
	}
	if c.CostMicroUSD > 0 {
		m.cost.WithLabelValues(with(c.Provider, alias)...).Add(float64(c.CostMicroUSD))
	}
	if c.ClientCostMicro > 0 {
		m.clientCost.WithLabelValues(with(c.Provider, alias)...).Add(float64(c.ClientCostMicro))
	}
	if c.Stream && (c.FirstTokenMS > 0 || c.Status == "success") { // a failed stream may have sent nothing
		m.ttft.WithLabelValues(c.Provider, alias).Observe(float64(c.FirstTokenMS) / 1000)
	}
	if o.NewJob != nil && s.Job != nil {
		// A single-call job admitted against a credit lease is opened by
		// the record that ends it.
		m.jobsCreated.Inc()
	}
	if s.Job != nil && o.CompleteJob {
		m.jobEnded(s.Job)
	}
}

// jobEnded counts a job this replica ended, and what it charged.
func (m *Metrics) jobEnded(j *gatehouse.Job) {
	m.jobsFinished.WithLabelValues(j.Status).Inc()
	if j.Charged > 0 {
		if m.teamLabels {
			m.creditsCharged.WithLabelValues(j.TeamID).Add(float64(j.Charged))
		} else {
			m.creditsCharged.WithLabelValues().Add(float64(j.Charged))
		}
	}
}

// JobsExpired counts jobs a sweeper failed (job_ttl, orphans).
func (m *Metrics) JobsExpired(n int64) {
	if n > 0 {
		m.jobsFinished.WithLabelValues(gatehouse.JobFailed).Add(float64(n))
	}
}

// JobStore is what the HTTP layer runs jobs through (http.JobStore).
type JobStore interface {
	gatehouse.JobService
	gatehouse.JobSupportService
}

// Jobs wraps the job store to count jobs opened and ended through the
// API, what their completion charged, and job creations refused for
// credits.
type Jobs struct {
	JobStore
	Metrics *Metrics
}

// CreateJob implements gatehouse.JobService.
func (j Jobs) CreateJob(ctx context.Context, job *gatehouse.Job, idempotencyKey string) (*gatehouse.Job, error) {
	start := time.Now().Add(-time.Millisecond)
	out, err := j.JobStore.CreateJob(ctx, job, idempotencyKey)
	switch {
	case err != nil:
		if reason := gateway.RefusalReason(err); reason != "" {
			j.Metrics.Refused(reason, job.TeamID)
		}
	case !out.CreatedAt.Before(start):
		// An idempotent replay returns the job it opened earlier: it is
		// not counted again.
		j.Metrics.jobsCreated.Inc()
	}
	return out, err
}

// CompleteJob implements gatehouse.JobService. Completing a finished job
// returns it unchanged; only a job this call ended (its completed_at is
// not older than the call) is counted.
func (j Jobs) CompleteJob(ctx context.Context, teamID, jobID, status, errorMessage string, m gatehouse.Metadata) (*gatehouse.Job, error) {
	start := time.Now().Add(-time.Millisecond)
	out, err := j.JobStore.CompleteJob(ctx, teamID, jobID, status, errorMessage, m)
	if err == nil && out.CompletedAt != nil && !out.CompletedAt.Before(start) {
		j.Metrics.jobEnded(out)
	}
	return out, err
}
