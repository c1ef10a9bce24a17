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
	// BreakerThreshold consecutive failing requests open a circuit
	// breaker (per credential and model; see breakers) for BreakerOpenFor.
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
	// Answered is true when the upstream started a success answer before
	// the attempt ended: the provider may have done (and billed) the work.
	Answered bool
	// Received counts the bytes of the answer that arrived.
	Received int64
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
	breaker  breakerScope
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
	scope := breakerScope{Credential: "env:" + t.Provider + "|" + ep.BaseURL, Deployment: t.Provider + "/" + t.Model}
	if c := snap.Credential(orgID, t.Provider); c != nil {
		scope.Credential = c.ID
	}
	return &prepared{Target: t, adapter: a, endpoint: ep, breaker: scope}, nil
}

// shouldFallBack reports whether another alias may succeed where this one
// failed. A request the provider rejected as invalid or filtered would
// most likely be rejected again, and a cancelled client wants nothing.
// Once an upstream started answering, another alias would be a second
// generation billed for one request: the failure is final.
func shouldFallBack(err error, answered bool) bool {
	if answered || errors.Is(err, context.Canceled) {
		return false
	}
	if pe, ok := provider.AsError(err); ok {
		return pe.Kind != provider.ErrBadRequest && pe.Kind != provider.ErrContentFilter
	}
	return true // missing credential, open breaker, …
}

