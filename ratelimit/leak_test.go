package ratelimit

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine is still running
// once they are done: background work here (pollers, recorders, streams,
// limiters) must stop when its owner does.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
