package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/billing"
	"github.com/gatehouse-llm/gatehouse/provider"
	"github.com/gatehouse-llm/gatehouse/ratelimit"
	"github.com/gatehouse-llm/gatehouse/state"
	"go.opentelemetry.io/otel/trace"
)

// estimateTokens is what a call is expected to use, charged to its
// deployment's tpm limit until the real count is known.
func estimateTokens(req *provider.ChatRequest) int64 {
	est := billing.EstimatePromptTokens(req)
	if req.MaxTokens != nil {
		est += int64(*req.MaxTokens)
	}
	return est
}

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
	router    *router
	logger    *slog.Logger
	// TotalTimeout bounds one call, retries and fallbacks included (for a
	// stream: until its last event).
	TotalTimeout time.Duration
	// sleep waits between retries; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
	// observer and tracer are Options.Observer and Options.Tracer.
	observer Observer
	tracer   trace.Tracer
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
	// Limiter enforces deployments' rpm/tpm limits; give the shared
	// (Redis) limiter so they hold across replicas. Nil counts in this
	// process.
	Limiter ratelimit.Limiter
	// Observer hears every upstream attempt and refusal (metrics); nil
	// hears nothing.
	Observer Observer
	// Tracer, when set, gives each admission and upstream attempt a span
	// (traces off: nil, and no cost).
	Tracer trace.Tracer
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
		breakers: newBreakers(o.Now, o.BreakerThreshold, o.BreakerOpenFor), router: newRouter(o.Now, o.Limiter), sleep: sleepCtx,
		observer: o.Observer, tracer: o.Tracer}
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
// or a fallback), the deployment of that alias the router picked, and the
// provider model and credential behind it.
type Target struct {
	Alias    *gatehouse.Alias
	Provider string
	Model    string
	// Deployment is the alias's deployment the attempt went to.
	Deployment *gatehouse.Deployment
	// Credential is the id of the stored credential used; "" when the
	// provider's environment variables supplied it.
	Credential string
	// Region is the deployment's region, else its credential's.
	Region string
}

