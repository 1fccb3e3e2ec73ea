-- +goose Up
CREATE TABLE sources (
    id             TEXT PRIMARY KEY,
    title          TEXT,
    topics         TEXT NOT NULL DEFAULT '[]',
    kind           TEXT NOT NULL CHECK (kind IN ('link', 'upload', 'text')),
    url            TEXT,
    file_path      TEXT,
    full_text      TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,
    processing_info TEXT,
    created        BIGINT NOT NULL,
    updated        BIGINT NOT NULL,
    last_viewed_at BIGINT
);

CREATE TABLE notebook_sources (
    notebook_id TEXT NOT NULL REFERENCES notebooks (id) ON DELETE CASCADE,
    source_id   TEXT NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    added       BIGINT NOT NULL,
    PRIMARY KEY (notebook_id, source_id)
);
CREATE INDEX notebook_sources_source ON notebook_sources (source_id);

CREATE TABLE notes (
    id          TEXT PRIMARY KEY,
    notebook_id TEXT REFERENCES notebooks (id) ON DELETE CASCADE,
    title       TEXT,
    content     TEXT NOT NULL,
    note_type   TEXT NOT NULL CHECK (note_type IN ('human', 'ai')),
    created     BIGINT NOT NULL,
    updated     BIGINT NOT NULL
);
CREATE INDEX notes_notebook ON notes (notebook_id, updated);

-- Full-text search: the same documents as SQLite's search_index, as
-- expression indexes over the rows themselves.
CREATE INDEX sources_fts ON sources USING GIN (to_tsvector('simple', coalesce(title, '') || ' ' || full_text));
CREATE INDEX notes_fts ON notes USING GIN (to_tsvector('simple', coalesce(title, '') || ' ' || content));

-- +goose Down
DROP TABLE notes;
DROP TABLE notebook_sources;
DROP TABLE sources;
