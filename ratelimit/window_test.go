package ratelimit

import (
	"testing"
	"time"
)

func TestSecondOf(t *testing.T) {
	tests := []struct {
		ms, want int64
	}{
		{0, 0},
		{999, 0},
		{1000, 1},
		{1_893_456_000_250, 1_893_456_000},
		{-1, -1}, // before 1970 still rounds down
		{-1000, -1},
		{-1001, -2},
	}
	for _, tt := range tests {
		if got := secondOf(tt.ms); got != tt.want {
			t.Errorf("secondOf(%d) = %d, want %d", tt.ms, got, tt.want)
		}
		if s := slot(secondOf(tt.ms)); s < 0 || s >= windowSeconds {
			t.Errorf("slot(secondOf(%d)) = %d, want 0..%d", tt.ms, s, windowSeconds-1)
		}
	}
}

// TestWindowClockSteppingBack checks that a clock moving backwards neither
// panics nor forgets usage: a bucket ahead of the clock keeps counting.
func TestWindowClockSteppingBack(t *testing.T) {
	var w window
	w.charge(100, 5)
	tests := []struct {
		cur, want int64
	}{
		{100, 5},
		{90, 5},  // stepped back ten seconds
		{159, 5}, // last second the bucket counts
		{160, 0},
	}
	for _, tt := range tests {
		if got := w.used(tt.cur); got != tt.want {
			t.Errorf("used(%d) = %d, want %d", tt.cur, got, tt.want)
		}
	}
	w.charge(40, 1) // shares the slot of second 100, which must not be lost
	if got := w.used(100); got != 6 {
		t.Errorf("used(100) after a charge at second 40 = %d, want 6", got)
	}
	if got := w.retryAfter(100_000, 100, 6, 1, 6); got != 60*time.Second {
		t.Errorf("retryAfter = %v, want 1m0s", got)
	}
}