// DeploymentID names the deployment, "" when there was none.
func (t Target) DeploymentID() string {
	if t.Deployment == nil {
		return ""
	}
	return t.Deployment.ID
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

// aliasChain lists the aliases to try: the one the caller named (whose
// access was checked), then its fallbacks in order. Fallbacks inherit the
// named alias's access decision; a fallback that is missing or disabled
// is skipped.
func aliasChain(snap *state.Snapshot, named *gatehouse.Alias) []*gatehouse.Alias {
	out := []*gatehouse.Alias{named}
	for _, name := range named.Fallbacks {
		if a := snap.Alias(name); a != nil && a.Active {
			out = append(out, a)
		}
	}
	return out
}

// prepared is one deployment made ready to call.
type prepared struct {
	Target
	adapter  provider.Adapter
	endpoint provider.Endpoint
	breaker  breakerScope
	stat     *depStats
	// permit holds the deployment's rpm/tpm slot (nil without limits).
	permit ratelimit.Permit
}

// release gives back the deployment's rate-limit slot with the tokens
// the call really used.
func (p *prepared) release(tokens int64) {
	if p.permit != nil {
		p.permit.Release(context.Background(), tokens)
		p.permit = nil
	}
}

// prepare resolves a deployment's adapter, endpoint and breaker scope.
// A deployment that pins a credential uses it (one belonging to another
// organization is never used for this caller); otherwise the credential
// is resolved as for any call. Its api_base and extras override the
// credential's.
func (g *Gateway) prepare(snap *state.Snapshot, orgID string, a *gatehouse.Alias, d *gatehouse.Deployment) (*prepared, error) {
	prov, model, ok := gatehouse.SplitModel(d.LiteLLMModel)
	if !ok {
		return nil, gatehouse.Errorf(gatehouse.EUNAVAILABLE, "Deployment %q of model %q has no provider.", d.ID, a.Alias)
	}
	t := Target{Alias: a, Provider: prov, Model: model, Deployment: d}
	ad, ok := g.registry.Adapter(prov)
	if !ok {
		return nil, gatehouse.Errorf(gatehouse.EUNAVAILABLE, "Provider %s is not supported by this gateway.", prov)
	}
	var ep provider.Endpoint
	scope := breakerScope{Deployment: prov + "/" + model}
	if d.CredentialID != "" {
		c := snap.CredentialByID(d.CredentialID)
		if c == nil || (c.OrganizationID != "" && c.OrganizationID != orgID) {
			return nil, gatehouse.Errorf(gatehouse.EUNAVAILABLE, "Deployment %q of model %q names credential %q, which is not active for this organization.", d.ID, a.Alias, d.CredentialID)
		}
		ep = g.endpoints.FromCredential(c)
		scope.Credential, t.Credential = c.ID, c.ID
	} else {
		var err error
		if ep, err = g.endpoints.Resolve(snap, orgID, prov); err != nil {
			return nil, err
		}
		scope.Credential = "env:" + prov + "|" + ep.BaseURL
		if c := snap.Credential(orgID, prov); c != nil {
			scope.Credential, t.Credential = c.ID, c.ID
		}
	}
	if d.APIBase != "" && d.APIBase != ep.BaseURL {
		ep.BaseURL, ep.Client = d.APIBase, g.endpoints.client(prov, d.APIBase)
		scope.Deployment += "@" + d.APIBase
	}
	if len(d.Extra) > 0 {
		extra := maps.Clone(ep.Extra)
		if extra == nil {
			extra = map[string]string{}
		}
		maps.Copy(extra, d.Extra)
		ep.Extra = extra
	}
	t.Region = d.Region
	if t.Region == "" {
		t.Region = ep.Extra["region"]
	}
	return &prepared{Target: t, adapter: ad, endpoint: ep, breaker: scope, stat: g.router.stat(depKey{a.Alias, d.ID})}, nil
}

// pick chooses the deployment for the next attempt on alias a: among the
// lowest order tier that still has a deployment not excluded, by the
// alias's strategy. A deployment that cannot serve (no credential, its
// breaker open, its rpm/tpm limit reached) is passed over, and the next
// tier is used only once every deployment of a tier was. With none left
// it says why: the deployments' limits (a 429 with when to come back),
// else the last reason met.
func (g *Gateway) pick(ctx context.Context, snap *state.Snapshot, caller *state.Caller, a *gatehouse.Alias, excluded map[string]bool, est int64) (*prepared, error) {
	skip := map[string]bool{}
	var lastErr error
	var busy bool
	var busyWait time.Duration
	for {
		var tier []option
		for i := range a.Deployments {
			d := &a.Deployments[i]
			if excluded[d.ID] || skip[d.ID] {
				continue
			}
			if len(tier) > 0 && d.Order > tier[0].dep.Order {
				continue
			}
			if len(tier) > 0 && d.Order < tier[0].dep.Order {
				tier = tier[:0]
			}
			tier = append(tier, option{dep: d, stat: g.router.stat(depKey{a.Alias, d.ID})})
		}
		if len(tier) == 0 {
			if busy {
				return nil, deploymentsBusy(a.Alias, busyWait)
			}
			if lastErr == nil {
				lastErr = gatehouse.Errorf(gatehouse.EUNAVAILABLE, "Model %q has no deployment left to try.", a.Alias)
			}
			return nil, lastErr
		}
		d := g.router.choose(a.RoutingStrategy, tier).dep
		skip[d.ID] = true
		p, err := g.prepare(snap, caller.Org.ID, a, d)
		if err != nil {
			lastErr = err
			continue
		}
		if ok, wait := g.breakers.allow(p.breaker, caller.Team.ID); !ok {
			lastErr = &circuitOpen{retryAfter: wait}
			g.breakerSkipped(p, caller.Team.ID)
			continue
		}
		permit, wait, err := g.router.admit(ctx, a.Alias, d, est)
		if err != nil {
			g.breakers.record(p.breaker, caller.Team.ID, neutral) // give back a trial it may have claimed
			if wait > 0 {
				if !busy || wait < busyWait {
					busyWait = wait
				}
				busy = true
				continue
			}
			return nil, err // the limiter could not decide (a cancelled call)
		}
		p.permit = permit
		return p, nil
	}
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
// deployment: only failures a provider documents as safe to repeat (429,
// 5xx) or that happened before it answered (connection, first-byte
// timeout), never after a success answer started, since the provider may
// have done the work.
func (g *Gateway) shouldRetry(err error, answered bool, n, maxAttempts int) bool {
	pe, ok := provider.AsError(err)
	return ok && pe.Retryable() && !answered && n < maxAttempts
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

// run tries the named alias, then its fallbacks, until call succeeds. On
// each alias the router picks a deployment per attempt; a failed attempt
// moves to another deployment of the same alias (one not yet tried, by
// the same tier rules) when another target could succeed, and is repeated
// on the same deployment, after a backoff, only when none is left and the
// failure is one a provider documents as safe to repeat. An alias gets
// its num_retries+1 attempts (the retry policy's MaxAttempts by default)
// before its fallbacks are tried. Each deployment's breaker hears the
// request's outcome once, however many attempts it took; a stream's
// outcome is only known when it ends, so for streams the Stream reports
// it (see Stream.settle). est is the call's expected tokens, charged to
// deployments' tpm limits until the real count is known.
func (g *Gateway) run(ctx context.Context, caller *state.Caller, aliasName string, stream bool, est int64,
	call func(ctx context.Context, p *prepared) error) (*prepared, []Attempt, error) {
	snap := g.state.Snapshot()
	named, err := snap.Authorize(caller, aliasName)
	if err != nil {
		return nil, nil, err
	}
	team := caller.Team.ID
	var attempts []Attempt
	var lastErr error
aliases:
	for _, a := range aliasChain(snap, named) {
		maxAttempts := g.retry.MaxAttempts
		if a.NumRetries != nil {
			maxAttempts = *a.NumRetries + 1
		}
		p, err := g.pick(ctx, snap, caller, a, nil, est)
		if p == nil {
			lastErr = err
			if ctx.Err() != nil {
				return nil, attempts, g.finalError(ctx, err)
			}
			continue
		}
		excluded := map[string]bool{}
		for n := 1; ; n++ {
			ex := &provider.Exchange{Stream: stream}
			actx, span := g.startAttempt(ctx, p, team, n)
			start := time.Now()
			p.stat.inFlight.Add(1)
			p.stat.count(start.Unix()/60, est)
			err = call(provider.WithExchange(actx, ex), p)
			latency := time.Since(start)
			answered := ex.Answered()
			attempts = append(attempts, Attempt{Target: p.Target, Err: err, Latency: latency, Answered: answered, Received: ex.Received()})
			g.endAttempt(span, p, named, team, n, attempts[len(attempts)-1])
			if err == nil {
				if !stream {
					p.stat.inFlight.Add(-1)
					p.stat.observe(latency)
					g.breakers.record(p.breaker, team, healthy)
				}
				return p, attempts, nil
			}
			p.stat.inFlight.Add(-1)
			p.release(0)
			if ctx.Err() != nil {
				g.breakers.record(p.breaker, team, neutral)
				return nil, attempts, g.finalError(ctx, err)
			}
			lastErr = err
			// Another deployment of this alias first.
			if n < maxAttempts && shouldFallBack(err, answered) {
				excluded[p.Deployment.ID] = true
				if next, _ := g.pick(ctx, snap, caller, a, excluded, est); next != nil {
					g.logger.Debug("retrying upstream call on another deployment", "alias", a.Alias, "from", p.Deployment.ID, "to", next.Deployment.ID, "attempt", n+1, "err", err)
					g.breakers.record(p.breaker, team, outcomeOf(err))
					p = next
					continue
				}
			}
			// Then the same deployment, when repeating is safe.
			if !g.shouldRetry(err, answered, n, maxAttempts) {
				break
			}
			wait, ok := g.backoff(n, err)
			if !ok {
				break
			}
			g.logger.Debug("retrying upstream call", "alias", a.Alias, "deployment", p.Deployment.ID, "attempt", n+1, "wait", wait, "err", err)
			if err := g.sleep(ctx, wait); err != nil {
				g.breakers.record(p.breaker, team, neutral)
				return nil, attempts, g.finalError(ctx, err)
			}
			permit, _, aerr := g.router.admit(ctx, a.Alias, p.Deployment, est)
			if aerr != nil {
				break // its limit is reached now: the failure stands
			}
			p.permit = permit
		}
		g.breakers.record(p.breaker, team, outcomeOf(lastErr))
		if !shouldFallBack(lastErr, lastAttempt(attempts).Answered) {
			break aliases
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
	p, attempts, err := g.run(ctx, caller, aliasName, false, estimateTokens(req), func(ctx context.Context, p *prepared) error {
		r := *req
		r.Model = p.Model
		var err error
		resp, err = p.adapter.Chat(ctx, p.endpoint, &r)
		return err
	})
	if err != nil {
		return &Result{Target: lastTarget(attempts), Attempts: attempts, Latency: time.Since(start)}, err
	}
	p.release(int64(resp.Usage.TotalTokens))
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
	// settle reports the stream's outcome to its breaker and router,
	// once; firstChunk tells the router the time to first token.
	settle     func(o outcome, tokens int64)
	firstChunk func(time.Duration)

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
		if s.firstChunk != nil {
			s.firstChunk(s.firstByte)
		}
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
	s.settle(o, int64(s.usage.TotalTokens))
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
	p, attempts, err := g.run(ctx, caller, aliasName, true, estimateTokens(req), func(ctx context.Context, p *prepared) error {
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
		settle: func(o outcome, tokens int64) {
			g.breakers.record(p.breaker, team, o)
			p.stat.inFlight.Add(-1)
			p.release(tokens)
		},
		firstChunk: p.stat.observe}, nil
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
	est := int64(0)
	for _, in := range req.Input {
		est += int64(len(in)+2) / 3
	}
	p, attempts, err := g.run(ctx, caller, aliasName, false, est, func(ctx context.Context, p *prepared) error {
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
	p.release(int64(resp.Usage.TotalTokens))
	return &EmbedResult{Target: p.Target, Response: resp, Attempts: attempts}, nil
}
