package openai

import (
	"slices"
	"strings"
)

// dialect is what distinguishes one OpenAI-speaking upstream from another.
// Everything not listed here is identical across them.
type dialect struct {
	// name is the provider name as in "provider/model"; it labels errors
	// when the endpoint does not name itself.
	name string
	// defaultBaseURL is used when the endpoint has no api_base; empty means
	// the endpoint must supply one.
	defaultBaseURL string
	// azure selects Azure OpenAI's deployment URLs, api-version query and
	// api-key header.
	azure bool
	// reasoningRules applies OpenAI's reasoning-model parameter rules
	// (reasoning.go). Only upstreams that serve OpenAI's own models by
	// OpenAI's names get them.
	reasoningRules bool
	// noStreamOptions is set for upstreams that reject stream_options and
	// report stream usage without being asked.
	noStreamOptions bool
	// seedField names the sampling seed field when it is not "seed".
	seedField string
}

// dialects is the single table of providers this package serves. Default
// base URLs are the ones each provider documents for OpenAI client
// libraries.
var dialects = map[string]dialect{
	"openai": {name: "openai", defaultBaseURL: "https://api.openai.com/v1", reasoningRules: true},
	// Azure has no shared host: every resource has its own endpoint.
	"azure": {name: "azure", azure: true, reasoningRules: true},
	// Mistral validates strictly: stream_options and seed are "extra inputs"
	// it refuses with 422; it sends stream usage in the last chunk anyway.
	"mistral":      {name: "mistral", defaultBaseURL: "https://api.mistral.ai/v1", noStreamOptions: true, seedField: "random_seed"},
	"groq":         {name: "groq", defaultBaseURL: "https://api.groq.com/openai/v1"},
	"fireworks_ai": {name: "fireworks_ai", defaultBaseURL: "https://api.fireworks.ai/inference/v1"},
	// Together's current documentation uses api.together.ai; the older
	// api.together.xyz host still answers but is no longer documented.
	"together_ai": {name: "together_ai", defaultBaseURL: "https://api.together.ai/v1"},
	// DeepSeek documents the bare host as base_url; "/v1" is accepted only
	// as an alias for OpenAI clients.
	"deepseek":   {name: "deepseek", defaultBaseURL: "https://api.deepseek.com"},
	"xai":        {name: "xai", defaultBaseURL: "https://api.x.ai/v1"},
	"openrouter": {name: "openrouter", defaultBaseURL: "https://openrouter.ai/api/v1"},
	// Perplexity's API has no version segment.
	"perplexity": {name: "perplexity", defaultBaseURL: "https://api.perplexity.ai"},
	"cerebras":   {name: "cerebras", defaultBaseURL: "https://api.cerebras.ai/v1"},
	"ollama":     {name: "ollama", defaultBaseURL: "http://localhost:11434/v1"},
	"vllm":       {name: "vllm", defaultBaseURL: "http://localhost:8000/v1"},
	// A self-hosted or otherwise unlisted server: nothing to default to.
	"openai_compatible": {name: "openai_compatible"},
}

// DefaultBaseURL returns the API root a provider documents for OpenAI
// clients, so configuration may leave api_base empty. It reports false for
// unknown names and for providers with no shared host (azure,
// openai_compatible), whose endpoints must set api_base.
func DefaultBaseURL(name string) (string, bool) {
	d, ok := dialects[name]
	if !ok || d.defaultBaseURL == "" {
		return "", false
	}
	return d.defaultBaseURL, true
}

// CompatibleProviders lists, sorted, every provider name New accepts
// ("openai" and "azure" included), so the rest of Gatehouse can validate
// "provider/model" strings without knowing this package's internals.
func CompatibleProviders() []string {
	names := make([]string, 0, len(dialects))
	for name := range dialects {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// RequiresBaseURL reports whether endpoints of the named provider must set
// api_base because the provider has no default (azure, openai_compatible),
// letting configuration be rejected at load time instead of on first call.
func RequiresBaseURL(name string) bool {
	d, ok := dialects[name]
	return ok && d.defaultBaseURL == ""
}

// trimBase removes trailing slashes so paths can be appended with "/".
func trimBase(base string) string { return strings.TrimRight(base, "/") }
