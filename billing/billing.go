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

// DefaultOutputAllowance is the largest answer considered for a call
// that sets no max_tokens and whose model's output limit is unknown.
const DefaultOutputAllowance = 4096

// DefaultReserveOutput is the output a consumption-mode call reserves
// credits for when it sets no smaller max_tokens: a typical answer, not a
// maximal one. Reserving for the maximal answer (tens of thousands of
// tokens on current models) would let a handful of concurrent calls hold
// a team's whole balance and refuse the rest while almost nothing is
// spent; an answer longer than its reservation is settled from the
// team's free credits when it ends.
const DefaultReserveOutput = 1024

// Plan is how much a consumption-mode call reserves, and the output cap
// that keeps it within what the team can pay.
type Plan struct {
	Reserve gatehouse.Credits
	// MaxTokens, when set, caps the call's completion because the team's
	// free credits could not pay a longer one: the answer is shorter
	// (finish_reason "length") instead of costing more than the team has.
	MaxTokens *int
}

// PlanCall computes a consumption-mode reservation from the team as just
// read (its balance and the credits held by its work in progress).
//
// A call reserves the prompt, counted locally, plus a typical answer:
// reserveOutput tokens, or fewer when max_tokens or the model's limit
// (modelMaxOutput, 0 when unknown) is lower; reserveOutput ≤ 0 reserves
// the maximal answer. The answer itself may be longer, up to max_tokens
// or the model's limit, and is settled on its real usage: the difference
// is held from the team's free credits when the call ends, and what they
// cannot cover is recorded as uncollected, so the balance never goes
// below zero.
//
// Answers are shortened (max_tokens lowered) only when the team's free
// credits could not pay the longest answer the call allows, to what they
// can pay. When the free credits cannot cover the reservation:
//   - if the balance could (credits are only held by calls in flight), the
//     call is refused with a retryable ERATELIMIT: they come back or are
//     spent within moments;
//   - if the balance is really near its end, the answer is shortened to
//     what the free credits pay, as long as they pay for one output token;
//   - otherwise the refusal is ERATELIMIT or ECREDITS as CreditsRefusal
//     decides.
func PlanCall(t *gatehouse.Team, req *provider.ChatRequest, p Prices, modelMaxOutput, reserveOutput int) (Plan, error) {
	prompt := EstimatePromptTokens(req)
	longest := int64(DefaultOutputAllowance)
	if modelMaxOutput > 0 {
		longest = int64(modelMaxOutput)
	}
	if req.MaxTokens != nil && int64(*req.MaxTokens) < longest {
		longest = max(int64(*req.MaxTokens), 0)
	}
	typical := longest
	if reserveOutput > 0 && int64(reserveOutput) < typical {
		typical = int64(reserveOutput)
	}
	shortest := min(int64(1), longest)
	cost := func(out int64) gatehouse.Credits {
		u := provider.Usage{PromptTokens: int(prompt), CompletionTokens: int(out), TotalTokens: int(prompt + out)}
		return Charge(t, ClientCost(CostMicroUSD(u, p), t.MarkupBP), prompt+out)
	}
	// payable is the longest output in [lo, hi] whose cost fits in budget
	// (cost(lo) ≤ budget), by bisection on the exact cost function.
	payable := func(lo, hi int64, budget gatehouse.Credits) int64 {
		for lo < hi {
			mid := lo + (hi-lo+1)/2
			if cost(mid) <= budget {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		return lo
	}
	free := t.CreditsBalance - t.CreditsHeld
	reserve := cost(typical)
	switch {
	case reserve <= free:
		plan := Plan{Reserve: reserve}
		if cost(longest) > free {
			capped := int(payable(typical, longest, free))
			plan.MaxTokens = &capped
		}
		return plan, nil
	case t.CreditsBalance >= reserve && t.CreditsHeld > 0:
		// Not near empty: the team's credits are only held by calls in
		// flight. Shortening this answer would punish concurrency.
		return Plan{}, gatehouse.CreditsRefusal(t.ID, t.CreditsBalance, t.CreditsHeld, reserve)
	case cost(shortest) <= free:
		capped := payable(shortest, typical, free)
		n := int(capped)
		return Plan{Reserve: cost(capped), MaxTokens: &n}, nil
	}
	return Plan{}, gatehouse.CreditsRefusal(t.ID, t.CreditsBalance, t.CreditsHeld, cost(shortest))
}
