package gatehouse

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// MicrosPerUnit is how many micro-units make one unit (one dollar, one
// credit).
const MicrosPerUnit = 1_000_000

// ParseMicros parses a non-negative decimal amount ("2.50", "0.075", "30")
// into integer micro-units, exactly: no float ever touches money. More than
// six decimal places is an error rather than a silent rounding.
func ParseMicros(s string) (int64, error) {
	whole, frac, hasDot := strings.Cut(s, ".")
	switch {
	case s == "":
		return 0, errors.New("empty amount")
	case strings.HasPrefix(s, "-"):
		return 0, errors.New("amount must not be negative")
	case whole == "" || (hasDot && frac == "") || !allDigits(whole) || !allDigits(frac):
		return 0, errors.New("amount must be a non-negative decimal number such as 2.50")
	case len(frac) > 6:
		return 0, errors.New("amount has more than 6 decimal places")
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > math.MaxInt64/MicrosPerUnit {
		return 0, errors.New("amount too large")
	}
	f, _ := strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
	if w*MicrosPerUnit > math.MaxInt64-f {
		return 0, errors.New("amount too large")
	}
	return w*MicrosPerUnit + f, nil
}

// allDigits reports whether s holds only ASCII digits (true when empty).
func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// FormatMicros renders micro-units as a decimal with at least two places
// ("2.50", "0.075").
func FormatMicros(m int64) string {
	sign := ""
	u := uint64(m)
	if m < 0 {
		sign, u = "-", uint64(-(m+1))+1 // safe for math.MinInt64
	}
	frac := strconv.FormatUint(u%MicrosPerUnit+MicrosPerUnit, 10)[1:]
	frac = strings.TrimRight(frac, "0")
	for len(frac) < 2 {
		frac += "0"
	}
	return sign + strconv.FormatUint(u/MicrosPerUnit, 10) + "." + frac
}

// Credits is an amount of credits in micro-credits (1 credit = 1,000,000),
// written in JSON as a decimal number of credits: 1000, 0.125.
type Credits int64

// OneCredit is one credit.
const OneCredit Credits = MicrosPerUnit

// MarshalJSON writes the amount as a plain decimal number.
func (c Credits) MarshalJSON() ([]byte, error) {
	s := FormatMicros(int64(c))
	s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	return []byte(s), nil
}

// UnmarshalJSON reads a number or a decimal string exactly; more than six
// decimal places is an error rather than a rounding.
func (c *Credits) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	neg := strings.HasPrefix(s, "-")
	m, err := ParseMicros(strings.TrimPrefix(s, "-"))
	if err != nil {
		// A type error lets encoding/json name the field at fault.
		return &json.UnmarshalTypeError{Value: "credits " + s, Type: reflect.TypeFor[Credits]()}
	}
	if neg {
		m = -m
	}
	*c = Credits(m)
	return nil
}

// String renders the amount in credits.
func (c Credits) String() string {
	b, _ := c.MarshalJSON()
	return string(b)
}
