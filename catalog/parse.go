package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// dateLayout is the form of every date in the catalogue.
const dateLayout = "2006-01-02"

// priceUnit is the unit the file must declare, so that a file written in
// another unit (per 1K tokens, say) is refused instead of mispricing by a
// factor of a thousand.
const priceUnit = "USD per 1M tokens"

// The JSON shapes of models.json. Prices are strings so that no decimal
// amount ever passes through float64.
type (
	fileCatalog struct {
		Version   string         `json:"version"`
		Date      string         `json:"date"`
		Unit      string         `json:"unit"`
		Providers []fileProvider `json:"providers"`
	}
	fileProvider struct {
		Name       string      `json:"name"`
		Open       bool        `json:"open"`
		PricingURL string      `json:"pricing_url"`
		Checked    string      `json:"checked"`
		Note       string      `json:"note"`
		Models     []fileModel `json:"models"`
	}
	fileModel struct {
		Name            string       `json:"name"`
		Mode            Mode         `json:"mode"`
		ContextWindow   int          `json:"context_window"`
		MaxOutputTokens int          `json:"max_output_tokens"`
		Prices          []filePrices `json:"prices"`
		Note            string       `json:"note"`
	}
	filePrices struct {
		Effective  string  `json:"effective"`
		Input      *string `json:"input"`
		Output     *string `json:"output"`
		CacheRead  *string `json:"cache_read"`
		CacheWrite *string `json:"cache_write"`
	}
)

// Parse reads and validates a catalogue in the models.json format. Every
// problem is an error: a catalogue that prices money must not guess.
func Parse(data []byte) (*Catalog, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f fileCatalog
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("catalog: trailing data after the catalogue object")
	}
	if f.Version == "" {
		return nil, errors.New("catalog: version is required")
	}
	if !validDate(f.Date) {
		return nil, fmt.Errorf("catalog: date %q is not YYYY-MM-DD", f.Date)
	}
	if f.Unit != priceUnit {
		return nil, fmt.Errorf("catalog: unit must be %q, got %q", priceUnit, f.Unit)
	}
	c := &Catalog{version: f.Version, date: f.Date, providers: map[string]*providerModels{}}
	for _, fp := range f.Providers {
		p, err := parseProvider(fp)
		if err != nil {
			return nil, err
		}
		if _, dup := c.providers[fp.Name]; dup {
			return nil, fmt.Errorf("catalog: provider %q is listed twice", fp.Name)
		}
		c.providers[fp.Name] = p
		c.names = append(c.names, fp.Name)
	}
	slices.Sort(c.names)
	return c, nil
}

