package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/webhook"
)

var (
	_ gatehouse.WebhookService = (*DB)(nil)
	_ gatehouse.WebhookOutbox  = (*DB)(nil)
)

// Webhooks. Events are written by emit in the transaction of the change
// that causes them (job ends, credit movements, alias updates, the key
// expiry scan), together with one delivery row per active endpoint
// subscribed to them at that moment: an event exists exactly when its
// change committed, and one nobody subscribed to costs one indexless
// read of the (small) endpoints table and nothing else.

const endpointColumns = `id, url, description, event_types, team_id, credits_low_threshold, active, secret_ciphertext, created_at, updated_at`

func (db *DB) scanEndpoint(row interface{ Scan(...any) error }) (*gatehouse.WebhookEndpoint, error) {
	var e gatehouse.WebhookEndpoint
	var types, sealed string
	if err := row.Scan(&e.ID, &e.URL, &e.Description, &types, &e.TeamID, &e.CreditsLowThreshold, &e.Active, &sealed,
		&e.CreatedAt, &e.UpdatedAt); err != nil {
		return nil, err
	}
	e.EventTypes = splitEventTypes(types)
	if db.Sealer == nil {
		return nil, errors.New("sqlstore: no encryption key configured for webhook secrets")
	}
	secret, err := db.Sealer.Open(sealed, "webhook/"+e.ID)
	if err != nil {
		return nil, fmt.Errorf("webhook endpoint %s: secret: %w", e.ID, err)
	}
	e.Secret = secret
	return &e, nil
}

// joinEventTypes stores event types as ",a,b," so that one LIKE finds
// the endpoints subscribed to a type, on both engines; "*" is every type.
func joinEventTypes(types []string) string {
	if slices.Contains(types, "*") {
		return "*"
	}
	return "," + strings.Join(types, ",") + ","
}

