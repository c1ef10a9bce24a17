package ratelimit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// constructor returns a new, empty limiter reading the clock now. The suite
// calls it once per test, so tests never share counts.
type constructor func(t *testing.T, now func() time.Time) Limiter

// runConformance is the behaviour every Limiter must have; both
// implementations run it, so they cannot drift apart.
func runConformance(t *testing.T, newLimiter constructor) {
	t.Run("RequestsPerMinute", func(t *testing.T) { runScenarios(t, newLimiter, requestScenarios) })
	t.Run("TokensPerMinute", func(t *testing.T) { runScenarios(t, newLimiter, tokenScenarios) })
	t.Run("Concurrent", func(t *testing.T) { runScenarios(t, newLimiter, concurrencyScenarios) })
	t.Run("AllOrNothing", func(t *testing.T) { runScenarios(t, newLimiter, allOrNothingScenarios) })
	t.Run("ReleaseTwice", func(t *testing.T) { runScenarios(t, newLimiter, releaseTwiceScenarios) })
	t.Run("Unlimited", func(t *testing.T) { runScenarios(t, newLimiter, unlimitedScenarios) })
	t.Run("InvalidInput", func(t *testing.T) { testInvalidInput(t, newLimiter) })
	t.Run("CancelledContext", func(t *testing.T) { testCancelledContext(t, newLimiter) })
	t.Run("ConcurrencyRace", func(t *testing.T) { testConcurrencyRace(t, newLimiter) })
}

// op is one step of a scenario: an Acquire, or the Release of a permit an
// earlier Acquire kept.
type op struct {
	at       time.Duration // clock, from start
	release  string        // name of the permit to release; empty to acquire
	tokens   int64         // estimate to acquire, or actual tokens to release
	hold     string        // acquire only: name to keep the permit under
	subjects []Subject     // acquire only: overrides the scenario's subjects
	want     *Refused      // acquire only: the refusal expected; nil to expect admission
}

// scenario is a sequence of ops against one fresh limiter.
type scenario struct {
	name     string
	subjects []Subject
	ops      []op
}

func runScenarios(t *testing.T, newLimiter constructor, scenarios []scenario) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			clock := newClock()
			l := newLimiter(t, clock.Now)
			held := map[string]Permit{}
			for i, o := range sc.ops {
				clock.Set(o.at)
				if o.release != "" {
					p := held[o.release]
					if p == nil {
						t.Fatalf("op %d: no permit named %q", i, o.release)
					}
					p.Release(t.Context(), o.tokens)
					continue
				}
				subjects := o.subjects
				if subjects == nil {
					subjects = sc.subjects
				}
				p, err := l.Acquire(t.Context(), subjects, o.tokens)
				checkAcquire(t, i, o, p, err)
				if p != nil && o.hold != "" {
					held[o.hold] = p
				}
			}
		})
	}
}

// checkAcquire compares the outcome of op number i with what it expected.
func checkAcquire(t *testing.T, i int, o op, p Permit, err error) {
	t.Helper()
	if o.want == nil {
		if err != nil || p == nil {
			t.Fatalf("op %d at %v: Acquire(%d tokens) = %v, %v; want admission", i, o.at, o.tokens, p, err)
		}
		return
	}
	var got *Refused
	if !errors.As(err, &got) {
		t.Fatalf("op %d at %v: Acquire(%d tokens) = %v, %v; want %+v", i, o.at, o.tokens, p, err, *o.want)
	}
	if *got != *o.want || p != nil {
		t.Fatalf("op %d at %v: Acquire(%d tokens) refused with %+v (permit %v); want %+v", i, o.at, o.tokens, *got, p, *o.want)
	}
}

// team is the subject most scenarios limit.
func team(l Limits) []Subject { return []Subject{{Key: "team:acme", Limits: l}} }

// refused builds an expected refusal of team:acme.
func refused(limit string, retryAfter time.Duration) *Refused {
	return &Refused{Subject: "team:acme", Limit: limit, RetryAfter: retryAfter}
}

const ms = time.Millisecond

