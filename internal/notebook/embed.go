package notebook

import (
	"context"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/open-notebook/open-notebook/internal/token"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/record"
	"github.com/open-notebook/open-notebook/internal/vector"
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
// embedding model, and keeps them for vector search: sources when asked,
// notes and insights whenever an embedding model is configured.
type Embeddings struct {
	chunking Chunking
	store    EmbeddingStore
	embedder Embedder // nil: nothing is embedded and vector search is unavailable
	content  ContentReader
	jobs     Jobs
	index    Refresher // nil: no index to keep current
}

// Refresher keeps a vector index current after a write.
type Refresher interface {
	// Refresh applies the store's new changes if the index has loaded.
	Refresh(ctx context.Context) error
}

// SetIndex names the vector index to refresh after each write of chunks
// (the one vector search uses); it is called once, before use.
func (c *Embeddings) SetIndex(ix Refresher) { c.index = ix }

// refresh brings the index up to date after a write, so the next search's
// own sync finds nothing to do. A failure is left to that sync, which
// reports it: the write itself succeeded.
func (c *Embeddings) refresh(ctx context.Context) {
	if c.index != nil {
		_ = c.index.Refresh(ctx)
	}
}

// ContentReader reads what is embedded.
type ContentReader interface {
	Source(ctx context.Context, id string) (*Source, error)
	Note(ctx context.Context, id string) (*Note, error)
	Insight(ctx context.Context, id string) (*Insight, error)
	// EmbeddableOwners returns the ids of the sources, notes or insights
	// (kind) that have text, or, with embedded, those that have chunks.
	EmbeddableOwners(ctx context.Context, kind string, embedded bool) ([]string, error)
}

// NewEmbeddings returns the embeddings service; embedder may be nil (and
// then content and jobs are unused).
func NewEmbeddings(store EmbeddingStore, embedder Embedder, content ContentReader, jobs Jobs) *Embeddings {
	return &Embeddings{chunking: DefaultChunking, store: store, embedder: embedder, content: content, jobs: jobs}
}

// SetChunking changes how text is cut (OPEN_NOTEBOOK_CHUNK_SIZE and the
// like); it is called once, before use.
func (c *Embeddings) SetChunking(ck Chunking) { c.chunking = ck }

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
	if err := c.store.ReplaceEmbeddings(ctx, ownerID, chunks); err != nil {
		return err
	}
	c.refresh(ctx)
	return nil
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

// Chunk is one embedded piece of a source, note or insight.
type Chunk struct {
	OwnerID string
	Kind    string // "source", "note" or "insight"
	Index   int
	Content string
	Vector  []float64
	ModelID string
}

// EmbeddingStore keeps embedded chunks.
type EmbeddingStore interface {
	// ReplaceEmbeddings stores an owner's chunks in place of any it had,
	// and reports the NotFound of an owner that no longer exists.
	ReplaceEmbeddings(ctx context.Context, ownerID string, chunks []Chunk) error
}

// Chunking is how text is cut for embedding, in o200k tokens as the
// original counts them: pieces of about Size tokens that overlap by about
// Overlap, cut at a paragraph, sentence or word boundary; pieces under Min
// tokens are dropped.
type Chunking struct {
	Size, Overlap, Min int
}

// DefaultChunking is the original's: 400 tokens, 15% overlap, at least 5.
var DefaultChunking = Chunking{Size: 400, Overlap: 60, Min: 5}

// maxChunks bounds one document's cost.
const maxChunks = 2000

// SplitChunks cuts text into overlapping chunks with the default chunking.
func SplitChunks(text string) []string { return DefaultChunking.Split(text) }

// Split cuts text into overlapping chunks for embedding.
func (ck Chunking) Split(text string) []string {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	if token.Count(text) <= ck.Size {
		return []string{text}
	}
	runes := []rune(text)
	var out []string
	for start := 0; start < len(runes) && len(out) < maxChunks; {
		// No token is longer than 16 characters in ordinary text: the
		// window holds the chunk, and counting stays proportional to it.
		window := string(runes[start:min(len(runes), start+ck.Size*16)])
		piece := []rune(token.Truncate(window, ck.Size))
		end := start + max(len(piece), 1)
		if end < len(runes) {
			end = boundary(runes, start+len(piece)/2, end)
		}
		if chunk := strings.TrimSpace(string(runes[start:end])); chunk != "" && (token.Count(chunk) >= ck.Min || len(out) == 0) {
			out = append(out, chunk)
		}
		if end >= len(runes) {
			break
		}
		// Step back about Overlap tokens, in this chunk's characters per token.
		back := (end - start) * ck.Overlap / ck.Size
		start = max(end-back, start+1)
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
	pieces := c.chunking.Split(text)
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
	// Notebook, when set, keeps only that notebook's sources, their
	// insights and its notes.
	Notebook string
}

// staleRetries bounds how often a vector search starts again because an
// owner was embedded anew between ranking and reading its excerpt.
const staleRetries = 2

// Vector embeds the query and ranks stored chunks by cosine similarity,
// keeping each source, insight or note's best chunk. The index scores
// exactly as a scan of every stored vector would: same scores, same order.
func (c *Search) Vector(ctx context.Context, q VectorQuery) ([]SearchHit, error) {
	if strings.TrimSpace(q.Text) == "" {
		return nil, apperr.New(apperr.Invalid, "Search keyword cannot be empty")
	}
	var kinds []string
	if q.Sources {
		kinds = append(kinds, "source", "insight")
	}
	if q.Notes {
		kinds = append(kinds, "note")
	}
	if len(kinds) == 0 || q.Limit < 1 {
		return []SearchHit{}, nil
	}
	vectors, modelID, err := c.vectors.embed(ctx, []string{q.Text})
	if err != nil {
		return nil, err
	}
	if len(vectors) != 1 {
		return nil, apperr.New(apperr.Upstream, "The embedding model returned no vector for the query")
	}
	vq := vector.Query{Model: modelID, Vector: vectors[0], Limit: min(q.Limit, vector.MaxLimit),
		MinScore: q.MinimumScore, Kinds: kinds}
	if q.Notebook != "" {
		if vq.Owners, err = c.store.NotebookOwners(ctx, q.Notebook); err != nil {
			return nil, err
		}
		if vq.Owners == nil {
			vq.Owners = []string{} // an empty notebook has nothing to find
		}
	}
	for attempt := 0; ; attempt++ {
		found, err := c.index.Search(ctx, vq)
		if errors.Is(err, vector.ErrInvalid) {
			return nil, apperr.Wrap(apperr.Upstream, "The embedding model returned an unusable vector for the query", err)
		}
		if err != nil {
			return nil, err
		}
		hits, stale, err := c.excerpts(ctx, found, attempt == staleRetries)
		if err != nil {
			return nil, err
		}
		if !stale {
			return c.titled(ctx, hits)
		}
		if err := c.index.Sync(ctx); err != nil {
			return nil, err
		}
	}
}

// excerpts reads the text of each hit's chunk. When an owner was embedded
// anew or removed after the index ranked it, the result is stale: the
// search runs again after a sync, and on the last attempt (last) a removed
// owner is left out and a re-embedded one shows its chunk's new text.
func (c *Search) excerpts(ctx context.Context, found []vector.Hit, last bool) ([]SearchHit, bool, error) {
	hits := make([]SearchHit, 0, len(found))
	for _, f := range found {
		content, seq, err := c.store.ChunkContent(ctx, f.Owner, f.Chunk)
		if apperr.IsNotFound(err) {
			if !last {
				return nil, true, nil
			}
			continue
		}
		if err != nil {
			return nil, false, err
		}
		if seq != f.Seq && !last {
			return nil, true, nil
		}
		hits = append(hits, SearchHit{ID: f.Owner, ParentID: f.Owner, Relevance: f.Score, Matches: []string{excerpt(content)}})
	}
	return hits, false, nil
}

// titled fills in the titles of hits, and an insight's source as its
// parent.
// A text search's hits already carry their titles: only insights (for the
// parent) and untitled notes are looked up.
func (c *Search) titled(ctx context.Context, hits []SearchHit) ([]SearchHit, error) {
	for i := range hits {
		h := &hits[i]
		if h.Title != "" && !strings.HasPrefix(h.ID, InsightTable+":") {
			continue
		}
		switch {
		case strings.HasPrefix(h.ID, SourceTable+":"):
			if s, err := c.store.Source(ctx, h.ID); err == nil {
				h.Title = s.Title
			}
		case strings.HasPrefix(h.ID, InsightTable+":"):
			if in, err := c.store.Insight(ctx, h.ID); err == nil {
				h.ParentID, h.Title = in.SourceID, in.Type+" - "
				if s, err := c.store.Source(ctx, in.SourceID); err == nil {
					h.Title += s.Title
				}
			}
		default:
			if n, err := c.store.Note(ctx, h.ID); err == nil {
				h.Title = noteTitle(n)
			}
		}
	}
	return hits, nil
}

// noteTitle is a note's title, or for an untitled one its first line.
func noteTitle(n *Note) string {
	if strings.TrimSpace(n.Title) != "" {
		return n.Title
	}
	line, _, _ := strings.Cut(strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(n.Content), "# ")), "\n")
	if line = clip(strings.TrimSpace(line), 80); line != "" {
		return line
	}
	return "Untitled note"
}

