package gatehouse

import (
	"context"
	"time"
)

// UsageTotals sums calls and their costs.
type UsageTotals struct {
	Calls              int64   `json:"calls"`
	FailedCalls        int64   `json:"failed_calls"`
	PromptTokens       int64   `json:"prompt_tokens"`
	CompletionTokens   int64   `json:"completion_tokens"`
	TotalTokens        int64   `json:"total_tokens"`
	CostMicroUSD       int64   `json:"-"`
	ClientCostMicroUSD int64   `json:"-"`
	Credits            Credits `json:"credits_charged"`
}

// AddCall counts one call: usage reports, rollups and seeded data all sum
// calls this one way.
func (t *UsageTotals) AddCall(c *Call) {
	t.Calls++
	if c.Status != "success" {
		t.FailedCalls++
	}
	t.PromptTokens += c.PromptTokens
	t.CompletionTokens += c.CompletionTokens
	t.TotalTokens += c.TotalTokens
	t.CostMicroUSD += c.CostMicroUSD
	t.ClientCostMicroUSD += c.ClientCostMicro
}

// Add adds another sum of calls (credits excepted: they come from jobs).
func (t *UsageTotals) Add(o UsageTotals) {
	t.Calls += o.Calls
	t.FailedCalls += o.FailedCalls
	t.PromptTokens += o.PromptTokens
	t.CompletionTokens += o.CompletionTokens
	t.TotalTokens += o.TotalTokens
	t.CostMicroUSD += o.CostMicroUSD
	t.ClientCostMicroUSD += o.ClientCostMicroUSD
}

// UsageGroup is the usage of one job type, alias or day.
type UsageGroup struct {
	Key  string `json:"key"`
	Jobs int64  `json:"jobs"`
	UsageTotals
}

// TeamUsage is a team's usage over a time range.
type TeamUsage struct {
	TeamID        string       `json:"team_id"`
	Since         time.Time    `json:"since"`
	Until         time.Time    `json:"until"`
	Jobs          int64        `json:"jobs"`
	JobsCompleted int64        `json:"jobs_completed"`
	JobsFailed    int64        `json:"jobs_failed"`
	JobsCancelled int64        `json:"jobs_cancelled"`
	Totals        UsageTotals  `json:"totals"`
	ByJobType     []UsageGroup `json:"by_job_type"`
	ByModel       []UsageGroup `json:"by_model"`
	ByDay         []UsageGroup `json:"by_day"`
}

// DeploymentUsage is the usage one deployment served for a team.
type DeploymentUsage struct {
	ServedAlias   string `json:"served_by"`
	DeploymentID  string `json:"deployment_id"`
	Provider      string `json:"provider"`
	ProviderModel string `json:"provider_model"`
	CredentialID  string `json:"credential_id"`
	Region        string `json:"region"`
	UsageTotals
}

// UsageService reports usage.
type UsageService interface {
	// TeamUsageByDeployment sums a team's calls in [since, until) per
	// deployment that served them. It reads the calls themselves (the
	// rollups are per alias), so it costs in proportion to the calls in
	// the range and is asked for explicitly.
	TeamUsageByDeployment(ctx context.Context, teamID string, since, until time.Time) ([]DeploymentUsage, error)
	// AliasUsage sums the calls made by naming each alias.
	AliasUsage(ctx context.Context, aliases []string) (map[string]AliasUsage, error)
	TeamUsage(ctx context.Context, teamID string, since, until time.Time) (*TeamUsage, error)
}

// Overview is the fleet at a glance, for the admin console's first page.
type Overview struct {
	Organizations int64
	Teams         int64
	// Calls, errors and spend (provider cost) since the start of the UTC
	// day and month (the month's from FleetUsage).
	CallsToday       int64
	ErrorsToday      int64
	SpendTodayMicros int64
	CallsMonth       int64
	ErrorsMonth      int64
	SpendMonthMicros int64
	// LowCredit are active teams with the fewest credits remaining.
	LowCredit []*Team
	// RecentErrors are the latest failed provider calls.
	RecentErrors []*Call
}

// OverviewService answers the overview from rollups and indexes, never by
// walking the calls.
type OverviewService interface {
	// Overview fills everything but the month's figures.
	Overview(ctx context.Context, now time.Time) (*Overview, error)
	// FleetUsage sums the whole fleet's calls, failures and cost over the
	// UTC days of [since, until). Its cost grows with the number of
	// team-days in the range, so callers cache days that have ended.
	FleetUsage(ctx context.Context, since, until time.Time) (UsageTotals, error)
}

// UsageReport is usage over whole UTC days, by day and by alias.
type UsageReport struct {
	Totals  UsageTotals
	ByDay   []UsageGroup
	ByModel []UsageGroup
}

// UsageReportService reports usage beyond one team.
type UsageReportService interface {
	// OrganizationUsage sums the daily rollups of an organization's
	// teams over the UTC days of [since, until).
	OrganizationUsage(ctx context.Context, orgID string, since, until time.Time) (*UsageReport, error)
}
