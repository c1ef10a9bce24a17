package lease

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

// fakeStore grants leases from one team's free credits the way sqlstore
// does (at least need, whole units up to want and a quarter of what is
// free), and counts its round trips.
type fakeStore struct {
	mu                sync.Mutex
	free, leased      gatehouse.Credits
	acquires, returns int
}

func (s *fakeStore) AcquireLease(_ context.Context, team string, want, need, unit gatehouse.Credits) (gatehouse.Credits, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acquires++
	if s.free < need {
		return 0, gatehouse.CreditsRefusal(team, s.free+s.leased, s.leased, need)
	}
	granted := need
	if extra := min(want, s.free/4) - need; extra > 0 {
		granted += extra / unit * unit
	}
	s.free -= granted
	s.leased += granted
	return granted, nil
}

func (s *fakeStore) ReturnLease(_ context.Context, team string, amount gatehouse.Credits) (gatehouse.Credits, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.returns++
	if amount <= 0 || amount > s.leased {
		amount = s.leased
	}
	s.leased -= amount
	s.free += amount
	return amount, nil
}

// charge takes a settled charge out of the lease, as the record's
// transaction does.
func (s *fakeStore) charge(c gatehouse.Credits) {
	s.mu.Lock()
	s.leased -= c
	s.mu.Unlock()
}

const one = gatehouse.OneCredit

func TestAdmitsFromMemoryAndGrowsWithDemand(t *testing.T) {
	s := &fakeStore{free: 10_000 * one}
	m := NewManager(s, nil, nil)
	ctx := context.Background()
	for i := range 1000 {
		tk, err := m.Admit(ctx, "t", one)
		if err != nil {
			t.Fatalf("admission %d: %v", i, err)
		}
		from := tk.Settle(one)
		if from != one {
			t.Fatalf("the lease paid %s of a one-credit job", from)
		}
		s.charge(from)
		tk.Done(m, true, false)
	}
	// Extensions double while they come fast: far fewer round trips than
	// admissions (8, 16, 32, ... credits).
	if s.acquires > 12 {
		t.Errorf("%d lease acquisitions for 1000 admissions; want a handful", s.acquires)
	}
	if got, want := s.free+s.leased, (10_000-1000)*one; got != want {
		t.Errorf("free + leased = %s, want %s", got, want)
	}
	if m.Unused("t") != s.leased {
		t.Errorf("the lease says %s unused, the store holds %s for it", m.Unused("t"), s.leased)
	}
}

func TestLastCreditsAreLeasedOneAdmissionAtATime(t *testing.T) {
	for _, tc := range []struct {
		name         string
		credits      gatehouse.Credits
		concurrent   int
		wantAdmitted int
	}{
		{"ten credits, fifty callers", 10 * one, 50, 10},
		{"one credit, ten callers", one, 10, 1},
		{"none", 0, 5, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &fakeStore{free: tc.credits}
			m := NewManager(s, nil, nil)
			var mu sync.Mutex
			var tickets []*Ticket
			var wg sync.WaitGroup
			for range tc.concurrent {
				wg.Go(func() {
					tk, err := m.Admit(context.Background(), "t", one)
					if err != nil {
						if gatehouse.ErrorCode(err) != gatehouse.ECREDITS && gatehouse.ErrorCode(err) != gatehouse.ERATELIMIT {
							t.Errorf("refusal %v", err)
						}
						return
					}
					mu.Lock()
					tickets = append(tickets, tk)
					mu.Unlock()
				})
			}
			wg.Wait()
			if len(tickets) != tc.wantAdmitted {
				t.Fatalf("%d admitted, want %d", len(tickets), tc.wantAdmitted)
			}
			if s.free != 0 && tc.credits > 0 {
				t.Errorf("%s left free while callers were refused", s.free)
			}
			for _, tk := range tickets {
				tk.Done(m, true, false) // failed calls: nothing charged
			}
			if m.Unused("t") != tc.credits {
				t.Errorf("after the calls failed the lease holds %s unused, want %s", m.Unused("t"), tc.credits)
			}
		})
	}
}

func TestIdleLeaseIsReturned(t *testing.T) {
	s := &fakeStore{free: 100 * one}
	m := NewManager(s, nil, nil)
	tk, err := m.Admit(context.Background(), "t", one)
	if err != nil {
		t.Fatal(err)
	}
	m.returnIdle(context.Background(), 0)
	if s.returns != 0 {
		t.Fatalf("a lease with a call in flight was returned")
	}
	s.charge(tk.Settle(one))
	tk.Done(m, true, false)
	time.Sleep(time.Millisecond)
	m.returnIdle(context.Background(), 0)
	if s.leased != 0 || s.free != 99*one {
		t.Fatalf("after the idle return: leased %s, free %s; want 0 and 99", s.leased, s.free)
	}
	if m.Unused("t") != 0 {
		t.Fatalf("the returned lease still counts %s unused", m.Unused("t"))
	}
}

func TestStaleHeartbeatStopsAdmissions(t *testing.T) {
	s := &fakeStore{free: 100 * one}
	fresh := true
	m := NewManager(s, func() bool { return fresh }, nil)
	if _, err := m.Admit(context.Background(), "t", one); err != nil {
		t.Fatal(err)
	}
	fresh = false
	if _, err := m.Admit(context.Background(), "t", one); gatehouse.ErrorCode(err) != gatehouse.EUNAVAILABLE {
		t.Fatalf("admission with a stale heartbeat: %v, want unavailable", err)
	}
	if m.Unused("t") != 0 {
		t.Fatalf("a stale process still counts its lease")
	}
}

func TestLostLeaseIsForgotten(t *testing.T) {
	s := &fakeStore{free: 100 * one}
	m := NewManager(s, nil, nil)
	tk, err := m.Admit(context.Background(), "t", one)
	if err != nil {
		t.Fatal(err)
	}
	tk.Settle(one)
	tk.Done(m, true, true) // the record found the lease swept
	before := s.acquires
	if _, err := m.Admit(context.Background(), "t", one); err != nil {
		t.Fatal(err)
	}
	if s.acquires != before+1 {
		t.Fatalf("after a lost lease the next admission did not acquire a new one")
	}
}
