package gatehouse

import (
	"context"
	"fmt"
	"time"
)

// Statuses of organizations and teams.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended" // an operator decision, e.g. unpaid invoices
	StatusPaused    = "paused"    // teams only: temporarily stopped, e.g. by the customer
)

// Metadata is free-form JSON an operator attaches to a resource.
type Metadata map[string]any

// Organization is one of the operator's customers. Its teams call models;
// suspending it refuses all of them at once.
type Organization struct {
	ID        string    `json:"organization_id"`
	Name      string    `json:"name"`
	Status    string    `json:"status"`
	Metadata  Metadata  `json:"metadata"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Default conversion rates of a new team.
const (
	DefaultCreditsPerDollar Credits = 10 * OneCredit
	DefaultTokensPerCredit  int64   = 10_000
)

// Budget modes decide what a team's credits pay for.
const (
	BudgetJobBased          = "job_based"          // one credit per completed job
	BudgetConsumptionUSD    = "consumption_usd"    // credits per dollar of cost
	BudgetConsumptionTokens = "consumption_tokens" // credits per N tokens
)

// ValidBudgetMode reports whether m is a known budget mode.
func ValidBudgetMode(m string) bool {
	return m == BudgetJobBased || m == BudgetConsumptionUSD || m == BudgetConsumptionTokens
}

// Team is a unit of an organization that holds credits and virtual keys
// and is granted models through access groups.
type Team struct {
	ID             string `json:"team_id"`
	OrganizationID string `json:"organization_id"`
	Alias          string `json:"team_alias"`
	Status         string `json:"status"`
	BudgetMode     string `json:"budget_mode"`
	// CreditsAllocated is every credit ever granted; CreditsBalance what
	// is left; CreditsHeld the part of the balance set aside for work in
	// progress; CreditsRemaining what new work may still use.
	CreditsAllocated Credits `json:"credits_allocated"`
	CreditsBalance   Credits `json:"credits_balance"`
	CreditsHeld      Credits `json:"credits_held"`
	CreditsRemaining Credits `json:"credits_remaining"`
	// CreditsPerDollar converts cost to credits (consumption_usd);
	// TokensPerCredit converts tokens (consumption_tokens).
	CreditsPerDollar Credits `json:"credits_per_dollar"`
	TokensPerCredit  int64   `json:"tokens_per_credit"`
	// MarkupBP is the client-cost markup over provider cost in basis
	// points (1250 = 12.5%).
	MarkupBP     int64      `json:"-"`
	RefillAmount Credits    `json:"auto_refill_amount"`
	RefillPeriod string     `json:"auto_refill_period"` // "", daily, weekly, monthly
	LastRefillAt *time.Time `json:"last_refill_at"`
	RateLimits   RateLimits `json:"rate_limits"`
	AccessGroups []string   `json:"access_groups"`
	Metadata     Metadata   `json:"metadata"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// Key is a team's virtual key as stored: only its hash and a short prefix
// (enough to recognise it in a list) are kept.
type Key struct {
	ID         string     `json:"key_id"`
	TeamID     string     `json:"team_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Hash       string     `json:"-"`
	RateLimits RateLimits `json:"rate_limits"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// RateLimits bound how fast a team or a key may call; zero means
// unlimited.
type RateLimits struct {
	RequestsPerMinute int64 `json:"requests_per_minute"`
	TokensPerMinute   int64 `json:"tokens_per_minute"`
	Concurrent        int64 `json:"concurrent"`
}

// Validate refuses negative limits.
func (l RateLimits) Validate() error {
	if l.RequestsPerMinute < 0 || l.TokensPerMinute < 0 || l.Concurrent < 0 {
		return FieldErrorf("rate_limits", "rate limits must not be negative (0 means unlimited).")
	}
	return nil
}

// Usable reports whether the key may authenticate at time now.
func (k *Key) Usable(now time.Time) bool {
	return k.RevokedAt == nil && (k.ExpiresAt == nil || now.Before(*k.ExpiresAt))
}

// Page selects a window of a list. Lists are always paginated on the
// server; Limit is clamped to MaxPageLimit.
type Page struct {
	Limit  int
	Offset int
	// After is a keyset cursor (see Cursor): the page starts after the
	// item it names instead of at Offset.
	After string
}

// Pagination bounds.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 500
)

// Normalize applies the defaults and bounds.
func (p Page) Normalize() Page {
	if p.Limit <= 0 {
		p.Limit = DefaultPageLimit
	}
	if p.Limit > MaxPageLimit {
		p.Limit = MaxPageLimit
	}
	if p.Offset < 0 {
		p.Offset = 0
	}
	return p
}

// OrganizationFilter narrows ListOrganizations.
type OrganizationFilter struct {
	Status string
	Page
}

// OrganizationUpdate holds the fields an update may change; nil means keep.
type OrganizationUpdate struct {
	Name     *string
	Metadata *Metadata
}

// OrganizationService manages organizations.
type OrganizationService interface {
	CreateOrganization(ctx context.Context, org *Organization) error
	FindOrganization(ctx context.Context, id string) (*Organization, error)
	ListOrganizations(ctx context.Context, f OrganizationFilter) ([]*Organization, int, error)
	UpdateOrganization(ctx context.Context, id string, upd OrganizationUpdate) (*Organization, error)
	SetOrganizationStatus(ctx context.Context, id, status string) (*Organization, error)
	// DeleteOrganization fails with ECONFLICT while the organization has
	// teams.
	DeleteOrganization(ctx context.Context, id string) error
}

// TeamFilter narrows ListTeams.
type TeamFilter struct {
	OrganizationID string
	Status         string
	Page
}

// TeamUpdate holds the fields an update may change; nil means keep.
type TeamUpdate struct {
	Alias        *string
	BudgetMode   *string
	Metadata     *Metadata
	AccessGroups *[]string
	RateLimits   *RateLimits
}

// NewKey is a freshly issued virtual key: the only moment its secret is
// known.
type NewKey struct {
	Key    *Key
	Secret string
}

// TeamService manages teams and their virtual keys.
type TeamService interface {
	// CreateTeam creates the team and its first key, returned in clear
	// this once.
	CreateTeam(ctx context.Context, team *Team) (*NewKey, error)
	FindTeam(ctx context.Context, id string) (*Team, error)
	ListTeams(ctx context.Context, f TeamFilter) ([]*Team, int, error)
	UpdateTeam(ctx context.Context, id string, upd TeamUpdate) (*Team, error)
	SetTeamStatus(ctx context.Context, id, status string) (*Team, error)
	DeleteTeam(ctx context.Context, id string) error

	CreateKey(ctx context.Context, teamID, name string, expiresAt *time.Time, limits RateLimits) (*NewKey, error)
	ListKeys(ctx context.Context, teamID string, p Page) ([]*Key, int, error)
	// RotateKey issues a new key and lets the old one work until
	// now+grace (immediately revoked when grace is 0).
	RotateKey(ctx context.Context, teamID, keyID string, grace time.Duration) (*NewKey, error)
	RevokeKey(ctx context.Context, teamID, keyID string) (*Key, error)
}

// StateData is the control plane as the request path needs it, read in one
// consistent snapshot: every organization, team, usable key, alias, access
// group and active credential (secrets decrypted).
type StateData struct {
	Version       int64
	Organizations []*Organization
	Teams         []*Team
	Keys          []*Key
	Aliases       []*Alias
	AccessGroups  []*AccessGroup
	Credentials   []*Credential
}

// Auto-refill periods.
const (
	RefillDaily   = "daily"
	RefillWeekly  = "weekly"
	RefillMonthly = "monthly"
)

// RefillPeriodKey names the period t falls in ("2026-11-24",
// "2026-W48", "2026-11"), so a refill can be made exactly once per period.
func RefillPeriodKey(period string, t time.Time) string {
	t = t.UTC()
	switch period {
	case RefillDaily:
		return t.Format("2006-01-02")
	case RefillWeekly:
		y, w := t.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w)
	case RefillMonthly:
		return t.Format("2006-01")
	}
	return ""
}

// TeamRates holds the money settings of a team an admin may change; nil
// means keep.
type TeamRates struct {
	BudgetMode       *string
	CreditsPerDollar *Credits
	TokensPerCredit  *int64
	MarkupBP         *int64
}

// CreditService moves credits on an admin's behalf. Every movement is a
// ledger row, written with the balance change in one transaction, and an
// audit entry.
type CreditService interface {
	// GrantCredits adds (allocation, payment) or, for adjustments, adds or
	// removes credits. A removal that would eat into held credits fails
	// with ECREDITS.
	GrantCredits(ctx context.Context, teamID, kind string, amount Credits, reason string, paymentMicroUSD int64) (*LedgerEntry, error)
	// RefundJob gives back what a completed job was charged, once.
	RefundJob(ctx context.Context, teamID, jobID, reason string) (*LedgerEntry, error)
	SetTeamRates(ctx context.Context, teamID string, r TeamRates) (*Team, error)
	ConfigureRefill(ctx context.Context, teamID string, amount Credits, period string) (*Team, error)
	ListLedger(ctx context.Context, teamID string, p Page) ([]*LedgerEntry, int, error)
}
