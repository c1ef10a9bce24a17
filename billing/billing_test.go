package billing

import (
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/catalog"
	"github.com/gatehouse-llm/gatehouse/provider"
)

func TestCostMicroUSD(t *testing.T) {
	p := Prices{Input: 2_500_000, Output: 10_000_000, CacheRead: 1_250_000, CacheWrite: 3_125_000} // $2.50 / $10 / $1.25 / $3.125 per 1M
	tests := []struct {
		name string
		u    provider.Usage
		want int64
	}{
		{"plain", provider.Usage{PromptTokens: 1000, CompletionTokens: 500}, 2500 + 5000},
		{"cached prompt", provider.Usage{PromptTokens: 1000, CachedTokens: 600, CompletionTokens: 0}, 1000 + 750},
		{"cache write", provider.Usage{PromptTokens: 1000, CacheWriteTokens: 1000}, 3125},
		{"rounds up", provider.Usage{PromptTokens: 1}, 3}, // 2.5 micro-USD → 3
		{"nothing", provider.Usage{}, 0},
	}
	for _, tt := range tests {
		if got := CostMicroUSD(tt.u, p); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestChargeByBudgetMode(t *testing.T) {
	team := func(mode string) *gatehouse.Team {
		return &gatehouse.Team{BudgetMode: mode, CreditsPerDollar: 10 * gatehouse.OneCredit, TokensPerCredit: 1000}
	}
	if got := Charge(team(gatehouse.BudgetJobBased), 1_000_000, 5000); got != 0 {
		t.Errorf("job_based per call = %d", got)
	}
	// $0.001234 at 10 credits per dollar = 0.01234 credits.
	if got := Charge(team(gatehouse.BudgetConsumptionUSD), 1234, 0); got != 12_340 {
		t.Errorf("consumption_usd = %d", got)
	}
	// 1500 tokens at 1000 tokens per credit = 1.5 credits.
	if got := Charge(team(gatehouse.BudgetConsumptionTokens), 0, 1500); got != 1_500_000 {
		t.Errorf("consumption_tokens = %d", got)
	}
	// 1 token at 3 tokens per credit rounds up to the micro-credit.
	tm := team(gatehouse.BudgetConsumptionTokens)
	tm.TokensPerCredit = 3
	if got := Charge(tm, 0, 1); got != 333_334 {
		t.Errorf("rounding = %d, want 333334", got)
	}
	if got := ClientCost(1000, 2500); got != 1250 {
		t.Errorf("25%% markup = %d", got)
	}
	if got := ClientCost(1, 1); got != 2 {
		t.Errorf("markup rounds up: %d", got)
	}
}

// PlanCall reserves a typical answer, not a maximal one; shortens answers
// only when the team's free credits cannot pay the longest one; and when
// it cannot reserve, says whether the credits are held (retry) or spent.
func TestPlanCall(t *testing.T) {
	req := func(maxTokens *int) *provider.ChatRequest {
		return &provider.ChatRequest{Messages: []provider.Message{{Role: "user", Content: provider.TextContent("hello there")}},
			MaxTokens: maxTokens}
	}
	ptr := func(n int) *int { return &n }
	team := &gatehouse.Team{ID: "t", BudgetMode: gatehouse.BudgetConsumptionTokens, TokensPerCredit: 1000}
	prompt := EstimatePromptTokens(req(nil))
	tokens := func(n int64) gatehouse.Credits { return Charge(team, 0, n) }
	tests := []struct {
		name          string
		maxTokens     *int
		modelMax      int
		reserveOutput int
		balance, held gatehouse.Credits
		wantReserve   gatehouse.Credits
		wantMax       *int // nil: max_tokens left as the client sent it
		wantCode      string
	}{
		// The 20-credit team of issue 9: without max_tokens, a call used to
		// reserve a maximal answer (here 4096 tokens of an unknown model).
		{"typical answer reserved", nil, 0, 256, 20 * gatehouse.OneCredit, 0, tokens(prompt + 256), nil, ""},
		{"max_tokens below the typical answer", ptr(100), 0, 256, 20 * gatehouse.OneCredit, 0, tokens(prompt + 100), nil, ""},
		{"model limit below the typical answer", nil, 50, 256, 20 * gatehouse.OneCredit, 0, tokens(prompt + 50), nil, ""},
		{"reserve_output 0 reserves the maximal answer", nil, 0, 0, 20 * gatehouse.OneCredit, 0, tokens(prompt + 4096), nil, ""},
		// Credits held by calls in flight do not shorten this answer (the
		// team still has 19 credits free) and are not a refusal either.
		{"busy team, plenty free", nil, 0, 256, 20 * gatehouse.OneCredit, gatehouse.OneCredit, tokens(prompt + 256), nil, ""},
		// The longest answer (4096) costs more than the 3 free credits: it is
		// capped at what they pay, but only the typical answer is reserved.
		{"longest answer capped at the free credits", nil, 0, 256, 4 * gatehouse.OneCredit, gatehouse.OneCredit,
			tokens(prompt + 256), ptr(int(3000 - prompt)), ""},
		// Everything but 0.1 credits is held by work in progress: retry.
		{"credits held", nil, 0, 256, 20 * gatehouse.OneCredit, 19_900_000, 0, nil, gatehouse.ERATELIMIT},
		// The balance itself is below the typical answer: really near empty,
		// so the answer is shortened to what is left.
		{"near empty shortens", nil, 0, 256, tokens(prompt + 40), 0, tokens(prompt + 40), ptr(40), ""},
		// Near empty, and what is left is held: retry (it may come back).
		{"near empty and held", nil, 0, 256, tokens(prompt + 40), tokens(prompt + 40), 0, nil, gatehouse.ERATELIMIT},
		// Not even the prompt and one token: spent.
		{"spent", nil, 0, 256, tokens(prompt), 0, 0, nil, gatehouse.ECREDITS},
		{"nothing at all", nil, 0, 256, 0, 0, 0, nil, gatehouse.ECREDITS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := *team
			tm.CreditsBalance, tm.CreditsHeld = tt.balance, tt.held
			plan, err := PlanCall(&tm, req(tt.maxTokens), Prices{}, tt.modelMax, tt.reserveOutput)
			if code := gatehouse.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("error %v, want code %q", err, tt.wantCode)
			}
			if plan.Reserve != tt.wantReserve {
				t.Errorf("reserve %s, want %s", plan.Reserve, tt.wantReserve)
			}
			switch {
			case (plan.MaxTokens == nil) != (tt.wantMax == nil):
				t.Errorf("max_tokens cap %v, want %v", plan.MaxTokens, tt.wantMax)
			case plan.MaxTokens != nil && *plan.MaxTokens != *tt.wantMax:
				t.Errorf("max_tokens cap %d, want %d", *plan.MaxTokens, *tt.wantMax)
			}
			if err == nil && plan.Reserve > tt.balance-tt.held {
				t.Errorf("reserved %s of %s free credits", plan.Reserve, tt.balance-tt.held)
			}
		})
	}
}

func TestPricesFor(t *testing.T) {
	cat := catalog.Default()
	now := time.Now()
	p, ok := PricesFor(cat, &gatehouse.Alias{}, "openai", "gpt-4o", now)
	if !ok || p.Source != "catalog" || p.Input <= 0 || p.Output <= 0 {
		t.Fatalf("catalogue price: %+v %v", p, ok)
	}
	p, ok = PricesFor(cat, &gatehouse.Alias{Pricing: &gatehouse.Pricing{InputPerM: 1, OutputPerM: 2}}, "openai", "gpt-4o", now)
	if !ok || p.Source != "alias" || p.Input != 1 || p.Output != 2 {
		t.Fatalf("alias override: %+v", p)
	}
	if _, ok := PricesFor(cat, &gatehouse.Alias{}, "openai", "nope", now); ok {
		t.Fatal("unknown model priced")
	}
	p, _ = PricesFor(cat, &gatehouse.Alias{}, "mock", "echo", now)
	if p.Input != 0 || p.Output != 0 {
		t.Fatalf("mock must be free: %+v", p)
	}
}
