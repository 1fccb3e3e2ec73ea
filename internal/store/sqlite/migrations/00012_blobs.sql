-- +goose Up
-- Stored files (uploads, generated audio) when replicas share the
-- database: every replica reads the same bytes. A file is its row here and
-- its content in chunks of at most a mebibyte, so a range of a large file is
-- read without loading the rest. The embedded engine keeps files in the data
-- directory instead and leaves these tables empty.
CREATE TABLE blobs (
    path     TEXT PRIMARY KEY,
    size     BIGINT NOT NULL,
    modified BIGINT NOT NULL
);

CREATE TABLE blob_chunks (
    path TEXT NOT NULL REFERENCES blobs (path) ON DELETE CASCADE,
    n    INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (path, n)
);

-- +goose Down
DROP TABLE blob_chunks;
DROP TABLE blobs;
