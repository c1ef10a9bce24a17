package http

import (
	"net/http"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/catalog"
)

// providerJSON is one supported provider and the models the catalogue
// knows for it.
type providerJSON struct {
	Provider string `json:"provider"`
	// Open providers serve customer-named models (deployments, local
	// servers); their aliases carry their own pricing.
	Open   bool        `json:"open"`
	Models []modelJSON `json:"models"`
}

// modelJSON is a catalogue model with its current prices in USD per 1M
// tokens (exact decimal strings).
type modelJSON struct {
	LiteLLMModel    string `json:"litellm_model"`
	Mode            string `json:"mode"`
	ContextWindow   int    `json:"context_window"`
	MaxOutputTokens int    `json:"max_output_tokens"`
	InputPerM       usd    `json:"input_per_million"`
	OutputPerM      usd    `json:"output_per_million"`
	CacheReadPerM   *usd   `json:"cache_read_per_million,omitempty"`
	CacheWritePerM  *usd   `json:"cache_write_per_million,omitempty"`
	PriceEffective  string `json:"price_effective"`
	Note            string `json:"note,omitempty"`
}

// providersResponse lists the supported providers.
type providersResponse struct {
	CatalogVersion string         `json:"catalog_version"`
	Providers      []providerJSON `json:"providers"`
}

func optionalUSD(p catalog.OptionalPrice) *usd {
	if !p.Set {
		return nil
	}
	v := usd(p.Value)
	return &v
}

// handleProviders lists the providers this gateway can call and the
// models its catalogue prices (?provider= narrows it to one).
func handleProviders(cat *catalog.Catalog, supported func(string) bool, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		only := r.URL.Query().Get("provider")
		out := providersResponse{CatalogVersion: cat.Version(), Providers: []providerJSON{}}
		for _, name := range cat.Providers() {
			if (only != "" && name != only) || (supported != nil && !supported(name)) {
				continue
			}
			p := providerJSON{Provider: name, Open: cat.IsOpen(name), Models: []modelJSON{}}
			for _, m := range cat.Models(name) {
				price, ok := m.PricesOn(now())
				if !ok {
					continue
				}
				p.Models = append(p.Models, modelJSON{LiteLLMModel: name + "/" + m.Name, Mode: string(m.Mode),
					ContextWindow: m.ContextWindow, MaxOutputTokens: m.MaxOutputTokens,
					InputPerM: usd(price.Input), OutputPerM: usd(price.Output),
					CacheReadPerM: optionalUSD(price.CacheRead), CacheWritePerM: optionalUSD(price.CacheWrite),
					PriceEffective: price.Effective, Note: m.Note})
			}
			out.Providers = append(out.Providers, p)
		}
		if only != "" && len(out.Providers) == 0 {
			writeError(w, r, gatehouse.Errorf(gatehouse.ENOTFOUND, "Provider %q is not supported.", only))
			return
		}
		encode(w, http.StatusOK, out)
	})
}
