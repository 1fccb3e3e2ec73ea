-- +goose Up
-- Embedded chunks of sources and notes, for vector search. owner_id is a
-- source or note id; rows are replaced and deleted with their owner by the
-- store, in the owner's transaction.
CREATE TABLE embeddings (
    owner_id TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('source', 'note')),
    chunk    INTEGER NOT NULL,
    content  TEXT NOT NULL,
    vector   BLOB NOT NULL,
    model_id TEXT NOT NULL,
    PRIMARY KEY (owner_id, chunk)
);

-- +goose Down
DROP TABLE embeddings;
