package gateway

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// breakerScope names what one circuit breaker watches: one upstream
// credential serving one deployment. Today a deployment is the provider
// model an alias points at ("openai/gpt-4o"); when aliases route to
// deployments (one model on several accounts or regions), the
// deployment's id takes its place and nothing else changes. A failing
// model therefore never switches off the credential's other models.
type breakerScope struct {
	// Credential is the stored credential's id, or the provider and base
	// URL of a credential taken from the environment.
	Credential string
	// Deployment is what the credential serves the call with.
	Deployment string
}

// outcome is what one request (all its attempts on one target) says
// about the upstream's health.
type outcome int

const (
	// neutral says nothing: the caller's own input was refused (bad
	// request, content filter, context length), the provider asked to slow
	// down (429, whose Retry-After is honoured instead), the client went
	// away, or a mock directive simulated the failure.
	neutral outcome = iota
	healthy
	// failing: server errors, timeouts, network failures, broken answers,
	// or a credential the provider refuses.
	failing
)

// outcomeOf classifies a request's last error on a target.
func outcomeOf(err error) outcome {
	if err == nil {
		return healthy
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// The client left, or the call ran out of its total time: the
		// call's own budget, which a caller's request can exhaust.
		return neutral
	}
	pe, ok := provider.AsError(err)
	if !ok || pe.RequestScoped {
		return neutral
	}
	switch pe.Kind {
	case provider.ErrServer, provider.ErrTimeout, provider.ErrNetwork, provider.ErrBadResponse,
		provider.ErrStreamTruncated, provider.ErrAuth:
		return failing
	}
	return neutral // bad request, content filter, rate limited
}

// breakers keeps the circuit breakers of every scope, at two levels, so
// that no tenant can switch a model off for the others:
//
//   - one shared per scope, which opens only when failures came from at
//     least two different teams: a model that fails for everyone is
//     skipped for everyone, but one team's requests alone never open it,
//     whatever they send;
//   - one per scope and team, which spares a team whose requests keep
//     failing the wait of retries against a dead model, and affects that
//     team only.
//
// Each counts requests, not attempts: a request's retries on one target
// are one success or one failure. A breaker opens after threshold
// consecutive failing requests, refuses calls for openFor (answered with
// 503 and Retry-After, or a fallback alias), then lets one trial request
// through (half-open): its success closes the breaker, its failure opens
// it again. Any healthy request on the scope closes both levels.
type breakers struct {
	now       func() time.Time
	threshold int
	openFor   time.Duration
	mu        sync.Mutex
	state     map[breakerKey]*breaker
}

// breakerKey is one breaker: a scope, shared (team "") or one team's.
type breakerKey struct {
	breakerScope
	team string
}

type breaker struct {
	failures  int       // consecutive failing requests
	teams     [2]string // the first two distinct teams among them (shared level)
	openUntil time.Time
	trial     bool // a half-open trial request is in flight
}

func newBreakers(now func() time.Time, threshold int, openFor time.Duration) *breakers {
	return &breakers{now: now, threshold: threshold, openFor: openFor, state: map[breakerKey]*breaker{}}
}

// maxBreakers bounds the breakers kept; past it, those not open are
// forgotten (they only hold a count of recent failures).
const maxBreakers = 10000

// tripped reports whether br has reached its opening condition; it then
// refuses calls until its open period ends.
func (b *breakers) tripped(br *breaker, shared bool) bool {
	if br == nil || br.failures < b.threshold {
		return false
	}
	return !shared || br.teams[1] != ""
}

// allow reports whether a request of team may use scope now, and if not,
// how long until it may. A breaker whose open period ended admits one
// trial request.
func (b *breakers) allow(scope breakerScope, team string) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	shared, own := b.state[breakerKey{scope, ""}], b.state[breakerKey{scope, team}]
	var trials []*breaker
	for _, level := range []struct {
		br     *breaker
		shared bool
	}{{shared, true}, {own, false}} {
		br := level.br
		if !b.tripped(br, level.shared) {
			continue
		}
		if now.Before(br.openUntil) {
			return false, br.openUntil.Sub(now)
		}
		if br.trial {
			return false, time.Second // a trial request is deciding right now
		}
		trials = append(trials, br)
	}
	for _, br := range trials {
		br.trial = true
	}
	return true, 0
}

// record notes one request's outcome on scope.
func (b *breakers) record(scope breakerScope, team string, o outcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	sharedKey, ownKey := breakerKey{scope, ""}, breakerKey{scope, team}
	switch o {
	case healthy:
		delete(b.state, sharedKey)
		delete(b.state, ownKey)
	case neutral:
		for _, k := range []breakerKey{sharedKey, ownKey} {
			if br := b.state[k]; br != nil {
				br.trial = false
			}
		}
	case failing:
		if len(b.state) >= maxBreakers {
			b.prune()
		}
		for _, k := range []breakerKey{sharedKey, ownKey} {
			br := b.state[k]
			if br == nil {
				br = &breaker{}
				b.state[k] = br
			}
			br.failures++
			br.trial = false
			switch {
			case br.teams[0] == "":
				br.teams[0] = team
			case br.teams[1] == "" && br.teams[0] != team:
				br.teams[1] = team
			}
			if b.tripped(br, k.team == "") {
				br.openUntil = b.now().Add(b.openFor)
			}
		}
	}
}

// prune forgets breakers that are not open.
func (b *breakers) prune() {
	now := b.now()
	for k, br := range b.state {
		if !now.Before(br.openUntil) && !br.trial {
			delete(b.state, k)
		}
	}
}
