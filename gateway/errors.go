package gateway

import (
	"errors"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/provider"
)

// ClientError turns a call's failure into the error its client sees. The
// provider's own explanation is kept (adapters already removed secrets
// from it) and the kind decides the status: the client's request was
// wrong (400), the provider is rate limiting (429), or the provider failed
// (502). A provider refusing the operator's credential is the operator's
// problem, not the client's, so it is a 502 and never a 401. A model
// skipped by its open circuit breaker is a 503 with Retry-After.
func ClientError(err error) error {
	var open *circuitOpen
	if errors.As(err, &open) {
		secs := max(int64((open.retryAfter+time.Second-1)/time.Second), 1)
		return &Unavailable{Err: gatehouse.Errorf(gatehouse.EUNAVAILABLE,
			"The model is failing repeatedly and is skipped for a moment; try again in %d s.", secs), RetryAfter: time.Duration(secs) * time.Second}
	}
	pe, ok := provider.AsError(err)
	if !ok {
		return err // already an application error (no access, no credential) or internal
	}
	name := pe.Provider
	if name == "" {
		name = "provider"
	}
	switch pe.Kind {
	case provider.ErrBadRequest:
		return gatehouse.Errorf(gatehouse.EINVALID, "%s rejected the request: %s", name, pe.Message)
	case provider.ErrContentFilter:
		return gatehouse.Errorf(gatehouse.EINVALID, "%s refused the content: %s", name, pe.Message)
	case provider.ErrRateLimited:
		return &RateLimited{Err: gatehouse.Errorf(gatehouse.ERATELIMIT, "%s is rate limiting: %s", name, pe.Message), RetryAfter: pe.RetryAfter}
	case provider.ErrAuth:
		return gatehouse.Errorf(gatehouse.EUPSTREAM, "%s rejected the gateway's credential (the operator must fix it): %s", name, pe.Message)
	case provider.ErrTimeout:
		return gatehouse.Errorf(gatehouse.EUPSTREAM, "%s timed out: %s", name, pe.Message)
	}
	return gatehouse.Errorf(gatehouse.EUPSTREAM, "%s failed (%s): %s", name, pe.Kind, pe.Message)
}

// RateLimited is a 429 carrying the upstream's Retry-After.
type RateLimited struct {
	Err        *gatehouse.Error
	RetryAfter time.Duration
	// Reason says which of Gatehouse's own limits refused (see
	// RefusalReason); "" when the provider is the one rate limiting.
	Reason string
}

func (r *RateLimited) Error() string { return r.Err.Error() }

// Unwrap exposes the application error for status mapping.
func (r *RateLimited) Unwrap() error { return r.Err }

// Unavailable is a 503 carrying when to try again: a model skipped by its
// open circuit breaker.
type Unavailable struct {
	Err        *gatehouse.Error
	RetryAfter time.Duration
}

func (u *Unavailable) Error() string { return u.Err.Error() }

// Unwrap exposes the application error for status mapping.
func (u *Unavailable) Unwrap() error { return u.Err }

// RetryAfter is how long a client should wait before repeating a call that
// failed with err (a provider's rate limit or an open circuit breaker), 0
// when there is no such hint.
func RetryAfter(err error) time.Duration {
	var rl *RateLimited
	if errors.As(err, &rl) && rl.RetryAfter > 0 {
		return rl.RetryAfter
	}
	var un *Unavailable
	if errors.As(err, &un) {
		return un.RetryAfter
	}
	var open *circuitOpen
	if errors.As(err, &open) {
		return max(open.retryAfter, time.Second)
	}
	if pe, ok := provider.AsError(err); ok && pe.Kind == provider.ErrRateLimited {
		return pe.RetryAfter
	}
	return 0
}
