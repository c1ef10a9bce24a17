-- +goose Up
-- Webhooks: endpoints operators register, the outbox of events (written
-- in the transaction of the change that caused each), one delivery row
-- per event and subscribed endpoint (the delivery log, claimed by one
-- worker at a time across replicas), and every attempt made.

CREATE TABLE webhook_endpoints (
    id                    TEXT PRIMARY KEY,
    url                   TEXT NOT NULL,
    description           TEXT NOT NULL,
    -- ",job.completed,credits.low," or "*": matched with LIKE by the
    -- statement that fans an event out, inside the change's transaction.
    event_types           TEXT NOT NULL,
    team_id               TEXT NOT NULL,
    credits_low_threshold BIGINT NOT NULL,
    active                BOOLEAN NOT NULL,
    secret_ciphertext     TEXT NOT NULL,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);

CREATE TABLE webhook_events (
    id         TEXT PRIMARY KEY,
    type       TEXT NOT NULL,
    team_id    TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    event_id         TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    endpoint_id      TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    -- the retry window (24 h) counts from here: creation or last replay
    retry_from       TIMESTAMPTZ NOT NULL,
    claimed_by       TEXT NOT NULL,
    claimed_until    TIMESTAMPTZ,
    last_status_code BIGINT NOT NULL,
    last_error       TEXT NOT NULL,
    delivered_at     TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL
);
-- Workers find due deliveries through this index; delivered and failed
-- ones are outside it.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at, id);

CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL,
    attempt     BIGINT NOT NULL,
    status_code BIGINT NOT NULL,
    error       TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    worker      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

-- key.expiring is claimed per key by setting this in the event's
-- transaction, so it fires once however many replicas scan.
ALTER TABLE virtual_keys ADD COLUMN expiry_notified_at TIMESTAMPTZ;
CREATE INDEX virtual_keys_expiring ON virtual_keys (expires_at) WHERE expires_at IS NOT NULL AND expiry_notified_at IS NULL AND revoked_at IS NULL;
