package gateway

import (
	"context"
	"errors"
	"log/slog"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/ratelimit"
	"github.com/gatehouse-llm/gatehouse/state"
)

// RateLimits admits calls under each team's and each key's limits (from
// the in-memory state, so no database is involved), through a Limiter
// that is in-process or shared across replicas in Redis.
type RateLimits struct {
	Limiter ratelimit.Limiter
	Logger  *slog.Logger
}

// Admit acquires one permit for the caller's team and key at once. A
// refusal is a 429 with Retry-After. If the limiter itself fails (Redis
// unreachable) the call is let through and the failure logged: limits
// protect throughput, while money is guarded by the database whatever
// happens.
func (r *RateLimits) Admit(ctx context.Context, c *state.Caller, estimatedTokens int64) (func(int64), error) {
	subjects := []ratelimit.Subject{
		{Key: "team:" + c.Team.ID, Limits: limitsOf(c.Team.RateLimits)},
		{Key: "key:" + c.Key.ID, Limits: limitsOf(c.Key.RateLimits)},
	}
	p, err := r.Limiter.Acquire(ctx, subjects, estimatedTokens)
	var refused *ratelimit.Refused
	switch {
	case errors.As(err, &refused):
		who, subject := "team "+c.Team.ID, "team_"
		if refused.Subject != subjects[0].Key {
			who, subject = "this key", "key_"
		}
		return nil, &RateLimited{RetryAfter: refused.RetryAfter, Reason: subject + refused.Limit,
			Err: gatehouse.Errorf(gatehouse.ERATELIMIT, "Rate limit reached for %s: %s.", who, refused.Limit)}
	case err != nil:
		if r.Logger != nil {
			r.Logger.Warn("rate limiter unavailable; admitting the call", "err", err)
		}
		return func(int64) {}, nil
	}
	return func(actual int64) { p.Release(context.WithoutCancel(ctx), actual) }, nil
}

func limitsOf(l gatehouse.RateLimits) ratelimit.Limits {
	return ratelimit.Limits{RequestsPerMinute: l.RequestsPerMinute, TokensPerMinute: l.TokensPerMinute, Concurrent: l.Concurrent}
}
