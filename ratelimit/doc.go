// Package ratelimit admits LLM calls against per-team and per-key limits:
// requests per minute (RPM), tokens per minute (TPM) and concurrent
// requests. NewLocal keeps the counts in process, for a single replica;
// NewRedis keeps them in Redis, so every replica sharing that Redis enforces
// one combined limit.
//
// # Admission
//
// Acquire checks every limit of every subject (typically the team and the
// virtual key) and only then charges them all, so a refused call consumes
// nothing anywhere. A limit of zero is unlimited and is neither checked nor
// counted. Subjects with the same Key in one call are one subject: they are
// charged once, under the stricter non-zero value of each limit. When several
// limits refuse, the *Refused reports the one with the longest RetryAfter,
// since the call cannot succeed before that one allows it.
//
// # Windows
//
// RPM and TPM are sliding windows of one minute made of one-second buckets.
// Time is read from the injected clock at millisecond resolution and a
// charge made at any instant of second S (Unix seconds) counts until S+60
// begins, that is for between 59 and 60 seconds. A call is admitted when the
// usage of the last 60 buckets plus its own cost (1 request; its estimated
// tokens) does not exceed the limit. RetryAfter on refusal is the exact time
// until enough of the oldest buckets leave the window, assuming nobody else
// is charged meanwhile; it is at millisecond resolution, so round it up to
// whole seconds for a Retry-After header. A cost larger than the limit
// itself can never be admitted; it is refused with a RetryAfter of one
// minute, so callers that want to answer such a call differently (it is too
// large, not too early) should compare the estimate with the limit first.
//
// # Token corrections
//
// Acquire charges the estimated tokens (prompt plus allowed output) to the
// current second. Release corrects the charge to the actual usage so TPM
// reflects what was really spent:
//
//   - a shortfall (actual < estimate) is taken back from the bucket the
//     estimate went to, if that bucket is still in the window; a refund
//     placed anywhere later would outlive the charge it cancels and let
//     the window under-count once the charge expired. If the estimate has
//     already left the window there is nothing left to take back.
//   - an excess (actual > estimate) is charged to the second of Release,
//     when the tokens are known to have been spent, and counts for the
//     following minute like any other charge.
//
// A window can therefore exceed its limit after a large correction; it then
// refuses every call, whatever its estimate, until enough usage expires.
//
// # Concurrency
//
// The concurrency count is the number of permits not yet released. In
// process it is a counter. In Redis it is a sorted set of permit ids scored
// by a lease expiry (ConcurrencyLease after Acquire); Acquire prunes expired
// members before counting, so permits held by a replica that died come back
// by themselves once their lease ends. A call that really runs longer than
// the lease stops counting against the limit at that point. Concurrency
// refusals carry a RetryAfter hint of one second.
//
// # Redis
//
// Acquire is one round trip: a Lua script that checks every subject and
// limit and only then charges them, atomically (a Redis that has not seen
// the script yet gets it once more, in a second round trip). Release is
// one round trip too, and none at all when there is nothing to undo. Time
// comes from the injected clock and is passed to the scripts (Redis TIME
// is never used), so replicas should keep their clocks in sync with NTP; a
// skew of a few seconds only shifts bucket boundaries. Every key carries a
// PEXPIRE, so an idle subject leaves nothing behind: window keys expire two
// minutes after their last charge, concurrency keys one minute after their
// newest lease ends. All keys of a limiter share the Redis Cluster hash tag
// "{ratelimit}" (or the prefix's own tag, when it has one), because one
// script must only touch keys of one slot; rate limiting therefore lives
// on a single shard.
//
// Redis errors are returned from Acquire as plain errors, never as
// *Refused, so the caller can choose to fail open. A reply lost after the
// script ran (a timeout) leaves its charges in place: the slot of such a
// failed Acquire returns when its lease ends, and a retry by the client
// may count the call twice against RPM and TPM, never against concurrency
// (a slot is keyed by permit id), so errors only ever make limits
// stricter.
//
// Neither implementation panics on bad input: negative limits or token
// estimates and empty keys are errors.
package ratelimit
