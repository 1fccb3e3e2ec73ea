-- +goose Up
-- Sessions and API tokens are found by the SHA-256 of their secret; the
-- secrets themselves are never stored. Rows are shared by every replica, so
-- a session opened on one is valid on all and a revocation applies to all.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    client_ip   TEXT NOT NULL DEFAULT '',
    user_agent  TEXT NOT NULL DEFAULT '',
    created     BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    expires     BIGINT NOT NULL,
    revoked     BIGINT
);
CREATE INDEX sessions_expires ON sessions (expires);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    secret_hash  TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL DEFAULT '',
    scope        TEXT NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
    created      BIGINT NOT NULL,
    expires      BIGINT,
    last_used_at BIGINT,
    last_used_ip TEXT,
    revoked      BIGINT
);

-- Failed authentications per client in fixed windows, updated with one
-- atomic upsert so replicas count together.
CREATE TABLE auth_failures (
    client       TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    failures     INTEGER NOT NULL
);

-- The audit log: one chain, each entry holding the hash of the one before.
-- audit_head is the chain head; appends lock it (an UPDATE of its one row),
-- so concurrent writers queue instead of forking the chain.
CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    at        BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    client_ip TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    details   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_target ON audit_log (target, seq);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The log is append-only for the application; changing it takes dropping
-- this trigger first, and the chain still shows what was changed.
-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TRIGGER audit_log_append_only ON audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE audit_head;
DROP TABLE audit_log;
DROP TABLE auth_failures;
DROP TABLE api_tokens;
DROP TABLE sessions;
