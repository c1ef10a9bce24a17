-- +goose Up
-- Credit leases: each replica holds part of a busy team's credits as one
-- hold in the ledger (kind 'hold', reason naming the lease) and admits
-- single-call jobs against it from memory, so such a job costs one write:
-- the group-committed transaction that records its call, inserts the job
-- already ended and charges it out of the lease. amount is what the lease
-- still holds (part of teams.credits_held). A replica returns its leases
-- when idle and when it stops; a dead replica's leases are returned by
-- the others' sweeper once its heartbeat in instances has expired.
CREATE TABLE credit_leases (
    team_id     TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    amount      BIGINT NOT NULL CHECK (amount >= 0),
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (team_id, instance_id)
);
CREATE INDEX credit_leases_instance ON credit_leases (instance_id);