func excerpt(s string) string {
	if utf8.RuneCountInString(s) <= 300 {
		return s
	}
	return string([]rune(s)[:300]) + "…"
}

// queueEmbedding queues an embedding job when an embedding model is
// configured; without one there is nothing to do.
func (c *Embeddings) queueEmbedding(ctx context.Context, jobs Jobs, args JobArgs) error {
	ok, err := c.Available(ctx)
	if err != nil || !ok {
		return err
	}
	_, err = jobs.Enqueue(ctx, args)
	return err
}

// ownerText returns what is embedded of an owner: a source's text, a
// note's title and content, an insight's type and content.
func (c *Embeddings) ownerText(ctx context.Context, kind, id string) (string, error) {
	switch kind {
	case "source":
		s, err := c.content.Source(ctx, id)
		if err != nil {
			return "", err
		}
		return s.FullText, nil
	case "note":
		n, err := c.content.Note(ctx, id)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(n.Title + "\n\n" + n.Content), nil
	case "insight":
		in, err := c.content.Insight(ctx, id)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(in.Type + "\n\n" + in.Content), nil
	}
	return "", apperr.Newf(apperr.Invalid, "Item type must be 'source', 'note' or 'insight', not %q", kind)
}

// EmbedOwner (re)embeds one source, note or insight and returns how many
// chunks it has now.
func (c *Embeddings) EmbedOwner(ctx context.Context, kind, id string) (int, error) {
	text, err := c.ownerText(ctx, kind, id)
	if err != nil {
		return 0, err
	}
	if strings.TrimSpace(text) == "" {
		return 0, apperr.Newf(apperr.Invalid, "%s %s has no text to embed", strings.ToUpper(kind[:1])+kind[1:], id)
	}
	chunks, err := c.Chunks(ctx, id, kind, text)
	if err != nil {
		return 0, err
	}
	if err := c.Replace(ctx, id, chunks); err != nil {
		return 0, err
	}
	return len(chunks), nil
}

