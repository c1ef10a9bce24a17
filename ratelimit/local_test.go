package ratelimit

import (
	"testing"
	"time"
)

func TestLocalConformance(t *testing.T) {
	runConformance(t, func(t *testing.T, now func() time.Time) Limiter { return NewLocal(now) })
}

// TestLocalForgetsIdleSubjects checks that subjects whose windows emptied
// and that hold no slot are dropped, and only those.
func TestLocalForgetsIdleSubjects(t *testing.T) {
	clock := newClock()
	l := NewLocal(clock.Now).(*local)
	limits := Limits{RequestsPerMinute: 10, TokensPerMinute: 100, Concurrent: 1}
	if _, err := l.Acquire(t.Context(), []Subject{{Key: "busy", Limits: limits}}, 5); err != nil {
		t.Fatal(err) // never released: holds a slot
	}
	idle, err := l.Acquire(t.Context(), []Subject{{Key: "idle", Limits: limits}}, 5)
	if err != nil {
		t.Fatal(err)
	}
	idle.Release(t.Context(), 5)

	tests := []struct {
		at   time.Duration
		want []string
	}{
		{at: 59 * time.Second, want: []string{"busy", "idle"}}, // idle still counts
		{at: 60 * time.Second, want: []string{"busy"}},
		{at: 200 * time.Second, want: []string{"busy"}},
	}
	for _, tt := range tests {
		clock.Set(tt.at)
		if _, err := l.Acquire(t.Context(), nil, 0); err != nil {
			t.Fatal(err)
		}
		if len(l.subjects) != len(tt.want) {
			t.Fatalf("at %v: %d subjects kept, want %v", tt.at, len(l.subjects), tt.want)
		}
		for _, k := range tt.want {
			if l.subjects[k] == nil {
				t.Fatalf("at %v: subject %q forgotten, want %v", tt.at, k, tt.want)
			}
		}
	}
}

// TestLocalReleaseAfterSweep checks that a permit whose subject was
// forgotten still records an excess on release.
func TestLocalReleaseAfterSweep(t *testing.T) {
	clock := newClock()
	l := NewLocal(clock.Now)
	subjects := team(Limits{TokensPerMinute: 1000})
	p, err := l.Acquire(t.Context(), subjects, 10)
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(2 * time.Minute)
	if _, err := l.Acquire(t.Context(), nil, 0); err != nil { // sweeps team:acme
		t.Fatal(err)
	}
	p.Release(t.Context(), 1010)
	_, err = l.Acquire(t.Context(), subjects, 1)
	want := Refused{Subject: "team:acme", Limit: LimitTokensPerMinute, RetryAfter: 59750 * ms}
	if r, ok := err.(*Refused); !ok || *r != want {
		t.Fatalf("Acquire = %v, want %+v", err, want)
	}
}

func TestRefusedError(t *testing.T) {
	r := &Refused{Subject: "team:acme", Limit: LimitTokensPerMinute, RetryAfter: 1500 * ms}
	want := `ratelimit: tokens_per_minute limit of "team:acme" reached, retry after 1.5s`
	if got := r.Error(); got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}

func BenchmarkLocalAcquire(b *testing.B) {
	l := NewLocal(nil)
	subjects := []Subject{
		{Key: "team:acme", Limits: Limits{RequestsPerMinute: 1 << 50, TokensPerMinute: 1 << 60, Concurrent: 1 << 20}},
		{Key: "key:acme-1", Limits: Limits{RequestsPerMinute: 1 << 50, TokensPerMinute: 1 << 60, Concurrent: 1 << 20}},
	}
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		p, err := l.Acquire(ctx, subjects, 1000)
		if err != nil {
			b.Fatal(err)
		}
		p.Release(ctx, 800)
	}
}
