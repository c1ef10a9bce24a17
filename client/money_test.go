package client

import (
	"encoding/json"
	"testing"
)

func TestCreditsJSON(t *testing.T) {
	for in, want := range map[string]Credits{
		"1000": 1000 * OneCredit, "0.125": 125_000, `"2.5"`: 2_500_000, "-3": -3 * OneCredit,
		"0.000001": 1, "0": 0,
	} {
		var c Credits
		if err := json.Unmarshal([]byte(in), &c); err != nil || c != want {
			t.Errorf("%s → %d, %v; want %d", in, c, err, want)
		}
	}
	for _, bad := range []string{"1e3", "0.1234567", "abc", `""`, "1.", ".5", "99999999999999999999"} {
		var c Credits
		if err := json.Unmarshal([]byte(bad), &c); err == nil {
			t.Errorf("%s was accepted as %d", bad, c)
		}
	}
	for c, want := range map[Credits]string{OneCredit: "1", 125_000: "0.125", -1_500_000: "-1.5", 0: "0"} {
		if got := c.String(); got != want {
			t.Errorf("Credits(%d) = %q, want %q", int64(c), got, want)
		}
		b, _ := json.Marshal(c)
		if string(b) != want {
			t.Errorf("json(Credits(%d)) = %s", int64(c), b)
		}
	}
}

func TestUSDJSON(t *testing.T) {
	var u USD
	if err := json.Unmarshal([]byte("0.000125"), &u); err != nil || u != 125 {
		t.Fatalf("0.000125 → %d, %v", u, err)
	}
	for u, want := range map[USD]string{0: "0.00", 125: "0.000125", 2_500_000: "2.50", 10_000_000: "10.00"} {
		if got := u.String(); got != want {
			t.Errorf("USD(%d) = %q, want %q", int64(u), got, want)
		}
	}
}
