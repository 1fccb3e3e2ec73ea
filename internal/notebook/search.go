package notebook

import (
	"context"
	"math"
	"strings"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/vector"
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

// SearchStore finds sources and notes.
type SearchStore interface {
	Search(ctx context.Context, q SearchQuery) ([]SearchHit, error)
	// ChunkContent returns the text of an owner's chunk and the change
	// number it was stored under, or NotFound.
	ChunkContent(ctx context.Context, ownerID string, index int) (content string, seq int64, err error)
	// NotebookOwners returns the ids of a notebook's sources, their
	// insights, and its notes.
	NotebookOwners(ctx context.Context, notebookID string) ([]string, error)
	Source(ctx context.Context, id string) (*Source, error)
	Note(ctx context.Context, id string) (*Note, error)
	Insight(ctx context.Context, id string) (*Insight, error)
}

// VectorIndex ranks embedded chunks by similarity to a query vector, kept
// in step with the store (vector.Index over the store implements it).
type VectorIndex interface {
	// Search applies the store's new changes first, so it sees every
	// write committed before it started.
	Search(ctx context.Context, q vector.Query) ([]vector.Hit, error)
	// Sync applies the store's new changes.
	Sync(ctx context.Context) error
}

// Search finds sources and notes by keyword or by meaning.
type Search struct {
	store   SearchStore
	vectors *Embeddings
	index   VectorIndex
}

// NewSearch returns the search service; vector search ranks with index.
func NewSearch(store SearchStore, vectors *Embeddings, index VectorIndex) *Search {
	return &Search{store: store, vectors: vectors, index: index}
}

// MaxSearchLimit bounds results.
const MaxSearchLimit = 1000

// Search runs a keyword search. Relevance is the engine's ranking (higher
// is better); matches are highlighted excerpts.
func (c *Search) Text(ctx context.Context, q SearchQuery) ([]SearchHit, error) {
	q.Text = strings.TrimSpace(q.Text)
	if q.Text == "" {
		return nil, apperr.New(apperr.Invalid, "Search keyword cannot be empty")
	}
	if !q.Sources && !q.Notes {
		return []SearchHit{}, nil
	}
	hits, err := c.store.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	// Each engine ranks on its own scale (BM25 on SQLite, ts_rank on
	// PostgreSQL), neither meaningful to a person: relevance is shown
	// relative to the best match, which is 1.
	best := 0.0
	for _, h := range hits {
		best = max(best, h.Relevance)
	}
	for i := range hits {
		if best > 0 {
			hits[i].Relevance = math.Round(hits[i].Relevance/best*1000) / 1000
		}
	}
	return c.titled(ctx, hits)
}
