package notebook

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/blob"
	"github.com/open-notebook/open-notebook/internal/extract"
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
	ID       string
	Title    string
	Topics   []string
	Kind     string
	URL      string
	FilePath string // relative to the uploads directory
	FullText string
	// Status is where processing stands: new, queued, running, completed
	// or failed; CommandID is the job that processes it ("" when it was
	// processed in the request that added it).
	Status         string
	CommandID      string
	Processing     *Processing
	Created        time.Time
	Updated        time.Time
	Notebooks      []string
	EmbeddedChunks int     // chunks stored for vector search
	InsightsCount  int     // insights made of it
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
	CommandID  string // the job that embeds it, when one was queued
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
	// UpdateSource saves what a person may change: title and topics.
	UpdateSource(ctx context.Context, s *Source) error
	// SaveProcessing saves a source's status, command and processing.
	SaveProcessing(ctx context.Context, s *Source) error
	// SaveContent saves what processing produced (title, text, file) with
	// the status, in the search index too.
	SaveContent(ctx context.Context, s *Source) error
	// DeleteSource deletes a source and returns its file path, if any.
	DeleteSource(ctx context.Context, id string) (string, error)
	LinkSource(ctx context.Context, notebookID, sourceID string, at time.Time) error
	UnlinkSource(ctx context.Context, notebookID, sourceID string) error
	TouchSource(ctx context.Context, id string, at time.Time) error
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
// keeping uploaded files, extracting text (in the background, or in the
// request that adds a source when it asks to wait), and queueing the
// embedding and transformations that follow.
type Sources struct {
	store   SourceStore
	books   NotebookReader
	fetch   Fetcher
	files   Files
	vectors *Embeddings
	jobs    Jobs
	tx      Tx
	// transformations resolves the transformations a new source asks for.
	transformations TransformationStore
	// embedOption is the default_embedding_option setting: ask, always or
	// never.
	embedOption func(ctx context.Context) string
	// settings reads how links are read; engines are the hosted readers.
	settings func(ctx context.Context) LinkSettings
	engines  LinkEngines
	speech   Transcriber
	now      func() time.Time
}

// SourcesDeps are what the sources service works with.
type SourcesDeps struct {
	Store           SourceStore
	Books           NotebookReader
	Fetch           Fetcher
	Files           Files
	Vectors         *Embeddings
	Jobs            Jobs
	Tx              Tx
	Transformations TransformationStore
	EmbedOption     func(ctx context.Context) string
	LinkSettings    func(ctx context.Context) LinkSettings
	LinkEngines     LinkEngines
	Speech          Transcriber
	Now             func() time.Time
}

// NewSources returns the sources service.
func NewSources(d SourcesDeps) *Sources {
	return &Sources{store: d.Store, books: d.Books, fetch: d.Fetch, files: d.Files, vectors: d.Vectors, jobs: d.Jobs,
		tx: d.Tx, transformations: d.Transformations, embedOption: d.EmbedOption, settings: d.LinkSettings,
		engines: d.LinkEngines, speech: d.Speech, now: d.Now}
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
	Embed     bool // embed the text for vector search (when the setting says ask)
	// Transformations are the ids to run on the text; nil runs those
	// marked apply_default.
	Transformations []string
	// Async processes the source in the background and returns at once;
	// otherwise the request waits for its text.
	Async bool
	// DeleteSource removes an uploaded file once its text is extracted.
	DeleteSource bool
}

// MaxNotebooksPerSource bounds the notebooks a source is added to at once.
const MaxNotebooksPerSource = 50

