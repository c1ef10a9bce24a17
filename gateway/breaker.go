package gateway

import (
	"sync"
	"time"
)

// breakers keeps one circuit breaker per provider credential, so an
// upstream account that keeps failing is skipped (and its aliases fall
// back at once) instead of being hammered by every request.
//
// A breaker opens after failureThreshold consecutive failures, refuses
// calls for openFor, then lets a single trial call through (half-open):
// its success closes the breaker, its failure opens it again.
type breakers struct {
	now              func() time.Time
	failureThreshold int
	openFor          time.Duration
	mu               sync.Mutex
	state            map[string]*breaker
}

type breaker struct {
	failures  int
	openUntil time.Time
	trial     bool // a half-open trial call is in flight
}

func newBreakers(now func() time.Time, threshold int, openFor time.Duration) *breakers {
	return &breakers{now: now, failureThreshold: threshold, openFor: openFor, state: map[string]*breaker{}}
}

// allow reports whether a call to key may proceed now.
func (b *breakers) allow(key string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	br := b.state[key]
	if br == nil || br.failures < b.failureThreshold {
		return true
	}
	if b.now().Before(br.openUntil) || br.trial {
		return false
	}
	br.trial = true
	return true
}

// record notes a call's outcome. Only failures that say something about
// the upstream (server errors, timeouts, network, auth) count; a bad
// request is the caller's fault.
func (b *breakers) record(key string, failed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	br := b.state[key]
	if !failed {
		delete(b.state, key)
		return
	}
	if br == nil {
		br = &breaker{}
		b.state[key] = br
	}
	br.failures++
	br.trial = false
	if br.failures >= b.failureThreshold {
		br.openUntil = b.now().Add(b.openFor)
	}
}
