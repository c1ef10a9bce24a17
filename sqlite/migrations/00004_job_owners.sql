-- +goose Up
-- Single-call jobs (a /v1 call without a job header, create-and-call) are
-- owned by the process that runs their call. Each process registers in
-- instances and refreshes its heartbeat; a job whose owner's heartbeat has
-- expired is failed by any other replica, which releases its credits.
-- Explicit jobs have no owner ('') and end by their client or job_ttl.

ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
CREATE INDEX jobs_owned_open ON jobs (owner) WHERE owner <> '' AND status IN ('pending', 'in_progress');

CREATE TABLE instances (
    id           TEXT PRIMARY KEY,
    started_at   TIMESTAMP NOT NULL,
    heartbeat_at TIMESTAMP NOT NULL
);
