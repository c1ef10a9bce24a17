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

func TestPlanCallCapsOutputToWhatTheTeamCanPay(t *testing.T) {
	team := &gatehouse.Team{ID: "t", BudgetMode: gatehouse.BudgetConsumptionTokens, TokensPerCredit: 1000}
	req := &provider.ChatRequest{Messages: []provider.Message{{Role: "user", Content: provider.TextContent("hello there")}}}
	prompt := EstimatePromptTokens(req)
	// Plenty of credits: reserve prompt + max_tokens.
	max := 100
	req.MaxTokens = &max
	plan, err := PlanCall(team, req, Prices{}, 0, 1000*gatehouse.OneCredit)
	if err != nil || plan.MaxTokens != nil || plan.Reserve != Charge(team, 0, prompt+100) {
		t.Fatalf("plan %+v err %v", plan, err)
	}
	// Only enough for prompt + 40 tokens: the output is capped to 40.
	req.MaxTokens = nil
	avail := Charge(team, 0, prompt+40)
	plan, err = PlanCall(team, req, Prices{}, 0, avail)
	if err != nil || plan.MaxTokens == nil || *plan.MaxTokens != 40 || plan.Reserve > avail {
		t.Fatalf("capped plan %+v (max %v) err %v", plan, plan.MaxTokens, err)
	}
	// Not even the prompt: refused.
	if _, err := PlanCall(team, req, Prices{}, 0, Charge(team, 0, prompt)-1); gatehouse.ErrorCode(err) != gatehouse.ECREDITS {
		t.Fatalf("err = %v", err)
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
