package notebook_test

import (
	"context"
	"errors"
	"hash/fnv"
	"net/http"
	"sync"

	"github.com/open-notebook/open-notebook/internal/token"

	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/notebook"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// wordsEmbedder is a deterministic stand-in for an embedding model: a
// bag-of-words vector, so texts sharing words are similar.
type wordsEmbedder struct {
	mu    sync.Mutex
	model string
	calls int
	fail  error
}

func (w *wordsEmbedder) EmbeddingModel(context.Context) (string, bool, error) {
	return w.model, true, nil
}

func (w *wordsEmbedder) EmbedWith(_ context.Context, modelID string, texts []string) ([][]float64, error) {
	w.mu.Lock()
	w.calls++
	fail := w.fail
	w.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	if modelID != w.model {
		return nil, errors.New("asked for another model")
	}
	out := make([][]float64, len(texts))
	for i, t := range texts {
		v := make([]float64, 64)
		for _, word := range strings.Fields(strings.ToLower(t)) {
			h := fnv.New32a()
			h.Write([]byte(strings.Trim(word, ".,!?")))
			v[h.Sum32()%64]++
		}
		out[i] = v
	}
	return out, nil
}

type noFetch struct{}

func (noFetch) ValidateURL(context.Context, string) error {
	return errors.New("no network in this test")
}
func (noFetch) Client() *http.Client { return nil }

func TestVectorSearchRanksEmbeddedSources(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		emb := &wordsEmbedder{model: "model:embed"}
		c := newContent(t, db, emb)
		add := func(text string, embed bool) *notebook.Source {
			t.Helper()
			s, err := c.sources.Add(ctx, notebook.NewSource{Kind: notebook.KindText, Content: text, Embed: embed, Transformations: []string{}})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		cells := add("Mitochondria produce energy for the cell. The cell uses energy.", true)
		stars := add("Stars fuse hydrogen into helium in their cores.", true)
		add("Mitochondria energy cell, but never embedded.", false)
		if cells.EmbeddedChunks != 1 || stars.EmbeddedChunks != 1 {
			t.Fatalf("chunks %d %d", cells.EmbeddedChunks, stars.EmbeddedChunks)
		}
		got, err := c.sources.Get(ctx, cells.ID)
		if err != nil || got.EmbeddedChunks != 1 {
			t.Fatalf("stored chunks: %v %v", got, err)
		}
		hits, err := c.search.Vector(ctx, notebook.VectorQuery{Text: "cell energy", Limit: 10, Sources: true, MinimumScore: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 1 || hits[0].ID != cells.ID || hits[0].Relevance <= 0.5 || hits[0].Title == "" {
			t.Fatalf("hits %+v", hits)
		}
		// Vectors from another model are not comparable and are ignored.
		other := &wordsEmbedder{model: "model:other"}
		c2 := newContent(t, db, other)
		if hits, _ := c2.search.Vector(ctx, notebook.VectorQuery{Text: "cell energy", Limit: 10, Sources: true}); len(hits) != 0 {
			t.Fatalf("mixed models: %+v", hits)
		}
		// A failing model never loses the source.
		emb.mu.Lock()
		emb.fail = errors.New("provider down")
		emb.mu.Unlock()
		s := add("Photosynthesis needs light.", true)
		if s.EmbeddedChunks != 0 || s.Processing == nil || !strings.Contains(s.Processing.Note, "Embedding failed") {
			t.Fatalf("failed embedding: %+v", s)
		}
		if _, err := c.sources.Get(ctx, s.ID); err != nil {
			t.Fatalf("the source must be stored: %v", err)
		}
		// Deleting a source deletes its chunks.
		if err := c.sources.Delete(ctx, cells.ID); err != nil {
			t.Fatal(err)
		}
		emb.mu.Lock()
		emb.fail = nil
		emb.mu.Unlock()
		hits, _ = c.search.Vector(ctx, notebook.VectorQuery{Text: "cell energy", Limit: 10, Sources: true})
		for _, h := range hits {
			if h.ID == cells.ID {
				t.Fatalf("chunks of a deleted source remain: %+v", hits)
			}
		}
	})
}

func TestSplitChunksCoversTheTextWithOverlap(t *testing.T) {
	var b strings.Builder
	for i := range 400 {
		b.WriteString("Sentence number ")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(" ends here. ")
		if i%25 == 24 {
			b.WriteString("\n\n")
		}
	}
	text := b.String()
	chunks := notebook.SplitChunks(text)
	if len(chunks) < 5 {
		t.Fatalf("%d chunks", len(chunks))
	}
	for i, c := range chunks {
		if n := token.Count(c); n > notebook.DefaultChunking.Size || n < notebook.DefaultChunking.Min {
			t.Fatalf("chunk %d has %d tokens", i, n)
		}
		if !strings.Contains(text, c) {
			t.Fatalf("chunk %d is not a piece of the text", i)
		}
	}
	last := chunks[len(chunks)-1]
	if !strings.HasSuffix(strings.TrimSpace(text), last[len(last)-10:]) {
		t.Fatal("the end of the text is not covered")
	}
	if notebook.SplitChunks("  ") != nil || len(notebook.SplitChunks("short")) != 1 {
		t.Fatal("edge cases")
	}
	// Consecutive chunks overlap.
	for i := 1; i < len(chunks); i++ {
		tail := chunks[i-1][len(chunks[i-1])-20:]
		if !strings.Contains(chunks[i], tail) {
			t.Fatalf("chunks %d and %d do not overlap", i-1, i)
		}
	}

}