// Add validates and stores a source. Async, it is processed by a job
// queued in the same transaction; otherwise its text is extracted (and
// embedded when asked) before it is stored, and its transformations are
// queued.
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
	transformations, err := c.resolveTransformations(ctx, in.Transformations)
	if err != nil {
		return nil, err
	}
	embed := c.shouldEmbed(ctx, in.Embed)
	now := c.now().UTC()
	s := &Source{ID: record.NewID(SourceTable), Kind: in.Kind, Title: strings.TrimSpace(in.Title), Topics: []string{},
		Created: now, Updated: now, Notebooks: books}
	switch in.Kind {
	case KindText:
		if strings.TrimSpace(in.Content) == "" {
			return nil, apperr.New(apperr.Invalid, "Content is required for text type")
		}
		s.FullText = strings.ReplaceAll(in.Content, "\x00", "")
	case KindLink:
		if s.URL, err = c.checkLink(ctx, in.URL); err != nil {
			return nil, err
		}
	case KindUpload:
		if err := c.storeUpload(s, in); err != nil {
			return nil, err
		}
	}
	forget := func() {
		if s.FilePath != "" && in.File != nil {
			c.files.Remove(s.FilePath)
		}
	}
	if in.Async {
		if s.Title == "" {
			s.Title = processingTitle
		}
		s.Status, s.Processing = "new", &Processing{Async: true, Queued: true}
		err := c.tx.InTx(ctx, func(ctx context.Context) error {
			var err error
			s.CommandID, err = c.jobs.Enqueue(ctx, ProcessSource{SourceID: s.ID, Transformations: transformations,
				Embed: embed, DeleteSource: in.DeleteSource})
			if err != nil {
				return err
			}
			return c.store.CreateSource(ctx, s)
		})
		if err != nil {
			forget()
			return nil, err
		}
		return s, nil
	}
	started := now
	s.Processing = &Processing{StartedAt: &started}
	if err := c.extract(ctx, s); err != nil {
		forget()
		return nil, err
	}
	c.finish(s)
	if embed && s.FullText != "" {
		c.embedSource(ctx, s)
	}
	err = c.tx.InTx(ctx, func(ctx context.Context) error {
		if err := c.store.CreateSource(ctx, s); err != nil {
			return err
		}
		return c.queueTransformations(ctx, s, transformations, "add:"+s.ID)
	})
	if err != nil {
		forget()
		return nil, err
	}
	if in.DeleteSource {
		c.deleteUpload(ctx, s)
	}
	return s, nil
}

// processingTitle is the original's title for a source whose text has not
// been read yet; processing replaces it.
const processingTitle = "Processing..."

// shouldEmbed applies the default_embedding_option setting: always and
// never override what a request asks for.
func (c *Sources) shouldEmbed(ctx context.Context, asked bool) bool {
	if c.embedOption == nil {
		return asked
	}
	switch c.embedOption(ctx) {
	case "always":
		return true
	case "never":
		return false
	}
	return asked
}

// resolveTransformations checks the transformations a source asks for;
// nil (a client that sent no list) means those marked apply_default.
// Repeats are dropped.
func (c *Sources) resolveTransformations(ctx context.Context, ids []string) ([]string, error) {
	if c.transformations == nil {
		return nil, nil
	}
	if ids == nil {
		all, err := c.transformations.ListTransformations(ctx)
		if err != nil {
			return nil, err
		}
		out := []string{}
		for _, t := range all {
			if t.ApplyDefault {
				out = append(out, t.ID)
			}
		}
		return out, nil
	}
	if len(ids) > MaxTransformationsPerSource {
		return nil, apperr.Newf(apperr.Invalid, "A source can ask for at most %d transformations", MaxTransformationsPerSource)
	}
	out := []string{}
	for _, id := range ids {
		full, ok := recordID(TransformationTable, id)
		if ok {
			_, err := c.transformations.Transformation(ctx, full)
			if err != nil && !apperr.IsNotFound(err) {
				return nil, err
			}
			ok = err == nil
		}
		if !ok {
			return nil, apperr.Newf(apperr.NotFound, "Transformation %s not found", id)
		}
		if !slices.Contains(out, full) {
			out = append(out, full)
		}
	}
	return out, nil
}

// MaxTransformationsPerSource bounds what one source asks for at once.
const MaxTransformationsPerSource = 50

// queueTransformations queues one transformation job per id, keyed by
// trigger so a retried caller does not run one twice.
func (c *Sources) queueTransformations(ctx context.Context, s *Source, ids []string, trigger string) error {
	if s.FullText == "" {
		return nil
	}
	for _, id := range ids {
		if _, err := c.jobs.Enqueue(ctx, RunTransformation{SourceID: s.ID, TransformationID: id, Trigger: trigger}); err != nil {
			return err
		}
	}
	return nil
}

// extract reads a link's or an upload's text into s.
func (c *Sources) extract(ctx context.Context, s *Source) error {
	switch s.Kind {
	case KindLink:
		return c.fetchLink(ctx, s)
	case KindUpload:
		f, err := c.files.Open(s.FilePath)
		if err != nil {
			return Permanent(apperr.New(apperr.Invalid, "The uploaded file is no longer there"))
		}
		defer f.Close()
		return c.extractFile(ctx, s, f, s.FilePath)
	}
	return nil
}

