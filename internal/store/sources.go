package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/notebook"
)

const sourceColumns = `s.id, s.title, s.topics, s.kind, s.url, s.file_path, s.full_text, s.status, s.command_id,
	s.processing_info, s.created, s.updated,
	(SELECT COUNT(*) FROM embeddings e WHERE e.owner_id = s.id),
	(SELECT COUNT(*) FROM insights i WHERE i.source_id = s.id)`

func scanSource(sc scanner) (*notebook.Source, error) {
	var (
		s                               notebook.Source
		title, url, path, command, info sql.NullString
		topics                          string
		created, updated                int64
	)
	if err := sc.Scan(&s.ID, &title, &topics, &s.Kind, &url, &path, &s.FullText, &s.Status, &command, &info, &created, &updated,
		&s.EmbeddedChunks, &s.InsightsCount); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(topics), &s.Topics); err != nil {
		return nil, err
	}
	s.Title, s.URL, s.FilePath, s.CommandID = title.String, url.String, path.String, command.String
	s.Processing = notebook.ParseProcessing(info.String)
	s.Created, s.Updated = fromMicros(created), fromMicros(updated)
	return &s, nil
}

// indexDocument keeps SQLite's full-text index in step with a source or
// note, inside the caller's transaction. PostgreSQL indexes the rows
// themselves.
func (db *DB) indexDocument(ctx context.Context, tx *sql.Tx, kind, id, title, body string) error {
	if db.engine != SQLite {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM search_index WHERE id = $1`, id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO search_index (kind, id, title, body) VALUES ($1, $2, $3, $4)`, kind, id, title, body)
	return err
}

func (db *DB) unindex(ctx context.Context, tx *sql.Tx, ids ...string) error {
	if db.engine != SQLite {
		return nil
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `DELETE FROM search_index WHERE id = $1`, id); err != nil {
			return err
		}
	}
	return nil
}

// CreateSource implements notebook.ContentStore.
func (db *DB) CreateSource(ctx context.Context, s *notebook.Source) error {
	topics, err := json.Marshal(s.Topics)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sources (id, title, topics, kind, url, file_path, full_text, status,
			command_id, processing_info, created, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			s.ID, null(s.Title), string(topics), s.Kind, null(s.URL), null(s.FilePath), s.FullText, s.Status,
			null(s.CommandID), null(s.Processing.String()), micros(s.Created), micros(s.Updated)); err != nil {
			return err
		}
		for _, nb := range s.Notebooks {
			if _, err := tx.ExecContext(ctx, `INSERT INTO notebook_sources (notebook_id, source_id, added) VALUES ($1, $2, $3)`,
				nb, s.ID, micros(s.Created)); err != nil {
				if db.isForeignKey(err) {
					return apperr.Newf(apperr.NotFound, "Notebook %s not found", nb)
				}
				return err
			}
		}
		if err := writeChunks(ctx, tx, s.ID, s.Chunks); err != nil {
			return err
		}
		return db.indexDocument(ctx, tx, "source", s.ID, s.Title, s.FullText)
	})
}

