package console

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

// fleetFake answers FleetUsage with one call per day in range and records
// the ranges asked for.
type fleetFake struct{ asked []string }

func (f *fleetFake) Overview(context.Context, time.Time) (*gatehouse.Overview, error) {
	return &gatehouse.Overview{}, nil
}

func (f *fleetFake) FleetUsage(_ context.Context, since, until time.Time) (gatehouse.UsageTotals, error) {
	f.asked = append(f.asked, since.Format("01-02")+".."+until.Format("01-02"))
	return gatehouse.UsageTotals{Calls: int64(until.Sub(since) / (24 * time.Hour))}, nil
}

// TestMonthUsageCachesSettledDays: the month's ended days are summed once
// per replica and day (an hour after midnight, once late calls are in),
// only the live days on each view; the sum always covers the month to date.
func TestMonthUsageCachesSettledDays(t *testing.T) {
	f := &fleetFake{}
	s := &Server{Deps: Deps{Overview: f}}
	at := func(v string) time.Time {
		tm, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct {
		now   string
		calls int64 // days from the 1st through today
		asked []string
	}{
		{"2026-12-04T10:00:00Z", 4, []string{"12-01..12-04", "12-04..12-05"}},
		{"2026-12-04T18:00:00Z", 4, []string{"12-04..12-05"}},
		{"2026-12-05T00:30:00Z", 5, []string{"12-04..12-06"}},
		{"2026-12-05T01:30:00Z", 5, []string{"12-01..12-05", "12-05..12-06"}},
		{"2027-01-01T00:10:00Z", 1, []string{"01-01..01-02"}},
		{"2027-01-01T02:00:00Z", 1, []string{"01-01..01-02"}},
	} {
		f.asked = nil
		got, err := s.monthUsage(context.Background(), at(tc.now))
		if err != nil {
			t.Fatal(err)
		}
		if got.Calls != tc.calls || len(f.asked) != len(tc.asked) {
			t.Fatalf("at %s: %d days summed via %v; want %d via %v", tc.now, got.Calls, f.asked, tc.calls, tc.asked)
		}
		for i := range tc.asked {
			if f.asked[i] != tc.asked[i] {
				t.Fatalf("at %s: asked %v, want %v", tc.now, f.asked, tc.asked)
			}
		}
	}
}
