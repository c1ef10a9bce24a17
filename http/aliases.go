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

// aliasJSON is an alias as the API shows it.
type aliasJSON struct {
	*gatehouse.Alias
	Pricing    *pricingJSON `json:"pricing,omitempty"`
	UsageCount *int64       `json:"usage_count,omitempty"`
}

func showAlias(a *gatehouse.Alias) aliasJSON {
	out := aliasJSON{Alias: a}
	if a.Pricing != nil {
		in, o := usd(a.Pricing.InputPerM), usd(a.Pricing.OutputPerM)
		out.Pricing = &pricingJSON{InputPerMillion: &in, OutputPerMillion: &o}
	}
	return out
}

type aliasRequest struct {
	Alias        *string             `json:"alias"`
	LiteLLMModel *string             `json:"litellm_model"`
	Description  *string             `json:"description"`
	Active       *bool               `json:"active"`
	Pricing      *json.RawMessage    `json:"pricing"`
	Fallbacks    *[]string           `json:"fallbacks"`
	Metadata     *gatehouse.Metadata `json:"metadata"`
}

// pricing decodes the optional pricing field; explicit null clears it.
func (req aliasRequest) pricing() (set bool, p *gatehouse.Pricing, err error) {
	if req.Pricing == nil {
		return false, nil, nil
	}
	if string(*req.Pricing) == "null" {
		return true, nil, nil
	}
	// Decoded inside a {"pricing": …} wrapper so errors name the field
	// by its full path (pricing.input_per_million).
	var wrap struct {
		Pricing pricingJSON `json:"pricing"`
	}
	if err := decodeBytes(append(append([]byte(`{"pricing":`), *req.Pricing...), '}'), &wrap); err != nil {
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
