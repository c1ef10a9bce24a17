package catalog

import (
	"fmt"

	"github.com/gatehouse-llm/gatehouse"
)

// PerMillion is a price in micro-USD per one million tokens: an integer
// count of millionths of a dollar, so "$2.50 per 1M tokens" is 2_500_000
// and "$0.075 per 1M tokens" is 75_000. Integers keep Gatehouse's money
// exact; a token's price is PerMillion/1e12 dollars and is never stored.
type PerMillion int64

// ParsePerMillion reads a decimal dollar amount per 1M tokens such as
// "2.50", "0.075" or "15" without going through floating point, with the
// same exact rules as every other amount in Gatehouse (gatehouse.ParseMicros).
func ParsePerMillion(s string) (PerMillion, error) {
	m, err := gatehouse.ParseMicros(s)
	if err != nil {
		return 0, fmt.Errorf("price %q: %w", s, err)
	}
	return PerMillion(m), nil
}

// String formats the price as dollars per 1M tokens ("2.50", "0.075",
// "0.00"); ParsePerMillion reads it back unchanged.
func (p PerMillion) String() string { return gatehouse.FormatMicros(int64(p)) }

// OptionalPrice is a price that may not apply: a model without prompt
// caching has no cache-read price, which is different from a free one.
type OptionalPrice struct {
	Value PerMillion
	Set   bool
}