// finish sets what follows extraction: the title, and the status.
func (c *Sources) finish(s *Source) {
	if s.Title == "" || s.Title == processingTitle {
		s.Title = defaultTitle(s)
	}
	done := c.now().UTC()
	if s.Processing == nil {
		s.Processing = &Processing{}
	}
	s.Processing.CompletedAt, s.Processing.Stage, s.Processing.Progress = &done, "", nil
	s.Processing.Async, s.Processing.Queued, s.Processing.Retry = false, false, false
	s.Status = "completed"
	if s.FullText == "" {
		s.Status = "failed"
		if s.Processing.Error == "" {
			s.Processing.Error = s.Processing.Note
			if s.Processing.Error == "" {
				s.Processing.Error = "The document contains no text."
			}
			s.Processing.Note = ""
		}
	}
}

// Process is the process_source job: it extracts the source's text, saves
// it, and queues the embedding and transformations, in one transaction.
// Running it again redoes the extraction and queues nothing twice.
func (c *Sources) Process(ctx context.Context, a ProcessSource, rep Reporter) error {
	s, err := c.store.Source(ctx, a.SourceID)
	if apperr.IsNotFound(err) {
		return Permanent(apperr.Newf(apperr.NotFound, "Source %s no longer exists", a.SourceID))
	}
	if err != nil {
		return err
	}
	started := c.now().UTC()
	s.Status, s.CommandID = "running", rep.ID()
	s.Processing = &Processing{StartedAt: &started, Stage: "extracting", Progress: percent(10)}
	if err := c.store.SaveProcessing(ctx, s); err != nil {
		return err
	}
	rep.Progress("extracting", 0, 2)
	if err := c.extract(ctx, s); err != nil {
		return c.failed(ctx, s, err, rep)
	}
	c.finish(s)
	if s.Status == "failed" {
		return c.failed(ctx, s, Permanent(apperr.New(apperr.Invalid, s.Processing.Error)), rep)
	}
	rep.Progress("saving", 1, 2)
	embedded := a.Embed && s.FullText != ""
	if embedded {
		if ok, err := c.vectors.Available(ctx); err != nil {
			return err
		} else if !ok {
			embedded = false
			s.Processing.Note = "Not embedded: no default embedding model is configured. Set one in Settings → Models, then embed the source again."
		}
	}
	err = c.tx.InTx(ctx, func(ctx context.Context) error {
		if err := c.store.SaveContent(ctx, s); err != nil {
			return err
		}
		if embedded {
			if _, err := c.jobs.Enqueue(ctx, EmbedSource{SourceID: s.ID}); err != nil {
				return err
			}
		}
		return c.queueTransformations(ctx, s, a.Transformations, rep.ID())
	})
	if apperr.IsNotFound(err) {
		return Permanent(apperr.Newf(apperr.NotFound, "Source %s was deleted while it was processed", a.SourceID))
	}
	if err != nil {
		return err
	}
	if a.DeleteSource {
		c.deleteUpload(ctx, s)
	}
	rep.Progress("done", 2, 2)
	rep.Result(map[string]any{"success": true, "source_id": s.ID, "embedding_queued": embedded,
		"transformations_queued": len(a.Transformations)})
	return nil
}

func percent(p float64) *float64 { return &p }

// failed records a failed attempt on the source: failed for good when the
// error is permanent or no attempt follows, else queued for the retry.
func (c *Sources) failed(ctx context.Context, s *Source, cause error, rep Reporter) error {
	if e, ok := apperr.As(cause); ok && (e.Code == apperr.Invalid || e.Code == apperr.Unsupported || e.Code == apperr.NotFound) {
		cause = Permanent(cause)
	}
	s.Status = "queued"
	if IsPermanent(cause) || rep.Final() {
		s.Status = "failed"
	}
	s.Processing.Stage, s.Processing.Error = "", userMessage(cause)
	if s.Title == processingTitle {
		s.Title = defaultTitle(s) // the file or link it came from
	}
	if err := c.store.SaveContent(ctx, s); err != nil && !apperr.IsNotFound(err) {
		return err
	}
	return cause
}

