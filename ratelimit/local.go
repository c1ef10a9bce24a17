package ratelimit

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// local keeps every subject's counts in process behind one mutex: a check
// and a charge of a few subjects takes well under a microsecond, far less
// than any LLM call, so finer locking would buy nothing but lock ordering.
type local struct {
	now       func() time.Time
	mu        sync.Mutex
	subjects  map[string]*localSubject
	nextSweep int64 // second at which idle subjects are next forgotten
}

// localSubject is what the in-process limiter knows about one subject.
type localSubject struct {
	requests window
	tokens   window
	inFlight int64
}

// unseen stands in, read-only, for a subject with no state yet, so that
// checking a new subject creates nothing when the call is refused.
var unseen localSubject

// NewLocal returns a Limiter that counts in this process only: right for a
// single replica and for tests, wrong behind a load balancer, where each
// replica would allow the full limit. Counts die with the process, so
// concurrency needs no lease. now is the clock (nil means time.Now);
// injecting it lets tests move time.
func NewLocal(now func() time.Time) Limiter {
	if now == nil {
		now = time.Now
	}
	return &local{now: now, subjects: make(map[string]*localSubject)}
}

// Acquire implements Limiter.
func (l *local) Acquire(ctx context.Context, subjects []Subject, estimatedTokens int64) (Permit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	subs, err := normalize(subjects, estimatedTokens)
	if err != nil {
		return nil, err
	}
	nowMs := l.now().UnixMilli()
	cur := secondOf(nowMs)

	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(cur)

	var refused *Refused
	for _, s := range subs {
		st := l.subjects[s.Key]
		if st == nil {
			st = &unseen
		}
		if lim := s.Limits.RequestsPerMinute; lim > 0 {
			if used := st.requests.used(cur); used+1 > lim {
				refused = worse(refused, s.Key, LimitRequestsPerMinute, st.requests.retryAfter(nowMs, cur, used, 1, lim))
			}
		}
		if lim := s.Limits.TokensPerMinute; lim > 0 {
			if used := st.tokens.used(cur); used+estimatedTokens > lim {
				refused = worse(refused, s.Key, LimitTokensPerMinute, st.tokens.retryAfter(nowMs, cur, used, estimatedTokens, lim))
			}
		}
		if lim := s.Limits.Concurrent; lim > 0 && st.inFlight+1 > lim {
			refused = worse(refused, s.Key, LimitConcurrent, concurrencyRetry)
		}
	}
	if refused != nil {
		return nil, refused
	}

	p := &localPermit{l: l, estimate: estimatedTokens, second: cur}
	for _, s := range subs {
		if s.Limits == (Limits{}) {
			continue // unlimited: nothing to charge, nothing to remember
		}
		st := l.subjects[s.Key]
		if st == nil {
			st = new(localSubject)
			l.subjects[s.Key] = st
		}
		c := charge{key: s.Key}
		if s.Limits.RequestsPerMinute > 0 {
			st.requests.charge(cur, 1)
		}
		if s.Limits.TokensPerMinute > 0 {
			st.tokens.charge(cur, estimatedTokens)
			c.tokens = true
		}
		if s.Limits.Concurrent > 0 {
			st.inFlight++
			c.slot = true
		}
		if c.tokens || c.slot {
			p.charges = append(p.charges, c)
		}
	}
	return p, nil
}

// sweep forgets subjects with nothing in flight and nothing left in their
// windows, at most once a window, so a gateway serving many short-lived
// keys does not grow without bound. Callers hold l.mu.
func (l *local) sweep(cur int64) {
	if cur < l.nextSweep {
		return
	}
	l.nextSweep = cur + windowSeconds
	for k, st := range l.subjects {
		if st.inFlight == 0 && st.requests.idle(cur) && st.tokens.idle(cur) {
			delete(l.subjects, k)
		}
	}
}

// charge records what a permit holds against one subject, so Release
// undoes exactly that even if the subject's limits changed meanwhile.
type charge struct {
	key    string
	tokens bool // the estimate was charged to the subject's TPM window
	slot   bool // the call holds one of the subject's concurrency slots
}

// localPermit is a call admitted by the in-process limiter.
type localPermit struct {
	l        *local
	estimate int64
	second   int64 // bucket the estimate was charged to
	charges  []charge
	released atomic.Bool
}

// Release implements Permit.
func (p *localPermit) Release(_ context.Context, actualTokens int64) {
	if !p.released.CompareAndSwap(false, true) || len(p.charges) == 0 {
		return
	}
	delta := max(actualTokens, 0) - p.estimate
	cur := secondOf(p.l.now().UnixMilli())

	l := p.l
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range p.charges {
		st := l.subjects[c.key]
		if st == nil {
			// Swept: nothing in flight and the estimate already expired,
			// so only an excess is left to record.
			if !c.tokens || delta <= 0 {
				continue
			}
			st = new(localSubject)
			l.subjects[c.key] = st
		}
		if c.tokens {
			switch {
			case delta > 0:
				st.tokens.charge(cur, delta)
			case delta < 0:
				st.tokens.refund(p.second, cur, -delta)
			}
		}
		if c.slot && st.inFlight > 0 {
			st.inFlight--
		}
	}
}