// Source implements notebook.ContentStore.
func (db *DB) Source(ctx context.Context, id string) (*notebook.Source, error) {
	s, err := scanSource(db.r(ctx).QueryRowContext(ctx, `SELECT `+sourceColumns+` FROM sources s WHERE s.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notebook.ErrSourceNotFound()
	}
	if err != nil {
		return nil, err
	}
	rows, err := db.r(ctx).QueryContext(ctx, `SELECT notebook_id FROM notebook_sources WHERE source_id = $1 ORDER BY added, notebook_id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	s.Notebooks = []string{}
	for rows.Next() {
		var nb string
		if err := rows.Scan(&nb); err != nil {
			return nil, err
		}
		s.Notebooks = append(s.Notebooks, nb)
	}
	return s, rows.Err()
}

// ListSources implements notebook.SourceStore. The sort field was
// validated by the caller.
func (db *DB) ListSources(ctx context.Context, f notebook.SourceFilter) ([]notebook.Source, error) {
	col := map[string]string{"type": "s.kind", "title": "lower(coalesce(s.title, ''))", "created": "s.created",
		"insights_count": "(SELECT COUNT(*) FROM insights i WHERE i.source_id = s.id)",
		"embedded":       "(SELECT COUNT(*) FROM embeddings e WHERE e.owner_id = s.id)"}[f.SortBy]
	if col == "" {
		col = "s.updated"
	}
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	q := `SELECT ` + sourceColumns + ` FROM sources s`
	args := []any{f.Limit, f.Offset}
	if f.NotebookID != "" {
		q += ` JOIN notebook_sources ns ON ns.source_id = s.id WHERE ns.notebook_id = $3`
		args = append(args, f.NotebookID)
	}
	q += ` ORDER BY ` + col + dir + `, s.id` + dir + ` LIMIT $1 OFFSET $2`
	rows, err := db.r(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []notebook.Source{}
	for rows.Next() {
		s, err := scanSource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *s)
	}
	return out, rows.Err()
}

// UpdateSource implements notebook.ContentStore.
func (db *DB) UpdateSource(ctx context.Context, s *notebook.Source) error {
	topics, err := json.Marshal(s.Topics)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sources SET title = $2, topics = $3, updated = $4 WHERE id = $1`,
			s.ID, null(s.Title), string(topics), micros(s.Updated))
		if err := affected(res, err, notebook.ErrSourceNotFound()); err != nil {
			return err
		}
		return db.indexDocument(ctx, tx, "source", s.ID, s.Title, s.FullText)
	})
}

// SaveProcessing implements notebook.SourceStore.
func (db *DB) SaveProcessing(ctx context.Context, s *notebook.Source) error {
	res, err := db.w(ctx).ExecContext(ctx, `UPDATE sources SET status = $2, command_id = $3, processing_info = $4 WHERE id = $1`,
		s.ID, s.Status, null(s.CommandID), null(s.Processing.String()))
	return affected(res, err, notebook.ErrSourceNotFound())
}

// SaveContent implements notebook.SourceStore.
func (db *DB) SaveContent(ctx context.Context, s *notebook.Source) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sources SET title = $2, full_text = $3, file_path = $4, status = $5,
			command_id = $6, processing_info = $7 WHERE id = $1`,
			s.ID, null(s.Title), s.FullText, null(s.FilePath), s.Status, null(s.CommandID), null(s.Processing.String()))
		if err := affected(res, err, notebook.ErrSourceNotFound()); err != nil {
			return err
		}
		return db.indexDocument(ctx, tx, "source", s.ID, s.Title, s.FullText)
	})
}

// DeleteSource implements notebook.ContentStore.
func (db *DB) DeleteSource(ctx context.Context, id string) (string, error) {
	var path sql.NullString
	err := db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT file_path FROM sources WHERE id = $1`, id).Scan(&path)
		if errors.Is(err, sql.ErrNoRows) {
			return notebook.ErrSourceNotFound()
		}
		if err != nil {
			return err
		}
		insights, err := column(ctx, tx, `SELECT id FROM insights WHERE source_id = $1`, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sources WHERE id = $1`, id); err != nil {
			return err
		}
		if err := deleteEmbeddings(ctx, tx, append(insights, id)...); err != nil {
			return err
		}
		return db.unindex(ctx, tx, append(insights, id)...)
	})
	return path.String, err
}

// LinkSource implements notebook.ContentStore.
func (db *DB) LinkSource(ctx context.Context, notebookID, sourceID string, at time.Time) error {
	_, err := db.w(ctx).ExecContext(ctx, `INSERT INTO notebook_sources (notebook_id, source_id, added) VALUES ($1, $2, $3)
		ON CONFLICT (notebook_id, source_id) DO NOTHING`, notebookID, sourceID, micros(at))
	if err != nil && db.isForeignKey(err) {
		return apperr.New(apperr.NotFound, "Notebook or source not found")
	}
	return err
}

