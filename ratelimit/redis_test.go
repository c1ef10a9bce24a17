package ratelimit

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// miniClient starts an in-memory Redis for one test and connects to it.
func miniClient(t *testing.T) (*miniredis.Miniredis, *redis.Client) {
	t.Helper()
	m := miniredis.RunT(t)
	return m, newClient(t, &redis.Options{Addr: m.Addr()})
}

// newClient connects with opt and closes the client when the test ends.
func newClient(t *testing.T, opt *redis.Options) *redis.Client {
	t.Helper()
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// realRedisOptions returns how to reach the Redis named by
// GATEHOUSE_TEST_REDIS_URL, and skips the test when it is not set.
func realRedisOptions(t *testing.T) *redis.Options {
	t.Helper()
	url := os.Getenv("GATEHOUSE_TEST_REDIS_URL")
	if url == "" {
		t.Skip("set GATEHOUSE_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run against a real Redis")
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("GATEHOUSE_TEST_REDIS_URL: %v", err)
	}
	return opt
}

// uniquePrefix returns a key prefix no other test or run uses, and deletes
// whatever was stored under it when the test ends.
func uniquePrefix(t *testing.T, c redis.UniversalClient) string {
	t.Helper()
	prefix := "gatehouse-test:" + rand.Text() + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			_ = c.Del(ctx, iter.Val()).Err()
		}
	})
	return prefix
}

func TestRedisConformance(t *testing.T) {
	runConformance(t, func(t *testing.T, now func() time.Time) Limiter {
		_, c := miniClient(t)
		return NewRedis(c, "gatehouse:", now)
	})
}

func TestRedisConformanceRealRedis(t *testing.T) {
	c := newClient(t, realRedisOptions(t))
	if err := c.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("GATEHOUSE_TEST_REDIS_URL: %v", err)
	}
	runConformance(t, func(t *testing.T, now func() time.Time) Limiter {
		return NewRedis(c, uniquePrefix(t, c), now)
	})
}

// TestRedisReplicasShareLimits has two limiters, each with its own client
// as two gateway replicas would, enforce one combined limit.
func TestRedisReplicasShareLimits(t *testing.T) {
	t.Run("miniredis", func(t *testing.T) {
		m, a := miniClient(t)
		b := newClient(t, &redis.Options{Addr: m.Addr()})
		testReplicas(t, a, b, "gatehouse:")
	})
	t.Run("redis", func(t *testing.T) {
		opt := realRedisOptions(t)
		a, b := newClient(t, opt), newClient(t, opt)
		testReplicas(t, a, b, uniquePrefix(t, a))
	})
}

func testReplicas(t *testing.T, a, b redis.UniversalClient, prefix string) {
	clock := newClock()
	replicas := []Limiter{NewRedis(a, prefix, clock.Now), NewRedis(b, prefix, clock.Now)}
	subjects := team(Limits{RequestsPerMinute: 4, TokensPerMinute: 1000, Concurrent: 2})
	steps := []struct {
		replica int
		op
	}{
		{0, op{at: 0, tokens: 600, hold: "a"}},
		{1, op{at: 0, tokens: 401, want: refused(LimitTokensPerMinute, 59750*ms)}},
		{1, op{at: 0, tokens: 400, hold: "b"}},
		{0, op{at: 0, tokens: 0, want: refused(LimitConcurrent, time.Second)}},
		{0, op{at: time.Second, release: "a", tokens: 100}},
		{1, op{at: time.Second, tokens: 500, hold: "c"}},
		{0, op{at: time.Second, tokens: 0, want: refused(LimitConcurrent, time.Second)}},
		{1, op{at: time.Second, release: "b", tokens: 400}},
		{1, op{at: time.Second, release: "c", tokens: 500}},
		{0, op{at: time.Second, tokens: 0}},
		{1, op{at: time.Second, tokens: 0, want: refused(LimitRequestsPerMinute, 58750*ms)}},
	}
	held := map[string]Permit{}
	for i, s := range steps {
		clock.Set(s.at)
		if s.release != "" {
			held[s.release].Release(t.Context(), s.tokens)
			continue
		}
		p, err := replicas[s.replica].Acquire(t.Context(), subjects, s.tokens)
		checkAcquire(t, i, s.op, p, err)
		if p != nil && s.hold != "" {
			held[s.hold] = p
		}
	}
}

// TestRedisKeys checks the key layout and that every key expires on its
// own, so idle subjects leave nothing behind.
func TestRedisKeys(t *testing.T) {
	m, c := miniClient(t)
	clock := newClock()
	l := NewRedis(c, "gh:", clock.Now)
	subjects := team(Limits{RequestsPerMinute: 10, TokensPerMinute: 1000, Concurrent: 2})

	held, err := l.Acquire(t.Context(), subjects, 100)
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.Acquire(t.Context(), subjects, 100)
	if err != nil {
		t.Fatal(err)
	}
	p.Release(t.Context(), 300)

	want := map[string]time.Duration{
		"gh:{ratelimit}:rpm:team:acme":        2 * time.Minute,
		"gh:{ratelimit}:tpm:team:acme":        2 * time.Minute,
		"gh:{ratelimit}:concurrent:team:acme": 11 * time.Minute,
	}
	keys := m.Keys()
	if len(keys) != len(want) {
		t.Fatalf("keys = %v, want %d keys", keys, len(want))
	}
	for _, k := range keys {
		if ttl, ok := want[k]; !ok || m.TTL(k) != ttl {
			t.Fatalf("key %q has TTL %v, want one of %v", k, m.TTL(k), want)
		}
	}
	if got, want := m.HGet("gh:{ratelimit}:tpm:team:acme", "1893456000"), "400"; got != want {
		t.Fatalf("tokens charged = %s, want %s", got, want)
	}

	held.Release(t.Context(), 100)
	if slices.Contains(m.Keys(), "gh:{ratelimit}:concurrent:team:acme") {
		t.Fatal("concurrency key kept after its last slot was released")
	}
	m.FastForward(2 * time.Minute)
	if keys := m.Keys(); len(keys) != 0 {
		t.Fatalf("keys left two minutes after the last call: %v", keys)
	}
}

