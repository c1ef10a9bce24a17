package client

import (
	"errors"
	"strconv"
	"strings"
)

// microsPerUnit is how many micro-units make a credit or a dollar.
const microsPerUnit = 1_000_000

// Credits is an amount of credits in micro-credits (1 credit = 1,000,000),
// exactly as Gatehouse keeps it: an integer, so balances and charges add up
// with no floating-point drift. JSON carries it as a decimal number of
// credits (1000, 0.125).
type Credits int64

// OneCredit is one credit, for comparisons such as balance < OneCredit.
const OneCredit Credits = microsPerUnit

// String renders the amount in credits, without trailing zeros ("1",
// "0.125").
func (c Credits) String() string { return formatMicros(int64(c), 0) }

// MarshalJSON writes the amount as a decimal number of credits.
func (c Credits) MarshalJSON() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalJSON reads a decimal number of credits (or a quoted one)
// exactly; more than six decimals is an error, never a rounding.
func (c *Credits) UnmarshalJSON(b []byte) error {
	m, err := parseMicros(string(b))
	if err != nil {
		return errors.New("credits: " + err.Error())
	}
	*c = Credits(m)
	return nil
}

// USD is an amount of US dollars in micro-dollars (1 USD = 1,000,000), as
// Gatehouse prices calls: an integer, rounded up once per call, never a
// float.
type USD int64

// String renders the amount in dollars with at least two decimals
// ("0.00", "0.000125"), without a currency sign.
func (u USD) String() string { return formatMicros(int64(u), 2) }

// MarshalJSON writes the amount as a decimal number of dollars.
func (u USD) MarshalJSON() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalJSON reads a decimal number of dollars exactly.
func (u *USD) UnmarshalJSON(b []byte) error {
	m, err := parseMicros(string(b))
	if err != nil {
		return errors.New("usd: " + err.Error())
	}
	*u = USD(m)
	return nil
}

// formatMicros renders micro-units as a decimal with at least minFrac
// decimals and no trailing zeros beyond them.
func formatMicros(m int64, minFrac int) string {
	sign := ""
	u := uint64(m)
	if m < 0 {
		sign, u = "-", uint64(-(m+1))+1
	}
	frac := strconv.FormatUint(u%microsPerUnit+microsPerUnit, 10)[1:]
	frac = strings.TrimRight(frac, "0")
	for len(frac) < minFrac {
		frac += "0"
	}
	whole := sign + strconv.FormatUint(u/microsPerUnit, 10)
	if frac == "" {
		return whole
	}
	return whole + "." + frac
}

// parseMicros reads a signed decimal with at most six decimals (optionally
// quoted) into micro-units, exactly.
func parseMicros(s string) (int64, error) {
	s = strings.Trim(s, `"`)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, dot := strings.Cut(s, ".")
	switch {
	case whole == "" || (dot && frac == "") || !digits(whole) || !digits(frac):
		return 0, errors.New("not a decimal number: " + strconv.Quote(s))
	case len(frac) > 6:
		return 0, errors.New("more than 6 decimals: " + s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > (1<<63-1)/microsPerUnit-1 {
		return 0, errors.New("out of range: " + s)
	}
	f, _ := strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
	m := w*microsPerUnit + f
	if neg {
		m = -m
	}
	return m, nil
}

// digits reports whether s holds only ASCII digits (true when empty).
func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