// UnlinkSource implements notebook.ContentStore.
func (db *DB) UnlinkSource(ctx context.Context, notebookID, sourceID string) error {
	_, err := db.w(ctx).ExecContext(ctx, `DELETE FROM notebook_sources WHERE notebook_id = $1 AND source_id = $2`, notebookID, sourceID)
	return err
}

// exclusiveSources selects the sources linked to the notebook $1 and to no
// other notebook.
const exclusiveSources = `SELECT ns.source_id FROM notebook_sources ns WHERE ns.notebook_id = $1
	AND NOT EXISTS (SELECT 1 FROM notebook_sources o WHERE o.source_id = ns.source_id AND o.notebook_id <> $1)`

// DeletePreview implements notebook.ContentStore.
func (db *DB) DeletePreview(ctx context.Context, notebookID string) (notebook.Preview, error) {
	p := notebook.Preview{NotebookID: notebookID}
	err := db.r(ctx).QueryRowContext(ctx, `SELECT n.name,
		(SELECT COUNT(*) FROM notes WHERE notebook_id = n.id),
		(SELECT COUNT(*) FROM (`+exclusiveSources+`) e),
		(SELECT COUNT(*) FROM notebook_sources WHERE notebook_id = n.id)
		FROM notebooks n WHERE n.id = $1`, notebookID).Scan(&p.NotebookName, &p.NoteCount, &p.ExclusiveSourceCount, &p.SharedSourceCount)
	if errors.Is(err, sql.ErrNoRows) {
		return p, notebook.ErrNotFound
	}
	p.SharedSourceCount -= p.ExclusiveSourceCount
	return p, err
}

// DeleteNotebookContent implements notebook.ContentStore.
func (db *DB) DeleteNotebookContent(ctx context.Context, notebookID string, exclusive bool) (notebook.Deleted, []string, error) {
	var (
		d     notebook.Deleted
		files []string
	)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		noteIDs, err := column(ctx, tx, `SELECT id FROM notes WHERE notebook_id = $1`, notebookID)
		if err != nil {
			return err
		}
		linked, err := column(ctx, tx, `SELECT source_id FROM notebook_sources WHERE notebook_id = $1`, notebookID)
		if err != nil {
			return err
		}
		var doomed, gone []string
		if exclusive {
			if doomed, err = column(ctx, tx, exclusiveSources, notebookID); err != nil {
				return err
			}
			for _, id := range doomed {
				var path sql.NullString
				if err := tx.QueryRowContext(ctx, `SELECT file_path FROM sources WHERE id = $1`, id).Scan(&path); err != nil {
					return err
				}
				if path.Valid {
					files = append(files, path.String)
				}
				insights, err := column(ctx, tx, `SELECT id FROM insights WHERE source_id = $1`, id)
				if err != nil {
					return err
				}
				gone = append(gone, insights...) // their chunks and index entries go too
				if _, err := tx.ExecContext(ctx, `DELETE FROM sources WHERE id = $1`, id); err != nil {
					return err
				}
			}
		}
		var sessions int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM chat_sessions WHERE notebook_id = $1`, notebookID).Scan(&sessions); err != nil {
			return err
		}
		// Notes, links and chat sessions go with the notebook (ON DELETE
		// CASCADE).
		res, err := tx.ExecContext(ctx, `DELETE FROM notebooks WHERE id = $1`, notebookID)
		if err := affected(res, err, notebook.ErrNotFound); err != nil {
			return err
		}
		d = notebook.Deleted{Notes: len(noteIDs), Sources: len(doomed), UnlinkedSource: len(linked) - len(doomed),
			ChatSessions: sessions}
		gone = append(append(gone, noteIDs...), doomed...)
		if err := deleteEmbeddings(ctx, tx, gone...); err != nil {
			return err
		}
		return db.unindex(ctx, tx, gone...)
	})
	if err != nil {
		return notebook.Deleted{}, nil, err
	}
	return d, files, nil
}

// column runs a query returning one text column.
func column(ctx context.Context, tx querier, q string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
