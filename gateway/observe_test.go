package gateway

import (
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/provider"
)

// Breakers lists exactly the breakers that are not closed, open then
// half-open once their open period ends, each at its level (shared, or a
// team's own).
func TestBreakersListsOpenOnes(t *testing.T) {
	now := time.Unix(1000, 0)
	b := newBreakers(func() time.Time { return now }, 2, 30*time.Second)
	g := &Gateway{breakers: b}
	hot := breakerScope{Credential: "cred-1", Deployment: "openai/gpt-4o"}
	cold := breakerScope{Credential: "cred-1", Deployment: "openai/gpt-4o-mini"}
	b.record(hot, "a", failing)
	b.record(hot, "b", failing)  // the shared breaker has failures from two teams: open
	b.record(hot, "a", failing)  // team a's own breaker: two in a row, open
	b.record(cold, "a", failing) // one failure: still closed
	list := func() []string {
		var out []string
		for _, s := range g.Breakers() {
			out = append(out, fmt.Sprintf("%s|%s|%s|%v", s.Credential, s.Deployment, s.Team, s.HalfOpen))
		}
		sort.Strings(out)
		return out
	}
	want := []string{"cred-1|openai/gpt-4o|a|false", "cred-1|openai/gpt-4o||false"}
	if got := list(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Breakers() = %v, want %v", got, want)
	}
	now = now.Add(31 * time.Second)
	want = []string{"cred-1|openai/gpt-4o|a|true", "cred-1|openai/gpt-4o||true"}
	if got := list(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after the open period, Breakers() = %v, want %v", got, want)
	}
	b.record(hot, "a", healthy)
	if got := list(); len(got) != 0 {
		t.Fatalf("after a success, Breakers() = %v, want none", got)
	}
}

// Refusals are named after what refused; other errors are not refusals.
func TestRefusalReason(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&RateLimited{Err: gatehouse.Errorf(gatehouse.ERATELIMIT, "x"), Reason: "key_tokens_per_minute"}, "key_tokens_per_minute"},
		{creditsError(gatehouse.Errorf(gatehouse.ERATELIMIT, "held")), RefusedCreditsHeld},
		{gatehouse.Errorf(gatehouse.ERATELIMIT, "held at job creation"), RefusedCreditsHeld},
		{fmt.Errorf("wrapped: %w", gatehouse.Errorf(gatehouse.ECREDITS, "spent")), RefusedCreditsExhausted},
		{ClientError(&provider.Error{Kind: provider.ErrRateLimited, Message: "slow down"}), ""}, // the provider's, not ours
		{gatehouse.Errorf(gatehouse.EFORBIDDEN, "no access"), ""},
		{errors.New("boom"), ""},
	} {
		if got := RefusalReason(c.err); got != c.want {
			t.Errorf("RefusalReason(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
