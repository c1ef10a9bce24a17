-- +goose Up
-- The control plane: tenants, keys, model aliases, access groups, provider
-- credentials, admin users, and the audit log.

-- A single row whose version every control-plane change bumps in the same
-- transaction; replicas poll it to know when to reload their in-memory
-- state.
CREATE TABLE gatehouse_state (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO gatehouse_state (id, version) VALUES (1, 1);

CREATE TABLE organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    status     TEXT NOT NULL,
    metadata   TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE teams (
    id                TEXT PRIMARY KEY,
    organization_id   TEXT NOT NULL REFERENCES organizations (id),
    team_alias        TEXT NOT NULL,
    status            TEXT NOT NULL,
    budget_mode       TEXT NOT NULL,
    -- Credits in micro-credits (1 credit = 1,000,000). The balance never
    -- drops below what is held for work in progress, which never drops
    -- below zero: the database itself refuses an overspend.
    credits_allocated  BIGINT NOT NULL,
    credits_balance    BIGINT NOT NULL,
    credits_held       BIGINT NOT NULL,
    credits_per_dollar BIGINT NOT NULL,
    tokens_per_credit  BIGINT NOT NULL,
    markup_bp          BIGINT NOT NULL,
    refill_amount      BIGINT NOT NULL,
    refill_period      TEXT NOT NULL,
    last_refill_period TEXT NOT NULL,
    -- Rate limits (0 = unlimited): requests and tokens per minute, and
    -- calls in flight at once.
    rpm_limit          BIGINT NOT NULL,
    tpm_limit          BIGINT NOT NULL,
    concurrency_limit  BIGINT NOT NULL,
    last_refill_at     TIMESTAMP,
    metadata          TEXT NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    CHECK (credits_held >= 0 AND credits_balance >= credits_held)
);
CREATE INDEX teams_organization ON teams (organization_id, id);

CREATE TABLE virtual_keys (
    id           TEXT PRIMARY KEY,
    team_id      TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    rpm_limit    BIGINT NOT NULL,
    tpm_limit    BIGINT NOT NULL,
    concurrency_limit BIGINT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    expires_at   TIMESTAMP,
    revoked_at   TIMESTAMP
);
CREATE INDEX virtual_keys_team ON virtual_keys (team_id, created_at);

CREATE TABLE model_aliases (
    alias                TEXT PRIMARY KEY,
    litellm_model        TEXT NOT NULL,
    description          TEXT NOT NULL,
    active               BOOLEAN NOT NULL,
    input_price_per_m    BIGINT,
    output_price_per_m   BIGINT,
    fallbacks            TEXT NOT NULL,
    metadata             TEXT NOT NULL,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL
);

CREATE TABLE access_groups (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    active      BOOLEAN NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE access_group_aliases (
    group_name TEXT NOT NULL REFERENCES access_groups (name) ON DELETE CASCADE,
    alias      TEXT NOT NULL REFERENCES model_aliases (alias) ON DELETE CASCADE,
    PRIMARY KEY (group_name, alias)
);
CREATE INDEX access_group_aliases_alias ON access_group_aliases (alias);

CREATE TABLE team_access_groups (
    team_id    TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    group_name TEXT NOT NULL REFERENCES access_groups (name),
    PRIMARY KEY (team_id, group_name)
);
CREATE INDEX team_access_groups_group ON team_access_groups (group_name);

-- organization_id is '' for operator-wide default credentials.
CREATE TABLE provider_credentials (
    id                 TEXT PRIMARY KEY,
    organization_id    TEXT NOT NULL,
    provider           TEXT NOT NULL,
    name               TEXT NOT NULL,
    api_key_ciphertext TEXT NOT NULL,
    api_key_last4      TEXT NOT NULL,
    api_base           TEXT NOT NULL,
    extra              TEXT NOT NULL,
    active             BOOLEAN NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    UNIQUE (organization_id, provider, name)
);
CREATE INDEX provider_credentials_lookup ON provider_credentials (organization_id, provider);

CREATE TABLE admin_users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active        BOOLEAN NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP
);

CREATE TABLE admin_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES admin_users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX admin_sessions_user ON admin_sessions (user_id);

CREATE TABLE audit_log (
    id            TEXT PRIMARY KEY,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    before_state  TEXT,
    after_state   TEXT,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_created ON audit_log (created_at, id);
CREATE INDEX audit_log_resource ON audit_log (resource_type, resource_id);
