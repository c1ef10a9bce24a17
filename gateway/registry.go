// Package gateway is the request pipeline between a client's call and an
// upstream provider: resolve the alias, find the credential, pick the
// adapter, call it with retries and fallbacks, and report what was used.
//
// This file maps provider names to the adapters that speak their wire
// protocols.
package gateway

import (
	"slices"

	"github.com/gatehouse-llm/gatehouse/provider"
	"github.com/gatehouse-llm/gatehouse/provider/anthropic"
	"github.com/gatehouse-llm/gatehouse/provider/bedrock"
	"github.com/gatehouse-llm/gatehouse/provider/gemini"
	"github.com/gatehouse-llm/gatehouse/provider/mock"
	"github.com/gatehouse-llm/gatehouse/provider/openai"
)

// Registry maps provider names ("openai", "anthropic", …) to adapters.
type Registry struct {
	adapters map[string]provider.Adapter
}

// DefaultRegistry knows every provider Gatehouse ships an adapter for.
func DefaultRegistry() *Registry {
	r := &Registry{adapters: map[string]provider.Adapter{
		"anthropic": anthropic.New(),
		"gemini":    gemini.New(),
		"bedrock":   bedrock.New(),
		"mock":      mock.New(),
	}}
	for _, name := range openai.CompatibleProviders() {
		r.adapters[name] = openai.New(name)
	}
	return r
}

// NewRegistry builds a registry from explicit adapters, for tests.
func NewRegistry(adapters map[string]provider.Adapter) *Registry {
	return &Registry{adapters: adapters}
}

// Adapter returns the adapter for a provider.
func (r *Registry) Adapter(name string) (provider.Adapter, bool) {
	a, ok := r.adapters[name]
	return a, ok
}

// Supports reports whether a provider has an adapter.
func (r *Registry) Supports(name string) bool {
	_, ok := r.adapters[name]
	return ok
}

// Providers lists the supported provider names, sorted.
func (r *Registry) Providers() []string {
	out := make([]string, 0, len(r.adapters))
	for name := range r.adapters {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
