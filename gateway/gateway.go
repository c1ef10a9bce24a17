package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/provider"
	"github.com/gatehouse-llm/gatehouse/state"
)

// RetryPolicy decides how often and how patiently a failed upstream call
// is retried on the same alias before falling back.
type RetryPolicy struct {
	// MaxAttempts per alias, the first try included.
	MaxAttempts int
	// BaseDelay is the first backoff; each retry doubles it, with full
	// jitter, up to MaxDelay.
	BaseDelay, MaxDelay time.Duration
	// MaxRetryAfter caps how long an upstream's Retry-After is honoured;
	// a longer wait falls back instead.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy retries twice with 250ms→8s exponential backoff.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 3, BaseDelay: 250 * time.Millisecond, MaxDelay: 8 * time.Second, MaxRetryAfter: 30 * time.Second}

// Gateway sends calls to providers on behalf of authenticated teams.
type Gateway struct {
	registry  *Registry
	endpoints *Endpoints
	state     *state.State
	retry     RetryPolicy
	breakers  *breakers
	logger    *slog.Logger
	// TotalTimeout bounds one call, retries and fallbacks included (for a
	// stream: until its last event).
	TotalTimeout time.Duration
	// sleep waits between retries; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

// Options configure a Gateway.
type Options struct {
	Retry        RetryPolicy
	TotalTimeout time.Duration
	// BreakerThreshold consecutive failures open a credential's breaker
	// for BreakerOpenFor.
	BreakerThreshold int
	BreakerOpenFor   time.Duration
	Logger           *slog.Logger
	Now              func() time.Time
}

// New returns a gateway.
func New(reg *Registry, eps *Endpoints, st *state.State, o Options) *Gateway {
	if o.Retry.MaxAttempts == 0 {
		o.Retry = DefaultRetryPolicy
	}
	if o.TotalTimeout == 0 {
		o.TotalTimeout = 10 * time.Minute
	}
	if o.BreakerThreshold == 0 {
		o.BreakerThreshold = 5
	}
	if o.BreakerOpenFor == 0 {
		o.BreakerOpenFor = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Gateway{registry: reg, endpoints: eps, state: st, retry: o.Retry, logger: o.Logger, TotalTimeout: o.TotalTimeout,
		breakers: newBreakers(o.Now, o.BreakerThreshold, o.BreakerOpenFor), sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Target is where one attempt went: the alias that served (the named one
// or a fallback) and the provider model behind it.
type Target struct {
	Alias    *gatehouse.Alias
	Provider string
	Model    string
}

// Attempt records one upstream try, for logs and call records.
type Attempt struct {
	Target
	Err     error
	Latency time.Duration
}

// Result is a completed non-streamed call.
type Result struct {
	Target
	Response *provider.ChatResponse
	Attempts []Attempt
	Latency  time.Duration
}

// candidates lists the aliases to try: the one the caller named (whose
// access was checked), then its fallbacks in order. Fallbacks inherit the
// named alias's access decision; a fallback that is missing or disabled
// is skipped.
func candidates(snap *state.Snapshot, named *gatehouse.Alias) []Target {
	var out []Target
	add := func(a *gatehouse.Alias) {
		if p, m, ok := gatehouse.SplitModel(a.LiteLLMModel); ok {
			out = append(out, Target{Alias: a, Provider: p, Model: m})
		}
	}
	add(named)
	for _, name := range named.Fallbacks {
		if a := snap.Alias(name); a != nil && a.Active {
			add(a)
		}
	}
	return out
}

// prepared is one target made ready to call.
type prepared struct {
	Target
	adapter  provider.Adapter
	endpoint provider.Endpoint
	breaker  string
}

func (g *Gateway) prepare(snap *state.Snapshot, orgID string, t Target) (*prepared, error) {
	a, ok := g.registry.Adapter(t.Provider)
	if !ok {
		return nil, gatehouse.Errorf(gatehouse.EUNAVAILABLE, "Provider %s is not supported by this gateway.", t.Provider)
	}
	ep, err := g.endpoints.Resolve(snap, orgID, t.Provider)
	if err != nil {
		return nil, err
	}
	key := t.Provider + "|" + ep.BaseURL + "|env"
	if c := snap.Credential(orgID, t.Provider); c != nil {
		key = t.Provider + "|" + c.ID
	}
	return &prepared{Target: t, adapter: a, endpoint: ep, breaker: key}, nil
}

// shouldFallBack reports whether another alias may succeed where this one
// failed. A request the provider rejected as invalid or filtered would
// most likely be rejected again, and a cancelled client wants nothing.
func shouldFallBack(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	if pe, ok := provider.AsError(err); ok {
		return pe.Kind != provider.ErrBadRequest && pe.Kind != provider.ErrContentFilter
	}
	return true // missing credential, open breaker, …
}

// countsAgainstBreaker reports whether a failure says the upstream
// account is unhealthy.
func countsAgainstBreaker(err error) bool {
	pe, ok := provider.AsError(err)
	return ok && (pe.Retryable() || pe.Kind == provider.ErrAuth)
}

// backoff is the wait before retry n (1-based), honouring Retry-After.
func (g *Gateway) backoff(n int, err error) (time.Duration, bool) {
	if pe, ok := provider.AsError(err); ok && pe.RetryAfter > 0 {
		if pe.RetryAfter > g.retry.MaxRetryAfter {
			return 0, false
		}
		return pe.RetryAfter, true
	}
	d := g.retry.BaseDelay << (n - 1)
	if d > g.retry.MaxDelay || d <= 0 {
		d = g.retry.MaxDelay
	}
	return time.Duration(rand.Int64N(int64(d)) + 1), true // full jitter
}

// errCircuitOpen is reported for a target skipped by its breaker.
var errCircuitOpen = errors.New("circuit open: the provider credential failed repeatedly; skipping it for a while")

// run tries each target in turn, retrying retryable failures, until call
// succeeds. It returns the target that succeeded and every attempt.
func (g *Gateway) run(ctx context.Context, caller *state.Caller, aliasName string,
	call func(ctx context.Context, p *prepared) error) (*prepared, []Attempt, error) {
	snap := g.state.Snapshot()
	named, err := snap.Authorize(caller, aliasName)
	if err != nil {
		return nil, nil, err
	}
	var attempts []Attempt
	var lastErr error
	for _, t := range candidates(snap, named) {
		p, err := g.prepare(snap, caller.Org.ID, t)
		if err != nil {
			attempts = append(attempts, Attempt{Target: t, Err: err})
			lastErr = err
			continue
		}
		for n := 1; n <= g.retry.MaxAttempts; n++ {
			if !g.breakers.allow(p.breaker) {
				err = errCircuitOpen
				attempts = append(attempts, Attempt{Target: t, Err: err})
				break
			}
			start := time.Now()
			err = call(ctx, p)
			attempts = append(attempts, Attempt{Target: t, Err: err, Latency: time.Since(start)})
			if err == nil {
				g.breakers.record(p.breaker, false)
				return p, attempts, nil
			}
			g.breakers.record(p.breaker, countsAgainstBreaker(err))
			if ctx.Err() != nil {
				return nil, attempts, g.finalError(ctx, err)
			}
			pe, ok := provider.AsError(err)
			if !ok || !pe.Retryable() || n == g.retry.MaxAttempts {
				break
			}
			wait, ok := g.backoff(n, err)
			if !ok {
				break
			}
			g.logger.Debug("retrying upstream call", "alias", t.Alias.Alias, "provider", t.Provider, "attempt", n+1, "wait", wait, "err", err)
			if err := g.sleep(ctx, wait); err != nil {
				return nil, attempts, g.finalError(ctx, err)
			}
		}
		lastErr = err
		if !shouldFallBack(err) {
			break
		}
	}
	return nil, attempts, g.finalError(ctx, lastErr)
}

// finalError reports a call's last failure; a call that ran out of its
// total time says so rather than naming whichever attempt was cut.
func (g *Gateway) finalError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &provider.Error{Kind: provider.ErrTimeout, Message: fmt.Sprintf("the call did not finish within %s", g.TotalTimeout)}
	}
	return err
}

// Chat sends a non-streamed call for the alias the caller named.
func (g *Gateway) Chat(ctx context.Context, caller *state.Caller, aliasName string, req *provider.ChatRequest) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, g.TotalTimeout)
	defer cancel()
	start := time.Now()
	var resp *provider.ChatResponse
	p, attempts, err := g.run(ctx, caller, aliasName, func(ctx context.Context, p *prepared) error {
		r := *req
		r.Model = p.Model
		var err error
		resp, err = p.adapter.Chat(ctx, p.endpoint, &r)
		return err
	})
	if err != nil {
		return &Result{Attempts: attempts, Latency: time.Since(start)}, err
	}
	return &Result{Target: p.Target, Response: resp, Attempts: attempts, Latency: time.Since(start)}, nil
}

// Stream is a streamed call in progress. Its chunks come straight from the
// upstream as they arrive; Usage accumulates what the provider reported.
type Stream struct {
	Target
	Attempts []Attempt
	upstream provider.Stream
	cancel   context.CancelFunc
	started  time.Time

	mu         sync.Mutex
	usage      provider.Usage
	hasUsage   bool
	completion int // bytes of content and tool arguments seen
	finish     string
	err        error
	done       bool
	firstByte  time.Duration
}

// Recv returns the next chunk, io.EOF at the end. An error after the first
// chunk is final: nothing is retried once bytes reached the client.
func (s *Stream) Recv() (*provider.Chunk, error) {
	c, err := s.upstream.Recv()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.done = true
		if err != io.EOF {
			s.err = err
		}
		return nil, err
	}
	if s.firstByte == 0 {
		s.firstByte = time.Since(s.started)
	}
	s.completion += len(c.Content)
	for _, tc := range c.ToolCalls {
		s.completion += len(tc.Arguments)
	}
	if c.FinishReason != "" {
		s.finish = c.FinishReason
	}
	if c.Usage != nil {
		// Adapters report usage once per stream, but some upstreams
		// repeat running totals; the last report wins.
		s.usage, s.hasUsage = *c.Usage, true
	}
	return c, nil
}

// Close ends the stream and cancels the upstream request if it is still
// running (a client that went away stops the provider's generation).
func (s *Stream) Close() error {
	err := s.upstream.Close()
	s.cancel()
	return err
}

// Summary is what a finished (or abandoned) stream used.
type Summary struct {
	Usage             provider.Usage
	UsageFromProvider bool
	// CompletionBytes counts the content and tool-call bytes delivered,
	// from which usage is estimated when the provider reported none (a
	// stream cut short).
	CompletionBytes int
	FinishReason    string
	Err             error
	Complete        bool
	FirstByte       time.Duration
	Latency         time.Duration
}

// Summary reports what the stream used so far.
func (s *Stream) Summary() Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Summary{Usage: s.usage, UsageFromProvider: s.hasUsage, CompletionBytes: s.completion, FinishReason: s.finish,
		Err: s.err, Complete: s.done && s.err == nil, FirstByte: s.firstByte, Latency: time.Since(s.started)}
}

