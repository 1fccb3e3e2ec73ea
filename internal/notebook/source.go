package notebook

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/record"
)

// SourceTable is the id prefix of sources.
const SourceTable = "source"

// Source kinds.
const (
	KindLink   = "link"
	KindUpload = "upload"
	KindText   = "text"
)

// Source is a document added to one or more notebooks: a fetched web page,
// an uploaded file or pasted text, with the text extracted from it.
type Source struct {
	ID             string
	Title          string
	Topics         []string
	Kind           string
	URL            string
	FilePath       string // relative to the uploads directory
	FullText       string
	Status         string // "completed", or "failed" when no text could be extracted
	ProcessingInfo string // why extraction did not produce text, when it did not
	Created        time.Time
	Updated        time.Time
	Notebooks      []string
	EmbeddedChunks int     // chunks stored for vector search
	Chunks         []Chunk // on creation: the embedded chunks to store with the source
}

// SourceFilter selects sources for listing.
type SourceFilter struct {
	NotebookID string // "" for every source
	Limit      int
	Offset     int
	SortBy     string // validated: type, title, created, updated, insights_count, embedded
	Desc       bool
}

// Note is a note in a notebook, written by a person or produced by AI.
type Note struct {
	ID         string
	NotebookID string
	Title      string
	Content    string
	NoteType   string // "human" or "ai"
	Created    time.Time
	Updated    time.Time
}

// NoteTable is the id prefix of notes.
const NoteTable = "note"

// Preview reports what deleting a notebook would remove.
type Preview struct {
	NotebookID           string
	NotebookName         string
	NoteCount            int
	ExclusiveSourceCount int
	SharedSourceCount    int
}

// SourceStore persists sources. Missing ids are apperr NotFound errors.
type SourceStore interface {
	CreateSource(ctx context.Context, s *Source) error
	Source(ctx context.Context, id string) (*Source, error)
	ListSources(ctx context.Context, f SourceFilter) ([]Source, error)
	UpdateSource(ctx context.Context, s *Source) error
	// DeleteSource deletes a source and returns its file path, if any.
	DeleteSource(ctx context.Context, id string) (string, error)
	LinkSource(ctx context.Context, notebookID, sourceID string, at time.Time) error
	UnlinkSource(ctx context.Context, notebookID, sourceID string) error
}

// NotebookReader finds notebooks, for the services that attach things to
// them.
type NotebookReader interface {
	Notebook(ctx context.Context, id string) (*Notebook, error)
}

// Fetcher retrieves a user-supplied URL through the product's guarded
// outbound client.
type Fetcher interface {
	ValidateURL(ctx context.Context, raw string) error
	Client() *http.Client
}

// Sources adds, reads, changes and removes sources: fetching links,
// keeping uploaded files, extracting text and embedding it on request.
type Sources struct {
	store   SourceStore
	books   NotebookReader
	fetch   Fetcher
	files   Files
	vectors *Embeddings
	now     func() time.Time
}

// NewSources returns the sources service.
func NewSources(store SourceStore, books NotebookReader, fetch Fetcher, files Files, vectors *Embeddings, now func() time.Time) *Sources {
	return &Sources{store: store, books: books, fetch: fetch, files: files, vectors: vectors, now: now}
}

// NewSource is a request to add a source.
type NewSource struct {
	Kind      string
	Notebooks []string
	URL       string
	Content   string
	Title     string
	FilePath  string    // an existing file inside the uploads directory
	File      io.Reader // an uploaded file
	FileName  string
	Embed     bool // embed the text for vector search
}

// MaxNotebooksPerSource bounds the notebooks a source is added to at once.
const MaxNotebooksPerSource = 50

// AddSource validates, extracts the text and stores a source.
func (c *Sources) Add(ctx context.Context, in NewSource) (*Source, error) {
	switch in.Kind {
	case KindLink, KindUpload, KindText:
	default:
		return nil, apperr.New(apperr.Invalid, "Invalid source type. Must be link, upload, or text")
	}
	if len(in.Notebooks) > MaxNotebooksPerSource {
		return nil, apperr.Newf(apperr.Invalid, "A source can be added to at most %d notebooks at once", MaxNotebooksPerSource)
	}
	var books []string
	for _, nb := range in.Notebooks {
		id, ok := recordID(Table, nb)
		if ok {
			_, err := c.books.Notebook(ctx, id)
			ok = err == nil
			if err != nil && !apperr.IsNotFound(err) {
				return nil, err
			}
		}
		if !ok {
			return nil, apperr.Newf(apperr.NotFound, "Notebook %s not found", nb)
		}
		if !slices.Contains(books, id) {
			books = append(books, id)
		}
	}
	now := c.now().UTC()
	s := &Source{ID: record.NewID(SourceTable), Kind: in.Kind, Title: strings.TrimSpace(in.Title), Topics: []string{},
		Status: "completed", Created: now, Updated: now, Notebooks: books}
	var err error
	switch in.Kind {
	case KindText:
		if strings.TrimSpace(in.Content) == "" {
			return nil, apperr.New(apperr.Invalid, "Content is required for text type")
		}
		s.FullText = in.Content
	case KindLink:
		err = c.fetchLink(ctx, s, in.URL)
	case KindUpload:
		err = c.storeUpload(s, in)
	}
	if err != nil {
		return nil, err
	}
	if s.Title == "" {
		s.Title = defaultTitle(s)
	}
	if in.Embed && s.FullText != "" {
		c.embedSource(ctx, s)
	}
	if err := c.store.CreateSource(ctx, s); err != nil {
		if s.FilePath != "" && in.File != nil {
			c.files.Remove(s.FilePath)
		}
		return nil, err
	}
	return s, nil
}

