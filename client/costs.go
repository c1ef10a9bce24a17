package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// JobCosts is a job with what it cost and every call it made, for showing
// a customer where their credits went.
type JobCosts struct {
	Job
	// CostUSD is the provider cost of the job's calls; ClientCostUSD adds
	// the team's markup.
	CostUSD       USD          `json:"cost_usd"`
	ClientCostUSD USD          `json:"client_cost_usd"`
	Calls         []CallRecord `json:"calls"`
}

// CallRecord is one recorded LLM call of a job.
type CallRecord struct {
	CallID           string         `json:"call_id"`
	JobID            string         `json:"job_id"`
	TeamID           string         `json:"team_id"`
	Model            string         `json:"model"`     // the alias asked for
	ServedBy         string         `json:"served_by"` // the alias that answered, after fallbacks
	Provider         string         `json:"provider"`
	ProviderModel    string         `json:"provider_model"`
	Purpose          string         `json:"purpose"`
	CallMetadata     map[string]any `json:"call_metadata"`
	Status           string         `json:"status"` // "success" or "error"
	Error            string         `json:"error,omitempty"`
	Stream           bool           `json:"stream"`
	FinishReason     string         `json:"finish_reason"`
	PromptTokens     int64          `json:"prompt_tokens"`
	CompletionTokens int64          `json:"completion_tokens"`
	CachedTokens     int64          `json:"cached_tokens"`
	CacheWriteTokens int64          `json:"cache_write_tokens"`
	ReasoningTokens  int64          `json:"reasoning_tokens"`
	TotalTokens      int64          `json:"total_tokens"`
	UsageSource      string         `json:"usage_source"` // "provider", or "estimated" for a stream cut short
	LatencyMS        int64          `json:"latency_ms"`
	FirstTokenMS     int64          `json:"first_token_ms"`
	Attempts         int64          `json:"attempts"`
	CostUSD          USD            `json:"cost_usd"`
	ClientCostUSD    USD            `json:"client_cost_usd"`
	CreditsCharged   Credits        `json:"credits_charged,omitempty"`
	CreatedAt        time.Time      `json:"created_at"`
}

// JobCosts reads a job's charge and every call's tokens, cost, latency,
// alias, provider model, status and error (GET /api/jobs/{id}/costs).
func (c *Client) JobCosts(ctx context.Context, id string) (*JobCosts, error) {
	if err := requireID("job id", id); err != nil {
		return nil, err
	}
	var out JobCosts
	r := request{method: http.MethodGet, path: "/api/jobs/" + url.PathEscape(id) + "/costs", class: idempotent}
	if err := c.call(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Balance is a team's credits and how it pays, so a service can warn its
// customer before they run out.
type Balance struct {
	TeamID         string `json:"team_id"`
	OrganizationID string `json:"organization_id"`
	Status         string `json:"status"`
	BudgetMode     string `json:"budget_mode"`
	// CreditsRemaining is CreditsBalance minus CreditsHeld: what new jobs
	// and calls may still use.
	CreditsAllocated Credits `json:"credits_allocated"`
	CreditsBalance   Credits `json:"credits_balance"`
	CreditsHeld      Credits `json:"credits_held"`
	CreditsRemaining Credits `json:"credits_remaining"`
	CreditsPerDollar Credits `json:"credits_per_dollar"`
	TokensPerCredit  int64   `json:"tokens_per_credit"`
	// CostMarkupPercentage is a percentage (12.5), not money.
	CostMarkupPercentage float64    `json:"cost_markup_percentage"`
	AutoRefill           AutoRefill `json:"auto_refill"`
}

// AutoRefill is a team's scheduled top-up.
type AutoRefill struct {
	Enabled      bool       `json:"enabled"`
	RefillAmount Credits    `json:"refill_amount"`
	RefillPeriod string     `json:"refill_period"` // daily, weekly or monthly
	LastRefillAt *time.Time `json:"last_refill_at"`
}

// Balance reads a team's credits (GET /api/credits/teams/{team}/balance);
// a team key may only read its own team (403 otherwise).
func (c *Client) Balance(ctx context.Context, teamID string) (*Balance, error) {
	if err := requireID("team id", teamID); err != nil {
		return nil, err
	}
	var out Balance
	r := request{method: http.MethodGet, path: "/api/credits/teams/" + url.PathEscape(teamID) + "/balance", class: idempotent}
	if err := c.call(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
