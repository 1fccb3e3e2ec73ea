-- +goose Up
-- A chat session belongs to a notebook (notebook chat) or to one source
-- (source chat); it goes with it.
CREATE TABLE chat_sessions (
    id                 TEXT PRIMARY KEY,
    notebook_id        TEXT REFERENCES notebooks (id) ON DELETE CASCADE,
    source_id          TEXT REFERENCES sources (id) ON DELETE CASCADE,
    title              TEXT NOT NULL,
    model_override     TEXT,
    -- What the last answer was given (source chat shows it): JSON.
    context_indicators TEXT,
    created            BIGINT NOT NULL,
    updated            BIGINT NOT NULL,
    CHECK ((notebook_id IS NULL) <> (source_id IS NULL))
);
CREATE INDEX chat_sessions_notebook ON chat_sessions (notebook_id, updated);
CREATE INDEX chat_sessions_source ON chat_sessions (source_id, created);

-- The conversation, in order. A person's message is stored before the
-- model is called, so it is kept even when the call fails.
CREATE TABLE chat_messages (
    id         TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('human', 'ai')),
    content    TEXT NOT NULL,
    model_id   TEXT,
    created    BIGINT NOT NULL,
    UNIQUE (session_id, seq)
);

-- +goose Down
DROP TABLE chat_messages;
DROP TABLE chat_sessions;
