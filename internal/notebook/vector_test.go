package notebook_test

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/open-notebook/open-notebook/internal/notebook"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// storedChunk is a row of the embeddings table.
type storedChunk struct {
	owner, kind, content, model string
	vector                      []float64
}

// exactSearch is vector search as it was before the index: read every
// stored vector from the database and score each in float64, keeping each
// owner's best chunk (the first on a tie), best first, ties by id.
func exactSearch(t *testing.T, db *store.DB, model string, q []float64, kinds []string, owners []string,
	minScore float64, limit int) []notebook.SearchHit {
	t.Helper()
	rows, err := db.WritePool().QueryContext(t.Context(),
		`SELECT owner_id, kind, content, vector, model_id FROM embeddings ORDER BY owner_id, chunk`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var all []storedChunk
	for rows.Next() {
		var c storedChunk
		var raw []byte
		if err := rows.Scan(&c.owner, &c.kind, &c.content, &raw, &c.model); err != nil {
			t.Fatal(err)
		}
		for i := 0; i+4 <= len(raw); i += 4 {
			c.vector = append(c.vector, float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i:]))))
		}
		all = append(all, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	best := map[string]notebook.SearchHit{}
	for _, c := range all {
		if c.model != model || len(c.vector) != len(q) || !slices.Contains(kinds, c.kind) ||
			owners != nil && !slices.Contains(owners, c.owner) {
			continue
		}
		var dot, na, nb float64
		for i := range q {
			dot += q[i] * c.vector[i]
			na += q[i] * q[i]
			nb += c.vector[i] * c.vector[i]
		}
		score := 0.0
		if na != 0 && nb != 0 {
			score = dot / (math.Sqrt(na) * math.Sqrt(nb))
		}
		if score < minScore {
			continue
		}
		if h, ok := best[c.owner]; !ok || score > h.Relevance {
			text := c.content
			if utf8.RuneCountInString(text) > 300 {
				text = string([]rune(text)[:300]) + "…"
			}
			best[c.owner] = notebook.SearchHit{ID: c.owner, Relevance: score, Matches: []string{text}}
		}
	}
	hits := make([]notebook.SearchHit, 0, len(best))
	for _, h := range best {
		hits = append(hits, h)
	}
	slices.SortFunc(hits, func(a, b notebook.SearchHit) int {
		if c := cmp.Compare(b.Relevance, a.Relevance); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return hits[:min(limit, len(hits))]
}

// TestVectorSearchEqualsExactSearch compares the indexed vector search with
// the exact scan of the stored rows it replaced: the same owners in the
// same order, the same scores to the last bit, the same excerpts, through
// writes, re-embeddings and deletions, with every filter.
func TestVectorSearchEqualsExactSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		emb := &wordsEmbedder{model: "model:embed"}
		c := newContent(t, db, emb)
		c.vectors.SetChunking(notebook.Chunking{Size: 12, Overlap: 2, Min: 1})
		now := time.Now()
		if err := db.CreateNotebook(ctx, &notebook.Notebook{ID: "notebook:nb", Name: "nb", Created: now, Updated: now}); err != nil {
			t.Fatal(err)
		}
		// A small vocabulary gives many near and exact ties.
		vocab := strings.Fields("cell energy star light whale song ocean river stone glass paper ink tree root leaf seed")
		r := rand.New(rand.NewPCG(7, 7))
		text := func(words int) string {
			var b strings.Builder
			for i := range words {
				b.WriteString(vocab[r.IntN(len(vocab))])
				if i%9 == 8 {
					b.WriteString(". ")
				} else {
					b.WriteByte(' ')
				}
			}
			return b.String()
		}
		var sources, notes []string
		for i := range 24 {
			in := notebook.NewSource{Kind: notebook.KindText, Content: text(5 + r.IntN(60)), Embed: true, Transformations: []string{}}
			if i%2 == 0 {
				in.Notebooks = []string{"notebook:nb"}
			}
			s, err := c.sources.Add(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			sources = append(sources, s.ID)
		}
		for i := range 16 {
			in := notebook.NewNote{Title: fmt.Sprint("note ", i), Content: text(5 + r.IntN(40))}
			if i%3 == 0 {
				in.NotebookID = "notebook:nb"
			}
			n, err := c.notes.Add(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			notes = append(notes, n.ID)
		}
		c.settle(t) // notes are embedded by jobs

		compare := func(stage string) {
			t.Helper()
			nbOwners, err := db.NotebookOwners(ctx, "notebook:nb")
			if err != nil {
				t.Fatal(err)
			}
			found := 0
			defer func() {
				if found < 100 {
					t.Fatalf("%s: only %d hits in all: the comparison proves little", stage, found)
				}
			}()
			for qi := range 12 {
				query := text(1 + qi%5)
				qv, err := emb.EmbedWith(ctx, emb.model, []string{query})
				if err != nil {
					t.Fatal(err)
				}
				for _, kinds := range [][]string{{"source", "insight", "note"}, {"source", "insight"}, {"note"}} {
					for _, inNotebook := range []bool{false, true} {
						q := notebook.VectorQuery{Text: query, Limit: 1 + qi*3, MinimumScore: []float64{0, 0.2, 0.5}[qi%3],
							Sources: slices.Contains(kinds, "source"), Notes: slices.Contains(kinds, "note")}
						var owners []string
						if inNotebook {
							q.Notebook, owners = "notebook:nb", nbOwners
						}
						got, err := c.search.Vector(ctx, q)
						if err != nil {
							t.Fatal(err)
						}
						want := exactSearch(t, db, emb.model, qv[0], kinds, owners, q.MinimumScore, q.Limit)
						if len(got) != len(want) {
							t.Fatalf("%s, %q %+v: %d hits, exact search %d", stage, query, q, len(got), len(want))
						}
						found += len(got)
						for i := range want {
							g, w := got[i], want[i]
							if g.ID != w.ID || g.Relevance != w.Relevance || !slices.Equal(g.Matches, w.Matches) {
								t.Fatalf("%s, %q %+v: hit %d is %s %v %q, exact search %s %v %q", stage, query, q, i,
									g.ID, g.Relevance, g.Matches, w.ID, w.Relevance, w.Matches)
							}
						}
					}
				}
			}
		}
		compare("after the first writes")

		// Remove some owners' chunks, delete others, re-embed some with
		// other text and some with another model, which search must
		// ignore.
		for _, id := range sources[:6] {
			if err := c.vectors.Replace(ctx, id, nil); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range notes[:4] {
			if err := c.notes.Delete(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range sources[6:10] {
			if err := c.sources.Delete(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range sources[10:14] {
			chunks, err := c.vectors.Chunks(ctx, id, "source", text(30))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.vectors.Replace(ctx, id, chunks); err != nil {
				t.Fatal(err)
			}
		}
		other := &wordsEmbedder{model: "model:other"}
		c2 := newContent(t, db, other)
		for _, id := range sources[14:16] {
			if _, err := c2.vectors.EmbedOwner(ctx, "source", id); err != nil {
				t.Fatal(err)
			}
		}
		compare("after rewrites and deletions")
	})
}
