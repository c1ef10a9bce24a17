package ratelimit

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	// windowTTL keeps a window key for a minute beyond its newest bucket,
	// so replicas whose clocks disagree by less than that still read the
	// same buckets, and an idle window still disappears by itself.
	windowTTL = 2 * Window
	// slotsTTL keeps a concurrency key a minute beyond its newest lease.
	slotsTTL = ConcurrencyLease + time.Minute
	// releaseTimeout bounds Release, which cannot rely on its caller's
	// context (see Permit.Release).
	releaseTimeout = 5 * time.Second
	// hashTag puts every key of a limiter in one Redis Cluster slot, since
	// a script may only touch keys of one slot. A prefix with its own tag
	// overrides it, as Redis hashes only the first {…}.
	hashTag = "{ratelimit}:"
)

// redisLimiter keeps the counts in Redis so every replica enforces one
// combined limit.
type redisLimiter struct {
	client redis.UniversalClient
	prefix string
	now    func() time.Time
}

// NewRedis returns a Limiter whose counts live in Redis, shared by every
// replica that uses the same Redis and prefix; that is what makes a limit
// hold behind a load balancer. prefix namespaces the keys (for example
// "gatehouse:") so several deployments can share one Redis. now is the
// clock (nil means time.Now); it is passed to Redis with every call so all
// replicas use their own synchronised clocks and tests can move time.
func NewRedis(client redis.UniversalClient, prefix string, now func() time.Time) Limiter {
	if now == nil {
		now = time.Now
	}
	return &redisLimiter{client: client, prefix: prefix, now: now}
}

// key names the Redis key holding one kind of count for one subject.
func (l *redisLimiter) key(kind, subject string) string {
	return l.prefix + hashTag + kind + ":" + subject
}

// Acquire implements Limiter in one round trip (acquire.lua).
func (l *redisLimiter) Acquire(ctx context.Context, subjects []Subject, estimatedTokens int64) (Permit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if l.client == nil {
		return nil, errors.New("ratelimit: no Redis client")
	}
	subs, err := normalize(subjects, estimatedTokens)
	if err != nil {
		return nil, err
	}
	nowMs := l.now().UnixMilli()
	p := &redisPermit{l: l, id: rand.Text(), estimate: estimatedTokens, second: secondOf(nowMs)}

	var sent []string // keys of the subjects sent to Redis, in order
	keys := make([]string, 0, 3*len(subs))
	args := make([]any, 0, 8+3*len(subs))
	args = append(args, nowMs, p.second, estimatedTokens, p.id,
		nowMs+ConcurrencyLease.Milliseconds(), windowTTL.Milliseconds(),
		slotsTTL.Milliseconds(), concurrencyRetry.Milliseconds())
	for _, s := range subs {
		lim := s.Limits
		if lim == (Limits{}) {
			continue // unlimited: nothing to check or charge
		}
		sent = append(sent, s.Key)
		keys = append(keys, l.key("rpm", s.Key), l.key("tpm", s.Key), l.key("concurrent", s.Key))
		args = append(args, lim.RequestsPerMinute, lim.TokensPerMinute, lim.Concurrent)
		if c := (charge{key: s.Key, tokens: lim.TokensPerMinute > 0, slot: lim.Concurrent > 0}); c.tokens || c.slot {
			p.charges = append(p.charges, c)
		}
	}
	if len(keys) == 0 {
		return p, nil // nobody is limited: no need to ask Redis
	}

	reply, err := acquireScript.Run(ctx, l.client, keys, args...).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("ratelimit: redis acquire: %w", err)
	}
	switch {
	case len(reply) == 1 && reply[0] == 1:
		return p, nil
	case len(reply) == 4 && reply[0] == 0:
		i, code, wait := reply[1], reply[2], reply[3]
		if i >= 1 && i <= int64(len(sent)) && code >= 1 && code < int64(len(scriptLimits)) && wait > 0 {
			return nil, &Refused{Subject: sent[i-1], Limit: scriptLimits[code], RetryAfter: time.Duration(wait) * time.Millisecond}
		}
	}
	return nil, fmt.Errorf("ratelimit: redis acquire: unexpected reply %v", reply)
}
