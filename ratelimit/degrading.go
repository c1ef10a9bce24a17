package ratelimit

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Default timings of a Degrading limiter.
const (
	// DefaultSharedTimeout bounds one decision of the shared limiter. A
	// Redis round trip takes well under a millisecond; a Redis that takes
	// half a second is as good as gone for a call that waits on it.
	DefaultSharedTimeout = 500 * time.Millisecond
	// DefaultProbeInterval is how often, while degraded, one call tries the
	// shared limiter again.
	DefaultProbeInterval = time.Second
)

// Degrading is a Limiter that enforces limits through a shared limiter
// (Redis, so every replica enforces one combined limit) and, while that
// one cannot decide (Redis down, unreachable or too slow), through an
// in-process one, so that limits still hold per replica instead of not at
// all. Each replica then allows the full limit on its own: with N
// replicas a team can get up to N times its limit until the shared
// limiter is back. Money is unaffected either way: credits are guarded by
// the database, never by the rate limiter.
//
// It logs a warning when it degrades and an info line when it recovers,
// and reports its state through Stats for metrics. While degraded, one
// call per ProbeInterval tries the shared limiter again (bounded by
// SharedTimeout); every other call goes straight to the local one, so an
// outage costs no latency beyond those probes.
//
// Counts do not move between the two: calls admitted by one are unknown
// to the other, which is what "per replica while degraded" means.
type Degrading struct {
	// SharedTimeout bounds each decision of the shared limiter; zero means
	// DefaultSharedTimeout. Set before first use.
	SharedTimeout time.Duration
	// ProbeInterval spaces the attempts to return to the shared limiter
	// while degraded; zero means DefaultProbeInterval. Set before first use.
	ProbeInterval time.Duration

	shared, local Limiter
	logger        *slog.Logger

	mu        sync.Mutex
	since     time.Time // when the current degradation began; zero when healthy
	nextProbe time.Time

	degraded  atomic.Bool
	fallbacks atomic.Int64
	outages   atomic.Int64
}

// NewDegrading returns a limiter that uses shared and falls back to local
// while shared fails. logger receives the degrade and recover lines (nil
// discards them).
func NewDegrading(shared, local Limiter, logger *slog.Logger) *Degrading {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Degrading{shared: shared, local: local, logger: logger}
}

// DegradationStats is a Degrading limiter's state, for a metrics exporter
// (a gauge and two counters) and for tests.
type DegradationStats struct {
	// Degraded is true while limits are counted per replica.
	Degraded bool
	// Fallbacks counts the calls decided by the local limiter because the
	// shared one could not be used.
	Fallbacks int64
	// Outages counts the times the shared limiter became unusable.
	Outages int64
}

// Stats reports the limiter's state. It is cheap (atomic loads) and safe
// to call from any goroutine, e.g. on every metrics scrape.
func (d *Degrading) Stats() DegradationStats {
	return DegradationStats{Degraded: d.degraded.Load(), Fallbacks: d.fallbacks.Load(), Outages: d.outages.Load()}
}

// Acquire implements Limiter.
func (d *Degrading) Acquire(ctx context.Context, subjects []Subject, estimatedTokens int64) (Permit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Input errors are the caller's, not an outage: report them as such.
	if _, err := normalize(subjects, estimatedTokens); err != nil {
		return nil, err
	}
	if d.tryShared() {
		sctx, cancel := context.WithTimeout(ctx, orDefault(d.SharedTimeout, DefaultSharedTimeout))
		p, err := d.shared.Acquire(sctx, subjects, estimatedTokens)
		cancel()
		var refused *Refused
		if err == nil || errors.As(err, &refused) {
			d.recovered()
			return p, err
		}
		if ctx.Err() != nil {
			return nil, ctx.Err() // the caller gave up; that says nothing about Redis
		}
		d.failed(err)
	}
	d.fallbacks.Add(1)
	return d.local.Acquire(ctx, subjects, estimatedTokens)
}

// tryShared reports whether this call should ask the shared limiter:
// always while healthy; while degraded, one call per probe interval.
func (d *Degrading) tryShared() bool {
	if !d.degraded.Load() {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	if now.Before(d.nextProbe) {
		return false
	}
	d.nextProbe = now.Add(orDefault(d.ProbeInterval, DefaultProbeInterval))
	return true
}

// failed notes that the shared limiter could not decide.
func (d *Degrading) failed(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	d.nextProbe = now.Add(orDefault(d.ProbeInterval, DefaultProbeInterval))
	if !d.since.IsZero() {
		return // a probe failed: still degraded, already reported
	}
	d.since = now
	d.degraded.Store(true)
	d.outages.Add(1)
	d.logger.Warn("shared rate limiter unavailable: rate limits now count per replica until it is back", "err", err)
}

// recovered notes that the shared limiter decided again.
func (d *Degrading) recovered() {
	if !d.degraded.Load() {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.since.IsZero() {
		return
	}
	d.logger.Info("shared rate limiter is back: rate limits are shared across replicas again",
		"degraded_for", time.Since(d.since).Round(time.Millisecond))
	d.since = time.Time{}
	d.degraded.Store(false)
}

// orDefault returns v, or def when v is not positive.
func orDefault(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}
