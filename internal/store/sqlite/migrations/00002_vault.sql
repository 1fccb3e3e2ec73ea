-- +goose Up
-- The key ring's per-deployment parameters (one row): the Argon2id salt and
-- cost, and the key check value (the id of the key the stored secrets are
-- sealed with) that detects a wrong OPEN_NOTEBOOK_ENCRYPTION_KEY at start.
CREATE TABLE keyring (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    salt        TEXT NOT NULL,
    kdf_memory  INTEGER NOT NULL,
    kdf_time    INTEGER NOT NULL,
    kdf_threads INTEGER NOT NULL,
    check_kid   TEXT,
    updated     BIGINT NOT NULL
);

CREATE TABLE credentials (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    provider           TEXT NOT NULL,
    modalities         TEXT NOT NULL DEFAULT '[]',
    api_key            TEXT,
    api_key_hint       TEXT,
    base_url           TEXT,
    endpoint           TEXT,
    api_version        TEXT,
    endpoint_llm       TEXT,
    endpoint_embedding TEXT,
    endpoint_stt       TEXT,
    endpoint_tts       TEXT,
    project            TEXT,
    location           TEXT,
    credentials_path   TEXT,
    config             TEXT,
    last_tested_at     BIGINT,
    last_test_status   TEXT,
    created            BIGINT NOT NULL,
    updated            BIGINT NOT NULL
);
CREATE INDEX credentials_provider ON credentials (provider, created);

CREATE TABLE models (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    provider      TEXT NOT NULL,
    type          TEXT NOT NULL CHECK (type IN ('language', 'embedding', 'speech_to_text', 'text_to_speech')),
    credential_id TEXT REFERENCES credentials (id),
    created       BIGINT NOT NULL,
    updated       BIGINT NOT NULL
);
-- One model per provider, name and type, whatever the case: concurrent
-- registration or sync can never duplicate a row.
CREATE UNIQUE INDEX models_identity ON models (lower(provider), lower(name), type);
CREATE INDEX models_credential ON models (credential_id);

-- Default model per role. The foreign key makes a slot point at an existing
-- model and clears it when that model is deleted.
CREATE TABLE default_models (
    slot     TEXT PRIMARY KEY,
    model_id TEXT REFERENCES models (id) ON DELETE SET NULL
);

-- +goose Down
DROP TABLE default_models;
DROP TABLE models;
DROP TABLE credentials;
DROP TABLE keyring;
