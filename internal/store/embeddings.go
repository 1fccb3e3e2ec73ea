package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/notebook"
	"github.com/open-notebook/open-notebook/internal/vector"
)

// encodeVector stores a vector as little-endian float32s: half the size of
// float64 with more precision than similarity ranking needs.
func encodeVector(v []float64) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(x)))
	}
	return b
}

// decodeVector reads a stored vector; a partial component gives nil, which
// the index counts as dropped rather than failing every replica's sync.
func decodeVector(b []byte) []float32 {
	if len(b)%4 != 0 {
		return nil
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// Change numbers (see migration 00010): every write of an owner's chunks,
// and every removal, takes the next number from the one counter row. The
// row stays locked until the transaction ends, so on PostgreSQL writers of
// chunks commit one after another in number order, and a reader can never
// see number 10 committed while 9 is still to come, which would make an
// index that has read 10 skip 9 for ever. Transactions take the numbers
// last, after every other row lock they need, so the counter is held only
// for the final inserts and two transactions cannot wait on each other
// through it.

// takeChangeSeqs reserves n consecutive change numbers and returns the
// first.
func takeChangeSeqs(ctx context.Context, tx *sql.Tx, n int) (int64, error) {
	var top int64
	err := tx.QueryRowContext(ctx, `UPDATE embedding_changes SET seq = seq + $1 WHERE id = 1 RETURNING seq`, n).Scan(&top)
	return top - int64(n) + 1, err
}

// chunksPerInsert is how many chunks one INSERT statement carries: loading
// a large source is a few statements, not one per chunk.
const chunksPerInsert = 64

// writeChunks stores one owner's chunks under a new change number. Its old
// chunks must be gone already.
func writeChunks(ctx context.Context, tx *sql.Tx, ownerID string, chunks []notebook.Chunk) error {
	if len(chunks) == 0 {
		return nil
	}
	seq, err := takeChangeSeqs(ctx, tx, 1)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM embedding_tombstones WHERE owner_id = $1`, ownerID); err != nil {
		return err
	}
	for start := 0; start < len(chunks); start += chunksPerInsert {
		batch := chunks[start:min(start+chunksPerInsert, len(chunks))]
		var q strings.Builder
		q.WriteString(`INSERT INTO embeddings (owner_id, kind, chunk, content, vector, model_id, change_seq) VALUES `)
		args := make([]any, 0, 7*len(batch))
		for i, c := range batch {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + placeholders(len(args)+1, len(args)+7) + ")")
			args = append(args, ownerID, c.Kind, c.Index, c.Content, encodeVector(c.Vector), c.ModelID, seq)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// owners are the tables of each kind of embedded owner.
var owners = map[string]string{"source": "sources", "note": "notes", "insight": "insights"}

// ReplaceEmbeddings implements notebook.EmbeddingStore. The owner is
// checked in the same transaction, so a source, note or insight deleted
// while it was being embedded leaves no chunks behind.
func (db *DB) ReplaceEmbeddings(ctx context.Context, ownerID string, chunks []notebook.Chunk) error {
	if len(chunks) == 0 {
		return db.tx(ctx, func(tx *sql.Tx) error { return deleteEmbeddings(ctx, tx, ownerID) })
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		table := owners[chunks[0].Kind]
		if table == "" {
			return errors.New("unknown embedded kind " + chunks[0].Kind)
		}
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = $1`, ownerID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.Newf(apperr.NotFound, "%s no longer exists", ownerID)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM embeddings WHERE owner_id = $1`, ownerID); err != nil {
			return err
		}
		return writeChunks(ctx, tx, ownerID, chunks)
	})
}

// ChunkContent implements notebook.SearchStore.
func (db *DB) ChunkContent(ctx context.Context, ownerID string, index int) (string, int64, error) {
	var (
		content string
		seq     int64
	)
	err := db.r(ctx).QueryRowContext(ctx, `SELECT content, change_seq FROM embeddings WHERE owner_id = $1 AND chunk = $2`,
		ownerID, index).Scan(&content, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, apperr.Newf(apperr.NotFound, "%s has no chunk %d", ownerID, index)
	}
	return content, seq, err
}

// NotebookOwners implements notebook.SearchStore: the notebook's sources,
// their insights, and its notes.
func (db *DB) NotebookOwners(ctx context.Context, notebookID string) ([]string, error) {
	return column(ctx, db.r(ctx), `SELECT source_id FROM notebook_sources WHERE notebook_id = $1
		UNION ALL SELECT i.id FROM insights i JOIN notebook_sources ns ON ns.source_id = i.source_id WHERE ns.notebook_id = $1
		UNION ALL SELECT id FROM notes WHERE notebook_id = $1`, notebookID)
}

// tombstoneLife is how long the removal of an owner's chunks is kept for
// indexes to learn of it. An index further behind (a replica stopped for
// longer) loads everything again, which it would do at start anyway.
const tombstoneLife = 24 * time.Hour

// deleteEmbeddings removes the chunks of deleted owners, in their
// transaction, and leaves a tombstone for each owner that had any.
func deleteEmbeddings(ctx context.Context, tx *sql.Tx, ids ...string) error {
	var removed []string
	for _, id := range ids {
		res, err := tx.ExecContext(ctx, `DELETE FROM embeddings WHERE owner_id = $1`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n > 0 {
			removed = append(removed, id)
		}
	}
	if len(removed) == 0 {
		return nil
	}
	seq, err := takeChangeSeqs(ctx, tx, len(removed))
	if err != nil {
		return err
	}
	now := time.Now()
	for i, id := range removed {
		if _, err := tx.ExecContext(ctx, `INSERT INTO embedding_tombstones (owner_id, change_seq, deleted) VALUES ($1, $2, $3)
			ON CONFLICT (owner_id) DO UPDATE SET change_seq = excluded.change_seq, deleted = excluded.deleted`,
			id, seq+int64(i), micros(now)); err != nil {
			return err
		}
	}
	// Old tombstones are forgotten here, under the counter's lock, so the
	// purge mark and the tombstones left always agree.
	var purge sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(change_seq) FROM embedding_tombstones WHERE deleted < $1`,
		micros(now.Add(-tombstoneLife))).Scan(&purge); err != nil || !purge.Valid {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM embedding_tombstones WHERE change_seq <= $1`, purge.Int64); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE embedding_changes SET purged = $1 WHERE id = 1 AND purged < $1`, purge.Int64)
	return err
}

// changesSQL reads, in one statement and so from one snapshot, the chunks
// and tombstones of the first changes after $1: the bound is the change
// number of the $2-th row, so the last change is returned whole. A
// tombstone is a row with chunk -1 and no vector.
const changesSQL = `WITH bound AS (
	SELECT max(change_seq) AS hi FROM (
		SELECT change_seq FROM (
			SELECT change_seq FROM (SELECT change_seq FROM embeddings WHERE change_seq > $1
				ORDER BY change_seq LIMIT $2) e
			UNION ALL
			SELECT change_seq FROM (SELECT change_seq FROM embedding_tombstones WHERE change_seq > $1
				ORDER BY change_seq LIMIT $2) t
		) u ORDER BY change_seq LIMIT $2
	) w
)
SELECT e.change_seq, e.owner_id, e.kind, e.chunk, e.model_id, e.vector
	FROM embeddings e, bound WHERE e.change_seq > $1 AND e.change_seq <= bound.hi
UNION ALL
SELECT t.change_seq, t.owner_id, '', -1, '', NULL
	FROM embedding_tombstones t, bound WHERE t.change_seq > $1 AND t.change_seq <= bound.hi
ORDER BY 1, 4`

// Changes implements vector.Source: the current chunks of every owner
// written after the change number after, and the owners removed since, in
// change order.
func (db *DB) Changes(ctx context.Context, after int64, limit int) (vector.Batch, error) {
	rows, err := db.read.QueryContext(ctx, changesSQL, after, max(limit, 1))
	if err != nil {
		return vector.Batch{}, err
	}
	defer rows.Close()
	var b vector.Batch
	for rows.Next() {
		var (
			seq                int64
			owner, kind, model string
			chunk              int
			raw                []byte
		)
		if err := rows.Scan(&seq, &owner, &kind, &chunk, &model, &raw); err != nil {
			return vector.Batch{}, err
		}
		if n := len(b.Changes); n == 0 || b.Changes[n-1].Seq != seq {
			b.Changes = append(b.Changes, vector.Change{Seq: seq, Owner: owner, Kind: kind})
		}
		if chunk >= 0 {
			c := &b.Changes[len(b.Changes)-1]
			c.Chunks = append(c.Chunks, vector.Chunk{Index: chunk, Model: model, Vector: decodeVector(raw)})
		}
	}
	if err := rows.Err(); err != nil {
		return vector.Batch{}, err
	}
	// Read after the changes: a purge in between then shows, and the index
	// reloads rather than miss a forgotten tombstone.
	err = db.read.QueryRowContext(ctx, `SELECT purged FROM embedding_changes WHERE id = 1`).Scan(&b.Purged)
	return b, err
}