func splitEventTypes(s string) []string {
	if s == "*" {
		return []string{"*"}
	}
	out := []string{}
	for t := range strings.SplitSeq(strings.Trim(s, ","), ",") {
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

// validateEndpoint checks an endpoint as it would be stored.
func validateEndpoint(e *gatehouse.WebhookEndpoint) error {
	u, err := url.Parse(e.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return gatehouse.FieldErrorf("url", "url must be an absolute http:// or https:// URL without credentials.")
	}
	if len(e.URL) > 2048 || len(e.Description) > 512 {
		return gatehouse.FieldErrorf("url", "url must be at most 2048 characters and description 512.")
	}
	if len(e.EventTypes) == 0 {
		return gatehouse.FieldErrorf("event_types", "event_types must name at least one event type (or \"*\" for all): %s.",
			strings.Join(gatehouse.WebhookEventTypes, ", "))
	}
	for _, t := range e.EventTypes {
		if t != "*" && !slices.Contains(gatehouse.WebhookEventTypes, t) {
			return gatehouse.FieldErrorf("event_types", "Unknown event type %q; known: %s (or \"*\" for all).", t,
				strings.Join(gatehouse.WebhookEventTypes, ", "))
		}
	}
	if e.CreditsLowThreshold < 0 || e.CreditsLowThreshold > gatehouse.MaxCredits {
		return gatehouse.FieldErrorf("credits_low_threshold", "credits_low_threshold must be between 0 and %s.", gatehouse.MaxCredits)
	}
	if _, err := webhook.ParseSecret(e.Secret); err != nil {
		return err
	}
	return nil
}

// shownEndpoint is an endpoint as the audit log keeps it: no secret.
func shownEndpoint(e *gatehouse.WebhookEndpoint) *gatehouse.WebhookEndpoint {
	if e == nil {
		return nil
	}
	c := *e
	c.Secret = ""
	return &c
}

// CreateWebhookEndpoint stores an endpoint with its secret encrypted.
func (db *DB) CreateWebhookEndpoint(ctx context.Context, e *gatehouse.WebhookEndpoint) error {
	if db.Sealer == nil {
		return errors.New("sqlstore: no encryption key configured for webhook secrets")
	}
	if e.Secret == "" {
		e.Secret = webhook.NewSecret()
	}
	e.EventTypes = dedupe(e.EventTypes)
	if err := validateEndpoint(e); err != nil {
		return err
	}
	e.ID = "we_" + newID()
	e.Active = true
	e.CreatedAt, e.UpdatedAt = db.Now(), db.Now()
	return db.inTx(ctx, func(tx *Tx) error {
		if e.TeamID != "" {
			if _, err := findTeam(ctx, tx, e.TeamID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_endpoints (`+endpointColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			e.ID, e.URL, e.Description, joinEventTypes(e.EventTypes), e.TeamID, e.CreditsLowThreshold, e.Active,
			db.Sealer.Seal(e.Secret, "webhook/"+e.ID), e.CreatedAt, e.UpdatedAt); err != nil {
			return err
		}
		return tx.audit("webhook.create", "webhook_endpoint", e.ID, nil, shownEndpoint(e))
	})
}

func (db *DB) findEndpoint(ctx context.Context, q queryer, id, lock string) (*gatehouse.WebhookEndpoint, error) {
	e, err := db.scanEndpoint(q.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = $1`+lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Webhook endpoint", id)
	}
	return e, err
}

// FindWebhookEndpoint returns an endpoint, secret included (handlers
// decide whether to show it).
func (db *DB) FindWebhookEndpoint(ctx context.Context, id string) (*gatehouse.WebhookEndpoint, error) {
	return db.findEndpoint(ctx, db.sql, id, "")
}

// ListWebhookEndpoints returns a page of endpoints, oldest first.
func (db *DB) ListWebhookEndpoints(ctx context.Context, p gatehouse.Page) ([]*gatehouse.WebhookEndpoint, int, error) {
	var w where
	total, err := db.count(ctx, db.sql, "webhook_endpoints", &w)
	if err != nil {
		return nil, 0, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints ORDER BY created_at, id`+w.page(p), w.args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*gatehouse.WebhookEndpoint{}
	for rows.Next() {
		e, err := db.scanEndpoint(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// UpdateWebhookEndpoint applies a partial update (audited).
func (db *DB) UpdateWebhookEndpoint(ctx context.Context, id string, upd gatehouse.WebhookEndpointUpdate) (*gatehouse.WebhookEndpoint, error) {
	var out *gatehouse.WebhookEndpoint
	err := db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findEndpoint(ctx, tx, id, tx.forUpdate())
		if err != nil {
			return err
		}
		e := *before
		if upd.URL != nil {
			e.URL = *upd.URL
		}
		if upd.Description != nil {
			e.Description = *upd.Description
		}
		if upd.EventTypes != nil {
			e.EventTypes = dedupe(*upd.EventTypes)
		}
		if upd.TeamID != nil {
			e.TeamID = *upd.TeamID
		}
		if upd.CreditsLowThreshold != nil {
			e.CreditsLowThreshold = *upd.CreditsLowThreshold
		}
		if upd.Active != nil {
			e.Active = *upd.Active
		}
		if upd.Secret != nil {
			e.Secret = *upd.Secret
			if e.Secret == "" {
				e.Secret = webhook.NewSecret()
			}
		}
		if err := validateEndpoint(&e); err != nil {
			return err
		}
		if upd.TeamID != nil && e.TeamID != "" {
			if _, err := findTeam(ctx, tx, e.TeamID); err != nil {
				return err
			}
		}
		e.UpdatedAt = db.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET url = $1, description = $2, event_types = $3, team_id = $4,
			credits_low_threshold = $5, active = $6, secret_ciphertext = $7, updated_at = $8 WHERE id = $9`,
			e.URL, e.Description, joinEventTypes(e.EventTypes), e.TeamID, e.CreditsLowThreshold, e.Active,
			db.Sealer.Seal(e.Secret, "webhook/"+e.ID), e.UpdatedAt, id); err != nil {
			return err
		}
		out = &e
		action := "webhook.update"
		if upd.Secret != nil {
			action = "webhook.rotate_secret"
		}
		return tx.audit(action, "webhook_endpoint", id, shownEndpoint(before), shownEndpoint(&e))
	})
	return out, err
}

// DeleteWebhookEndpoint removes an endpoint; its pending deliveries are
// marked failed (the log keeps them).
func (db *DB) DeleteWebhookEndpoint(ctx context.Context, id string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findEndpoint(ctx, tx, id, tx.forUpdate())
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint deleted'
			WHERE endpoint_id = $1 AND status = 'pending'`, id); err != nil {
			return err
		}
		return tx.audit("webhook.delete", "webhook_endpoint", id, shownEndpoint(before), nil)
	})
}

// emit writes an event to the outbox with a delivery for every active
// endpoint subscribed to its type (and to its team, when the endpoint is
// limited to one), inside tx: the event commits or rolls back with the
// change that caused it. match narrows the endpoints further (its
// placeholders are numbered from $3).
func (tx *Tx) emit(ctx context.Context, eventType, teamID string, data any, match string, matchArgs ...any) error {
	// Asked once per transaction: with no active endpoint, a batch of
	// recorded calls (two events each) costs one query, not two per call.
	if tx.hooks == 0 {
		var any bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE active)`).Scan(&any); err != nil {
			return fmt.Errorf("webhook endpoints: %w", err)
		}
		tx.hooks = 2
		if any {
			tx.hooks = 1
		}
	}
	if tx.hooks == 2 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM webhook_endpoints
		WHERE active AND (event_types = '*' OR event_types LIKE $1) AND (team_id = '' OR team_id = $2)`+match,
		append([]any{"%," + eventType + ",%", teamID}, matchArgs...)...)
	if err != nil {
		return fmt.Errorf("webhook endpoints: %w", err)
	}
	var endpoints []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		endpoints = append(endpoints, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(endpoints) == 0 {
		return err
	}
	now := tx.db.Now()
	body, err := webhook.Body(eventType, now, data)
	if err != nil {
		return err
	}
	eventID := newEventID(now)
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_events (id, type, team_id, payload, created_at) VALUES ($1, $2, $3, $4, $5)`,
		eventID, eventType, teamID, body, now); err != nil {
		return fmt.Errorf("webhook outbox: %w", err)
	}
	for _, ep := range endpoints {
		if _, err := tx.insertDelivery(ctx, eventID, eventType, ep, now); err != nil {
			return err
		}
	}
	return nil
}

// insertDelivery queues one event for one endpoint, due now.
func (tx *Tx) insertDelivery(ctx context.Context, eventID, eventType, endpointID string, now time.Time) (string, error) {
	id := "dlv_" + strings.ReplaceAll(newID(), "-", "")
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (id, event_id, event_type, endpoint_id, status, attempts,
		next_attempt_at, retry_from, claimed_by, claimed_until, last_status_code, last_error, delivered_at, created_at)
		VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, '', NULL, 0, '', NULL, $5)`,
		id, eventID, eventType, endpointID, now); err != nil {
		return "", fmt.Errorf("webhook outbox: %w", err)
	}
	return id, nil
}

// TestWebhookEndpoint queues a webhook.test event for one active endpoint
// (audited).
func (db *DB) TestWebhookEndpoint(ctx context.Context, id string) (*gatehouse.WebhookDelivery, error) {
	var out *gatehouse.WebhookDelivery
	err := db.inTx(ctx, func(tx *Tx) error {
		ep, err := db.findEndpoint(ctx, tx, id, "")
		if err != nil {
			return err
		}
		if !ep.Active {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "Webhook endpoint %s is disabled; enable it to test it.", id)
		}
		now := db.Now()
		body, err := webhook.Body(gatehouse.EventTest, now, map[string]string{"endpoint_id": ep.ID, "url": ep.URL})
		if err != nil {
			return err
		}
		eventID := newEventID(now)
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_events (id, type, team_id, payload, created_at) VALUES ($1, $2, '', $3, $4)`,
			eventID, gatehouse.EventTest, body, now); err != nil {
			return err
		}
		did, err := tx.insertDelivery(ctx, eventID, gatehouse.EventTest, ep.ID, now)
		if err != nil {
			return err
		}
		d, err := scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryColumns+`
			FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE d.id = $1`, did))
		if err != nil {
			return err
		}
		out = &d.WebhookDelivery
		return tx.audit("webhook.test", "webhook_endpoint", id, nil, map[string]any{"delivery_id": did})
	})
	return out, err
}