// The clock starts 250 ms into second 0, so a charge at offset 0 leaves the
// window when second 60 begins, at offset 59.75 s.
var requestScenarios = []scenario{
	{
		name:     "burst fills the minute",
		subjects: team(Limits{RequestsPerMinute: 3}),
		ops: []op{
			{at: 0}, {at: 0}, {at: 0},
			{at: 0, want: refused(LimitRequestsPerMinute, 59750*ms)},
			{at: 30 * time.Second, want: refused(LimitRequestsPerMinute, 29750*ms)},
			{at: 59749 * ms, want: refused(LimitRequestsPerMinute, 1*ms)},
			{at: 59750 * ms}, {at: 59750 * ms}, {at: 59750 * ms},
			{at: 59750 * ms, want: refused(LimitRequestsPerMinute, 60*time.Second)},
		},
	},
	{
		name:     "window slides one bucket at a time",
		subjects: team(Limits{RequestsPerMinute: 3}),
		ops: []op{
			{at: 0},
			{at: 20 * time.Second},
			{at: 40 * time.Second},
			// The charge of second 0 frees the first slot at 59.75 s.
			{at: 40 * time.Second, want: refused(LimitRequestsPerMinute, 19750*ms)},
			{at: 59749 * ms, want: refused(LimitRequestsPerMinute, 1*ms)},
			{at: 59750 * ms},
			// Next to leave is second 20, at 79.75 s.
			{at: 59750 * ms, want: refused(LimitRequestsPerMinute, 20*time.Second)},
			{at: 79750 * ms},
			{at: 79750 * ms, want: refused(LimitRequestsPerMinute, 20*time.Second)},
		},
	},
	{
		name:     "charges in the same second leave together",
		subjects: team(Limits{RequestsPerMinute: 2}),
		ops: []op{
			{at: 0},
			{at: 700 * ms}, // still second 0
			{at: 800 * ms, want: refused(LimitRequestsPerMinute, 58950*ms)},
			{at: 59750 * ms}, {at: 59750 * ms},
		},
	},
}

var tokenScenarios = []scenario{
	{
		name:     "estimate is charged at acquire",
		subjects: team(Limits{TokensPerMinute: 1000}),
		ops: []op{
			{at: 0, tokens: 600},
			{at: 0, tokens: 401, want: refused(LimitTokensPerMinute, 59750*ms)},
			{at: 0, tokens: 400},
			{at: 0, tokens: 1, want: refused(LimitTokensPerMinute, 59750*ms)},
			{at: 0, tokens: 0}, // exactly at the limit still admits a free call
		},
	},
	{
		name:     "big actual blocks the next call",
		subjects: team(Limits{TokensPerMinute: 1000}),
		ops: []op{
			{at: 0, tokens: 100, hold: "p"},
			{at: 10 * time.Second, release: "p", tokens: 1000},
			// 100 counted at second 0, the 900 excess at second 10; once
			// second 0 leaves (59.75 s) one token fits.
			{at: 10 * time.Second, tokens: 1, want: refused(LimitTokensPerMinute, 49750*ms)},
			{at: 59750 * ms, tokens: 101, want: refused(LimitTokensPerMinute, 10*time.Second)},
			{at: 59750 * ms, tokens: 100},
		},
	},
	{
		name:     "actual beyond the limit blocks even free calls",
		subjects: team(Limits{TokensPerMinute: 1000}),
		ops: []op{
			{at: 0, tokens: 100, hold: "p"},
			{at: 10 * time.Second, release: "p", tokens: 1200},
			{at: 10 * time.Second, tokens: 0, want: refused(LimitTokensPerMinute, 59750*ms)},
			{at: 69750 * ms, tokens: 1000},
		},
	},
	{
		name:     "small actual frees room",
		subjects: team(Limits{TokensPerMinute: 1000}),
		ops: []op{
			{at: 0, tokens: 1000, hold: "p"},
			{at: 0, tokens: 1, want: refused(LimitTokensPerMinute, 59750*ms)},
			{at: 5 * time.Second, release: "p", tokens: 100},
			{at: 5 * time.Second, tokens: 901, want: refused(LimitTokensPerMinute, 54750*ms)},
			{at: 5 * time.Second, tokens: 900},
			{at: 5 * time.Second, tokens: 1, want: refused(LimitTokensPerMinute, 54750*ms)},
		},
	},
	{
		name:     "refund comes off the bucket it was charged to",
		subjects: team(Limits{TokensPerMinute: 1000}),
		ops: []op{
			{at: 0, tokens: 600, hold: "p"},
			{at: 30 * time.Second, release: "p", tokens: 100},
			{at: 30 * time.Second, tokens: 900},
			// Second 0 (100 left of 600) has gone: 900 of second 30 remain.
			{at: 59750 * ms, tokens: 100},
			{at: 59750 * ms, tokens: 1, want: refused(LimitTokensPerMinute, 30*time.Second)},
		},
	},
	{
		name:     "refund after the estimate expired gives nothing back",
		subjects: team(Limits{TokensPerMinute: 1000}),
		ops: []op{
			{at: 0, tokens: 600, hold: "p"},
			{at: 61 * time.Second, release: "p", tokens: 0},
			{at: 61 * time.Second, tokens: 1000},
			{at: 61 * time.Second, tokens: 1, want: refused(LimitTokensPerMinute, 59750*ms)},
		},
	},
	{
		name:     "actual equal to the estimate changes nothing",
		subjects: team(Limits{TokensPerMinute: 1000}),
		ops: []op{
			{at: 0, tokens: 700, hold: "p"},
			{at: 1 * time.Second, release: "p", tokens: 700},
			{at: 1 * time.Second, tokens: 301, want: refused(LimitTokensPerMinute, 58750*ms)},
			{at: 1 * time.Second, tokens: 300},
		},
	},
	{
		name:     "estimate above the limit waits a full window",
		subjects: team(Limits{TokensPerMinute: 1000}),
		ops: []op{
			{at: 0, tokens: 1001, want: refused(LimitTokensPerMinute, time.Minute)},
			{at: 0, tokens: 1000},
		},
	},
}

