package mock

import (
	"context"
	"time"
)

// sleepContext waits for d, or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// spread divides total over n waits; the first takes the remainder so the
// waits add up to total exactly.
func spread(total time.Duration, n int) []time.Duration {
	if n <= 0 {
		return nil
	}
	each := total / time.Duration(n)
	waits := make([]time.Duration, n)
	for i := range waits {
		waits[i] = each
	}
	waits[0] += total - each*time.Duration(n)
	return waits
}