// embedJob runs an embedding job: a missing owner, an empty text or a
// missing model end it at once; a provider's failure is retried.
func (c *Embeddings) embedJob(ctx context.Context, kind, id string, rep Reporter) error {
	n, err := c.EmbedOwner(ctx, kind, id)
	if err != nil {
		if e, ok := apperr.As(err); ok && e.Code != apperr.Upstream && e.Code != apperr.RateLimited && e.Code != apperr.Internal {
			return Permanent(err)
		}
		return err
	}
	rep.Result(map[string]any{"success": true, kind + "_id": id, "chunks_created": n})
	return nil
}

// EmbedSourceJob is the embed_source job.
func (c *Embeddings) EmbedSourceJob(ctx context.Context, a EmbedSource, rep Reporter) error {
	return c.embedJob(ctx, "source", a.SourceID, rep)
}

// EmbedNoteJob is the embed_note job.
func (c *Embeddings) EmbedNoteJob(ctx context.Context, a EmbedNote, rep Reporter) error {
	return c.embedJob(ctx, "note", a.NoteID, rep)
}

// EmbedInsightJob is the embed_insight job.
func (c *Embeddings) EmbedInsightJob(ctx context.Context, a EmbedInsight, rep Reporter) error {
	return c.embedJob(ctx, "insight", a.InsightID, rep)
}

