-- +goose Up
-- Operator-level settings such as the master key's hash.
CREATE TABLE gatehouse_settings (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
