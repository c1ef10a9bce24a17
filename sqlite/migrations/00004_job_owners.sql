-- +goose Up
-- Single-call jobs (a /v1 call without a job header, create-and-call) are
-- owned by the process that runs their call. Each process registers in
-- instances and refreshes its heartbeat; a job whose owner's heartbeat has
-- expired is failed by any other replica, which releases its credits.
-- Explicit jobs have no owner ('') and end by their client or job_ttl.

-- The sweeper finds open jobs through jobs_open (status, created_at):
-- open jobs are few, so owner needs no index of its own (and adding
-- none keeps this migration from locking a large jobs table).
ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT '';

CREATE TABLE instances (
    id           TEXT PRIMARY KEY,
    started_at   TIMESTAMP NOT NULL,
    heartbeat_at TIMESTAMP NOT NULL
);
