package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/gatehouse-llm/gatehouse"
)

// usd is a dollar amount read exactly from JSON, given as a number (2.5)
// or a decimal string ("2.50", the form prices are written in), and
// written as a decimal string.
type usd int64

// UnmarshalJSON reads the amount exactly; a refusal is a type error, so
// the decoder names the field at fault (payment_amount_usd,
// pricing.input_per_million).
func (u *usd) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	num := b
	if len(b) > 0 && b[0] == '"' {
		var s string
		if json.Unmarshal(b, &s) != nil {
			return gatehouse.ValueError[usd]("must be a USD amount such as 2.50")
		}
		num = []byte(s)
	}
	m, err := gatehouse.ParseJSONMicros(num, gatehouse.MaxUSD)
	switch {
	case err == nil && m < 0:
		return gatehouse.ValueError[usd]("must not be negative")
	case err == nil:
		*u = usd(m)
		return nil
	case errors.Is(err, gatehouse.ErrAmountPrecision):
		return gatehouse.ValueError[usd]("must have at most 6 decimal places (a millionth of a dollar)")
	case errors.Is(err, gatehouse.ErrAmountRange):
		return gatehouse.ValueError[usd](fmt.Sprintf("must be at most %s USD", gatehouse.FormatMicros(gatehouse.MaxUSD)))
	}
	return gatehouse.ValueError[usd]("must be a USD amount such as 2.50")
}

func (u usd) MarshalJSON() ([]byte, error) { return json.Marshal(gatehouse.FormatMicros(int64(u))) }

// pricingJSON is an alias's price override in USD per 1M tokens.
type pricingJSON struct {
	InputPerMillion  *usd `json:"input_per_million"`
	OutputPerMillion *usd `json:"output_per_million"`
}

func (p *pricingJSON) toDomain() (*gatehouse.Pricing, error) {
	if p == nil {
		return nil, nil
	}
	if p.InputPerMillion == nil || p.OutputPerMillion == nil {
		return nil, gatehouse.FieldErrorf("pricing", "pricing needs both input_per_million and output_per_million (USD per 1M tokens).")
	}
	return &gatehouse.Pricing{InputPerM: int64(*p.InputPerMillion), OutputPerM: int64(*p.OutputPerMillion)}, nil
}

// aliasJSON is an alias as the API shows it: the seed's fields
// (litellm_model is the primary deployment's) plus its deployments.
type aliasJSON struct {
	*gatehouse.Alias
	Pricing     *pricingJSON     `json:"pricing,omitempty"`
	Deployments []deploymentJSON `json:"deployments"`
	UsageCount  *int64           `json:"usage_count,omitempty"`
}

// deploymentJSON is a deployment as the API shows it.
type deploymentJSON struct {
	gatehouse.Deployment
	Pricing *pricingJSON `json:"pricing,omitempty"`
}

func showPricing(p *gatehouse.Pricing) *pricingJSON {
	if p == nil {
		return nil
	}
	in, o := usd(p.InputPerM), usd(p.OutputPerM)
	return &pricingJSON{InputPerMillion: &in, OutputPerMillion: &o}
}

func showAlias(a *gatehouse.Alias) aliasJSON {
	out := aliasJSON{Alias: a, Pricing: showPricing(a.Pricing), Deployments: make([]deploymentJSON, len(a.Deployments))}
	for i, d := range a.Deployments {
		out.Deployments[i] = deploymentJSON{Deployment: d, Pricing: showPricing(d.Pricing)}
	}
	return out
}

// deploymentRequest is one deployment in a create or update body.
type deploymentRequest struct {
	DeploymentID string            `json:"deployment_id"`
	LiteLLMModel string            `json:"litellm_model"`
	CredentialID string            `json:"credential_id"`
	APIBase      string            `json:"api_base"`
	Extra        map[string]string `json:"extra"`
	Region       string            `json:"region"`
	Weight       int               `json:"weight"`
	RPM          int64             `json:"rpm"`
	TPM          int64             `json:"tpm"`
	Order        int               `json:"order"`
	Pricing      *pricingJSON      `json:"pricing"`
}

