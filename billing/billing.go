// Package billing turns token usage into money: the provider's cost of a
// call from the catalogue (or the alias's own price), the client's cost
// with the team's markup, the credits a team pays in its budget mode, and
// the estimate a call reserves before it runs.
//
// Every amount is an integer and every division rounds up to the next
// unit (micro-USD for costs, micro-credit for credits), once per call:
// Gatehouse never rounds in a way that loses money, and a rounding error
// is at most one millionth of a dollar or of a credit per call.
package billing

import (
	"math/big"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/catalog"
	"github.com/gatehouse-llm/gatehouse/provider"
)

// Prices are per 1M tokens, in micro-USD.
type Prices struct {
	Input, Output, CacheRead, CacheWrite int64
	// Source says where the prices came from: "alias" or "catalog".
	Source string
}

// PricesFor resolves the price of the model behind an alias on a given
// day: the alias's own pricing wins over the catalogue. ok is false when
// neither knows it (such an alias cannot be active, so this only happens
// to aliases created before their model left the catalogue).
func PricesFor(cat *catalog.Catalog, a *gatehouse.Alias, providerName, model string, at time.Time) (Prices, bool) {
	if a != nil && a.Pricing != nil {
		return Prices{Input: a.Pricing.InputPerM, Output: a.Pricing.OutputPerM, CacheRead: a.Pricing.InputPerM,
			CacheWrite: a.Pricing.InputPerM, Source: "alias"}, true
	}
	m, ok := cat.Lookup(providerName, model)
	if !ok {
		return Prices{}, false
	}
	p, ok := m.PricesOn(at)
	if !ok {
		return Prices{}, false
	}
	out := Prices{Input: int64(p.Input), Output: int64(p.Output), CacheRead: int64(p.Input), CacheWrite: int64(p.Input), Source: "catalog"}
	if p.CacheRead.Set {
		out.CacheRead = int64(p.CacheRead.Value)
	}
	if p.CacheWrite.Set {
		out.CacheWrite = int64(p.CacheWrite.Value)
	}
	return out, true
}

// ceilDiv divides rounding up, for non-negative numerators; products are
// computed in big integers so no overflow can hide a charge.
func ceilDiv(num *big.Int, den int64) int64 {
	q, r := new(big.Int).QuoRem(num, big.NewInt(den), new(big.Int))
	if r.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q.Int64()
}

func mul(a, b int64) *big.Int { return new(big.Int).Mul(big.NewInt(a), big.NewInt(b)) }

// CostMicroUSD is what the provider charges for usage: uncached prompt
// tokens at the input price, cache reads and writes at theirs, completion
// tokens (reasoning included) at the output price.
func CostMicroUSD(u provider.Usage, p Prices) int64 {
	uncached := int64(u.PromptTokens - u.CachedTokens - u.CacheWriteTokens)
	if uncached < 0 {
		uncached = 0
	}
	sum := mul(uncached, p.Input)
	sum.Add(sum, mul(int64(u.CachedTokens), p.CacheRead))
	sum.Add(sum, mul(int64(u.CacheWriteTokens), p.CacheWrite))
	sum.Add(sum, mul(int64(u.CompletionTokens), p.Output))
	return ceilDiv(sum, 1_000_000)
}

// ClientCost applies the team's markup (basis points) to a provider cost.
func ClientCost(costMicroUSD, markupBP int64) int64 {
	return ceilDiv(mul(costMicroUSD, 10_000+markupBP), 10_000)
}

// Charge is what a call costs a team in credits under its budget mode:
// nothing per call in job_based mode (the job pays one credit), the client
// cost times credits_per_dollar in consumption_usd, total tokens divided
// by tokens_per_credit in consumption_tokens.
func Charge(t *gatehouse.Team, clientCostMicroUSD int64, totalTokens int64) gatehouse.Credits {
	switch t.BudgetMode {
	case gatehouse.BudgetConsumptionUSD:
		return gatehouse.Credits(ceilDiv(mul(clientCostMicroUSD, int64(t.CreditsPerDollar)), 1_000_000))
	case gatehouse.BudgetConsumptionTokens:
		if t.TokensPerCredit <= 0 {
			return 0
		}
		return gatehouse.Credits(ceilDiv(mul(totalTokens, gatehouse.MicrosPerUnit), t.TokensPerCredit))
	}
	return 0
}

// EstimatePromptTokens counts a request's prompt tokens locally, before
// the provider does: one token per three bytes of text (deliberately
// above the usual four, so reservations err on the safe side), plus a
// per-message overhead and a flat charge per image.
func EstimatePromptTokens(req *provider.ChatRequest) int64 {
	var bytes, images int64
	for _, m := range req.Messages {
		for _, p := range m.Content.Parts {
			bytes += int64(len(p.Text))
			if p.Type == provider.PartImage {
				images++
			}
		}
		for _, tc := range m.ToolCalls {
			bytes += int64(len(tc.Function.Name) + len(tc.Function.Arguments))
		}
	}
	for _, t := range req.Tools {
		bytes += int64(len(t.Function.Name) + len(t.Function.Description) + len(t.Function.Parameters))
	}
	return (bytes+2)/3 + 4*int64(len(req.Messages)) + 3 + 1000*images
}

// DefaultOutputAllowance is the completion budget reserved for a call
// that sets no max_tokens and whose model's output limit is unknown.
const DefaultOutputAllowance = 4096

// Plan is how much a consumption-mode call reserves, and the output cap
// that keeps it within what the team can pay.
type Plan struct {
	Reserve gatehouse.Credits
	// MaxTokens, when set, caps the call's completion so its cost cannot
	// exceed Reserve: a team near the end of its credits gets a shorter
	// answer (finish_reason "length"), never an overspend.
	MaxTokens *int
}

// PlanCall computes a consumption-mode reservation: the prompt counted
// locally plus an output allowance bounded by the request's max_tokens,
// the model's limit and what the team has left. It fails with ECREDITS
// when the team cannot pay for even the prompt and one output token.
func PlanCall(t *gatehouse.Team, req *provider.ChatRequest, p Prices, modelMaxOutput int, available gatehouse.Credits) (Plan, error) {
	prompt := EstimatePromptTokens(req)
	allowance := int64(DefaultOutputAllowance)
	if modelMaxOutput > 0 {
		allowance = int64(modelMaxOutput)
	}
	if req.MaxTokens != nil && int64(*req.MaxTokens) < allowance {
		allowance = int64(*req.MaxTokens)
	}
	cost := func(out int64) gatehouse.Credits {
		u := provider.Usage{PromptTokens: int(prompt), CompletionTokens: int(out), TotalTokens: int(prompt + out)}
		return Charge(t, ClientCost(CostMicroUSD(u, p), t.MarkupBP), prompt+out)
	}
	if full := cost(allowance); full <= available {
		return Plan{Reserve: full}, nil
	}
	if cost(1) > available {
		return Plan{}, gatehouse.Errorf(gatehouse.ECREDITS, "Team %q has %s credits left, not enough for this call.", t.ID, available)
	}
	// The largest output the remaining credits pay for, by bisection on
	// the exact cost function.
	lo, hi := int64(1), allowance
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if cost(mid) <= available {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	capped := int(lo)
	return Plan{Reserve: cost(lo), MaxTokens: &capped}, nil
}
