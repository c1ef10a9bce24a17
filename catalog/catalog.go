package catalog

import (
	_ "embed"
	"slices"
	"sync"
	"time"
)

// Mode is what a model is called for.
type Mode string

// Modes a model may have.
const (
	ModeChat      Mode = "chat"
	ModeEmbedding Mode = "embedding"
)

// Prices are one model's list prices from a given day on. Input and Output
// always apply (Output is 0 for embedding models, which produce no
// completion tokens); the cache prices apply only where the provider has
// prompt caching. CacheRead is the price of a prompt token served from the
// cache, CacheWrite of one written to it (Anthropic's five-minute cache
// write; providers that do not charge writes separately leave it unset).
type Prices struct {
	// Effective is the first UTC day ("YYYY-MM-DD") the prices apply.
	Effective  string
	Input      PerMillion
	Output     PerMillion
	CacheRead  OptionalPrice
	CacheWrite OptionalPrice
}

// Model describes one model a provider serves under a fixed name.
type Model struct {
	Provider string
	// Name is the model as written after "provider/" in a request.
	Name string
	Mode Mode
	// ContextWindow is the most tokens (prompt and completion together,
	// as the provider counts them) one call can use.
	ContextWindow int
	// MaxOutputTokens is the most completion tokens per call, 0 where the
	// provider publishes no separate limit (and for embedding models).
	MaxOutputTokens int
	// Prices is the model's price history, oldest first; the last entry
	// is the current price.
	Prices []Prices
	// Note records what the prices leave out (long-context surcharges,
	// per-request fees), for whoever sets up an alias.
	Note string
}

// PricesOn returns the prices in force on t's UTC day: the latest entry
// whose Effective day is not after it. It reports false before the first.
func (m Model) PricesOn(t time.Time) (Prices, bool) {
	day := t.UTC().Format(dateLayout)
	for i := len(m.Prices) - 1; i >= 0; i-- {
		if m.Prices[i].Effective <= day {
			return m.Prices[i], true
		}
	}
	return Prices{}, false
}

// Catalog is a parsed, validated model catalogue. It is immutable, so one
// value is shared by every goroutine.
type Catalog struct {
	version   string
	date      string
	providers map[string]*providerModels
	names     []string
}

// providerModels is one provider's part of the catalogue.
type providerModels struct {
	open   bool
	byName map[string]Model
	sorted []Model
}

//go:embed models.json
var embedded []byte

// defaultCatalog parses the embedded file once, on first use.
var defaultCatalog = sync.OnceValue(func() *Catalog { return mustParse(embedded) })

// mustParse parses a catalogue compiled into the binary. Only a broken
// build can make it panic; TestDefaultParses guards against that.
func mustParse(data []byte) *Catalog {
	c, err := Parse(data)
	if err != nil {
		panic("catalog: embedded models.json is invalid: " + err.Error())
	}
	return c
}

// Default returns the catalogue compiled into this binary.
func Default() *Catalog { return defaultCatalog() }

// Version identifies the catalogue's revision, so an operator can tell
// which prices a binary ships.
func (c *Catalog) Version() string { return c.version }

// Date is the day ("YYYY-MM-DD") the catalogue's facts were last checked
// against the providers' published pricing.
func (c *Catalog) Date() string { return c.date }

// Lookup finds a model by provider and model name, exactly as written in
// "provider/model". Open providers have no entries, so Lookup misses for
// them.
func (c *Catalog) Lookup(provider, model string) (Model, bool) {
	p, ok := c.providers[provider]
	if !ok {
		return Model{}, false
	}
	m, ok := p.byName[model]
	if !ok {
		return Model{}, false
	}
	return cloneModel(m), true
}

// Models lists a provider's models sorted by name; nil for an unknown or
// open provider.
func (c *Catalog) Models(provider string) []Model {
	p, ok := c.providers[provider]
	if !ok || len(p.sorted) == 0 {
		return nil
	}
	out := make([]Model, len(p.sorted))
	for i, m := range p.sorted {
		out[i] = cloneModel(m)
	}
	return out
}

// Providers lists every provider the catalogue knows, open ones included,
// sorted.
func (c *Catalog) Providers() []string { return slices.Clone(c.names) }

// IsOpen reports whether the provider accepts any model name (Azure
// deployments, OpenRouter, self-hosted servers): the catalogue cannot price
// such models, so their prices must come from the alias.
func (c *Catalog) IsOpen(provider string) bool {
	p, ok := c.providers[provider]
	return ok && p.open
}

// cloneModel copies m so callers cannot change the shared catalogue.
func cloneModel(m Model) Model {
	m.Prices = slices.Clone(m.Prices)
	return m
}
