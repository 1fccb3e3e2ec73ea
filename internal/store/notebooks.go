package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/open-notebook/open-notebook/internal/notebook"
)

const notebookColumns = `id, name, description, archived, created, updated, last_viewed_at`

// notebookSelect reads notebooks with their source and note counts in the
// same query.
const notebookSelect = `SELECT n.id, n.name, n.description, n.archived, n.created, n.updated, n.last_viewed_at,
	(SELECT COUNT(*) FROM notebook_sources ns WHERE ns.notebook_id = n.id),
	(SELECT COUNT(*) FROM notes nt WHERE nt.notebook_id = n.id)
	FROM notebooks n`

// CreateNotebook implements notebook.Store.
func (db *DB) CreateNotebook(ctx context.Context, n *notebook.Notebook) error {
	_, err := db.w(ctx).ExecContext(ctx,
		`INSERT INTO notebooks (`+notebookColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		n.ID, n.Name, n.Description, n.Archived, micros(n.Created), micros(n.Updated), nullMicros(n.LastViewedAt))
	return db.conflict(err, "Notebook already exists")
}

// Notebook implements notebook.Store.
func (db *DB) Notebook(ctx context.Context, id string) (*notebook.Notebook, error) {
	row := db.r(ctx).QueryRowContext(ctx, notebookSelect+` WHERE n.id = $1`, id)
	n, err := scanNotebook(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notebook.ErrNotFound
	}
	return n, err
}

// ListNotebooks implements notebook.Store. The order field was validated by
// notebook.ParseOrder, so it is one of three column names; id breaks ties
// so pages are stable.
func (db *DB) ListNotebooks(ctx context.Context, f notebook.ListFilter) ([]notebook.Notebook, error) {
	q := notebookSelect
	var args []any
	if f.Archived != nil {
		q += ` WHERE n.archived = $1`
		args = append(args, *f.Archived)
	}
	col := map[string]string{"name": "lower(n.name)", "created": "n.created", "updated": "n.updated"}[f.Order.Field]
	if col == "" {
		col = "n.updated"
	}
	dir := " ASC"
	if f.Order.Desc {
		dir = " DESC"
	}
	q += ` ORDER BY ` + col + dir + `, n.id` + dir
	rows, err := db.r(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []notebook.Notebook{}
	for rows.Next() {
		n, err := scanNotebook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *n)
	}
	return out, rows.Err()
}

// UpdateNotebook implements notebook.Store.
func (db *DB) UpdateNotebook(ctx context.Context, n *notebook.Notebook) error {
	res, err := db.w(ctx).ExecContext(ctx,
		`UPDATE notebooks SET name = $2, description = $3, archived = $4, updated = $5 WHERE id = $1`,
		n.ID, n.Name, n.Description, n.Archived, micros(n.Updated))
	return affected(res, err, notebook.ErrNotFound)
}

// TouchNotebook implements notebook.Store.
func (db *DB) TouchNotebook(ctx context.Context, id string, at time.Time) error {
	res, err := db.w(ctx).ExecContext(ctx, `UPDATE notebooks SET last_viewed_at = $2 WHERE id = $1`, id, micros(at))
	return affected(res, err, notebook.ErrNotFound)
}

// TouchSource implements notebook.SourceStore.
func (db *DB) TouchSource(ctx context.Context, id string, at time.Time) error {
	res, err := db.w(ctx).ExecContext(ctx, `UPDATE sources SET last_viewed_at = $2 WHERE id = $1`, id, micros(at))
	return affected(res, err, notebook.ErrSourceNotFound())
}

// RecentlyViewed implements notebook.Store.
func (db *DB) RecentlyViewed(ctx context.Context, limit int) ([]notebook.Viewed, error) {
	rows, err := db.r(ctx).QueryContext(ctx, `
		SELECT kind, id, title, last_viewed_at FROM (
			SELECT * FROM (SELECT 'notebook' AS kind, id, name AS title, last_viewed_at FROM notebooks
				WHERE last_viewed_at IS NOT NULL ORDER BY last_viewed_at DESC LIMIT $1) n
			UNION ALL
			SELECT * FROM (SELECT 'source' AS kind, id, COALESCE(title, '') AS title, last_viewed_at FROM sources
				WHERE last_viewed_at IS NOT NULL ORDER BY last_viewed_at DESC LIMIT $1) s
		) viewed ORDER BY last_viewed_at DESC, id LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []notebook.Viewed{}
	for rows.Next() {
		var (
			v  notebook.Viewed
			at int64
		)
		if err := rows.Scan(&v.Type, &v.ID, &v.Title, &at); err != nil {
			return nil, err
		}
		v.At = fromMicros(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(dest ...any) error }

func scanNotebook(s scanner) (*notebook.Notebook, error) {
	var (
		n                notebook.Notebook
		created, updated int64
		viewed           sql.NullInt64
	)
	if err := s.Scan(&n.ID, &n.Name, &n.Description, &n.Archived, &created, &updated, &viewed, &n.SourceCount, &n.NoteCount); err != nil {
		return nil, err
	}
	n.Created, n.Updated, n.LastViewedAt = fromMicros(created), fromMicros(updated), fromNullMicros(viewed)
	return &n, nil
}

// affected returns notFound when an UPDATE or DELETE touched no row.
func affected(res sql.Result, err error, notFound error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound
	}
	return nil
}