// TestRedisLeaseFreesAbandonedSlots checks that a slot never released (its
// replica died) comes back when its lease ends, and not before.
func TestRedisLeaseFreesAbandonedSlots(t *testing.T) {
	_, c := miniClient(t)
	clock := newClock()
	l := NewRedis(c, "gh:", clock.Now)
	subjects := team(Limits{Concurrent: 1})
	if _, err := l.Acquire(t.Context(), subjects, 0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at   time.Duration
		want *Refused
	}{
		{at: ConcurrencyLease - ms, want: refused(LimitConcurrent, time.Second)},
		{at: ConcurrencyLease},
		{at: ConcurrencyLease, want: refused(LimitConcurrent, time.Second)},
	}
	for i, tt := range tests {
		clock.Set(tt.at)
		p, err := l.Acquire(t.Context(), subjects, 0)
		checkAcquire(t, i, op{at: tt.at, want: tt.want}, p, err)
	}
	if n := c.ZCard(t.Context(), "gh:{ratelimit}:concurrent:team:acme").Val(); n != 1 {
		t.Fatalf("%d slots recorded, want 1 (the expired lease pruned)", n)
	}
}

// countingHook counts the commands a client sends.
type countingHook struct{ n atomic.Int64 }

func (h *countingHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h *countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// TestRedisRoundTrips checks that Acquire and Release cost one command
// each, and none when there is nothing to check or undo.
func TestRedisRoundTrips(t *testing.T) {
	_, c := miniClient(t)
	hook := new(countingHook)
	c.AddHook(hook)
	l := NewRedis(c, "gh:", newClock().Now)
	all := []Subject{
		{Key: "team:acme", Limits: Limits{RequestsPerMinute: 100, TokensPerMinute: 1000, Concurrent: 5}},
		{Key: "key:acme-1", Limits: Limits{RequestsPerMinute: 100, TokensPerMinute: 1000, Concurrent: 5}},
	}
	// Warm up: the first call of each script also loads it.
	p, err := l.Acquire(t.Context(), all, 1)
	if err != nil {
		t.Fatal(err)
	}
	p.Release(t.Context(), 2)

	tests := []struct {
		name               string
		subjects           []Subject
		actual             int64
		acquires, releases int64
	}{
		{"all limits", all, 20, 1, 1},
		{"all limits, exact estimate", all, 10, 1, 1},
		{"requests only", team(Limits{RequestsPerMinute: 100}), 20, 1, 0},
		{"tokens only, exact estimate", team(Limits{TokensPerMinute: 1000}), 10, 1, 0},
		{"unlimited", team(Limits{}), 20, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hook.n.Store(0)
			p, err := l.Acquire(t.Context(), tt.subjects, 10)
			if err != nil {
				t.Fatal(err)
			}
			if got := hook.n.Swap(0); got != tt.acquires {
				t.Fatalf("Acquire sent %d commands, want %d", got, tt.acquires)
			}
			p.Release(t.Context(), tt.actual)
			if got := hook.n.Load(); got != tt.releases {
				t.Fatalf("Release sent %d commands, want %d", got, tt.releases)
			}
		})
	}
}

// TestRedisErrors checks that a Redis that cannot answer is an error the
// caller can tell from a refusal, never a panic or a silent admission.
func TestRedisErrors(t *testing.T) {
	m, c := miniClient(t)
	down := newClient(t, &redis.Options{Addr: m.Addr(), MaxRetries: -1})
	m.Close()
	tests := []struct {
		name   string
		client redis.UniversalClient
	}{
		{"unreachable", down},
		{"no client", nil},
		{"closed client", c},
	}
	_ = c.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewRedis(tt.client, "gh:", nil)
			p, err := l.Acquire(t.Context(), team(Limits{RequestsPerMinute: 1}), 0)
			var r *Refused
			if err == nil || p != nil || errors.As(err, &r) {
				t.Fatalf("Acquire = %v, %v; want a plain error", p, err)
			}
		})
	}
}

// TestRedisReleaseIgnoresCancellation checks that a call whose context was
// cancelled (its client went away) still gives its slot back.
func TestRedisReleaseIgnoresCancellation(t *testing.T) {
	_, c := miniClient(t)
	l := NewRedis(c, "gh:", newClock().Now)
	subjects := team(Limits{Concurrent: 1})
	ctx, cancel := context.WithCancel(t.Context())
	p, err := l.Acquire(ctx, subjects, 0)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	p.Release(ctx, 0)
	if _, err := l.Acquire(t.Context(), subjects, 0); err != nil {
		t.Fatalf("Acquire after a release with a cancelled context: %v", err)
	}
}