// ChatStream starts a streamed call. Failures before the upstream accepts
// the request are retried and fall back like Chat; once a stream is
// returned nothing is retried.
func (g *Gateway) ChatStream(ctx context.Context, caller *state.Caller, aliasName string, req *provider.ChatRequest) (*Stream, error) {
	ctx, cancel := context.WithTimeout(ctx, g.TotalTimeout)
	start := time.Now()
	var up provider.Stream
	p, attempts, err := g.run(ctx, caller, aliasName, func(ctx context.Context, p *prepared) error {
		r := *req
		r.Model = p.Model
		var err error
		up, err = p.adapter.ChatStream(ctx, p.endpoint, &r)
		return err
	})
	if err != nil {
		cancel()
		return nil, err
	}
	return &Stream{Target: p.Target, Attempts: attempts, upstream: up, cancel: cancel, started: start}, nil
}

// String describes a target for logs.
func (t Target) String() string {
	if t.Alias == nil {
		return "(none)"
	}
	return fmt.Sprintf("%s → %s/%s", t.Alias.Alias, t.Provider, t.Model)
}

// EmbedResult is a completed embeddings call.
type EmbedResult struct {
	Target
	Response *provider.EmbeddingResponse
	Attempts []Attempt
}

// Embed sends an embeddings call for the alias the caller named, with the
// same retries and fallbacks as Chat.
func (g *Gateway) Embed(ctx context.Context, caller *state.Caller, aliasName string, req *provider.EmbeddingRequest) (*EmbedResult, error) {
	ctx, cancel := context.WithTimeout(ctx, g.TotalTimeout)
	defer cancel()
	var resp *provider.EmbeddingResponse
	p, attempts, err := g.run(ctx, caller, aliasName, func(ctx context.Context, p *prepared) error {
		e, ok := p.adapter.(provider.Embedder)
		if !ok {
			return &provider.Error{Provider: p.Provider, Kind: provider.ErrBadRequest, Message: "this provider offers no embeddings"}
		}
		r := *req
		r.Model = p.Model
		var err error
		resp, err = e.Embed(ctx, p.endpoint, &r)
		return err
	})
	if err != nil {
		return &EmbedResult{Attempts: attempts}, err
	}
	return &EmbedResult{Target: p.Target, Response: resp, Attempts: attempts}, nil
}
