package webhook

import (
	"encoding/json"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

// Envelope is the body of every delivery, as Standard Webhooks suggests:
// the event type, when it happened, and its data.
type Envelope struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// Body encodes an event's body once, when the event is written to the
// outbox; every attempt sends (and signs) exactly these bytes.
func Body(eventType string, at time.Time, data any) (string, error) {
	b, err := json.Marshal(Envelope{Type: eventType, Timestamp: at.UTC(), Data: data})
	return string(b), err
}

// JobEvent is the data of job.completed and job.failed.
type JobEvent struct {
	JobID          string            `json:"job_id"`
	TeamID         string            `json:"team_id"`
	OrganizationID string            `json:"organization_id"`
	JobType        string            `json:"job_type"`
	Status         string            `json:"status"`
	ErrorMessage   string            `json:"error_message,omitempty"`
	BudgetMode     string            `json:"budget_mode"`
	CreditsCharged gatehouse.Credits `json:"credits_charged"`
	CallCount      int64             `json:"call_count"`
	FailedCalls    int64             `json:"failed_calls"`
	CostMicroUSD   int64             `json:"cost_micro_usd"`
	CreatedAt      time.Time         `json:"created_at"`
	CompletedAt    *time.Time        `json:"completed_at"`
}

// NewJobEvent describes an ended job.
func NewJobEvent(j *gatehouse.Job) JobEvent {
	return JobEvent{JobID: j.ID, TeamID: j.TeamID, OrganizationID: j.OrganizationID, JobType: j.JobType, Status: j.Status,
		ErrorMessage: j.ErrorMessage, BudgetMode: j.BudgetMode, CreditsCharged: j.Charged, CallCount: j.CallCount,
		FailedCalls: j.FailedCalls, CostMicroUSD: j.CostMicroUSD, CreatedAt: j.CreatedAt, CompletedAt: j.CompletedAt}
}

// CreditsEvent is the data of credits.low, credits.exhausted and
// credits.refilled: the ledger movement that caused it.
type CreditsEvent struct {
	TeamID        string            `json:"team_id"`
	LedgerEntryID string            `json:"ledger_entry_id"`
	Kind          string            `json:"kind"`
	Amount        gatehouse.Credits `json:"amount"`
	BalanceBefore gatehouse.Credits `json:"balance_before"`
	BalanceAfter  gatehouse.Credits `json:"balance_after"`
	Held          gatehouse.Credits `json:"credits_held"`
	JobID         string            `json:"job_id,omitempty"`
}

// KeyEvent is the data of key.expiring (never the key itself).
type KeyEvent struct {
	KeyID     string    `json:"key_id"`
	TeamID    string    `json:"team_id"`
	Name      string    `json:"name"`
	Prefix    string    `json:"prefix"`
	ExpiresAt time.Time `json:"expires_at"`
}

// AliasEvent is the data of alias.updated: the alias before and after.
type AliasEvent struct {
	Alias  string           `json:"alias"`
	Action string           `json:"action"`
	Before *gatehouse.Alias `json:"before"`
	After  *gatehouse.Alias `json:"after"`
}
