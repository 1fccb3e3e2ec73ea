package notebook

import (
	"context"
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/open-notebook/open-notebook/internal/apperr"
)

// Embedder turns texts into vectors (the AI layer implements it).
type Embedder interface {
	// EmbeddingModel returns the id of the default embedding model; ok is
	// false when none is configured.
	EmbeddingModel(ctx context.Context) (id string, ok bool, err error)
	// EmbedWith returns one vector per text from the model id.
	EmbedWith(ctx context.Context, modelID string, texts []string) ([][]float64, error)
}

// Embeddings cuts texts into chunks, embeds them with the default
// embedding model, and keeps them for vector search.
type Embeddings struct {
	store    EmbeddingStore
	embedder Embedder // nil: nothing is embedded and vector search is unavailable
}

// NewEmbeddings returns the embeddings service; embedder may be nil.
func NewEmbeddings(store EmbeddingStore, embedder Embedder) *Embeddings {
	return &Embeddings{store: store, embedder: embedder}
}

// Available reports whether an embedding model is configured.
func (c *Embeddings) Available(ctx context.Context) (bool, error) {
	if c.embedder == nil {
		return false, nil
	}
	_, ok, err := c.embedder.EmbeddingModel(ctx)
	return ok, err
}

// Replace stores an owner's chunks in place of any it had.
func (c *Embeddings) Replace(ctx context.Context, ownerID string, chunks []Chunk) error {
	return c.store.ReplaceEmbeddings(ctx, ownerID, chunks)
}

// embed embeds texts with the default embedding model and returns its id,
// so stored vectors are only ever compared with vectors of the same model.
func (c *Embeddings) embed(ctx context.Context, texts []string) ([][]float64, string, error) {
	if c.embedder == nil {
		return nil, "", errNoEmbeddingModel
	}
	id, ok, err := c.embedder.EmbeddingModel(ctx)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", errNoEmbeddingModel
	}
	vectors, err := c.embedder.EmbedWith(ctx, id, texts)
	return vectors, id, err
}

// Chunk is one embedded piece of a source or note.
type Chunk struct {
	OwnerID string
	Kind    string // "source" or "note"
	Index   int
	Content string
	Vector  []float64
	ModelID string
}

// EmbeddingStore keeps embedded chunks.
type EmbeddingStore interface {
	// ReplaceEmbeddings stores an owner's chunks in place of any it had.
	ReplaceEmbeddings(ctx context.Context, ownerID string, chunks []Chunk) error
	// Embeddings returns every stored chunk of the given kinds.
	Embeddings(ctx context.Context, kinds []string) ([]Chunk, error)
}

// Chunking parameters: pieces of about chunkSize characters that overlap
// by chunkOverlap, cut at a paragraph, sentence or word boundary.
const (
	chunkSize    = 1200
	chunkOverlap = 150
	maxChunks    = 2000 // an upper bound on one document's cost
)

// SplitChunks cuts text into overlapping chunks for embedding.
func SplitChunks(text string) []string {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	runes := []rune(text)
	var out []string
	for start := 0; start < len(runes) && len(out) < maxChunks; {
		end := min(start+chunkSize, len(runes))
		if end < len(runes) {
			end = boundary(runes, start+chunkSize/2, end)
		}
		if piece := strings.TrimSpace(string(runes[start:end])); piece != "" {
			out = append(out, piece)
		}
		if end >= len(runes) {
			break
		}
		start = max(end-chunkOverlap, start+1)
	}
	return out
}

// boundary finds the best place to end a chunk in runes[lo:hi]: a blank
// line, else a sentence end, else a space, else hi.
func boundary(runes []rune, lo, hi int) int {
	best := -1
	for i := hi - 1; i > lo; i-- {
		switch {
		case runes[i] == '\n' && runes[i-1] == '\n':
			return i
		case best < 0 && (runes[i-1] == '.' || runes[i-1] == '!' || runes[i-1] == '?') && unicode.IsSpace(runes[i]):
			best = i
		}
	}
	if best > 0 {
		return best
	}
	for i := hi - 1; i > lo; i-- {
		if unicode.IsSpace(runes[i]) {
			return i
		}
	}
	return hi
}

