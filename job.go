package gatehouse

import (
	"context"
	"time"
)

// Job statuses. A job moves pending → in_progress (its first call) →
// completed | failed | cancelled, and never leaves a final status.
const (
	JobPending    = "pending"
	JobInProgress = "in_progress"
	JobCompleted  = "completed"
	JobFailed     = "failed"
	JobCancelled  = "cancelled"
)

// JobFinal reports whether a status ends a job.
func JobFinal(status string) bool {
	return status == JobCompleted || status == JobFailed || status == JobCancelled
}

// Job groups the calls of one business operation; the team pays for it
// according to its budget mode.
type Job struct {
	ID             string     `json:"job_id"`
	TeamID         string     `json:"team_id"`
	OrganizationID string     `json:"organization_id"`
	JobType        string     `json:"job_type"`
	UserID         string     `json:"user_id"`
	Status         string     `json:"status"`
	Metadata       Metadata   `json:"metadata"`
	ErrorMessage   string     `json:"error_message,omitempty"`
	BudgetMode     string     `json:"budget_mode"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	CompletedAt    *time.Time `json:"completed_at"`

	// Reserved is held for calls in flight (consumption modes) or for the
	// job itself (job_based); Accrued is what its finished calls will
	// cost; Charged was deducted at completion; Uncollected is cost the
	// team's balance could not cover (absorbed by the operator).
	Reserved    Credits `json:"credits_reserved"`
	Accrued     Credits `json:"credits_accrued"`
	Charged     Credits `json:"credits_charged"`
	Uncollected Credits `json:"credits_uncollected"`
	Refunded    Credits `json:"credits_refunded"`

	CallCount          int64 `json:"call_count"`
	FailedCalls        int64 `json:"failed_calls"`
	Inflight           int64 `json:"-"`
	PromptTokens       int64 `json:"prompt_tokens"`
	CompletionTokens   int64 `json:"completion_tokens"`
	TotalTokens        int64 `json:"total_tokens"`
	CostMicroUSD       int64 `json:"-"`
	ClientCostMicroUSD int64 `json:"-"`

	// SingleCall marks a job opened implicitly for one call (a /v1 call
	// without X-Gatehouse-Job-Id, create-and-call). Such a job belongs to
	// the process running its call: if that process dies, another one
	// fails the job (releasing its credits) once the owner's heartbeat has
	// expired, instead of leaving it held until job_ttl.
	SingleCall bool `json:"-"`
}

// ErrModeMismatch reports a call planned for another budget mode than its
// job's (the team's mode changed moments ago and this replica's view was
// stale); the caller re-plans with the team as stored.
var ErrModeMismatch = &Error{Code: ECONFLICT, Message: "The job is paid in another budget mode than planned; retry."}

// CreditsRefusal words the refusal of work that needs at least needed
// credits when the team cannot set them aside now. What the client should
// do depends on where its credits are: if its balance covers the work and
// only holds of work in progress stand in the way, the credits come back
// (or are spent) within moments, so the refusal is a retryable
// ERATELIMIT (429 with Retry-After); if the balance itself is short, they
// are spent, and it is ECREDITS (402), which no retry can fix.
func CreditsRefusal(teamID string, balance, held, needed Credits) *Error {
	if balance >= needed && held > 0 {
		return Errorf(ERATELIMIT, "Team %q's credits are held by work in progress (%s of its %s credits); retry when it finishes.",
			teamID, held, balance)
	}
	return Errorf(ECREDITS, "Team %q has %s credits left, not enough for this (it needs at least %s).", teamID, max(balance, 0), needed)
}

// Call is the record of one LLM call.
type Call struct {
	ID             string `json:"call_id"`
	JobID          string `json:"job_id"`
	TeamID         string `json:"team_id"`
	OrganizationID string `json:"-"`
	KeyID          string `json:"-"`
	Alias          string `json:"model"`
	ServedAlias    string `json:"served_by"`
	Provider       string `json:"provider"`
	ProviderModel  string `json:"provider_model"`
	// DeploymentID, CredentialID and Region name the deployment of the
	// served alias that answered (see Deployment).
	DeploymentID     string    `json:"deployment_id"`
	CredentialID     string    `json:"credential_id"`
	Region           string    `json:"region"`
	Purpose          string    `json:"purpose"`
	Metadata         Metadata  `json:"call_metadata"`
	Status           string    `json:"status"` // "success" or "error"
	Error            string    `json:"error,omitempty"`
	Stream           bool      `json:"stream"`
	FinishReason     string    `json:"finish_reason"`
	PromptTokens     int64     `json:"prompt_tokens"`
	CompletionTokens int64     `json:"completion_tokens"`
	CachedTokens     int64     `json:"cached_tokens"`
	CacheWriteTokens int64     `json:"cache_write_tokens"`
	ReasoningTokens  int64     `json:"reasoning_tokens"`
	TotalTokens      int64     `json:"total_tokens"`
	UsageSource      string    `json:"usage_source"` // "provider", "estimated", or "none" (no answer was started: nothing to count)
	CostMicroUSD     int64     `json:"-"`
	ClientCostMicro  int64     `json:"-"`
	LatencyMS        int64     `json:"latency_ms"`
	FirstTokenMS     int64     `json:"first_token_ms"`
	Attempts         int64     `json:"attempts"`
	RequestBody      *string   `json:"-"`
	ResponseBody     *string   `json:"-"`
	CreatedAt        time.Time `json:"created_at"`
	RequestID        string    `json:"request_id"` // the X-Request-Id of the HTTP request that made the call
}

// Ledger entry kinds.
const (
	LedgerAllocation = "allocation" // credits granted (team creation, add)
	LedgerPayment    = "payment"    // credits bought (replenish)
	LedgerRefill     = "refill"     // scheduled auto-refill
	LedgerDeduction  = "deduction"  // a job's charge
	LedgerHold       = "hold"       // set aside for work in progress
	LedgerRelease    = "release"    // a hold returned
	LedgerRefund     = "refund"     // a charge given back
	LedgerAdjustment = "adjustment" // an operator's correction, either sign
)

// LedgerEntry is one immutable credit movement. Amount changes the
// balance, Held the credits set aside; the balance is the sum of all
// Amounts, the held credits the sum of all Helds.
type LedgerEntry struct {
	ID              string    `json:"transaction_id"`
	TeamID          string    `json:"team_id"`
	JobID           string    `json:"job_id,omitempty"`
	Kind            string    `json:"transaction_type"`
	Amount          Credits   `json:"credits_amount"`
	Held            Credits   `json:"credits_held_change"`
	BalanceBefore   Credits   `json:"balance_before"`
	BalanceAfter    Credits   `json:"balance_after"`
	HeldBefore      Credits   `json:"held_before"`
	HeldAfter       Credits   `json:"held_after"`
	Reason          string    `json:"reason"`
	Actor           string    `json:"actor"`
	PaymentMicroUSD int64     `json:"-"`
	CreatedAt       time.Time `json:"created_at"`
}

// JobFilter narrows ListJobs.
type JobFilter struct {
	TeamID  string
	Status  string
	JobType string
	Since   *time.Time
	Until   *time.Time
	Page
}

// CallOutcome is a finished call to record: its record, and the credits
// it had reserved (consumption modes) to be settled against its cost.
type CallOutcome struct {
	Call     *Call
	Reserved Credits
	// Charge is what the call costs in the team's credits (consumption
	// modes), computed by the caller from the call's cost or tokens.
	Charge Credits
	// CompleteJob ends the call's job in the same transaction as the
	// record: completed if the call succeeded, failed (free) otherwise.
	// A single-call job is then settled with one write instead of two.
	CompleteJob bool
	// NewJob is a single-call job admitted against this process's credit
	// lease and not written yet: the transaction that records the call
	// inserts it already ended (completed if the call succeeded, failed
	// otherwise) and charges it, so the whole job costs one write. Charge
	// is then what the job costs if completed (one credit in job_based
	// mode), and FromLease the part of it paid out of the lease's hold;
	// the rest comes from the team's free credits, or is uncollected.
	NewJob    *Job
	FromLease Credits
}

// Settlement is what recording a call left: the state a caller reports
// back to its client without reading the database again.
type Settlement struct {
	// Job is the call's job as the record's transaction left it, when
	// CompleteJob ended it; nil otherwise.
	Job *Job
	// CreditsRemaining is the team's balance less its holds right after
	// the call was settled.
	CreditsRemaining Credits
	// LeaseLost reports that a NewJob's charge found no lease (or not
	// enough of one) to be paid from: the lease was returned or swept
	// meanwhile, so the process must stop admitting against it.
	LeaseLost bool
}

// JobService runs jobs and their money.
type JobService interface {
	// CreateJob opens a job; in job_based mode it holds one credit, and
	// refuses with CreditsRefusal's error when the team cannot spare it.
	CreateJob(ctx context.Context, job *Job, idempotencyKey string) (*Job, error)
	FindJob(ctx context.Context, teamID, jobID string) (*Job, error)
	ListJobs(ctx context.Context, f JobFilter) ([]*Job, int, error)
	UpdateJobMetadata(ctx context.Context, teamID, jobID string, m Metadata) (*Job, error)
	// ReserveForCall admits a call on an open job that is paid in mode,
	// holding amount credits (0 in job_based mode). ECONFLICT when the job
	// is finished, ErrModeMismatch when the job is paid in another mode
	// than the caller planned for, and CreditsRefusal's error when the
	// team cannot hold amount (ERATELIMIT if only holds of work in
	// progress stand in the way, ECREDITS if its balance is short).
	ReserveForCall(ctx context.Context, teamID, jobID, mode string, amount Credits) error
	// RecordCalls durably records finished calls and settles their
	// reservations, in one transaction; it returns one Settlement per
	// outcome.
	RecordCalls(ctx context.Context, outcomes []CallOutcome) ([]Settlement, error)
	// CompleteJob ends a job. Completing an already finished job returns
	// it unchanged (never a second charge).
	CompleteJob(ctx context.Context, teamID, jobID, status, errorMessage string, m Metadata) (*Job, error)
	// JobCalls lists a page of a job's calls, oldest first.
	JobCalls(ctx context.Context, teamID, jobID string, p Page) ([]*Call, error)
}

// JobSupportService lets the operator's admins read any team's jobs:
// support looks a job up by the id a customer quotes, without knowing its
// team. Team keys never reach it; they go through JobService, which
// scopes every read to the key's team.
type JobSupportService interface {
	// FindAnyJob returns a job whatever its team, or ENOTFOUND.
	FindAnyJob(ctx context.Context, jobID string) (*Job, error)
}