// deployments converts the request's deployments; nil when absent. A
// litellm_model sent along must be the primary deployment's.
func (req aliasRequest) deployments() (*[]gatehouse.Deployment, error) {
	if req.Deployments == nil {
		return nil, nil
	}
	out := make([]gatehouse.Deployment, len(*req.Deployments))
	for i, d := range *req.Deployments {
		p, err := d.Pricing.toDomain()
		if err != nil {
			return nil, gatehouse.FieldErrorf(fmt.Sprintf("deployments[%d].pricing", i), "%s", gatehouse.ErrorMessage(err))
		}
		out[i] = gatehouse.Deployment{ID: d.DeploymentID, LiteLLMModel: d.LiteLLMModel, CredentialID: d.CredentialID, APIBase: d.APIBase,
			Extra: d.Extra, Region: d.Region, Weight: d.Weight, RPM: d.RPM, TPM: d.TPM, Order: d.Order, Pricing: p}
	}
	if len(out) == 0 {
		return nil, gatehouse.FieldErrorf("deployments", "deployments must list at least one deployment.")
	}
	if req.LiteLLMModel != nil {
		probe := gatehouse.Alias{Deployments: out}
		if m := probe.Primary().LiteLLMModel; m != *req.LiteLLMModel {
			return nil, gatehouse.FieldErrorf("litellm_model", "litellm_model %s differs from the primary deployment's (%s); send one or the other.",
				gatehouse.QuoteInput(*req.LiteLLMModel), gatehouse.QuoteInput(m))
		}
	}
	return &out, nil
}

// numRetries decodes the optional num_retries field; explicit null
// restores the default.
func (req aliasRequest) numRetries() (set bool, n *int, err error) {
	if len(req.NumRetries) == 0 {
		return false, nil, nil
	}
	if string(req.NumRetries) == "null" {
		return true, nil, nil
	}
	var v int
	if err := json.Unmarshal(req.NumRetries, &v); err != nil {
		return false, nil, gatehouse.FieldErrorf("num_retries", "num_retries must be a whole number or null.")
	}
	return true, &v, nil
}

type aliasRequest struct {
	Alias        *string             `json:"alias"`
	LiteLLMModel *string             `json:"litellm_model"`
	Description  *string             `json:"description"`
	Active       *bool               `json:"active"`
	Pricing      json.RawMessage     `json:"pricing"` // raw: null clears, absence keeps
	Fallbacks    *[]string           `json:"fallbacks"`
	Metadata     *gatehouse.Metadata `json:"metadata"`
	// Deployments, when given, replace the alias's deployments; without
	// them litellm_model is the alias's one deployment.
	Deployments     *[]deploymentRequest `json:"deployments"`
	RoutingStrategy *string              `json:"routing_strategy"`
	// NumRetries is raw so that an explicit null (restore the default)
	// differs from absence (a *json.RawMessage would be nil for both).
	NumRetries json.RawMessage `json:"num_retries"`
}

// pricing decodes the optional pricing field; explicit null clears it.
func (req aliasRequest) pricing() (set bool, p *gatehouse.Pricing, err error) {
	if len(req.Pricing) == 0 {
		return false, nil, nil
	}
	if string(req.Pricing) == "null" {
		return true, nil, nil
	}
	// Decoded inside a {"pricing": …} wrapper so errors name the field
	// by its full path (pricing.input_per_million).
	var wrap struct {
		Pricing pricingJSON `json:"pricing"`
	}
	if err := decodeBytes(append(append([]byte(`{"pricing":`), req.Pricing...), '}'), &wrap); err != nil {
		return false, nil, err
	}
	pj := wrap.Pricing
	p, err = pj.toDomain()
	return true, p, err
}

func handleAliasCreate(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[aliasRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		a := &gatehouse.Alias{Active: true}
		if req.Alias != nil {
			a.Alias = *req.Alias
		}
		if req.LiteLLMModel != nil {
			a.LiteLLMModel = *req.LiteLLMModel
		}
		if req.Description != nil {
			a.Description = *req.Description
		}
		if req.Active != nil {
			a.Active = *req.Active
		}
		if req.Fallbacks != nil {
			a.Fallbacks = *req.Fallbacks
		}
		if req.Metadata != nil {
			a.Metadata = *req.Metadata
		}
		if _, a.Pricing, err = req.pricing(); err != nil {
			writeError(w, r, err)
			return
		}
		deps, err := req.deployments()
		if err != nil {
			writeError(w, r, err)
			return
		}
		if deps != nil {
			a.Deployments = *deps
		}
		if req.RoutingStrategy != nil {
			a.RoutingStrategy = *req.RoutingStrategy
		}
		if _, a.NumRetries, err = req.numRetries(); err != nil {
			writeError(w, r, err)
			return
		}
		if err := store.CreateAlias(r.Context(), a); err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusCreated, showAlias(a))
	})
}