// deleteUpload removes an uploaded file whose text has been read, as the
// request asked.
func (c *Sources) deleteUpload(ctx context.Context, s *Source) {
	if s.Kind != KindUpload || s.FilePath == "" {
		return
	}
	c.files.Remove(s.FilePath)
	s.FilePath = ""
	_ = c.store.SaveContent(ctx, s)
}

// Retry processes a source again in the background: its text is read
// anew, and it is embedded. A source being processed is refused.
func (c *Sources) Retry(ctx context.Context, id string) (*Source, error) {
	s, err := c.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	switch s.Status {
	case "new", "queued", "running":
		return nil, apperr.New(apperr.Invalid, "Source is already processing. Cannot retry while processing is active.")
	}
	if s.Kind == KindText && s.FullText == "" {
		return nil, apperr.New(apperr.Invalid, "Cannot determine source content for retry")
	}
	if s.Kind == KindUpload && s.FilePath == "" {
		return nil, apperr.New(apperr.Invalid, "Source asset has no file_path or url")
	}
	s.Status, s.Processing = "queued", &Processing{Retry: true, Queued: true}
	err = c.tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		if s.CommandID, err = c.jobs.Enqueue(ctx, ProcessSource{SourceID: s.ID, Transformations: []string{}, Embed: true}); err != nil {
			return err
		}
		return c.store.SaveProcessing(ctx, s)
	})
	if err != nil {
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
		if s.Processing == nil {
			s.Processing = &Processing{}
		}
		s.Processing.Note = strings.TrimSpace(s.Processing.Note + " " + msg)
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

// checkLink validates a link before anything is stored.
func (c *Sources) checkLink(ctx context.Context, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", apperr.New(apperr.Invalid, "URL is required for link type")
	}
	if err := c.fetch.ValidateURL(ctx, raw); err != nil {
		return "", apperr.Wrap(apperr.Invalid, err.Error(), err)
	}
	return raw, nil
}

// setText records an extraction's outcome on s.
func (c *Sources) setText(s *Source, title, text, info string) {
	if s.Title == "" || s.Title == processingTitle {
		s.Title = title
	}
	s.FullText = text
	if s.Processing == nil {
		s.Processing = &Processing{}
	}
	s.Processing.Note = info
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
// stored files); its text is read when the source is processed.
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
		f.Close()
		s.FilePath = rel
		return nil
	}
	// Video no code here can read is refused now, with the reason, rather
	// than stored only to fail in the background.
	file := bufio.NewReaderSize(in.File, extract.HeadSize)
	head, err := file.Peek(extract.HeadSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		if isBodyFailure(err) {
			return err
		}
		return apperr.Wrap(apperr.Invalid, "File upload failed", err)
	}
	if err := extract.RefuseMedia(head); err != nil {
		f, _ := extract.AsFailure(err)
		return apperr.New(apperr.Unsupported, f.Reason)
	}
	rel, err := c.files.Create(strings.TrimPrefix(s.ID, SourceTable+":"), safeFileName(in.FileName), file)
	if err != nil {
		if isBodyFailure(err) {
			return err
		}
		return apperr.Wrap(apperr.Invalid, "File upload failed", err)
	}
	s.FilePath = rel
	return nil
}

func (c *Sources) extractFile(ctx context.Context, s *Source, f io.Reader, name string) error {
	body, err := readFile(f)
	if errors.Is(err, errFileTooLarge) {
		c.setText(s, "", "", fmt.Sprintf("The file is larger than the %d MB this server reads; it is stored and can be downloaded.", extract.DefaultLimits.Input>>20))
		return nil
	}
	if err != nil {
		return err
	}
	return c.readDocument(ctx, s, body, name, typeByName(name))
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
func (c *Sources) OpenUpload(s *Source) (blob.File, error) { return c.files.Open(s.FilePath) }

// GetSource returns a source.
func (c *Sources) Get(ctx context.Context, id string) (*Source, error) {
	full, ok := record.Normalize(SourceTable, id)
	if !ok {
		return nil, errSourceNotFound
	}
	return c.store.Source(ctx, full)
}

// View returns a source someone opened, recording when (for the recently
// viewed list).
func (c *Sources) View(ctx context.Context, id string) (*Source, error) {
	full, ok := record.Normalize(SourceTable, id)
	if !ok {
		return nil, errSourceNotFound
	}
	if err := c.store.TouchSource(ctx, full, c.now().UTC()); err != nil {
		return nil, err
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
