package client

import "time"

// Job statuses. A job moves pending → in_progress (its first call) →
// completed | failed | cancelled and never leaves a final status.
const (
	JobPending    = "pending"
	JobInProgress = "in_progress"
	JobCompleted  = "completed"
	JobFailed     = "failed"
	JobCancelled  = "cancelled"
)

// Job is one business operation grouping LLM calls; the team pays for it
// according to its budget mode (in job_based mode, one credit when it
// completes).
type Job struct {
	ID             string         `json:"job_id"`
	TeamID         string         `json:"team_id"`
	OrganizationID string         `json:"organization_id"`
	JobType        string         `json:"job_type"`
	UserID         string         `json:"user_id"`
	Status         string         `json:"status"`
	Metadata       map[string]any `json:"metadata"`
	ErrorMessage   string         `json:"error_message,omitempty"`
	BudgetMode     string         `json:"budget_mode"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
	CompletedAt    *time.Time     `json:"completed_at"`

	// CreditsReserved is held for the job (job_based) or its calls in
	// flight; CreditsAccrued is what its finished calls will cost;
	// CreditsCharged was deducted at completion; CreditsUncollected is cost
	// the balance could not cover; CreditsRefunded was given back.
	CreditsReserved    Credits `json:"credits_reserved"`
	CreditsAccrued     Credits `json:"credits_accrued"`
	CreditsCharged     Credits `json:"credits_charged"`
	CreditsUncollected Credits `json:"credits_uncollected"`
	CreditsRefunded    Credits `json:"credits_refunded"`

	CallCount        int64 `json:"call_count"`
	FailedCalls      int64 `json:"failed_calls"`
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	TotalTokens      int64 `json:"total_tokens"`
}

// Final reports whether the job has ended; a final job accepts no call.
func (j *Job) Final() bool {
	return j.Status == JobCompleted || j.Status == JobFailed || j.Status == JobCancelled
}

// JobParams opens a job.
type JobParams struct {
	// JobType names the kind of operation ("summarize"); usage reports
	// group by it.
	JobType string `json:"job_type,omitempty"`
	// UserID is your end user, for your own reporting.
	UserID string `json:"user_id,omitempty"`
	// Metadata is yours to keep with the job.
	Metadata map[string]any `json:"metadata,omitempty"`
	// IdempotencyKey makes creation repeatable: a second create with the
	// same key returns the first job instead of opening (and holding
	// credit for) another. When empty and retries are enabled, the client
	// generates one per CreateJob so its own retries never open two jobs;
	// set it yourself (an order ID, say) to deduplicate across processes.
	IdempotencyKey string `json:"-"`
}

// CompleteParams ends a job.
type CompleteParams struct {
	// Status is JobCompleted (charged), JobFailed or JobCancelled (free);
	// empty means JobCompleted.
	Status string `json:"status,omitempty"`
	// Metadata is merged into the job's metadata.
	Metadata map[string]any `json:"metadata,omitempty"`
	// ErrorMessage records why a job failed.
	ErrorMessage string `json:"error_message,omitempty"`
}
