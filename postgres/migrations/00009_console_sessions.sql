-- +goose Up
-- The admin console signs the master-key holder in with a session of its
-- own (admin users' sessions live in admin_sessions and need a user).
-- Sessions are rows, not signed cookies, so signing out ends a session on
-- every replica at once. Only the token's SHA-256 hash is stored.
CREATE TABLE master_sessions (
    token_hash TEXT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