// newEventID returns "msg_", the event's time in milliseconds (12 hex
// digits) and 80 random bits: unique, and ordered by time, so that
// PruneWebhookLog finds old events as a range of the primary key.
func newEventID(at time.Time) string {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return fmt.Sprintf("msg_%012x%x", at.UnixMilli(), b)
}

// jobEnded emits job.completed or job.failed for a job endJob has just
// ended (cancelled jobs have no event).
func (tx *Tx) jobEnded(ctx context.Context, j *gatehouse.Job) error {
	var t string
	switch j.Status {
	case gatehouse.JobCompleted:
		t = gatehouse.EventJobCompleted
	case gatehouse.JobFailed:
		t = gatehouse.EventJobFailed
	default:
		return nil
	}
	return tx.emit(ctx, t, j.TeamID, webhook.NewJobEvent(j), "")
}

// creditsMoved emits the credit events a ledger movement causes:
// credits.refilled when credits were added, credits.exhausted when the
// balance reached zero, and credits.low to each endpoint whose threshold
// the balance just fell below. Holds alone (amount 0) change no balance
// and cause none.
func (tx *Tx) creditsMoved(ctx context.Context, e *gatehouse.LedgerEntry) error {
	if e.Amount == 0 {
		return nil
	}
	data := webhook.CreditsEvent{TeamID: e.TeamID, LedgerEntryID: e.ID, Kind: e.Kind, Amount: e.Amount,
		BalanceBefore: e.BalanceBefore, BalanceAfter: e.BalanceAfter, Held: e.HeldAfter, JobID: e.JobID}
	if e.Amount > 0 {
		switch e.Kind {
		case gatehouse.LedgerAllocation, gatehouse.LedgerPayment, gatehouse.LedgerRefill:
			return tx.emit(ctx, gatehouse.EventCreditsRefilled, e.TeamID, data, "")
		}
		return nil
	}
	if e.BalanceAfter <= 0 && e.BalanceBefore > 0 {
		if err := tx.emit(ctx, gatehouse.EventCreditsExhausted, e.TeamID, data, ""); err != nil {
			return err
		}
	}
	return tx.emit(ctx, gatehouse.EventCreditsLow, e.TeamID, data,
		` AND credits_low_threshold > $3 AND credits_low_threshold <= $4`, e.BalanceAfter, e.BalanceBefore)
}

