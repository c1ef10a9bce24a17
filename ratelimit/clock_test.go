package ratelimit

import (
	"sync"
	"time"
)

// start is where every test clock begins: a quarter of a second into a
// one-second bucket, so tests show that windows slide by whole buckets and
// that RetryAfter counts from the exact instant.
var start = time.UnixMilli(1_893_456_000_250) // 2030-01-01T00:00:00.250Z

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: start} }

// Now is the clock function handed to limiters.
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to start+offset.
func (c *fakeClock) Set(offset time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = start.Add(offset)
}