func recordID(table, id string) (string, bool) { return record.Normalize(table, id) }

// embedSource computes a new source's chunks. A failure does not lose the
// source: it is stored unembedded, with the reason in its processing info.
func (c *Sources) embedSource(ctx context.Context, s *Source) {
	chunks, err := c.vectors.Chunks(ctx, s.ID, "source", s.FullText)
	if err != nil {
		msg := "Embedding failed: the embedding model could not be called."
		if errors.Is(err, errNoEmbeddingModel) {
			msg = "Embedding failed: no default embedding model is configured. Set one in Settings → Models."
		} else if e, ok := apperr.As(err); ok && e.Code != apperr.Internal {
			msg = "Embedding failed: " + e.Message
		}
		s.ProcessingInfo = strings.TrimSpace(s.ProcessingInfo + " " + msg)
		return
	}
	s.Chunks, s.EmbeddedChunks = chunks, len(chunks)
}

func defaultTitle(s *Source) string {
	switch {
	case s.Kind == KindLink:
		return s.URL
	case s.Kind == KindUpload && s.FilePath != "":
		return filepath.Base(s.FilePath)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(s.FullText), "\n")
	return clip(strings.TrimSpace(line), 80)
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:n])) + "…"
}

// maxFetchBytes bounds a fetched page.
const maxFetchBytes = 20 << 20

func (c *Sources) fetchLink(ctx context.Context, s *Source, raw string) error {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return apperr.New(apperr.Invalid, "URL is required for link type")
	}
	if err := c.fetch.ValidateURL(ctx, raw); err != nil {
		return apperr.Wrap(apperr.Invalid, err.Error(), err)
	}
	s.URL = raw
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return apperr.Wrap(apperr.Invalid, "Invalid URL", err)
	}
	req.Header.Set("User-Agent", "open-notebook (+https://github.com/lfnovo/open-notebook)")
	req.Header.Set("Accept", "text/html,text/plain,text/markdown;q=0.9,*/*;q=0.5")
	resp, err := c.fetch.Client().Do(req)
	if err != nil {
		return apperr.Wrap(apperr.Upstream, "Could not fetch the URL: "+fetchReason(err), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return apperr.Newf(apperr.Upstream, "Could not fetch the URL: the site answered HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFetchBytes+1))
	if err != nil {
		return apperr.Wrap(apperr.Upstream, "Could not fetch the URL: "+fetchReason(err), err)
	}
	if len(body) > maxFetchBytes {
		return apperr.Newf(apperr.Upstream, "Could not fetch the URL: the page is larger than %d MB", maxFetchBytes>>20)
	}
	title, text, info := extract(resp.Header.Get("Content-Type"), raw, body)
	if s.Title == "" {
		s.Title = title
	}
	s.FullText, s.ProcessingInfo = text, info
	if text == "" {
		s.Status = "failed"
	}
	return nil
}

// fetchReason is a short, safe description of a fetch failure.
func fetchReason(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "blocked"):
		return "the address is not allowed"
	case strings.Contains(msg, "deadline") || strings.Contains(msg, "timeout"):
		return "the site did not answer in time"
	default:
		return "the site could not be reached"
	}
}

// storeUpload saves an uploaded file (or adopts one already among the
// stored files) and extracts its text.
func (c *Sources) storeUpload(s *Source, in NewSource) error {
	if in.File == nil && strings.TrimSpace(in.FilePath) == "" {
		return apperr.New(apperr.Invalid, "File upload or file_path is required for upload type")
	}
	if in.File == nil {
		rel := relative(c.files.Root(), in.FilePath)
		f, err := c.files.Open(rel)
		if err != nil {
			return apperr.New(apperr.Invalid, "Invalid file path: must be within the uploads directory")
		}
		defer f.Close()
		s.FilePath = rel
		return c.extractFile(s, f, rel)
	}
	rel, err := c.files.Create(strings.TrimPrefix(s.ID, SourceTable+":"), safeFileName(in.FileName), in.File)
	if err != nil {
		if isBodyFailure(err) {
			return err
		}
		return apperr.Wrap(apperr.Invalid, "File upload failed", err)
	}
	s.FilePath = rel
	f, err := c.files.Open(rel)
	if err != nil {
		return err
	}
	defer f.Close()
	return c.extractFile(s, f, rel)
}

// maxExtractBytes bounds the text read from an uploaded file.
const maxExtractBytes = 50 << 20

