-- +goose Up
-- Scale: an incremental change feed for the in-memory control plane,
-- usage rollups maintained with each recorded call, and the indexes keyset
-- pagination walks.

-- The control-plane change feed. Every change bumps gatehouse_state.version
-- and records here, in the same transaction, which entities it touched
-- (seq is the new version). Replicas poll seq > last-applied and reload
-- only those entities. Bumping the single version row serialises
-- control-plane writes, so seqs become visible in order (see sqlstore's
-- change()). Old rows are pruned by the writers themselves.
CREATE TABLE control_changes (
    seq        BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (seq, kind, entity_id)
);

-- Calls rolled up per team, UTC day, job type and alias the caller named,
-- written in the transaction that records the calls.
CREATE TABLE usage_daily (
    team_id               TEXT NOT NULL,
    day                   TEXT NOT NULL,
    job_type              TEXT NOT NULL,
    alias                 TEXT NOT NULL,
    calls                 BIGINT NOT NULL,
    failed_calls          BIGINT NOT NULL,
    prompt_tokens         BIGINT NOT NULL,
    completion_tokens     BIGINT NOT NULL,
    total_tokens          BIGINT NOT NULL,
    cost_micro_usd        BIGINT NOT NULL,
    client_cost_micro_usd BIGINT NOT NULL,
    PRIMARY KEY (team_id, day, job_type, alias)
);

-- The same per UTC hour ("2006-01-02T15"), so a range that cuts a day
-- reads the calls themselves for at most the hours it cuts.
CREATE TABLE usage_hourly (
    team_id               TEXT NOT NULL,
    hour                  TEXT NOT NULL,
    job_type              TEXT NOT NULL,
    alias                 TEXT NOT NULL,
    calls                 BIGINT NOT NULL,
    failed_calls          BIGINT NOT NULL,
    prompt_tokens         BIGINT NOT NULL,
    completion_tokens     BIGINT NOT NULL,
    total_tokens          BIGINT NOT NULL,
    cost_micro_usd        BIGINT NOT NULL,
    client_cost_micro_usd BIGINT NOT NULL,
    PRIMARY KEY (team_id, hour, job_type, alias)
);

-- All-time calls per alias, for the alias list and detail pages.
CREATE TABLE usage_alias_totals (
    alias          TEXT PRIMARY KEY,
    calls          BIGINT NOT NULL,
    total_tokens   BIGINT NOT NULL,
    cost_micro_usd BIGINT NOT NULL
);

INSERT INTO usage_daily (team_id, day, job_type, alias, calls, failed_calls, prompt_tokens, completion_tokens,
    total_tokens, cost_micro_usd, client_cost_micro_usd)
SELECT c.team_id, substr(c.created_at, 1, 10), COALESCE(j.job_type, ''), c.alias, COUNT(*),
    SUM(CASE WHEN c.status <> 'success' THEN 1 ELSE 0 END), SUM(c.prompt_tokens), SUM(c.completion_tokens),
    SUM(c.total_tokens), SUM(c.cost_micro_usd), SUM(c.client_cost_micro_usd)
FROM llm_calls c LEFT JOIN jobs j ON j.id = c.job_id
GROUP BY c.team_id, substr(c.created_at, 1, 10), COALESCE(j.job_type, ''), c.alias;

INSERT INTO usage_hourly (team_id, hour, job_type, alias, calls, failed_calls, prompt_tokens, completion_tokens,
    total_tokens, cost_micro_usd, client_cost_micro_usd)
SELECT c.team_id, substr(c.created_at, 1, 10) || 'T' || substr(c.created_at, 12, 2), COALESCE(j.job_type, ''), c.alias, COUNT(*),
    SUM(CASE WHEN c.status <> 'success' THEN 1 ELSE 0 END), SUM(c.prompt_tokens), SUM(c.completion_tokens),
    SUM(c.total_tokens), SUM(c.cost_micro_usd), SUM(c.client_cost_micro_usd)
FROM llm_calls c LEFT JOIN jobs j ON j.id = c.job_id
GROUP BY c.team_id, substr(c.created_at, 1, 10) || 'T' || substr(c.created_at, 12, 2), COALESCE(j.job_type, ''), c.alias;

INSERT INTO usage_alias_totals (alias, calls, total_tokens, cost_micro_usd)
SELECT alias, COUNT(*), SUM(total_tokens), SUM(cost_micro_usd) FROM llm_calls GROUP BY alias;

-- A team's jobs newest first (keyset pagination on created_at, id), and
-- covering what usage reads from jobs so it never visits the rows.
CREATE INDEX jobs_team_keyset ON jobs (team_id, created_at, id, job_type, status, charged, refunded);

-- The audit log filtered by actor, action or resource type, newest first.
CREATE INDEX audit_log_actor ON audit_log (actor, created_at, id);
CREATE INDEX audit_log_action ON audit_log (action, created_at, id);
CREATE INDEX audit_log_type ON audit_log (resource_type, created_at, id);

-- The background sweepers, every minute on every replica, must not walk
-- ten million calls or a hundred thousand teams to find the few rows they
-- act on: calls still holding stored bodies, teams with an auto-refill.
CREATE INDEX llm_calls_bodies ON llm_calls (created_at) WHERE request_body IS NOT NULL OR response_body IS NOT NULL;
CREATE INDEX teams_refill ON teams (id) WHERE refill_period <> '';
