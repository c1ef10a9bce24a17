-- +goose Up
-- The admin console signs the master-key holder in with a session of its
-- own (admin users' sessions live in admin_sessions and need a user).
-- Sessions are rows, not signed cookies, so signing out ends a session on
-- every replica at once. Only the token's SHA-256 hash is stored.
CREATE TABLE master_sessions (
    token_hash TEXT PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

-- The console's overview, read from indexes rather than by walking the
-- fleet: the fleet's usage of a day (covering), the active teams with the
-- fewest credits remaining, and the latest failed calls (errors are few,
-- so the partial index is small).
CREATE INDEX usage_daily_day ON usage_daily (day, calls, failed_calls, cost_micro_usd);
CREATE INDEX teams_remaining ON teams ((credits_balance - credits_held)) WHERE status = 'active';
CREATE INDEX llm_calls_errors ON llm_calls (created_at) WHERE status = 'error';