// parseProvider validates one provider and its models.
func parseProvider(fp fileProvider) (*providerModels, error) {
	if !validProviderName(fp.Name) {
		return nil, fmt.Errorf("catalog: provider name %q must be lower-case letters, digits and '_'", fp.Name)
	}
	if fp.Checked != "" && !validDate(fp.Checked) {
		return nil, fmt.Errorf("catalog: provider %s: checked %q is not YYYY-MM-DD", fp.Name, fp.Checked)
	}
	p := &providerModels{open: fp.Open, byName: map[string]Model{}}
	if fp.Open {
		if len(fp.Models) > 0 {
			return nil, fmt.Errorf("catalog: provider %s is open (any model name) and must not list models", fp.Name)
		}
		return p, nil
	}
	if len(fp.Models) == 0 {
		return nil, fmt.Errorf("catalog: provider %s lists no models and is not open", fp.Name)
	}
	for _, fm := range fp.Models {
		m, err := parseModel(fp.Name, fm)
		if err != nil {
			return nil, err
		}
		if _, dup := p.byName[m.Name]; dup {
			return nil, fmt.Errorf("catalog: %s/%s is listed twice", fp.Name, m.Name)
		}
		p.byName[m.Name] = m
		p.sorted = append(p.sorted, m)
	}
	slices.SortFunc(p.sorted, func(a, b Model) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return p, nil
}

// parseModel validates one model's limits and price history.
func parseModel(provider string, fm fileModel) (Model, error) {
	id := provider + "/" + fm.Name
	m := Model{
		Provider:        provider,
		Name:            fm.Name,
		Mode:            fm.Mode,
		ContextWindow:   fm.ContextWindow,
		MaxOutputTokens: fm.MaxOutputTokens,
		Note:            fm.Note,
	}
	switch {
	case fm.Name == "":
		return m, fmt.Errorf("catalog: provider %s has a model without a name", provider)
	case fm.Mode != ModeChat && fm.Mode != ModeEmbedding:
		return m, fmt.Errorf("catalog: %s: mode %q is not chat or embedding", id, fm.Mode)
	case fm.ContextWindow <= 0:
		return m, fmt.Errorf("catalog: %s: context_window must be positive", id)
	case fm.MaxOutputTokens < 0 || fm.MaxOutputTokens > fm.ContextWindow:
		return m, fmt.Errorf("catalog: %s: max_output_tokens must be from 0 to context_window", id)
	case fm.Mode == ModeEmbedding && fm.MaxOutputTokens != 0:
		return m, fmt.Errorf("catalog: %s: an embedding model has no max_output_tokens", id)
	case len(fm.Prices) == 0:
		return m, fmt.Errorf("catalog: %s: at least one price entry is required", id)
	}
	for i, fp := range fm.Prices {
		p, err := parsePrices(fm.Mode, fp)
		if err != nil {
			return m, fmt.Errorf("catalog: %s: prices[%d]: %w", id, i, err)
		}
		if i > 0 && p.Effective <= m.Prices[i-1].Effective {
			return m, fmt.Errorf("catalog: %s: prices must be in strictly increasing effective order", id)
		}
		m.Prices = append(m.Prices, p)
	}
	return m, nil
}

// parsePrices converts one dated price entry. Chat models must state input
// and output; embedding models only input.
func parsePrices(mode Mode, fp filePrices) (Prices, error) {
	p := Prices{Effective: fp.Effective}
	if !validDate(fp.Effective) {
		return p, fmt.Errorf("effective %q is not YYYY-MM-DD", fp.Effective)
	}
	if fp.Input == nil {
		return p, errors.New("input price is required")
	}
	var err error
	if p.Input, err = ParsePerMillion(*fp.Input); err != nil {
		return p, fmt.Errorf("input: %w", err)
	}
	switch {
	case mode == ModeChat && fp.Output == nil:
		return p, errors.New("output price is required for a chat model")
	case mode == ModeEmbedding && (fp.Output != nil || fp.CacheRead != nil || fp.CacheWrite != nil):
		return p, errors.New("an embedding model has an input price only")
	}
	if fp.Output != nil {
		if p.Output, err = ParsePerMillion(*fp.Output); err != nil {
			return p, fmt.Errorf("output: %w", err)
		}
	}
	if p.CacheRead, err = parseOptional(fp.CacheRead); err != nil {
		return p, fmt.Errorf("cache_read: %w", err)
	}
	if p.CacheWrite, err = parseOptional(fp.CacheWrite); err != nil {
		return p, fmt.Errorf("cache_write: %w", err)
	}
	return p, nil
}

// parseOptional parses a price that may be absent.
func parseOptional(s *string) (OptionalPrice, error) {
	if s == nil {
		return OptionalPrice{}, nil
	}
	v, err := ParsePerMillion(*s)
	if err != nil {
		return OptionalPrice{}, err
	}
	return OptionalPrice{Value: v, Set: true}, nil
}

// validDate reports whether s is a real calendar day written YYYY-MM-DD.
func validDate(s string) bool {
	t, err := time.Parse(dateLayout, s)
	return err == nil && t.Format(dateLayout) == s
}

// validProviderName accepts the names Gatehouse uses before the "/":
// lower-case letters, digits and underscores.
func validProviderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