var concurrencyScenarios = []scenario{
	{
		name:     "slots are held until release",
		subjects: team(Limits{Concurrent: 2}),
		ops: []op{
			{at: 0, hold: "a"},
			{at: 0, hold: "b"},
			{at: 0, want: refused(LimitConcurrent, time.Second)},
			{at: 5 * time.Minute, want: refused(LimitConcurrent, time.Second)}, // time alone frees nothing (within a lease)
			{at: 5 * time.Minute, release: "a"},
			{at: 5 * time.Minute, hold: "c"},
			{at: 5 * time.Minute, want: refused(LimitConcurrent, time.Second)},
			{at: 5 * time.Minute, release: "b"},
			{at: 5 * time.Minute, release: "c"},
			{at: 5 * time.Minute, hold: "d"},
			{at: 5 * time.Minute, hold: "e"},
		},
	},
}

// The team has room everywhere the key does not; a refusal by the key must
// leave the team exactly as it was.
var (
	acmeTeam = Subject{Key: "team:acme", Limits: Limits{RequestsPerMinute: 2, TokensPerMinute: 100, Concurrent: 1}}
	acmeKey  = Subject{Key: "key:acme-1", Limits: Limits{RequestsPerMinute: 1}}
)

var allOrNothingScenarios = []scenario{
	{
		name:     "key refuses, team keeps its room",
		subjects: []Subject{acmeTeam, acmeKey},
		ops: []op{
			{at: 0, tokens: 60, hold: "first"},
			{at: 0, release: "first", tokens: 60},
			{at: 0, tokens: 40, want: &Refused{Subject: "key:acme-1", Limit: LimitRequestsPerMinute, RetryAfter: 59750 * ms}},
			// Had the refused call been charged to the team, this would
			// exceed its RPM and TPM.
			{at: 0, tokens: 40, subjects: []Subject{acmeTeam}, hold: "second"},
			// Now RPM (59.75 s) and concurrency (1 s) both refuse; the
			// longer wait is reported.
			{at: 0, tokens: 0, subjects: []Subject{acmeTeam}, want: refused(LimitRequestsPerMinute, 59750*ms)},
		},
	},
	{
		name:     "order of subjects does not matter",
		subjects: []Subject{acmeKey, acmeTeam},
		ops: []op{
			{at: 0, tokens: 100, hold: "first"},
			{at: 1 * time.Second, release: "first", tokens: 100},
			{at: 1 * time.Second, tokens: 0, want: &Refused{Subject: "key:acme-1", Limit: LimitRequestsPerMinute, RetryAfter: 58750 * ms}},
			{at: 1 * time.Second, tokens: 0, subjects: []Subject{acmeTeam}},
		},
	},
	{
		name: "duplicate keys are one subject under the stricter limit",
		subjects: []Subject{
			{Key: "team:acme", Limits: Limits{RequestsPerMinute: 5}},
			{Key: "team:acme", Limits: Limits{RequestsPerMinute: 2, TokensPerMinute: 10}},
		},
		ops: []op{
			{at: 0, tokens: 5},
			{at: 0, tokens: 5},
			{at: 0, tokens: 0, want: refused(LimitRequestsPerMinute, 59750*ms)},
		},
	},
}

var releaseTwiceScenarios = []scenario{
	{
		name:     "second release is ignored",
		subjects: team(Limits{TokensPerMinute: 100, Concurrent: 1}),
		ops: []op{
			{at: 0, tokens: 50, hold: "p"},
			{at: 0, release: "p", tokens: 10},
			{at: 0, release: "p", tokens: 10},   // would refund 40 again
			{at: 0, release: "p", tokens: 5000}, // would charge an excess
			{at: 0, tokens: 90, hold: "q"},
			{at: 0, tokens: 0, want: refused(LimitConcurrent, time.Second)}, // a freed slot counted twice would admit this
			{at: 0, release: "q", tokens: 90},
			{at: 0, tokens: 1, want: refused(LimitTokensPerMinute, 59750*ms)},
		},
	},
}

