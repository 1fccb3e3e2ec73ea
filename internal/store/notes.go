package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/open-notebook/open-notebook/internal/notebook"
)

const noteColumns = `id, notebook_id, title, content, note_type, created, updated`

func scanNote(sc scanner) (*notebook.Note, error) {
	var (
		n                notebook.Note
		nb, title        sql.NullString
		created, updated int64
	)
	if err := sc.Scan(&n.ID, &nb, &title, &n.Content, &n.NoteType, &created, &updated); err != nil {
		return nil, err
	}
	n.NotebookID, n.Title, n.Created, n.Updated = nb.String, title.String, fromMicros(created), fromMicros(updated)
	return &n, nil
}

// CreateNote implements notebook.ContentStore.
func (db *DB) CreateNote(ctx context.Context, n *notebook.Note) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO notes (`+noteColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			n.ID, null(n.NotebookID), null(n.Title), n.Content, n.NoteType, micros(n.Created), micros(n.Updated))
		if err != nil && db.isForeignKey(err) {
			return notebook.ErrNotFound
		}
		if err != nil {
			return err
		}
		return db.indexDocument(ctx, tx, "note", n.ID, n.Title, n.Content)
	})
}

// Note implements notebook.ContentStore.
func (db *DB) Note(ctx context.Context, id string) (*notebook.Note, error) {
	n, err := scanNote(db.r(ctx).QueryRowContext(ctx, `SELECT `+noteColumns+` FROM notes WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notebook.ErrNoteNotFound()
	}
	return n, err
}

// ListNotes implements notebook.ContentStore: newest first.
func (db *DB) ListNotes(ctx context.Context, notebookID string) ([]notebook.Note, error) {
	q, args := `SELECT `+noteColumns+` FROM notes ORDER BY updated DESC, id`, []any(nil)
	if notebookID != "" {
		q, args = `SELECT `+noteColumns+` FROM notes WHERE notebook_id = $1 ORDER BY updated DESC, id`, []any{notebookID}
	}
	rows, err := db.r(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []notebook.Note{}
	for rows.Next() {
		n, err := scanNote(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *n)
	}
	return out, rows.Err()
}

// UpdateNote implements notebook.ContentStore.
func (db *DB) UpdateNote(ctx context.Context, n *notebook.Note) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notes SET title = $2, content = $3, note_type = $4, updated = $5 WHERE id = $1`,
			n.ID, null(n.Title), n.Content, n.NoteType, micros(n.Updated))
		if err := affected(res, err, notebook.ErrNoteNotFound()); err != nil {
			return err
		}
		return db.indexDocument(ctx, tx, "note", n.ID, n.Title, n.Content)
	})
}

// DeleteNote implements notebook.ContentStore.
func (db *DB) DeleteNote(ctx context.Context, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM notes WHERE id = $1`, id)
		if err := affected(res, err, notebook.ErrNoteNotFound()); err != nil {
			return err
		}
		if err := deleteEmbeddings(ctx, tx, id); err != nil {
			return err
		}
		return db.unindex(ctx, tx, id)
	})
}
