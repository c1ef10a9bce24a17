package ratelimit

import (
	"context"
	"fmt"
	"time"
)

// Limits for one subject (a team or a key). Zero means unlimited, so a
// subject only pays for the limits it actually has.
type Limits struct {
	RequestsPerMinute int64
	TokensPerMinute   int64
	Concurrent        int64
}

// Subject is one thing being limited, e.g. {Key: "team:acme", Limits: ...}.
// The limits travel with every call rather than being registered up front,
// so a change to a team's limits applies from its next call with no cache
// to invalidate.
type Subject struct {
	Key    string
	Limits Limits
}

// Limiter admits calls. Implementations are safe for concurrent use, so one
// limiter serves a whole gateway.
type Limiter interface {
	// Acquire admits one call for every subject at once (all or nothing:
	// if any subject refuses, nothing is consumed for any of them).
	// estimatedTokens is what the call is expected to use (prompt +
	// allowed output) and is charged against TPM now.
	// On refusal it returns a *Refused error saying which subject and
	// which limit, and how long to wait (RetryAfter > 0). Any other error
	// (invalid input, a cancelled context, Redis unreachable) means the
	// limiter could not decide. The Permit is nil whenever err is not.
	// On success the returned Permit must be released exactly once.
	Acquire(ctx context.Context, subjects []Subject, estimatedTokens int64) (Permit, error)
}

// Permit is an admitted call. It exists so the limiter can learn how the
// call ended: its concurrency slot is held and its token estimate stands
// until Release.
type Permit interface {
	// Release ends the call: frees its concurrency slot and corrects the
	// TPM charge from the estimate to actualTokens (which may be larger or
	// smaller; a negative value counts as zero). Safe to call more than
	// once (only the first counts). It deliberately ignores the
	// cancellation of ctx, because a call whose client went away must
	// still give its slot back.
	Release(ctx context.Context, actualTokens int64)
}

// Names of the limits, as reported in Refused.Limit, so callers can map a
// refusal to a response or metric without spelling the strings themselves.
const (
	LimitRequestsPerMinute = "requests_per_minute"
	LimitTokensPerMinute   = "tokens_per_minute"
	LimitConcurrent        = "concurrent"
)

// Window is the length of the RPM and TPM sliding windows; exported so
// callers can explain limits ("per minute") without a second constant.
const Window = time.Minute

// ConcurrencyLease bounds how long a Redis concurrency slot survives without
// Release, so slots held by a crashed replica come back on their own. It
// is longer than any sane LLM call (the gateway's total call timeout is ten
// minutes), so live calls never lose their slot.
const ConcurrencyLease = 10 * time.Minute

// concurrencyRetry is the RetryAfter hint for a concurrency refusal: there
// is no way to know when another call will end, so it is a short poll.
const concurrencyRetry = time.Second

// Refused says why a call was not admitted, so the gateway can answer 429
// with a useful Retry-After and tell the caller which limit it hit.
type Refused struct {
	Subject    string        // the Subject.Key that refused
	Limit      string        // "requests_per_minute", "tokens_per_minute" or "concurrent"
	RetryAfter time.Duration // when trying again can succeed (> 0, millisecond resolution)
}

// Error describes the refusal for logs; it names the subject key, so do not
// send it to a client that should not learn other subjects' keys.
func (r *Refused) Error() string {
	return fmt.Sprintf("ratelimit: %s limit of %q reached, retry after %s", r.Limit, r.Subject, r.RetryAfter)
}
