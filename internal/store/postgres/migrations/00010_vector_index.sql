-- +goose Up
-- In-memory vector indexes (one per server process) follow the embedded
-- chunks by change number. Every write of an owner's chunks takes the next
-- number from embedding_changes and stamps it on all of that owner's rows;
-- removing an owner's chunks leaves a tombstone with its own number, so
-- other replicas learn of the removal. Updating the one counter row holds
-- its lock until commit, so numbers are committed in the order they are
-- taken and a reader never sees number 10 before number 9 (the alternative,
-- a database sequence, hands out numbers that commit out of order).
ALTER TABLE embeddings ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
-- Existing chunks: one number per owner.
UPDATE embeddings SET change_seq = (
    SELECT n FROM (SELECT owner_id, row_number() OVER (ORDER BY owner_id) AS n
                   FROM (SELECT DISTINCT owner_id FROM embeddings) d) o
    WHERE o.owner_id = embeddings.owner_id);
CREATE INDEX embeddings_change ON embeddings (change_seq, chunk);
-- Nothing reads chunks by model and row number any more.
DROP INDEX embeddings_model;

-- A tombstone is forgotten a day after it is written (deleted is Unix
-- microseconds); purged is then the highest number forgotten, and an index
-- that has applied less loads everything again.
CREATE TABLE embedding_tombstones (
    owner_id   TEXT PRIMARY KEY,
    change_seq BIGINT NOT NULL,
    deleted    BIGINT NOT NULL
);
CREATE INDEX embedding_tombstones_change ON embedding_tombstones (change_seq);

CREATE TABLE embedding_changes (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    seq    BIGINT NOT NULL,
    purged BIGINT NOT NULL
);
INSERT INTO embedding_changes (id, seq, purged)
    SELECT 1, coalesce(max(change_seq), 0), 0 FROM embeddings;

-- +goose Down
DROP TABLE embedding_changes;
DROP TABLE embedding_tombstones;
DROP INDEX embeddings_change;
ALTER TABLE embeddings DROP COLUMN change_seq;
CREATE INDEX embeddings_model ON embeddings (model_id, seq);