// aliasUpdated emits alias.updated.
func (tx *Tx) aliasUpdated(ctx context.Context, action string, before, after *gatehouse.Alias) error {
	return tx.emit(ctx, gatehouse.EventAliasUpdated, "", webhook.AliasEvent{Alias: after.Alias, Action: action, Before: before, After: after}, "")
}

// ScanExpiringKeys emits key.expiring for every usable key that expires
// within ahead. Each key is claimed in the event's own transaction (its
// expiry_notified_at set where it was unset), so however many replicas
// scan at once, each key's event is written once.
func (db *DB) ScanExpiringKeys(ctx context.Context, ahead time.Duration) (int, error) {
	now := db.Now()
	rows, err := db.sql.QueryContext(ctx, `SELECT id, team_id, name, prefix, expires_at FROM virtual_keys
		WHERE expires_at IS NOT NULL AND expiry_notified_at IS NULL AND revoked_at IS NULL AND expires_at > $1 AND expires_at <= $2
		ORDER BY expires_at LIMIT 500`, now, now.Add(ahead))
	if err != nil {
		return 0, err
	}
	var keys []webhook.KeyEvent
	for rows.Next() {
		var k webhook.KeyEvent
		if err := rows.Scan(&k.KeyID, &k.TeamID, &k.Name, &k.Prefix, &k.ExpiresAt); err != nil {
			rows.Close()
			return 0, err
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		err := db.inTx(ctx, func(tx *Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE virtual_keys SET expiry_notified_at = $1 WHERE id = $2 AND expiry_notified_at IS NULL`, now, k.KeyID)
			if err != nil {
				return err
			}
			if c, _ := res.RowsAffected(); c == 0 {
				return nil // another replica announced it
			}
			n++
			return tx.emit(ctx, gatehouse.EventKeyExpiring, k.TeamID, k, "")
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

const deliveryColumns = `d.id, d.event_id, d.event_type, d.endpoint_id, d.status, d.attempts, d.next_attempt_at, d.last_status_code,
	d.last_error, d.delivered_at, d.created_at, d.retry_from, e.payload`

func scanDelivery(row interface{ Scan(...any) error }) (*gatehouse.ClaimedDelivery, error) {
	var d gatehouse.ClaimedDelivery
	err := row.Scan(&d.ID, &d.EventID, &d.EventType, &d.EndpointID, &d.Status, &d.Attempts, &d.NextAttemptAt, &d.LastStatusCode,
		&d.LastError, &d.DeliveredAt, &d.CreatedAt, &d.RetryFrom, &d.Payload)
	return &d, err
}

// ClaimWebhookDeliveries takes up to limit due deliveries for worker
// until now+lease. On PostgreSQL the rows are picked FOR UPDATE SKIP
// LOCKED, so concurrent workers on other replicas take other rows
// instead of waiting; on SQLite the statement runs under the database's
// single write lock. A claim that expired (its worker died mid-send) is
// due again. Deliveries to a disabled endpoint wait, unclaimed, until it
// is enabled again.
func (db *DB) ClaimWebhookDeliveries(ctx context.Context, worker string, limit int, lease time.Duration) ([]*gatehouse.ClaimedDelivery, error) {
	now := db.Now()
	skip := ""
	if db.dialect == Postgres {
		skip = " FOR UPDATE SKIP LOCKED"
	}
	var ids []string
	err := db.inTx(ctx, func(tx *Tx) error {
		ids = ids[:0]
		rows, err := tx.QueryContext(ctx, `UPDATE webhook_deliveries SET claimed_by = $1, claimed_until = $2
			WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $3
				AND (claimed_until IS NULL OR claimed_until < $3)
				AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE active) ORDER BY next_attempt_at LIMIT $4`+skip+`)
			RETURNING id`, worker, now.Add(lease), now, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil || len(ids) == 0 {
		return nil, unavailable(err)
	}
	out := make([]*gatehouse.ClaimedDelivery, 0, len(ids))
	endpoints := map[string]*gatehouse.WebhookEndpoint{}
	for _, id := range ids {
		d, err := scanDelivery(db.sql.QueryRowContext(ctx, `SELECT `+deliveryColumns+`
			FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE d.id = $1`, id))
		if err != nil {
			return nil, err
		}
		ep, ok := endpoints[d.EndpointID]
		if !ok {
			if ep, err = db.FindWebhookEndpoint(ctx, d.EndpointID); err != nil && gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
				return nil, err
			}
			endpoints[d.EndpointID] = ep
		}
		if ep == nil {
			continue // deleted since; DeleteWebhookEndpoint failed its deliveries
		}
		d.URL, d.Secret = ep.URL, ep.Secret
		out = append(out, d)
	}
	return out, nil
}

// FinishWebhookDelivery records one attempt's outcome, if worker still
// holds the claim: delivered, due again at r.RetryAt, or failed for good
// when r.RetryAt is zero.
func (db *DB) FinishWebhookDelivery(ctx context.Context, worker string, d *gatehouse.ClaimedDelivery, r gatehouse.DeliveryResult) error {
	now := db.Now()
	status, next := gatehouse.DeliveryPending, r.RetryAt
	var delivered *time.Time
	switch {
	case r.Delivered:
		status, next, delivered = gatehouse.DeliveryDelivered, now, &now
	case r.RetryAt.IsZero():
		status, next = gatehouse.DeliveryFailed, now
	}
	return unavailable(db.inTx(ctx, func(tx *Tx) error {
		var attempt int
		err := tx.QueryRowContext(ctx, `UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = $2,
			claimed_by = '', claimed_until = NULL, last_status_code = $3, last_error = $4, delivered_at = $5
			WHERE id = $6 AND claimed_by = $7 RETURNING attempts`,
			status, next.UTC().Truncate(time.Microsecond), r.StatusCode, truncate(r.Error, 500), delivered, d.ID, worker).Scan(&attempt)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // the claim expired and another worker took it: its record wins
		} else if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO webhook_attempts (delivery_id, attempt, status_code, error, duration_ms, worker, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, d.ID, attempt, r.StatusCode, truncate(r.Error, 500), r.Duration.Milliseconds(), worker, now)
		return err
	}))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// ListWebhookDeliveries returns a page of the delivery log, newest first.
func (db *DB) ListWebhookDeliveries(ctx context.Context, f gatehouse.DeliveryFilter) ([]*gatehouse.WebhookDelivery, int, error) {
	var w where
	if f.EndpointID != "" {
		w.add("d.endpoint_id = ?", f.EndpointID)
	}
	if f.Status != "" {
		w.add("d.status = ?", f.Status)
	}
	if f.EventType != "" {
		w.add("d.event_type = ?", f.EventType)
	}
	total, err := db.count(ctx, db.sql, "webhook_deliveries d", &w)
	if err != nil {
		return nil, 0, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id`+
		w.String()+` ORDER BY d.created_at DESC, d.id DESC`+w.page(f.Page), w.args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*gatehouse.WebhookDelivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, &d.WebhookDelivery)
	}
	return out, total, rows.Err()
}

