package notebook

import (
	"context"
	"strings"

	"github.com/open-notebook/open-notebook/internal/apperr"
)

// SearchQuery is a full-text search over sources and notes.
type SearchQuery struct {
	Text    string
	Limit   int
	Sources bool
	Notes   bool
}

// SearchHit is one matching source or note.
type SearchHit struct {
	ID        string
	ParentID  string
	Title     string
	Relevance float64
	Matches   []string
}

// MaxSearchLimit bounds results.
const MaxSearchLimit = 1000

// Search runs a keyword search. Relevance is the engine's ranking (higher
// is better); matches are highlighted excerpts.
func (c *Content) Search(ctx context.Context, q SearchQuery) ([]SearchHit, error) {
	q.Text = strings.TrimSpace(q.Text)
	if q.Text == "" {
		return nil, apperr.New(apperr.Invalid, "Search keyword cannot be empty")
	}
	if !q.Sources && !q.Notes {
		return []SearchHit{}, nil
	}
	return c.store.Search(ctx, q)
}
