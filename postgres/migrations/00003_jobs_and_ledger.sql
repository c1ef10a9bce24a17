-- +goose Up
-- Jobs, calls and the credit ledger. Credits are held in integer
-- micro-credits (1 credit = 1,000,000) and costs in integer micro-USD.


CREATE TABLE jobs (
    id                   TEXT PRIMARY KEY,
    team_id              TEXT NOT NULL,
    organization_id      TEXT NOT NULL,
    job_type             TEXT NOT NULL,
    user_id              TEXT NOT NULL,
    status               TEXT NOT NULL,
    metadata             JSONB NOT NULL,
    error_message        TEXT NOT NULL,
    budget_mode          TEXT NOT NULL,
    reserved             BIGINT NOT NULL,
    accrued              BIGINT NOT NULL,
    charged              BIGINT NOT NULL,
    uncollected          BIGINT NOT NULL,
    refunded             BIGINT NOT NULL,
    call_count           BIGINT NOT NULL,
    failed_calls         BIGINT NOT NULL,
    inflight             BIGINT NOT NULL,
    prompt_tokens        BIGINT NOT NULL,
    completion_tokens    BIGINT NOT NULL,
    total_tokens         BIGINT NOT NULL,
    cost_micro_usd       BIGINT NOT NULL,
    client_cost_micro_usd BIGINT NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    completed_at         TIMESTAMPTZ
);
CREATE INDEX jobs_team ON jobs (team_id, created_at);
CREATE INDEX jobs_open ON jobs (status, created_at);

CREATE TABLE llm_calls (
    id                    TEXT PRIMARY KEY,
    job_id                TEXT NOT NULL,
    team_id               TEXT NOT NULL,
    organization_id       TEXT NOT NULL,
    key_id                TEXT NOT NULL,
    alias                 TEXT NOT NULL,
    served_alias          TEXT NOT NULL,
    provider              TEXT NOT NULL,
    provider_model        TEXT NOT NULL,
    purpose               TEXT NOT NULL,
    metadata              JSONB NOT NULL,
    status                TEXT NOT NULL,
    error                 TEXT NOT NULL,
    stream                BOOLEAN NOT NULL,
    finish_reason         TEXT NOT NULL,
    prompt_tokens         BIGINT NOT NULL,
    completion_tokens     BIGINT NOT NULL,
    cached_tokens         BIGINT NOT NULL,
    cache_write_tokens    BIGINT NOT NULL,
    reasoning_tokens      BIGINT NOT NULL,
    total_tokens          BIGINT NOT NULL,
    usage_source          TEXT NOT NULL,
    cost_micro_usd        BIGINT NOT NULL,
    client_cost_micro_usd BIGINT NOT NULL,
    latency_ms            BIGINT NOT NULL,
    first_token_ms        BIGINT NOT NULL,
    attempts              BIGINT NOT NULL,
    request_body          TEXT,
    response_body         TEXT,
    created_at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX llm_calls_job ON llm_calls (job_id, created_at);
CREATE INDEX llm_calls_team ON llm_calls (team_id, created_at);
CREATE INDEX llm_calls_alias ON llm_calls (alias);

-- Every credit movement, immutable. amount changes the balance, held the
-- credits set aside for work in progress; both in micro-credits.
CREATE TABLE credit_ledger (
    id             TEXT PRIMARY KEY,
    team_id        TEXT NOT NULL,
    job_id         TEXT NOT NULL,
    kind           TEXT NOT NULL,
    amount         BIGINT NOT NULL,
    held           BIGINT NOT NULL,
    balance_before BIGINT NOT NULL,
    balance_after  BIGINT NOT NULL,
    held_before    BIGINT NOT NULL,
    held_after     BIGINT NOT NULL,
    reason         TEXT NOT NULL,
    actor          TEXT NOT NULL,
    payment_micro_usd BIGINT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX credit_ledger_team ON credit_ledger (team_id, created_at);

CREATE TABLE idempotency_keys (
    team_id    TEXT NOT NULL,
    key        TEXT NOT NULL,
    route      TEXT NOT NULL,
    resource   TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (team_id, route, key)
);