func (c *Sources) extractFile(s *Source, f io.Reader, name string) error {
	body, err := io.ReadAll(io.LimitReader(f, maxExtractBytes))
	if err != nil {
		return err
	}
	ctype := mime.TypeByExtension(strings.ToLower(filepath.Ext(name)))
	if ctype == "" {
		ctype = http.DetectContentType(body)
	}
	title, text, info := extract(ctype, name, body)
	if s.Title == "" {
		s.Title = title
	}
	s.FullText, s.ProcessingInfo = text, info
	if text == "" {
		s.Status = "failed"
	}
	return nil
}

// safeFileName keeps an uploaded file's base name, without path parts or
// characters that are awkward in file systems.
func safeFileName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || strings.ContainsRune(`<>:"/\|?*`, r) {
			return '_'
		}
		return r
	}, name)
	if name == "" || name == "." || name == ".." {
		name = "upload"
	}
	return clip(name, 120)
}

// OpenUpload opens a source's file for download.
func (c *Sources) OpenUpload(s *Source) (*os.File, error) { return c.files.Open(s.FilePath) }

// GetSource returns a source.
func (c *Sources) Get(ctx context.Context, id string) (*Source, error) {
	full, ok := record.Normalize(SourceTable, id)
	if !ok {
		return nil, errSourceNotFound
	}
	return c.store.Source(ctx, full)
}

var errSourceNotFound = apperr.New(apperr.NotFound, "Source not found")

// ErrSourceNotFound is returned by stores for a missing source.
func ErrSourceNotFound() error { return errSourceNotFound }

// ListSources lists sources.
func (c *Sources) List(ctx context.Context, f SourceFilter) ([]Source, error) {
	if f.NotebookID != "" {
		id, ok := record.Normalize(Table, f.NotebookID)
		if !ok {
			return nil, ErrNotFound
		}
		if _, err := c.books.Notebook(ctx, id); err != nil {
			return nil, err
		}
		f.NotebookID = id
	}
	return c.store.ListSources(ctx, f)
}

// ValidSortBy lists the accepted sort fields of ListSources.
func ValidSortBy() []string {
	return []string{"type", "title", "created", "updated", "insights_count", "embedded"}
}

// SourceUpdate changes a source's title or topics.
type SourceUpdate struct {
	Title  *string
	Topics *[]string
}

// UpdateSource applies u.
func (c *Sources) Update(ctx context.Context, id string, u SourceUpdate) (*Source, error) {
	s, err := c.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.Title != nil {
		if strings.TrimSpace(*u.Title) == "" {
			return nil, apperr.New(apperr.Invalid, "Title cannot be empty")
		}
		s.Title = *u.Title
	}
	if u.Topics != nil {
		s.Topics = *u.Topics
		if s.Topics == nil {
			s.Topics = []string{}
		}
	}
	s.Updated = c.now().UTC()
	if err := c.store.UpdateSource(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}

// DeleteSource deletes a source and its file.
func (c *Sources) Delete(ctx context.Context, id string) error {
	full, ok := record.Normalize(SourceTable, id)
	if !ok {
		return errSourceNotFound
	}
	path, err := c.store.DeleteSource(ctx, full)
	if err != nil {
		return err
	}
	c.files.Remove(path)
	return nil
}

// Link adds a source to a notebook (idempotent).
func (c *Sources) Link(ctx context.Context, notebookID, sourceID string) error {
	nb, ok1 := record.Normalize(Table, notebookID)
	src, ok2 := record.Normalize(SourceTable, sourceID)
	notFound := apperr.New(apperr.NotFound, "Notebook or source not found")
	if !ok1 || !ok2 {
		return notFound
	}
	if _, err := c.books.Notebook(ctx, nb); err != nil {
		return notFound
	}
	if _, err := c.store.Source(ctx, src); err != nil {
		return notFound
	}
	return c.store.LinkSource(ctx, nb, src, c.now().UTC())
}

// Unlink removes a source from a notebook.
func (c *Sources) Unlink(ctx context.Context, notebookID, sourceID string) error {
	nb, ok1 := record.Normalize(Table, notebookID)
	src, ok2 := record.Normalize(SourceTable, sourceID)
	if !ok1 || !ok2 {
		return ErrNotFound
	}
	if _, err := c.books.Notebook(ctx, nb); err != nil {
		return err
	}
	return c.store.UnlinkSource(ctx, nb, src)
}

// EmbedSource (re)embeds an existing source's text.
func (c *Sources) EmbedSource(ctx context.Context, id string) (*Source, error) {
	s, err := c.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	chunks, err := c.vectors.Chunks(ctx, s.ID, "source", s.FullText)
	if err != nil {
		return nil, err
	}
	if err := c.vectors.Replace(ctx, s.ID, chunks); err != nil {
		return nil, err
	}
	s.EmbeddedChunks = len(chunks)
	return s, nil
}

// isBodyFailure reports an upload the client cut off or stalled (the HTTP
// layer marks those errors): the client's fault, answered as such, not as
// a failed upload.
func isBodyFailure(err error) bool {
	var b interface{ RequestBody() bool }
	return errors.As(err, &b) && b.RequestBody()
}
