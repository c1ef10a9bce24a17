-- +goose Up
-- Deployments: an alias is served by one or more deployments (a provider
-- model on a credential, endpoint and region), picked per call by the
-- alias's routing strategy. Every existing alias becomes one deployment,
-- its litellm_model, so nothing changes for it. model_aliases.litellm_model
-- stays, mirroring the primary deployment (the first of the lowest tier),
-- for the previous release and for single-model clients of the API.
CREATE TABLE model_deployments (
    alias              TEXT NOT NULL REFERENCES model_aliases (alias) ON DELETE CASCADE,
    deployment_id      TEXT NOT NULL,
    position           INTEGER NOT NULL,
    litellm_model      TEXT NOT NULL,
    credential_id      TEXT NOT NULL DEFAULT '',
    api_base           TEXT NOT NULL DEFAULT '',
    extra              TEXT NOT NULL DEFAULT '{}',
    region             TEXT NOT NULL DEFAULT '',
    weight             INTEGER NOT NULL DEFAULT 1,
    rpm                BIGINT NOT NULL DEFAULT 0,
    tpm                BIGINT NOT NULL DEFAULT 0,
    priority_order     INTEGER NOT NULL DEFAULT 0,
    input_price_per_m  BIGINT,
    output_price_per_m BIGINT,
    PRIMARY KEY (alias, deployment_id)
);

INSERT INTO model_deployments (alias, deployment_id, position, litellm_model)
    SELECT alias, litellm_model, 0, litellm_model FROM model_aliases;

ALTER TABLE model_aliases ADD COLUMN routing_strategy TEXT NOT NULL DEFAULT '';
-- NULL: the gateway's default retries.
ALTER TABLE model_aliases ADD COLUMN num_retries INTEGER;

-- Every call names the deployment that served it.
ALTER TABLE llm_calls ADD COLUMN deployment_id TEXT NOT NULL DEFAULT '';
ALTER TABLE llm_calls ADD COLUMN credential_id TEXT NOT NULL DEFAULT '';
ALTER TABLE llm_calls ADD COLUMN region TEXT NOT NULL DEFAULT '';
