package gatehouse

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseMicros(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"2.50", 2_500_000, false},
		{"0.075", 75_000, false},
		{"30", 30_000_000, false},
		{".5", 0, true},
		{"1.", 0, true},
		{" 1", 0, true},
		{"0.000001", 1, false},
		{"0", 0, false},
		{"0.0000001", 0, true},
		{"-1", 0, true},
		{"1e3", 0, true},
		{"", 0, true},
		{"1.2.3", 0, true},
		{"99999999999999999999", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseMicros(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseMicros(%q) = %d, %v; want %d, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFormatMicros(t *testing.T) {
	for in, want := range map[int64]string{2_500_000: "2.50", 75_000: "0.075", 30_000_000: "30.00", 1: "0.000001", 0: "0.00", -1_500_000: "-1.50"} {
		if got := FormatMicros(in); got != want {
			t.Errorf("FormatMicros(%d) = %q, want %q", in, got, want)
		}
		if in >= 0 {
			if back, err := ParseMicros(FormatMicros(in)); err != nil || back != in {
				t.Errorf("round trip of %d gave %d, %v", in, back, err)
			}
		}
	}
}

func TestParseJSONMicros(t *testing.T) {
	const max = 1_000_000 * MicrosPerUnit
	tests := []struct {
		in   string
		want int64
		err  error
	}{
		{"2.5", 2_500_000, nil},
		{"-2.5", -2_500_000, nil},
		{"0", 0, nil},
		{"-0", 0, nil},
		{"0.000001", 1, nil},
		{"1e3", 1_000_000_000, nil},
		{"1E+3", 1_000_000_000, nil},
		{"1.5e-5", 15, nil},
		{"100e-8", 1, nil},
		{"0e999999999999", 0, nil},
		{"1000000", max, nil},
		{"1000000.000001", 0, ErrAmountRange},
		{"1e7", 0, ErrAmountRange},
		{"1e999999999999", 0, ErrAmountRange},
		{"99999999999999999999999999", 0, ErrAmountRange},
		{"0.0000001", 0, ErrAmountPrecision},
		{"1.5e-7", 0, ErrAmountPrecision},
		{"1e-999999999999", 0, ErrAmountPrecision},
		{"1.0000000", 1_000_000, nil}, // trailing zeros are not precision
		{"", 0, ErrAmountSyntax},
		{"01", 0, ErrAmountSyntax},
		{".5", 0, ErrAmountSyntax},
		{"1.", 0, ErrAmountSyntax},
		{"1e", 0, ErrAmountSyntax},
		{"--1", 0, ErrAmountSyntax},
		{"0x10", 0, ErrAmountSyntax},
		{"true", 0, ErrAmountSyntax},
	}
	for _, tt := range tests {
		got, err := ParseJSONMicros([]byte(tt.in), max)
		if !errors.Is(err, tt.err) || (tt.err == nil && got != tt.want) {
			t.Errorf("ParseJSONMicros(%q) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// Credits are JSON numbers within ±MaxCredits: a string, too many
// decimals or too large a value is a type error whose reason says which.
func TestCreditsUnmarshal(t *testing.T) {
	tests := []struct {
		in     string
		want   Credits
		reason string // "" when accepted
	}{
		{`1000`, 1000 * OneCredit, ""},
		{`0.125`, 125_000, ""},
		{`-1.5`, -1_500_000, ""},
		{`1e3`, 1000 * OneCredit, ""},
		{`1000000000000`, MaxCredits, ""},
		{`"1000"`, 0, "not a string"},
		{`1000000000001`, 0, "between -1000000000000 and 1000000000000"},
		{`-1000000000001`, 0, "between -1000000000000 and 1000000000000"},
		{`1.0000001`, 0, "6 decimal places"},
		{`true`, 0, "must be a number of credits"},
		{`{}`, 0, "must be a number of credits"},
	}
	for _, tt := range tests {
		var v struct {
			C Credits `json:"c"`
		}
		err := json.Unmarshal([]byte(`{"c": `+tt.in+`}`), &v)
		var typ *json.UnmarshalTypeError
		switch {
		case tt.reason == "" && (err != nil || v.C != tt.want):
			t.Errorf("%s: %v, %v; want %v", tt.in, v.C, err, tt.want)
		case tt.reason != "" && !errors.As(err, &typ):
			t.Errorf("%s: error %v, want a type error", tt.in, err)
		case tt.reason != "":
			reason, ok := TypeErrorReason(typ)
			if !ok || !strings.Contains(reason, tt.reason) || typ.Field != "c" {
				t.Errorf("%s: reason %q (field %q), want one saying %q", tt.in, reason, typ.Field, tt.reason)
			}
		}
	}
	// null leaves the value alone.
	c := Credits(5)
	if err := json.Unmarshal([]byte(`null`), &c); err != nil || c != 5 {
		t.Errorf("null: %v, %v", c, err)
	}
}

func TestTruncateInput(t *testing.T) {
	long := strings.Repeat("é", MaxEcho+50)
	got := TruncateInput(long)
	if !strings.HasSuffix(got, "…") || utf8.RuneCountInString(got) != MaxEcho+1 || !utf8.ValidString(got) {
		t.Errorf("TruncateInput cut %d runes to %q", MaxEcho+50, got)
	}
	if TruncateInput("short") != "short" {
		t.Error("a short input was changed")
	}
	if q := QuoteInput(strings.Repeat("a", 500)); len(q) != MaxEcho+2+len("…") {
		t.Errorf("QuoteInput of 500 characters is %d bytes: %s", len(q), q)
	}
	team := Team{OrganizationID: "o", ID: strings.Repeat("x", 10_000), BudgetMode: BudgetJobBased}
	if err := team.Validate(); err == nil || len(err.Error()) > 400 {
		t.Errorf("Validate echoed a 10 kB id: %.300s", err)
	}
}
