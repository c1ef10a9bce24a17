package catalog

import (
	"slices"
	"strings"

	"github.com/gatehouse-llm/gatehouse"
)

var _ gatehouse.ModelChecker = (*Catalog)(nil)

// CheckModel validates the "provider/model" behind an alias: the provider
// must be one Gatehouse supports, and an active alias must have a price,
// from this catalogue or from the alias's own pricing. Open providers
// (azure, openrouter, ollama, …) serve customer-named models the catalogue
// cannot know, so their aliases always need pricing — "0" for a free local
// model is fine, as long as someone said so.
func (c *Catalog) CheckModel(litellmModel string, pricing *gatehouse.Pricing, active bool) error {
	prov, model, ok := gatehouse.SplitModel(litellmModel)
	if !ok {
		return gatehouse.FieldErrorf("litellm_model", "litellm_model %q must be in provider/model form (e.g. openai/gpt-4).", litellmModel)
	}
	if !slices.Contains(c.names, prov) {
		return gatehouse.FieldErrorf("litellm_model", "Provider %q is not supported; use one of: %s.", prov, strings.Join(c.names, ", "))
	}
	if pricing != nil || !active {
		return nil
	}
	if c.IsOpen(prov) {
		return gatehouse.FieldErrorf("pricing", "%s serves models the catalogue cannot price; give this alias pricing "+
			`({"input_per_million": "…", "output_per_million": "…"} in USD) so its calls are never billed at $0.`, prov)
	}
	if _, ok := c.Lookup(prov, model); !ok {
		return gatehouse.FieldErrorf("litellm_model", "Model %q is not in the %s catalogue (GET /api/providers lists it); "+
			"check the name, or give this alias pricing so its calls are never billed at $0.", model, prov)
	}
	return nil
}

// Supports reports whether Gatehouse can call the provider.
func (c *Catalog) Supports(providerName string) bool { return slices.Contains(c.names, providerName) }