var unlimitedScenarios = []scenario{
	{
		name:     "zero limits admit everything",
		subjects: team(Limits{}),
		ops:      repeat(op{at: 0, tokens: 1 << 40, hold: "p"}, 500),
	},
	{
		name:     "only the non-zero limit applies",
		subjects: team(Limits{TokensPerMinute: 10}),
		ops: append(repeat(op{at: 0, tokens: 0, hold: "p"}, 200),
			op{at: 0, tokens: 10},
			op{at: 0, tokens: 1, want: refused(LimitTokensPerMinute, 59750*ms)}),
	},
	{
		name:     "no subjects admit everything",
		subjects: []Subject{},
		ops:      repeat(op{at: 0, tokens: 1 << 40}, 10),
	},
}

// repeat returns n copies of o.
func repeat(o op, n int) []op {
	ops := make([]op, n)
	for i := range ops {
		ops[i] = o
	}
	return ops
}

func testInvalidInput(t *testing.T, newLimiter constructor) {
	tests := []struct {
		name     string
		subjects []Subject
		tokens   int64
	}{
		{"negative estimate", team(Limits{TokensPerMinute: 10}), -1},
		{"negative requests limit", team(Limits{RequestsPerMinute: -1}), 0},
		{"negative tokens limit", team(Limits{TokensPerMinute: -1}), 0},
		{"negative concurrency limit", team(Limits{Concurrent: -1}), 0},
		{"empty key", []Subject{{Key: "", Limits: Limits{RequestsPerMinute: 1}}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLimiter(t, newClock().Now)
			p, err := l.Acquire(t.Context(), tt.subjects, tt.tokens)
			var r *Refused
			if err == nil || p != nil || errors.As(err, &r) {
				t.Fatalf("Acquire = %v, %v; want a plain error and no permit", p, err)
			}
		})
	}
}

func testCancelledContext(t *testing.T, newLimiter constructor) {
	l := newLimiter(t, newClock().Now)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	p, err := l.Acquire(ctx, team(Limits{RequestsPerMinute: 1}), 0)
	if !errors.Is(err, context.Canceled) || p != nil {
		t.Fatalf("Acquire = %v, %v; want context.Canceled", p, err)
	}
	// Nothing was consumed.
	if _, err := l.Acquire(t.Context(), team(Limits{RequestsPerMinute: 1}), 0); err != nil {
		t.Fatalf("Acquire after a cancelled one: %v", err)
	}
}

// testConcurrencyRace has many goroutines compete for few slots and checks,
// from the callers' side, that no more calls ever run at once than allowed.
func testConcurrencyRace(t *testing.T, newLimiter constructor) {
	const (
		limit      = 10
		goroutines = 50
		callsEach  = 10
	)
	l := newLimiter(t, newClock().Now)
	subjects := []Subject{
		{Key: "team:acme", Limits: Limits{Concurrent: limit}},
		{Key: "key:acme-1", Limits: Limits{Concurrent: limit + 5}},
	}
	var inFlight, peak, admitted atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for range goroutines {
		wg.Go(func() {
			for done := 0; done < callsEach; {
				p, err := l.Acquire(t.Context(), subjects, 0)
				var r *Refused
				switch {
				case errors.As(err, &r):
					time.Sleep(r.RetryAfter / 200) // scaled down: 5 ms for a concurrency refusal
					continue
				case err != nil:
					errs <- err
					return
				}
				n := inFlight.Add(1)
				for old := peak.Load(); n > old && !peak.CompareAndSwap(old, n); old = peak.Load() {
				}
				time.Sleep(5 * time.Millisecond)
				inFlight.Add(-1)
				p.Release(t.Context(), 0)
				admitted.Add(1)
				done++
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Acquire: %v", err)
	}
	t.Logf("peak calls in flight: %d of %d", peak.Load(), limit)
	if got := peak.Load(); got > limit || got < 1 {
		t.Fatalf("peak calls in flight = %d, want 1..%d", got, limit)
	}
	if got := admitted.Load(); got != goroutines*callsEach {
		t.Fatalf("admitted %d calls, want %d", got, goroutines*callsEach)
	}
	// Every slot came back: exactly limit calls fit again.
	for i := range limit + 1 {
		_, err := l.Acquire(t.Context(), subjects, 0)
		if want := i < limit; (err == nil) != want {
			t.Fatalf("Acquire %d after the race: %v, want admitted=%v", i, err, want)
		}
	}
}
