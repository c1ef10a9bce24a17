package catalog

import (
	"math"
	"strings"
	"testing"
)

func TestParsePerMillion(t *testing.T) {
	valid := []struct {
		in   string
		want PerMillion
	}{
		{"0", 0},
		{"0.0", 0},
		{"2.50", 2_500_000},
		{"2.5", 2_500_000},
		{"0.075", 75_000},
		{"0.01875", 18_750},
		{"0.00875", 8_750},
		{"15", 15_000_000},
		{"18.75", 18_750_000},
		{"0.000001", 1},
		{"123456.789012", 123_456_789_012},
		{"007", 7_000_000},
		{"9223372036854.775807", math.MaxInt64},
	}
	for _, tt := range valid {
		got, err := ParsePerMillion(tt.in)
		if err != nil {
			t.Errorf("ParsePerMillion(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParsePerMillion(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}

	invalid := []struct{ in, wantErr string }{
		{"", "empty amount"},
		{".5", "non-negative decimal"},
		{"5.", "non-negative decimal"},
		{"0.0000001", "more than 6 decimal places"},
		{"2.5000000", "more than 6 decimal places"},
		{"-1", "must not be negative"},
		{"-0.5", "must not be negative"},
		{"+1", "non-negative decimal"},
		{"1e3", "non-negative decimal"},
		{" 1", "non-negative decimal"},
		{"1 ", "non-negative decimal"},
		{"1,50", "non-negative decimal"},
		{"$2", "non-negative decimal"},
		{"1.2.3", "non-negative decimal"},
		{"NaN", "non-negative decimal"},
		{"٣", "non-negative decimal"},
		{"9223372036854.775808", "too large"},
		{"9223372036855", "too large"},
		{"99999999999999999999", "too large"},
	}
	for _, tt := range invalid {
		got, err := ParsePerMillion(tt.in)
		if err == nil {
			t.Errorf("ParsePerMillion(%q) = %d, want an error", tt.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParsePerMillion(%q) error %q, want it to mention %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestPerMillionString(t *testing.T) {
	for _, tt := range []struct {
		p    PerMillion
		want string
	}{
		{0, "0.00"},
		{2_500_000, "2.50"},
		{75_000, "0.075"},
		{1, "0.000001"},
		{15_000_000, "15.00"},
		{18_750, "0.01875"},
		{-2_500_000, "-2.50"},
		{math.MaxInt64, "9223372036854.775807"},
		{math.MinInt64, "-9223372036854.775808"},
	} {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("PerMillion(%d).String() = %q, want %q", int64(tt.p), got, tt.want)
		}
		if tt.p >= 0 {
			back, err := ParsePerMillion(tt.want)
			if err != nil || back != tt.p {
				t.Errorf("ParsePerMillion(%q) = %d, %v; want %d back", tt.want, back, err, tt.p)
			}
		}
	}
}
