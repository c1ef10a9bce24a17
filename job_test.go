package gatehouse

import "testing"

// A refusal says where the credits are: held by work in progress
// (retryable) or spent.
func TestCreditsRefusal(t *testing.T) {
	for _, tt := range []struct {
		balance, held, needed Credits
		want                  string
	}{
		{10, 10, 5, ERATELIMIT},
		{10, 6, 5, ERATELIMIT},
		{4, 4, 5, ECREDITS},
		{4, 0, 5, ECREDITS},
		{0, 0, 1, ECREDITS},
	} {
		if got := CreditsRefusal("t", tt.balance, tt.held, tt.needed).Code; got != tt.want {
			t.Errorf("balance %d held %d needed %d: %s, want %s", tt.balance, tt.held, tt.needed, got, tt.want)
		}
	}
}
