// Package catalog is Gatehouse's built-in, versioned list of known models:
// for each provider, the model names it accepts, their context and output
// limits, and their list prices over time. It only describes prices;
// computing what a call cost is the ledger's business.
//
// The data lives in models.json, compiled into the binary with go:embed and
// parsed once by Default. Parse accepts a file of the same format, for
// tests and for operators who keep their own.
//
// # Unit of money
//
// Every price is a PerMillion: integer micro-USD per one million tokens.
// "$2.50 per 1M tokens" is 2_500_000, "$0.075" is 75_000, so one token at
// p PerMillion costs p/10^12 dollars — the same number as nano-USD per
// thousand tokens. In models.json prices are decimal strings in USD per 1M
// tokens (the file says so in its "unit" field, which Parse checks) and are
// converted exactly, without floating point; more than six decimal places,
// signs and exponents are rejected.
//
// # Prices
//
// A model has one or more dated price entries, oldest first; PricesOn picks
// the one in force on a day (UTC). "effective" is the first day an entry
// applies: the provider's launch or price-change date where it is known,
// otherwise a day by which the price was verifiably in force (the model's
// note says so where it matters). A change that took effect during a day
// is recorded from the next day. Entries carry input and output prices and,
// where the provider has prompt caching, a cache-read price and (Anthropic
// and Bedrock's Claude) a cache-write price; an absent cache price means
// "not applicable", never "free". Embedding models have an input price
// only. Long-context surcharges, per-request fees, batch discounts and
// cache storage are not modelled; model notes point them out.
//
// # Open providers
//
// azure, openrouter, ollama, vllm and openai_compatible pass any model name
// through (deployment names, self-hosted models): they are listed as open,
// have no models here, and the price of a call through them must come from
// the alias that names it. IsOpen tells them apart.
//
// # Sources
//
// Each provider records the pricing page its facts come from and the day
// they were checked ("checked"); the catalogue's Date is the latest check.
// Update models.json by adding a dated entry when a price changes, never by
// editing an old one, and bump "version".
package catalog