// Request embeds one item on request (POST /api/embed): queued when async,
// else at once. It returns the job id, or the chunks made.
func (c *Embeddings) Request(ctx context.Context, kind, id string, async bool) (jobID string, chunks int, err error) {
	if ok, err := c.Available(ctx); err != nil {
		return "", 0, err
	} else if !ok {
		return "", 0, apperr.New(apperr.Invalid, "No embedding model configured. Please configure one in the Models section.")
	}
	kind = strings.ToLower(strings.TrimSpace(kind))
	table := map[string]string{"source": SourceTable, "note": NoteTable, "insight": InsightTable}[kind]
	if table == "" {
		return "", 0, apperr.New(apperr.Invalid, "Item type must be either 'source', 'note' or 'insight'")
	}
	full, ok := record.Normalize(table, id)
	if !ok {
		return "", 0, apperr.Newf(apperr.NotFound, "%s not found", kind)
	}
	if _, err := c.ownerText(ctx, kind, full); err != nil {
		return "", 0, err
	}
	if async {
		var args JobArgs
		switch kind {
		case "source":
			args = EmbedSource{SourceID: full}
		case "note":
			args = EmbedNote{NoteID: full}
		default:
			args = EmbedInsight{InsightID: full}
		}
		id, err := c.jobs.Enqueue(ctx, args)
		return id, 0, err
	}
	n, err := c.EmbedOwner(ctx, kind, full)
	return "", n, err
}

// Rebuild is the rebuild_embeddings job: it embeds again, with the current
// embedding model, what was embedded ("existing") or everything with text
// ("all"), reporting its progress item by item. A failed item is counted
// and the rebuild goes on.
func (c *Embeddings) Rebuild(ctx context.Context, a RebuildEmbeddings, rep Reporter) error {
	if ok, err := c.Available(ctx); err != nil {
		return err
	} else if !ok {
		return Permanent(apperr.New(apperr.Invalid, "No embedding model configured. Please configure one in the Models section."))
	}
	type item struct{ kind, id string }
	var items []item
	counts := map[string]int{}
	for _, k := range []struct {
		kind string
		on   bool
	}{{"source", a.IncludeSources}, {"note", a.IncludeNotes}, {"insight", a.IncludeInsights}} {
		if !k.on {
			continue
		}
		ids, err := c.content.EmbeddableOwners(ctx, k.kind, a.Mode == "existing")
		if err != nil {
			return err
		}
		for _, id := range ids {
			items = append(items, item{k.kind, id})
		}
		counts[k.kind] = len(ids)
	}
	failed := 0
	rep.Progress("embedding", 0, len(items))
	for i, it := range items {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := c.EmbedOwner(ctx, it.kind, it.id); err != nil {
			failed++
		}
		rep.Progress("embedding", i+1, len(items))
	}
	rep.Result(map[string]any{"success": true, "total_items": len(items), "processed_items": len(items) - failed,
		"failed_items": failed, "sources": counts["source"], "notes": counts["note"], "insights": counts["insight"]})
	return nil
}

// RebuildEstimate counts what a rebuild would embed.
func (c *Embeddings) RebuildEstimate(ctx context.Context, a RebuildEmbeddings) (int, error) {
	total := 0
	for _, k := range []struct {
		kind string
		on   bool
	}{{"source", a.IncludeSources}, {"note", a.IncludeNotes}, {"insight", a.IncludeInsights}} {
		if !k.on {
			continue
		}
		ids, err := c.content.EmbeddableOwners(ctx, k.kind, a.Mode == "existing")
		if err != nil {
			return 0, err
		}
		total += len(ids)
	}
	return total, nil
}

// StartRebuild queues a rebuild and returns its job id and estimate.
func (c *Embeddings) StartRebuild(ctx context.Context, a RebuildEmbeddings) (string, int, error) {
	if a.Mode != "existing" && a.Mode != "all" {
		return "", 0, apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", "mode"}, Type: "literal_error",
			Msg: "Input should be 'existing' or 'all'", Input: a.Mode})
	}
	total, err := c.RebuildEstimate(ctx, a)
	if err != nil {
		return "", 0, err
	}
	id, err := c.jobs.Enqueue(ctx, a)
	return id, total, err
}
