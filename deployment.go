package gatehouse

import (
	"fmt"
	"strings"
)

// Deployment is one place an alias's calls can go: a provider model on a
// credential, an endpoint and a region. Operators put one alias in front of
// several deployments (two regions, a primary key and an overflow key, a
// provider and a compatible mirror); the alias's routing strategy picks
// one per call. An alias created with a single litellm_model has exactly
// one deployment.
type Deployment struct {
	// ID names the deployment within its alias (unique there); call
	// records and breakers name it. Defaulted from the model when empty.
	ID           string `json:"deployment_id"`
	LiteLLMModel string `json:"litellm_model"`
	// CredentialID pins a stored provider credential; empty resolves the
	// credential as for any call (the team's organization's, else the
	// operator default, else the environment). A credential that belongs
	// to an organization serves only that organization's teams.
	CredentialID string `json:"credential_id,omitempty"`
	// APIBase overrides the credential's endpoint; Extra adds to (and
	// overrides) its provider extras (api_version, region, …).
	APIBase string            `json:"api_base,omitempty"`
	Extra   map[string]string `json:"extra,omitempty"`
	// Region is informational: call records and usage name it.
	Region string `json:"region,omitempty"`
	// Weight is the share of traffic under weighted routing (default 1).
	Weight int `json:"weight"`
	// RPM and TPM cap the deployment's requests and tokens per minute,
	// across every replica when Redis is configured; 0 is unlimited.
	RPM int64 `json:"rpm,omitempty"`
	TPM int64 `json:"tpm,omitempty"`
	// Order is the deployment's priority tier: lower tiers serve first,
	// and the next tier only when the whole tier is unavailable.
	Order int `json:"order"`
	// Pricing overrides the alias's and the catalogue's price for calls
	// this deployment serves; nil falls back to them.
	Pricing *Pricing `json:"pricing,omitempty"`
}

// Routing strategies (Alias.RoutingStrategy).
const (
	// RouteWeighted picks at random in proportion to weight (the default).
	RouteWeighted = "weighted"
	// RouteLeastBusy picks the deployment with the fewest calls in flight.
	RouteLeastBusy = "least-busy"
	// RouteLowestLatency picks the deployment with the lowest moving
	// average of time to first token (streams) or total latency.
	RouteLowestLatency = "lowest-latency"
	// RouteUsageBased picks the deployment with the most rpm/tpm headroom
	// left this minute.
	RouteUsageBased = "usage-based"
)

// RoutingStrategies lists the strategies an alias may name.
var RoutingStrategies = []string{RouteWeighted, RouteLeastBusy, RouteLowestLatency, RouteUsageBased}

// MaxDeployments bounds an alias's deployments.
const MaxDeployments = 64

// Provider returns the deployment's provider ("openai").
func (d *Deployment) Provider() string {
	p, _, _ := SplitModel(d.LiteLLMModel)
	return p
}

// normalizeDeployments defaults what an operator may leave out and checks
// each deployment's own fields: weight 1, ids from the model (made unique
// with "#2", "#3").
func (a *Alias) normalizeDeployments() error {
	if len(a.Deployments) == 0 {
		if a.LiteLLMModel == "" {
			return FieldErrorf("litellm_model", "litellm_model is required, in provider/model form (e.g. openai/gpt-4), or deployments.")
		}
		a.Deployments = []Deployment{{LiteLLMModel: a.LiteLLMModel}}
	}
	if len(a.Deployments) > MaxDeployments {
		return FieldErrorf("deployments", "An alias may have at most %d deployments.", MaxDeployments)
	}
	seen := map[string]bool{}
	for i := range a.Deployments {
		d := &a.Deployments[i]
		field := fmt.Sprintf("deployments[%d]", i)
		if d.LiteLLMModel == "" {
			return FieldErrorf(field+".litellm_model", "litellm_model is required, in provider/model form (e.g. openai/gpt-4).")
		}
		if _, _, ok := SplitModel(d.LiteLLMModel); !ok {
			return FieldErrorf(field+".litellm_model", "litellm_model %s must be in provider/model form (e.g. openai/gpt-4).", QuoteInput(d.LiteLLMModel))
		}
		switch {
		case d.Weight < 0 || d.Weight > 1_000_000:
			return FieldErrorf(field+".weight", "weight must be between 0 and 1000000.")
		case d.RPM < 0 || d.TPM < 0:
			return FieldErrorf(field, "rpm and tpm must not be negative.")
		case d.Order < 0 || d.Order > 1000:
			return FieldErrorf(field+".order", "order must be between 0 and 1000.")
		case d.Pricing != nil && (d.Pricing.InputPerM < 0 || d.Pricing.OutputPerM < 0):
			return FieldErrorf(field+".pricing", "pricing must not be negative.")
		case len(d.APIBase) > 2048 || len(d.Region) > 128 || len(d.CredentialID) > 128:
			return FieldErrorf(field, "api_base, region or credential_id is too long.")
		case d.APIBase != "" && !strings.HasPrefix(d.APIBase, "http://") && !strings.HasPrefix(d.APIBase, "https://"):
			return FieldErrorf(field+".api_base", "api_base %s must be an http:// or https:// URL.", QuoteInput(d.APIBase))
		}
		for k := range d.Extra {
			if lk := strings.ToLower(k); strings.Contains(lk, "key") || strings.Contains(lk, "secret") || strings.Contains(lk, "token") || strings.Contains(lk, "password") {
				return FieldErrorf(field+".extra", "extra %s looks like a secret, and extras are stored in the clear; store it in a provider credential and name it with credential_id.", QuoteInput(k))
			}
		}
		if d.Weight == 0 {
			d.Weight = 1
		}
		if d.ID == "" {
			d.ID = d.LiteLLMModel
			for n := 2; seen[d.ID]; n++ {
				d.ID = fmt.Sprintf("%s#%d", d.LiteLLMModel, n)
			}
		}
		if len(d.ID) > 256 || strings.TrimSpace(d.ID) != d.ID {
			return FieldErrorf(field+".deployment_id", "deployment_id %s must be at most 256 characters without surrounding spaces.", QuoteInput(d.ID))
		}
		if seen[d.ID] {
			return FieldErrorf(field+".deployment_id", "deployment_id %s is used twice in this alias.", QuoteInput(d.ID))
		}
		seen[d.ID] = true
	}
	// The alias's litellm_model is its primary deployment's: the first of
	// the lowest tier, what a single-model client of the API expects.
	a.LiteLLMModel = a.Primary().LiteLLMModel
	return nil
}

// Primary is the deployment an alias's litellm_model names: the first
// of its lowest order tier.
func (a *Alias) Primary() *Deployment {
	if len(a.Deployments) == 0 {
		return nil
	}
	best := 0
	for i := range a.Deployments {
		if a.Deployments[i].Order < a.Deployments[best].Order {
			best = i
		}
	}
	return &a.Deployments[best]
}

// Deployment returns the alias's deployment with the given id, or nil.
func (a *Alias) Deployment(id string) *Deployment {
	for i := range a.Deployments {
		if a.Deployments[i].ID == id {
			return &a.Deployments[i]
		}
	}
	return nil
}
