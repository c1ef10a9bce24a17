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
// problem, not the client's, so it is a 502 and never a 401.
func ClientError(err error) error {
	if errors.Is(err, errCircuitOpen) {
		return gatehouse.Errorf(gatehouse.EUPSTREAM, "The provider is failing repeatedly and is being skipped for a moment; try again shortly.")
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
}

func (r *RateLimited) Error() string { return r.Err.Error() }

// Unwrap exposes the application error for status mapping.
func (r *RateLimited) Unwrap() error { return r.Err }