func handleAliasList(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := pageFrom(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		f := gatehouse.AliasFilter{Provider: r.URL.Query().Get("provider"), Page: p}
		if f.Active, err = boolQuery(r, "active"); err != nil {
			writeError(w, r, err)
			return
		}
		aliases, total, err := store.ListAliases(r.Context(), f)
		if err != nil {
			writeError(w, r, err)
			return
		}
		names := make([]string, len(aliases))
		for i, a := range aliases {
			names[i] = a.Alias
		}
		usage, err := store.AliasUsage(r.Context(), names)
		if err != nil {
			writeError(w, r, err)
			return
		}
		out := make([]aliasJSON, 0, len(aliases))
		for _, a := range aliases {
			j := showAlias(a)
			n := usage[a.Alias].TotalCalls
			j.UsageCount = &n
			out = append(out, j)
		}
		list(w, "aliases", out, total, p)
	})
}

func handleAliasGet(store Store) http.Handler {
	type usageStats struct {
		TotalCalls       int64  `json:"total_calls"`
		TotalCostUSD     usdNum `json:"total_cost_usd"`
		AvgTokensPerCall int64  `json:"avg_tokens_per_call"`
	}
	type detail struct {
		aliasJSON
		AccessGroups    []string `json:"access_groups"`
		TeamsWithAccess int      `json:"teams_with_access"`
		// TeamsCapped says the count stopped at gatehouse.CountCap.
		TeamsCapped bool       `json:"teams_with_access_capped,omitempty"`
		UsageStats  usageStats `json:"usage_stats"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := store.FindAlias(r.Context(), r.PathValue("alias"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		groups, teams, err := store.AliasGroups(r.Context(), a.Alias)
		if err != nil {
			writeError(w, r, err)
			return
		}
		usage, err := store.AliasUsage(r.Context(), []string{a.Alias})
		if err != nil {
			writeError(w, r, err)
			return
		}
		u := usage[a.Alias]
		j := showAlias(a)
		j.UsageCount = &u.TotalCalls
		encode(w, http.StatusOK, detail{aliasJSON: j, AccessGroups: groups, TeamsWithAccess: min(teams, gatehouse.CountCap), TeamsCapped: teams > gatehouse.CountCap,
			UsageStats: usageStats{TotalCalls: u.TotalCalls, TotalCostUSD: usdNum(u.TotalCostMicros), AvgTokensPerCall: u.AvgTokensPerCall}})
	})
}

// usdNum renders micro-USD as a JSON number with exact decimal digits
// (234.56), as the seed documents total_cost_usd.
type usdNum int64

func (u usdNum) MarshalJSON() ([]byte, error) { return []byte(gatehouse.FormatMicros(int64(u))), nil }

func handleAliasUpdate(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[aliasRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		name := r.PathValue("alias")
		if req.Alias != nil && *req.Alias != name {
			writeError(w, r, gatehouse.FieldErrorf("alias", "An alias cannot be renamed; create %s and delete %s instead.", gatehouse.QuoteInput(*req.Alias), gatehouse.QuoteInput(name)))
			return
		}
		upd := gatehouse.AliasUpdate{LiteLLMModel: req.LiteLLMModel, Description: req.Description, Active: req.Active,
			Fallbacks: req.Fallbacks, Metadata: req.Metadata}
		set, pricing, err := req.pricing()
		if err != nil {
			writeError(w, r, err)
			return
		}
		if set {
			upd.Pricing = &pricing
		}
		if upd.Deployments, err = req.deployments(); err != nil {
			writeError(w, r, err)
			return
		}
		upd.RoutingStrategy = req.RoutingStrategy
		set, retries, err := req.numRetries()
		if err != nil {
			writeError(w, r, err)
			return
		}
		if set {
			upd.NumRetries = &retries
		}
		a, err := store.UpdateAlias(r.Context(), name, upd)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, showAlias(a))
	})
}

func handleAliasSetActive(store Store, active bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := store.UpdateAlias(r.Context(), r.PathValue("alias"), gatehouse.AliasUpdate{Active: &active})
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, showAlias(a))
	})
}

func handleAliasDelete(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("alias")
		if err := store.DeleteAlias(r.Context(), name); err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, map[string]any{"alias": name, "deleted": true})
	})
}
