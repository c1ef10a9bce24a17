package anthropic

import "fmt"

// Extended-thinking budgets (budget_tokens) for OpenAI's reasoning_effort
// levels. BudgetLow is Anthropic's minimum; each level quadruples the one
// below, which keeps "high" affordable while giving real room to think.
const (
	BudgetLow    = 1024
	BudgetMedium = 4096
	BudgetHigh   = 16384
)

// thinkingBudget returns the budget for a reasoning_effort value, 0 when
// thinking stays off.
func thinkingBudget(effort string) (int, error) {
	switch effort {
	case "", "none", "minimal":
		return 0, nil
	case "low":
		return BudgetLow, nil
	case "medium":
		return BudgetMedium, nil
	case "high":
		return BudgetHigh, nil
	default:
		return 0, fmt.Errorf("reasoning_effort: unsupported value %q (want low, medium or high)", effort)
	}
}

// tokenLimits picks max_tokens and the thinking setting. Anthropic counts
// thinking inside max_tokens and requires max_tokens > budget_tokens, so a
// client limit that leaves no room for an answer is added on top of the
// budget rather than silently starving the answer.
func tokenLimits(clientMax *int, budget int) (int, *thinking) {
	if budget == 0 {
		if clientMax != nil {
			return *clientMax, nil
		}
		return DefaultMaxTokens, nil
	}
	think := &thinking{Type: "enabled", BudgetTokens: budget}
	switch {
	case clientMax == nil:
		return budget + DefaultMaxTokens, think
	case *clientMax > budget || *clientMax <= 0:
		return *clientMax, think // a nonsensical limit is the upstream's to reject
	default:
		return budget + *clientMax, think
	}
}
