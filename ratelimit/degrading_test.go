package ratelimit

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a log sink tests can read while the limiter writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// When Redis stops, limits keep holding, counted in this process (with a
// warning and the degraded gauge set); when it returns, they are shared
// again.
func TestDegradingFallsBackToLocalAndRecovers(t *testing.T) {
	m, client := miniClient(t)
	var logs lockedBuffer
	d := NewDegrading(NewRedis(client, uniquePrefix(t, client), nil), NewLocal(nil), slog.New(slog.NewTextHandler(&logs, nil)))
	d.ProbeInterval = 50 * time.Millisecond
	ctx := context.Background()
	subject := func(key string) []Subject { return []Subject{{Key: key, Limits: Limits{RequestsPerMinute: 2}}} }
	acquire := func(key string) error {
		t.Helper()
		p, err := d.Acquire(ctx, subject(key), 0)
		if p != nil {
			p.Release(ctx, 0)
		}
		var refused *Refused
		if err != nil && !errors.As(err, &refused) {
			t.Fatalf("Acquire returned %v; a Degrading limiter must decide, not fail", err)
		}
		return err
	}

	for i, want := range []bool{true, true, false} {
		if got := acquire("shared") == nil; got != want {
			t.Fatalf("healthy call %d admitted=%v, want %v", i, got, want)
		}
	}
	if st := d.Stats(); st != (DegradationStats{}) {
		t.Fatalf("healthy stats %+v", st)
	}

	m.Close() // Redis stops
	for i, want := range []bool{true, true, false} {
		if got := acquire("local") == nil; got != want {
			t.Fatalf("degraded call %d admitted=%v, want %v (the limit must still hold, per replica)", i, got, want)
		}
	}
	if st := d.Stats(); !st.Degraded || st.Outages != 1 || st.Fallbacks != 3 {
		t.Fatalf("degraded stats %+v, want degraded, 1 outage, 3 fallbacks", st)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "per replica") {
		t.Fatalf("no warning logged on degradation:\n%s", logs.String())
	}

	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; d.Stats().Degraded; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("still degraded 10s after Redis came back: %+v", d.Stats())
		}
		acquire("probe" + string(rune('a'+i%26)))
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "back") {
		t.Fatalf("no recovery logged:\n%s", logs.String())
	}
	if st := d.Stats(); st.Outages != 1 {
		t.Fatalf("recovered stats %+v", st)
	}
}

// slowLimiter never answers before its context ends, like a Redis that
// accepts connections but does not reply.
type slowLimiter struct{}

func (slowLimiter) Acquire(ctx context.Context, _ []Subject, _ int64) (Permit, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// A shared limiter that hangs costs a call at most SharedTimeout, and
// while degraded only probes wait at all.
func TestDegradingBoundsASlowSharedLimiter(t *testing.T) {
	d := NewDegrading(slowLimiter{}, NewLocal(nil), nil)
	d.SharedTimeout, d.ProbeInterval = 20*time.Millisecond, time.Hour
	ctx := context.Background()
	for range 50 {
		p, err := d.Acquire(ctx, []Subject{{Key: "k", Limits: Limits{Concurrent: 100}}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		p.Release(ctx, 0)
	}
	if st := d.Stats(); !st.Degraded || st.Outages != 1 || st.Fallbacks != 50 {
		t.Fatalf("stats %+v, want degraded once with 50 fallbacks", st)
	}
}

// A caller's own errors (bad input, a cancelled context) are not outages.
func TestDegradingCallerErrorsAreNotOutages(t *testing.T) {
	d := NewDegrading(slowLimiter{}, NewLocal(nil), nil)
	d.SharedTimeout = time.Hour
	if _, err := d.Acquire(context.Background(), []Subject{{Key: ""}}, 0); err == nil {
		t.Fatal("empty key accepted")
	}
	if _, err := d.Acquire(context.Background(), nil, -1); err == nil {
		t.Fatal("negative estimate accepted")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := d.Acquire(ctx, []Subject{{Key: "k", Limits: Limits{Concurrent: 1}}}, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled caller: %v", err)
	}
	if st := d.Stats(); st != (DegradationStats{}) {
		t.Fatalf("caller errors counted as an outage: %+v", st)
	}
}
