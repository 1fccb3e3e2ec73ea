package store

import (
	"context"
	"strings"

	"github.com/open-notebook/open-notebook/internal/notebook"
)

// Search implements notebook.ContentStore with each engine's full-text
// search: FTS5 with BM25 ranking on SQLite, tsvector with ts_rank on
// PostgreSQL. The query is treated as plain words, never as query syntax.
func (db *DB) Search(ctx context.Context, q notebook.SearchQuery) ([]notebook.SearchHit, error) {
	if db.engine == SQLite {
		return db.searchSQLite(ctx, q)
	}
	return db.searchPostgres(ctx, q)
}

func (db *DB) searchSQLite(ctx context.Context, q notebook.SearchQuery) ([]notebook.SearchHit, error) {
	match := ftsQuery(q.Text)
	if match == "" {
		return []notebook.SearchHit{}, nil
	}
	kinds := kindFilter(q)
	// bm25 is lower for better matches; negate it so higher is better.
	rows, err := db.r(ctx).QueryContext(ctx, `SELECT id, title, -bm25(search_index, 5.0, 1.0),
		snippet(search_index, 3, '**', '**', '…', 16)
		FROM search_index WHERE search_index MATCH $1 AND kind IN (`+kinds+`)
		ORDER BY bm25(search_index, 5.0, 1.0) LIMIT $2`, match, q.Limit)
	if err != nil {
		return nil, err
	}
	return scanHits(rows)
}

func (db *DB) searchPostgres(ctx context.Context, q notebook.SearchQuery) ([]notebook.SearchHit, error) {
	var parts []string
	if q.Sources {
		parts = append(parts, `SELECT id, coalesce(title, '') AS title,
			ts_rank(to_tsvector('simple', coalesce(title, '') || ' ' || full_text), query) AS rank,
			ts_headline('simple', full_text, query, 'StartSel=**, StopSel=**, MaxWords=30, MinWords=10') AS excerpt
			FROM sources, plainto_tsquery('simple', $1) query
			WHERE to_tsvector('simple', coalesce(title, '') || ' ' || full_text) @@ query`)
	}
	if q.Sources {
		parts = append(parts, `SELECT id, insight_type AS title,
			ts_rank(to_tsvector('simple', insight_type || ' ' || content), query) AS rank,
			ts_headline('simple', content, query, 'StartSel=**, StopSel=**, MaxWords=30, MinWords=10') AS excerpt
			FROM insights, plainto_tsquery('simple', $1) query
			WHERE to_tsvector('simple', insight_type || ' ' || content) @@ query`)
	}
	if q.Notes {
		parts = append(parts, `SELECT id, coalesce(title, '') AS title,
			ts_rank(to_tsvector('simple', coalesce(title, '') || ' ' || content), query) AS rank,
			ts_headline('simple', content, query, 'StartSel=**, StopSel=**, MaxWords=30, MinWords=10') AS excerpt
			FROM notes, plainto_tsquery('simple', $1) query
			WHERE to_tsvector('simple', coalesce(title, '') || ' ' || content) @@ query`)
	}
	rows, err := db.r(ctx).QueryContext(ctx, `SELECT id, title, rank, excerpt FROM (`+strings.Join(parts, " UNION ALL ")+
		`) hits ORDER BY rank DESC, id LIMIT $2`, q.Text, q.Limit)
	if err != nil {
		return nil, err
	}
	return scanHits(rows)
}

type rowsScanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

func scanHits(rows rowsScanner) ([]notebook.SearchHit, error) {
	defer rows.Close()
	out := []notebook.SearchHit{}
	for rows.Next() {
		var h notebook.SearchHit
		var excerpt string
		if err := rows.Scan(&h.ID, &h.Title, &h.Relevance, &excerpt); err != nil {
			return nil, err
		}
		h.ParentID = h.ID
		h.Matches = []string{excerpt}
		out = append(out, h)
	}
	return out, rows.Err()
}

func kindFilter(q notebook.SearchQuery) string {
	var kinds []string
	if q.Sources {
		kinds = append(kinds, "'source'", "'insight'")
	}
	if q.Notes {
		kinds = append(kinds, "'note'")
	}
	return strings.Join(kinds, ", ")
}

// ftsQuery turns free text into an FTS5 query of quoted terms, all of
// which must match, so user input is never parsed as FTS5 syntax.
func ftsQuery(text string) string {
	var terms []string
	for _, w := range strings.Fields(text) {
		w = strings.ReplaceAll(w, `"`, `""`)
		terms = append(terms, `"`+w+`"`)
	}
	return strings.Join(terms, " ")
}