// FindWebhookDelivery returns a delivery and its attempts, oldest first.
func (db *DB) FindWebhookDelivery(ctx context.Context, id string) (*gatehouse.WebhookDelivery, []*gatehouse.WebhookAttempt, error) {
	d, err := scanDelivery(db.sql.QueryRowContext(ctx, `SELECT `+deliveryColumns+`
		FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE d.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, notFound("Webhook delivery", id)
	} else if err != nil {
		return nil, nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT delivery_id, attempt, status_code, error, duration_ms, worker, created_at
		FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt LIMIT 100`, id)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	attempts := []*gatehouse.WebhookAttempt{}
	for rows.Next() {
		var a gatehouse.WebhookAttempt
		if err := rows.Scan(&a.DeliveryID, &a.Attempt, &a.StatusCode, &a.Error, &a.DurationMS, &a.Worker, &a.CreatedAt); err != nil {
			return nil, nil, err
		}
		attempts = append(attempts, &a)
	}
	return &d.WebhookDelivery, attempts, rows.Err()
}

// ReplayWebhookDelivery makes a delivery due now, with a fresh retry
// window (audited). One being sent right now is a conflict: replaying it
// would send it twice at once.
func (db *DB) ReplayWebhookDelivery(ctx context.Context, id string) (*gatehouse.WebhookDelivery, error) {
	var out *gatehouse.WebhookDelivery
	err := db.inTx(ctx, func(tx *Tx) error {
		now := db.Now()
		var status string
		var claimedUntil *time.Time
		var endpoint string
		err := tx.QueryRowContext(ctx, `SELECT status, claimed_until, endpoint_id FROM webhook_deliveries WHERE id = $1`+tx.forUpdate(), id).
			Scan(&status, &claimedUntil, &endpoint)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("Webhook delivery", id)
		} else if err != nil {
			return err
		}
		if status == gatehouse.DeliveryPending && claimedUntil != nil && claimedUntil.After(now) {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "Delivery %s is being sent right now; replay it once this attempt is recorded.", id)
		}
		if _, err := db.findEndpoint(ctx, tx, endpoint, ""); err != nil {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "Delivery %s's endpoint %s no longer exists.", id, endpoint)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, retry_from = $1,
			claimed_by = '', claimed_until = NULL WHERE id = $2`, now, id); err != nil {
			return err
		}
		d, err := scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryColumns+`
			FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE d.id = $1`, id))
		if err != nil {
			return err
		}
		out = &d.WebhookDelivery
		return tx.audit("webhook.replay", "webhook_delivery", id, map[string]any{"status": status}, map[string]any{"status": "pending"})
	})
	return out, err
}

// PruneWebhookLog deletes up to limit finished (delivered or failed)
// deliveries created before before, with their attempts, and returns how
// many it deleted. Once no such delivery is left, it also deletes the
// events written before then that no pending delivery still needs (a
// delivery replayed after the cutoff keeps its event). Event ids begin
// with their time, so the events before a time are a range of
// the primary key (newEventID); the pending deliveries are the small set
// the partial index webhook_deliveries_due holds.
func (db *DB) PruneWebhookLog(ctx context.Context, before time.Time, limit int) (int, error) {
	n := 0
	err := db.inTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM webhook_deliveries WHERE created_at < $1 AND status <> 'pending'
			ORDER BY created_at LIMIT $2`, before, limit)
		if err != nil {
			return err
		}
		var ids []any
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		n = len(ids)
		if n > 0 {
			in := placeholders(1, n)
			if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_attempts WHERE delivery_id IN (`+in+`)`, ids...); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE id IN (`+in+`)`, ids...); err != nil {
				return err
			}
		}
		if n == limit {
			return nil // more to prune first; events go once their deliveries have
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM webhook_events WHERE id IN (SELECT e.id FROM webhook_events e WHERE e.id < $1
			AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.status = 'pending' AND d.event_id = e.id) ORDER BY e.id LIMIT $2)`,
			fmt.Sprintf("msg_%012x", before.UnixMilli()), limit)
		return err
	})
	return n, err
}