// Chunks cuts an owner's text into chunks and embeds them.
func (c *Embeddings) Chunks(ctx context.Context, ownerID, kind, text string) ([]Chunk, error) {
	pieces := SplitChunks(text)
	if len(pieces) == 0 {
		return nil, nil
	}
	vectors, modelID, err := c.embed(ctx, pieces)
	if err != nil {
		return nil, err
	}
	if len(vectors) != len(pieces) {
		return nil, apperr.Newf(apperr.Upstream, "The embedding model returned %d vectors for %d chunks", len(vectors), len(pieces))
	}
	chunks := make([]Chunk, len(pieces))
	for i, p := range pieces {
		chunks[i] = Chunk{OwnerID: ownerID, Kind: kind, Index: i, Content: p, Vector: vectors[i], ModelID: modelID}
	}
	return chunks, nil
}

const noEmbeddingModel = "Vector search requires an embedding model. Please configure one in the Models section."

var errNoEmbeddingModel = apperr.New(apperr.Invalid, noEmbeddingModel)

// VectorQuery is a semantic search.
type VectorQuery struct {
	Text         string
	Limit        int
	Sources      bool
	Notes        bool
	MinimumScore float64
}

// VectorSearch embeds the query and ranks stored chunks by cosine
// similarity, keeping each source or note's best chunk.
func (c *Search) Vector(ctx context.Context, q VectorQuery) ([]SearchHit, error) {
	if strings.TrimSpace(q.Text) == "" {
		return nil, apperr.New(apperr.Invalid, "Search keyword cannot be empty")
	}
	var kinds []string
	if q.Sources {
		kinds = append(kinds, "source")
	}
	if q.Notes {
		kinds = append(kinds, "note")
	}
	if len(kinds) == 0 {
		return []SearchHit{}, nil
	}
	vectors, modelID, err := c.vectors.embed(ctx, []string{q.Text})
	if err != nil {
		return nil, err
	}
	if len(vectors) != 1 {
		return nil, apperr.New(apperr.Upstream, "The embedding model returned no vector for the query")
	}
	chunks, err := c.store.Embeddings(ctx, kinds)
	if err != nil {
		return nil, err
	}
	best := map[string]SearchHit{}
	for _, ch := range chunks {
		if ch.ModelID != modelID || len(ch.Vector) != len(vectors[0]) {
			continue // embedded by another model: not comparable
		}
		score := cosine(vectors[0], ch.Vector)
		if score < q.MinimumScore {
			continue
		}
		if h, ok := best[ch.OwnerID]; !ok || score > h.Relevance {
			best[ch.OwnerID] = SearchHit{ID: ch.OwnerID, ParentID: ch.OwnerID, Relevance: score, Matches: []string{excerpt(ch.Content)}}
		}
	}
	hits := make([]SearchHit, 0, len(best))
	for _, h := range best {
		hits = append(hits, h)
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Relevance != hits[j].Relevance {
			return hits[i].Relevance > hits[j].Relevance
		}
		return hits[i].ID < hits[j].ID
	})
	if len(hits) > q.Limit {
		hits = hits[:q.Limit]
	}
	return c.titled(ctx, hits)
}

// titled fills in the titles of hits.
func (c *Search) titled(ctx context.Context, hits []SearchHit) ([]SearchHit, error) {
	for i := range hits {
		if strings.HasPrefix(hits[i].ID, SourceTable+":") {
			if s, err := c.store.Source(ctx, hits[i].ID); err == nil {
				hits[i].Title = s.Title
			}
		} else if n, err := c.store.Note(ctx, hits[i].ID); err == nil {
			hits[i].Title = n.Title
		}
	}
	return hits, nil
}

func excerpt(s string) string {
	if utf8.RuneCountInString(s) <= 300 {
		return s
	}
	return string([]rune(s)[:300]) + "…"
}

func cosine(a, b []float64) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += a[i] * b[i]
		na += a[i] * a[i]
		nb += b[i] * b[i]
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / (math.Sqrt(na) * math.Sqrt(nb))
}
