package ratelimit

import (
	"context"
	"sync/atomic"
)

// redisPermit is a call admitted by the Redis limiter. Its id names its
// concurrency slots, so Release removes exactly this call's members.
type redisPermit struct {
	l        *redisLimiter
	id       string
	estimate int64
	second   int64 // bucket the estimate was charged to
	charges  []charge
	released atomic.Bool
}

// Release implements Permit in one round trip (release.lua), or none when
// there is no slot to free and no correction to make. It runs detached
// from ctx's cancellation, bounded by releaseTimeout. A failure cannot be
// reported: the slot then comes back when its lease ends and the TPM
// correction is lost.
func (p *redisPermit) Release(ctx context.Context, actualTokens int64) {
	if !p.released.CompareAndSwap(false, true) {
		return
	}
	delta := max(actualTokens, 0) - p.estimate
	cur := secondOf(p.l.now().UnixMilli())
	keys := make([]string, 0, 2*len(p.charges))
	args := make([]any, 0, 5+2*len(p.charges))
	args = append(args, cur, p.second, delta, p.id, windowTTL.Milliseconds())
	for _, c := range p.charges {
		tokens := c.tokens && delta != 0
		if !tokens && !c.slot {
			continue
		}
		keys = append(keys, p.l.key("tpm", c.key), p.l.key("concurrent", c.key))
		args = append(args, flag(tokens), flag(c.slot))
	}
	if len(keys) == 0 {
		return
	}

	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	_ = releaseScript.Run(ctx, p.l.client, keys, args...).Err()
}

// flag encodes a bool as the script expects it.
func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
