package gatehouse

import (
	"context"
	"time"
)

// Webhook event types. Each is written to the outbox in the same
// transaction as the change that caused it, so an event exists exactly
// when its change committed.
const (
	// EventJobCompleted: a job ended completed (and was charged).
	EventJobCompleted = "job.completed"
	// EventJobFailed: a job ended failed (by its client, a failed
	// single call, the job_ttl sweeper or a dead replica's cleanup).
	EventJobFailed = "job.failed"
	// EventCreditsLow: a team's balance fell below an endpoint's
	// credits_low_threshold (sent once per crossing).
	EventCreditsLow = "credits.low"
	// EventCreditsExhausted: a team's balance reached zero.
	EventCreditsExhausted = "credits.exhausted"
	// EventCreditsRefilled: credits were added to a team (allocation,
	// payment or automatic refill).
	EventCreditsRefilled = "credits.refilled"
	// EventKeyExpiring: a virtual key expires within seven days (sent
	// once per key).
	EventKeyExpiring = "key.expiring"
	// EventAliasUpdated: a model alias was changed, enabled or disabled.
	EventAliasUpdated = "alias.updated"
	// EventTest is sent to one endpoint on request, to check it receives
	// and verifies deliveries; nobody subscribes to it.
	EventTest = "webhook.test"
)

// WebhookEventTypes lists every event type an endpoint may subscribe to.
var WebhookEventTypes = []string{EventJobCompleted, EventJobFailed, EventCreditsLow, EventCreditsExhausted,
	EventCreditsRefilled, EventKeyExpiring, EventAliasUpdated}

// KeyExpiringAhead is how long before a key's expiry key.expiring fires.
const KeyExpiringAhead = 7 * 24 * time.Hour

// WebhookEndpoint is a URL an operator registered to receive events. The
// signing secret ("whsec_" + base64) is encrypted at rest like provider
// keys and shown only when the endpoint is created or its secret rotated.
type WebhookEndpoint struct {
	ID          string   `json:"endpoint_id"`
	URL         string   `json:"url"`
	Description string   `json:"description"`
	EventTypes  []string `json:"event_types"`
	// TeamID limits the endpoint to one team's events; "" receives every
	// team's (and alias events, which belong to no team).
	TeamID string `json:"team_id"`
	// CreditsLowThreshold is the balance under which credits.low is sent
	// to this endpoint; 0 sends none. Per team: register an endpoint with
	// team_id and its own threshold.
	CreditsLowThreshold Credits   `json:"credits_low_threshold"`
	Active              bool      `json:"is_active"`
	Secret              string    `json:"-"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
}

// WebhookEndpointUpdate holds the fields an update may change; nil keeps.
type WebhookEndpointUpdate struct {
	URL                 *string
	Description         *string
	EventTypes          *[]string
	TeamID              *string
	CreditsLowThreshold *Credits
	Active              *bool
	Secret              *string
}

// Webhook delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed" // gave up after the retry window
)

// WebhookDelivery is one event on its way to one endpoint: the delivery
// log's entry, retried until delivered or the retry window has passed.
type WebhookDelivery struct {
	ID             string     `json:"delivery_id"`
	EventID        string     `json:"event_id"`
	EventType      string     `json:"event_type"`
	EndpointID     string     `json:"endpoint_id"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	NextAttemptAt  time.Time  `json:"next_attempt_at"`
	LastStatusCode int        `json:"last_status_code"`
	LastError      string     `json:"last_error"`
	DeliveredAt    *time.Time `json:"delivered_at"`
	CreatedAt      time.Time  `json:"created_at"`
	// Payload is the exact body sent (and signed) on every attempt.
	Payload string `json:"payload"`
}

// WebhookAttempt is one HTTP attempt of a delivery.
type WebhookAttempt struct {
	DeliveryID string    `json:"delivery_id"`
	Attempt    int       `json:"attempt"`
	StatusCode int       `json:"status_code"`
	Error      string    `json:"error"`
	DurationMS int64     `json:"duration_ms"`
	Worker     string    `json:"worker"`
	CreatedAt  time.Time `json:"created_at"`
}

// DeliveryFilter narrows ListWebhookDeliveries.
type DeliveryFilter struct {
	EndpointID string
	Status     string
	EventType  string
	Page
}

// WebhookService manages endpoints and reads the delivery log; changes
// are audited.
type WebhookService interface {
	// CreateWebhookEndpoint stores e; an empty Secret gets a generated
	// one, which e carries on return (shown once).
	CreateWebhookEndpoint(ctx context.Context, e *WebhookEndpoint) error
	FindWebhookEndpoint(ctx context.Context, id string) (*WebhookEndpoint, error)
	ListWebhookEndpoints(ctx context.Context, p Page) ([]*WebhookEndpoint, int, error)
	UpdateWebhookEndpoint(ctx context.Context, id string, upd WebhookEndpointUpdate) (*WebhookEndpoint, error)
	DeleteWebhookEndpoint(ctx context.Context, id string) error
	ListWebhookDeliveries(ctx context.Context, f DeliveryFilter) ([]*WebhookDelivery, int, error)
	FindWebhookDelivery(ctx context.Context, id string) (*WebhookDelivery, []*WebhookAttempt, error)
	// ReplayWebhookDelivery sends a delivery again (same webhook-id, same
	// body), whatever its status.
	ReplayWebhookDelivery(ctx context.Context, id string) (*WebhookDelivery, error)
	// TestWebhookEndpoint queues a webhook.test event for one endpoint,
	// sent like any other (signed, retried, logged).
	TestWebhookEndpoint(ctx context.Context, id string) (*WebhookDelivery, error)
}

// ClaimedDelivery is a delivery a worker holds until Lease: what it sends
// and where.
type ClaimedDelivery struct {
	WebhookDelivery
	URL    string
	Secret string
	// RetryFrom starts the retry window: the delivery's creation or its
	// last replay.
	RetryFrom time.Time
}

// DeliveryResult is the outcome of one attempt.
type DeliveryResult struct {
	StatusCode int
	Error      string
	Duration   time.Duration
	// Delivered is true on a 2xx answer.
	Delivered bool
	// RetryAt is when to try again if not delivered; zero gives up.
	RetryAt time.Time
}

// WebhookOutbox is what a delivery worker needs from storage. Claims are
// exclusive across replicas until they expire, so each delivery is sent
// by one worker at a time.
type WebhookOutbox interface {
	ClaimWebhookDeliveries(ctx context.Context, worker string, limit int, lease time.Duration) ([]*ClaimedDelivery, error)
	// FinishWebhookDelivery records an attempt; it changes nothing if
	// the worker's claim was lost (expired and taken by another).
	FinishWebhookDelivery(ctx context.Context, worker string, d *ClaimedDelivery, r DeliveryResult) error
	// ScanExpiringKeys emits key.expiring for keys expiring within ahead,
	// once per key, and returns how many it emitted.
	ScanExpiringKeys(ctx context.Context, ahead time.Duration) (int, error)
	// PruneWebhookLog deletes up to limit finished deliveries created
	// before before (and events no pending delivery needs), returning how
	// many deliveries it deleted.
	PruneWebhookLog(ctx context.Context, before time.Time, limit int) (int, error)
}
