package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Limits bound how long Gatehouse waits for an upstream and how much of an
// answer it holds. The gateway installs them on every upstream client
// with NewTransport, so each adapter gets them without code of its own.
type Limits struct {
	// FirstByte bounds the wait for the response headers of a streamed
	// call (see Exchange.Stream): providers send a stream's headers as soon
	// as they accept it, so silence means a stuck upstream. A plain
	// answer's headers come only once the whole answer is generated, so
	// plain calls wait until their context ends instead.
	FirstByte time.Duration
	// Idle bounds the silence while reading a response body, streamed or
	// not: a read that gets no byte for this long fails with a
	// *TimeoutError, instead of hanging until the call's total timeout.
	Idle time.Duration
	// MaxBody bounds a non-streamed success body; a larger one fails with
	// a *BodyTooLargeError before it is held in memory. Streams are not
	// bounded as a whole (they are forwarded, never held), only per event.
	MaxBody int64
}

// TimeoutError is a Limits deadline that expired.
type TimeoutError struct {
	// Phase is what was awaited: "response headers" or "data".
	Phase string
	Limit time.Duration
}

func (e *TimeoutError) Error() string {
	if e.Phase == phaseHeaders {
		return fmt.Sprintf("no response headers within %s", e.Limit)
	}
	return fmt.Sprintf("no data for %s while reading the answer", e.Limit)
}

// Timeout marks the error as a timeout for code that asks net.Error.
func (e *TimeoutError) Timeout() bool { return true }

// Temporary is part of net.Error.
func (e *TimeoutError) Temporary() bool { return true }

const (
	phaseHeaders = "response headers"
	phaseData    = "data"
)

// BodyTooLargeError is a non-streamed answer larger than Limits.MaxBody.
type BodyTooLargeError struct {
	Limit int64
}

func (e *BodyTooLargeError) Error() string {
	return fmt.Sprintf("the answer is larger than the gateway's %s limit on upstream bodies (upstream_max_body)", FormatBytes(e.Limit))
}

// FormatBytes renders a size in the largest binary unit that divides it
// ("32MiB", "1536KiB", "100B"), as configuration values are written.
func FormatBytes(n int64) string {
	for _, u := range []struct {
		unit string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d%s", n/u.size, u.unit)
		}
	}
	return fmt.Sprintf("%dB", n)
}

// BodyFault classifies a failure the gateway's transport caused on
// purpose (a Limits deadline, an oversized body) as an *Error of the
// right kind, and returns nil for any other error.
func BodyFault(providerName string, err error) *Error {
	var te *TimeoutError
	if errors.As(err, &te) {
		return &Error{Provider: providerName, Kind: ErrTimeout, Message: te.Error()}
	}
	var tl *BodyTooLargeError
	if errors.As(err, &tl) {
		return &Error{Provider: providerName, Kind: ErrBadResponse, Message: tl.Error()}
	}
	return nil
}

// Exchange is what the gateway's transport observed of one upstream call
// attempt: whether a success answer began and how many of its bytes
// arrived. The gateway decides retries from it, whatever error an adapter
// then reports: once a 2xx answer has started, the provider may have done
// (and billed) the work, so the attempt must not be repeated.
type Exchange struct {
	// Stream marks a streamed call, set by the caller before the request:
	// it applies Limits.FirstByte and exempts the body from MaxBody.
	Stream bool

	answered atomic.Bool
	received atomic.Int64
}

// Answered reports whether the upstream started a 2xx answer.
func (e *Exchange) Answered() bool { return e != nil && e.answered.Load() }

// Received is how many bytes of the answer's body arrived.
func (e *Exchange) Received() int64 {
	if e == nil {
		return 0
	}
	return e.received.Load()
}

type exchangeKey struct{}

// WithExchange returns a context under which the gateway's transport
// reports on e.
func WithExchange(ctx context.Context, e *Exchange) context.Context {
	return context.WithValue(ctx, exchangeKey{}, e)
}

func exchangeFrom(ctx context.Context) *Exchange {
	e, _ := ctx.Value(exchangeKey{}).(*Exchange)
	return e
}

// NewTransport wraps base so that every request through it obeys l and
// reports to the Exchange in its context, if any.
func NewTransport(base http.RoundTripper, l Limits) http.RoundTripper {
	return &transport{base: base, limits: l}
}

type transport struct {
	base   http.RoundTripper
	limits Limits
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ex := exchangeFrom(req.Context())
	stream := ex != nil && ex.Stream
	ctx, cancel := context.WithCancelCause(req.Context())
	var headers *time.Timer
	if stream && t.limits.FirstByte > 0 {
		headers = time.AfterFunc(t.limits.FirstByte, func() {
			cancel(&TimeoutError{Phase: phaseHeaders, Limit: t.limits.FirstByte})
		})
	}
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if headers != nil && !headers.Stop() && err == nil {
		// The deadline fired as the headers arrived: the body is cut.
		resp.Body.Close()
		resp, err = nil, context.Cause(ctx)
	}
	if err != nil {
		var te *TimeoutError
		if errors.As(context.Cause(ctx), &te) {
			err = te
		}
		cancel(nil)
		return nil, err
	}
	success := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if success && ex != nil {
		ex.answered.Store(true)
	}
	var limit int64
	if success && !stream {
		limit = t.limits.MaxBody
	}
	if limit > 0 && resp.ContentLength > limit {
		resp.Body.Close()
		cancel(nil)
		return nil, &BodyTooLargeError{Limit: limit}
	}
	resp.Body = &limitedBody{rc: resp.Body, ctx: ctx, cancel: cancel, idle: t.limits.Idle, limit: limit, ex: ex}
	return resp, nil
}

// limitedBody enforces the idle deadline and the size cap on a body and
// counts what arrived. The idle clock runs only while a Read waits on the
// upstream, so a slow consumer never times the upstream out.
type limitedBody struct {
	rc     io.ReadCloser
	ctx    context.Context
	cancel context.CancelCauseFunc
	idle   time.Duration
	limit  int64
	ex     *Exchange

	mu    sync.Mutex // Close may race a blocked Read
	timer *time.Timer
	n     int64
	err   error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.limit > 0 && int64(len(p)) > b.limit-b.n+1 {
		p = p[:b.limit-b.n+1] // one byte past the cap tells "exactly the cap" from "more"
	}
	b.arm()
	n, err := b.rc.Read(p)
	b.disarm()
	b.n += int64(n)
	if b.ex != nil && n > 0 {
		b.ex.received.Add(int64(n))
	}
	if b.limit > 0 && b.n > b.limit {
		b.err = &BodyTooLargeError{Limit: b.limit}
		return n - int(b.n-b.limit), b.err
	}
	if err != nil && err != io.EOF {
		var te *TimeoutError
		if errors.As(context.Cause(b.ctx), &te) {
			err = te
		}
		b.err = err
	}
	return n, err
}

func (b *limitedBody) arm() {
	if b.idle <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.timer == nil {
		b.timer = time.AfterFunc(b.idle, func() { b.cancel(&TimeoutError{Phase: phaseData, Limit: b.idle}) })
		return
	}
	b.timer.Reset(b.idle)
}

func (b *limitedBody) disarm() {
	if b.idle <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.timer.Stop()
}

func (b *limitedBody) Close() error {
	b.mu.Lock()
	if b.timer != nil {
		b.timer.Stop()
	}
	b.mu.Unlock()
	err := b.rc.Close()
	b.cancel(nil)
	return err
}
