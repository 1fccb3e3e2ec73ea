-- +goose Up
-- Times are Unix microseconds (UTC): one integer type sorts and compares the
-- same way on both engines, and Go renders the API's text form.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE notebooks (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    archived       BOOLEAN NOT NULL DEFAULT FALSE,
    created        BIGINT NOT NULL,
    updated        BIGINT NOT NULL,
    last_viewed_at BIGINT
);
CREATE INDEX notebooks_updated ON notebooks (updated);

-- +goose Down
DROP TABLE notebooks;
DROP TABLE settings;
