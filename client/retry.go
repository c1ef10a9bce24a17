package client

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter is the longest Retry-After the client sits out by itself.
// A longer one is returned to the caller as the *APIError (with its
// RetryAfter), because silently blocking for minutes is worse than letting
// the caller decide.
const MaxRetryAfter = time.Minute

// retryClass says when a request may be repeated.
type retryClass int

const (
	// idempotent requests do the same thing however often they are sent:
	// reads, metadata merges, completing a job, creating one under an
	// Idempotency-Key. They are retried on network errors, 429 and 5xx.
	idempotent retryClass = iota
	// beforeWork requests run a model and may cost money; they are
	// retried only when the server certainly did nothing: it answered 429
	// or 503, or the request never fully left this process.
	beforeWork
)

// shouldRetry applies the retry rule to one failed attempt. apiErr is the
// server's answer (nil for a network error); sent reports whether the
// whole request was written to the connection.
func shouldRetry(class retryClass, apiErr *APIError, sent bool) bool {
	if apiErr == nil {
		return class == idempotent || !sent
	}
	switch s := apiErr.StatusCode; {
	case s == http.StatusTooManyRequests, s == http.StatusServiceUnavailable:
		return true
	case s >= 500:
		return class == idempotent
	}
	return false
}

// retryWait is the wait before retry n (1-based): the server's Retry-After
// when it gave one, else exponential backoff with equal jitter. ok is
// false when the wait should not be sat out: the Retry-After is above
// MaxRetryAfter or the context's deadline comes first.
func (c *Client) retryWait(ctx context.Context, n int, apiErr *APIError) (time.Duration, bool) {
	var d time.Duration
	if apiErr != nil && apiErr.RetryAfter > 0 {
		if apiErr.RetryAfter > MaxRetryAfter {
			return 0, false
		}
		d = apiErr.RetryAfter
	} else {
		exp := c.backoffBase << (n - 1)
		if exp > c.backoffMax || exp <= 0 {
			exp = c.backoffMax
		}
		d = exp/2 + rand.N(exp/2+1)
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return 0, false
	}
	return d, true
}

// parseRetryAfter reads a Retry-After header: whole seconds or an HTTP
// date. Zero when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