// shouldRetry reports whether attempt n may be repeated on the same
// target: only failures a provider documents as safe to repeat (429,
// 5xx) or that happened before it answered (connection, first-byte
// timeout), never after a success answer started, since the provider may
// have done the work.
func (g *Gateway) shouldRetry(err error, answered bool, n int) bool {
	pe, ok := provider.AsError(err)
	return ok && pe.Retryable() && !answered && n < g.retry.MaxAttempts
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

// circuitOpen is reported for a target skipped by an open breaker.
type circuitOpen struct {
	retryAfter time.Duration
}

func (e *circuitOpen) Error() string {
	return fmt.Sprintf("circuit open: the model failed repeatedly on this credential; skipping it for %s", e.retryAfter.Round(time.Second))
}

// run tries each target in turn, retrying retryable failures, until call
// succeeds. It returns the target that succeeded and every attempt made
// upstream. Each target's breaker hears the request's outcome once,
// however many attempts it took; a stream's outcome is only known when
// it ends, so for streams the Stream reports it (see Stream.settle).
func (g *Gateway) run(ctx context.Context, caller *state.Caller, aliasName string, stream bool,
	call func(ctx context.Context, p *prepared) error) (*prepared, []Attempt, error) {
	snap := g.state.Snapshot()
	named, err := snap.Authorize(caller, aliasName)
	if err != nil {
		return nil, nil, err
	}
	team := caller.Team.ID
	var attempts []Attempt
	var lastErr error
	for _, t := range candidates(snap, named) {
		p, err := g.prepare(snap, caller.Org.ID, t)
		if err != nil {
			lastErr = err
			continue
		}
		if ok, wait := g.breakers.allow(p.breaker, team); !ok {
			lastErr = &circuitOpen{retryAfter: wait}
			continue
		}
		answered := false
		for n := 1; ; n++ {
			ex := &provider.Exchange{Stream: stream}
			start := time.Now()
			err = call(provider.WithExchange(ctx, ex), p)
			answered = ex.Answered()
			attempts = append(attempts, Attempt{Target: t, Err: err, Latency: time.Since(start), Answered: answered, Received: ex.Received()})
			if err == nil {
				if !stream {
					g.breakers.record(p.breaker, team, healthy)
				}
				return p, attempts, nil
			}
			if ctx.Err() != nil {
				g.breakers.record(p.breaker, team, neutral)
				return nil, attempts, g.finalError(ctx, err)
			}
			if !g.shouldRetry(err, answered, n) {
				break
			}
			wait, ok := g.backoff(n, err)
			if !ok {
				break
			}
			g.logger.Debug("retrying upstream call", "alias", t.Alias.Alias, "provider", t.Provider, "attempt", n+1, "wait", wait, "err", err)
			if err := g.sleep(ctx, wait); err != nil {
				g.breakers.record(p.breaker, team, neutral)
				return nil, attempts, g.finalError(ctx, err)
			}
		}
		g.breakers.record(p.breaker, team, outcomeOf(err))
		lastErr = err
		if !shouldFallBack(err, answered) {
			break
		}
	}
	return nil, attempts, g.finalError(ctx, lastErr)
}

// lastTarget is where the last attempt went, for the record of a failed
// call.
func lastTarget(attempts []Attempt) Target {
	if len(attempts) == 0 {
		return Target{}
	}
	return attempts[len(attempts)-1].Target
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
	p, attempts, err := g.run(ctx, caller, aliasName, false, func(ctx context.Context, p *prepared) error {
		r := *req
		r.Model = p.Model
		var err error
		resp, err = p.adapter.Chat(ctx, p.endpoint, &r)
		return err
	})
	if err != nil {
		return &Result{Target: lastTarget(attempts), Attempts: attempts, Latency: time.Since(start)}, err
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
	// settle reports the stream's outcome to its breaker, once.
	settle func(outcome)

	mu         sync.Mutex
	usage      provider.Usage
	hasUsage   bool
	completion int // bytes of content and tool arguments seen
	finish     string
	err        error
	done       bool
	settled    bool
	firstByte  time.Duration
}

// Buffered reports whether the upstream's next event has (partly)
// arrived already, when its adapter can tell (see sse.Reader.Buffered):
// a handler writing the stream to its client may then hold its flush for
// it without delaying anything.
func (s *Stream) Buffered() bool {
	b, ok := s.upstream.(interface{ Buffered() bool })
	return ok && b.Buffered()
}

// Recv returns the next chunk, io.EOF at the end. An error after the first
// chunk is final: nothing is retried once bytes reached the client.
func (s *Stream) Recv() (*provider.Chunk, error) {
	if s.upstream == nil { // a stream that never started (see ChatStream)
		return nil, s.err
	}
	c, err := s.upstream.Recv()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.done = true
		if err != io.EOF {
			s.err = err
			s.report(outcomeOf(err))
		} else {
			s.report(healthy)
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

// report hands the stream's outcome to its breaker once; s.mu is held.
func (s *Stream) report(o outcome) {
	if s.settled || s.settle == nil {
		return
	}
	s.settled = true
	s.settle(o)
}

// Close ends the stream and cancels the upstream request if it is still
// running (a client that went away stops the provider's generation). A
// stream abandoned before its end says nothing about the upstream.
func (s *Stream) Close() error {
	if s.upstream == nil {
		return nil
	}
	err := s.upstream.Close()
	s.cancel()
	s.mu.Lock()
	s.report(neutral)
	s.mu.Unlock()
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
// returned nothing is retried. On failure the returned Stream is not nil:
// it carries the attempts made (and the last target), for the call's
// record, and its Recv returns the error.
func (g *Gateway) ChatStream(ctx context.Context, caller *state.Caller, aliasName string, req *provider.ChatRequest) (*Stream, error) {
	ctx, cancel := context.WithTimeout(ctx, g.TotalTimeout)
	start := time.Now()
	var up provider.Stream
	p, attempts, err := g.run(ctx, caller, aliasName, true, func(ctx context.Context, p *prepared) error {
		r := *req
		r.Model = p.Model
		var err error
		up, err = p.adapter.ChatStream(ctx, p.endpoint, &r)
		return err
	})
	if err != nil {
		cancel()
		return &Stream{Target: lastTarget(attempts), Attempts: attempts, started: start, err: err, done: true}, err
	}
	team := caller.Team.ID
	return &Stream{Target: p.Target, Attempts: attempts, upstream: up, cancel: cancel, started: start,
		settle: func(o outcome) { g.breakers.record(p.breaker, team, o) }}, nil
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
	p, attempts, err := g.run(ctx, caller, aliasName, false, func(ctx context.Context, p *prepared) error {
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
		return &EmbedResult{Target: lastTarget(attempts), Attempts: attempts}, err
	}
	return &EmbedResult{Target: p.Target, Response: resp, Attempts: attempts}, nil
}
