package gatehouse

import (
	"encoding/json"
	"errors"
	"fmt"
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

// MaxCredits bounds every amount of credits Gatehouse accepts (a grant, an
// allocation, a rate) and every balance it lets a team reach: one trillion
// credits. int64 micro-credits could hold about 9.2 trillion, so with this
// bound no sum of two amounts can overflow, and an operator's typo gets a
// 400 naming the limit instead of a database error.
const MaxCredits Credits = 1_000_000_000_000 * OneCredit

// MaxUSD bounds every dollar amount Gatehouse accepts (a price per million
// tokens, a payment): one billion dollars, far beyond any real price, and
// small enough that pricing a call can never overflow.
const MaxUSD = 1_000_000_000 * MicrosPerUnit

// MarshalJSON writes the amount as a plain decimal number.
func (c Credits) MarshalJSON() ([]byte, error) {
	s := FormatMicros(int64(c))
	s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	return []byte(s), nil
}

// UnmarshalJSON reads a JSON number exactly, exponents included (1e3),
// within ±MaxCredits; more than six decimal places is an error rather
// than a rounding, and a string is refused: amounts are numbers, as every
// response writes them. null leaves the value unchanged, as encoding/json
// does for its own types.
func (c *Credits) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		return ValueError[Credits]("must be a JSON number of credits such as 1000 or 0.5, not a string")
	}
	m, err := ParseJSONMicros(b, int64(MaxCredits))
	switch {
	case errors.Is(err, ErrAmountSyntax):
		return ValueError[Credits]("must be a number of credits such as 1000 or 0.5")
	case errors.Is(err, ErrAmountPrecision):
		return ValueError[Credits]("must have at most 6 decimal places (1 credit is 1000000 micro-credits)")
	case errors.Is(err, ErrAmountRange):
		return ValueError[Credits](fmt.Sprintf("must be between -%s and %s credits", MaxCredits, MaxCredits))
	}
	*c = Credits(m)
	return nil
}

// String renders the amount in credits.
func (c Credits) String() string {
	b, _ := c.MarshalJSON()
	return string(b)
}

// Why ParseJSONMicros refused an amount; callers turn each into a message
// naming their own unit and limit.
var (
	ErrAmountSyntax    = errors.New("not a JSON number")
	ErrAmountPrecision = errors.New("more than 6 decimal places")
	ErrAmountRange     = errors.New("beyond the limit")
)

// ParseJSONMicros reads a JSON number (RFC 8259: optional minus, integer,
// fraction, exponent) into exact micro-units, refusing more than six
// decimal places and a magnitude above max. It never goes through a float
// and never builds a number bigger than the input, however large its
// exponent ("1e999999999" is refused at once, not computed).
func ParseJSONMicros(b []byte, max int64) (int64, error) {
	return ParseDecimal(string(b), 6, max)
}

// ParseDecimal reads a decimal number in JSON's syntax exactly, scaled by
// 10^places (places 6 gives micro-units), refusing a value that is not a
// whole number once scaled (ErrAmountPrecision) and a magnitude above max
// (ErrAmountRange).
func ParseDecimal(s string, places int, max int64) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, expPart, hasExp := strings.Cut(strings.ToLower(s), "e")
	whole, frac, hasDot := strings.Cut(mant, ".")
	if whole == "" || !allDigits(whole) || (len(whole) > 1 && whole[0] == '0') || (hasDot && (frac == "" || !allDigits(frac))) {
		return 0, ErrAmountSyntax
	}
	exp := 0
	if hasExp {
		e := strings.TrimPrefix(strings.TrimPrefix(expPart, "+"), "-")
		if e == "" || !allDigits(e) {
			return 0, ErrAmountSyntax
		}
		e = strings.TrimLeft(e, "0")
		if len(e) > 6 {
			e = "999999" // the answer is the same for any exponent this large
		}
		if e != "" {
			exp, _ = strconv.Atoi(e)
		}
		if strings.HasPrefix(expPart, "-") {
			exp = -exp
		}
	}
	digits := strings.TrimLeft(whole+frac, "0")
	if digits == "" {
		return 0, nil // zero, whatever its exponent
	}
	// value = digits × 10^shift scaled units.
	shift := exp - len(frac) + places
	if shift < 0 {
		if -shift >= len(digits) || strings.TrimRight(digits[len(digits)+shift:], "0") != "" {
			return 0, ErrAmountPrecision
		}
		digits, shift = digits[:len(digits)+shift], 0
	}
	if len(digits)+shift > 19 {
		return 0, ErrAmountRange
	}
	u, err := strconv.ParseUint(digits+strings.Repeat("0", shift), 10, 64)
	if err != nil || u > uint64(max) {
		return 0, ErrAmountRange
	}
	if neg {
		return -int64(u), nil
	}
	return int64(u), nil
}

// ValueError is how a JSON type refuses a value it cannot hold: a type
// error, which encoding/json completes with the path of the field at
// fault, whose Value is the reason, a phrase starting with "must " that
// completes "Field "x" …". Decoders render it with TypeErrorReason, so a
// bad amount names its own field ("payment_amount_usd", not a guess).
func ValueError[T any](reason string) error {
	return &json.UnmarshalTypeError{Value: reason, Type: reflect.TypeFor[T]()}
}

// TypeErrorReason returns the reason of a ValueError. encoding/json's own
// type errors describe the JSON value instead ("string", "number 1.5") and
// are reported as false.
func TypeErrorReason(err *json.UnmarshalTypeError) (string, bool) {
	return err.Value, strings.HasPrefix(err.Value, "must ")
}
