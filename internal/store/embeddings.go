package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/notebook"
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

func decodeVector(b []byte) ([]float64, error) {
	if len(b)%4 != 0 {
		return nil, errors.New("stored vector has a partial component")
	}
	v := make([]float64, len(b)/4)
	for i := range v {
		v[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return v, nil
}

func insertChunks(ctx context.Context, tx *sql.Tx, chunks []notebook.Chunk) error {
	for _, c := range chunks {
		if _, err := tx.ExecContext(ctx, `INSERT INTO embeddings (owner_id, kind, chunk, content, vector, model_id)
			VALUES ($1, $2, $3, $4, $5, $6)`, c.OwnerID, c.Kind, c.Index, c.Content, encodeVector(c.Vector), c.ModelID); err != nil {
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
	return db.tx(ctx, func(tx *sql.Tx) error {
		if len(chunks) > 0 {
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
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM embeddings WHERE owner_id = $1`, ownerID); err != nil {
			return err
		}
		return insertChunks(ctx, tx, chunks)
	})
}

// Embeddings implements notebook.EmbeddingStore.
func (db *DB) Embeddings(ctx context.Context, kinds []string) ([]notebook.Chunk, error) {
	q := `SELECT owner_id, kind, chunk, content, vector, model_id FROM embeddings`
	var args []any
	if len(kinds) > 0 {
		ph := make([]string, len(kinds))
		for i, k := range kinds {
			ph[i] = "$" + strconv.Itoa(i+1)
			args = append(args, k)
		}
		q += ` WHERE kind IN (` + strings.Join(ph, ", ") + `)`
	}
	rows, err := db.r(ctx).QueryContext(ctx, q+` ORDER BY owner_id, chunk`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []notebook.Chunk
	for rows.Next() {
		var (
			c   notebook.Chunk
			raw []byte
		)
		if err := rows.Scan(&c.OwnerID, &c.Kind, &c.Index, &c.Content, &raw, &c.ModelID); err != nil {
			return nil, err
		}
		if c.Vector, err = decodeVector(raw); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// deleteEmbeddings removes the chunks of deleted owners, in their
// transaction.
func deleteEmbeddings(ctx context.Context, tx *sql.Tx, ids ...string) error {
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `DELETE FROM embeddings WHERE owner_id = $1`, id); err != nil {
			return err
		}
	}
	return nil
}
