package notebook

import (
	"context"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/record"
)

var errNoteNotFound = apperr.New(apperr.NotFound, "Note not found")

// ErrNoteNotFound is returned by stores for a missing note.
func ErrNoteNotFound() error { return errNoteNotFound }

func validNoteType(t string) error {
	if t != "human" && t != "ai" {
		return apperr.New(apperr.Invalid, "note_type must be 'human' or 'ai'")
	}
	return nil
}

// NoteStore persists notes. A missing id is an apperr NotFound error.
type NoteStore interface {
	CreateNote(ctx context.Context, n *Note) error
	Note(ctx context.Context, id string) (*Note, error)
	ListNotes(ctx context.Context, notebookID string) ([]Note, error)
	UpdateNote(ctx context.Context, n *Note) error
	DeleteNote(ctx context.Context, id string) error
}

// Notes manages notes. A note is embedded, in the background, whenever an
// embedding model is configured.
type Notes struct {
	store   NoteStore
	books   NotebookReader
	vectors *Embeddings
	jobs    Jobs
	tx      Tx
	now     func() time.Time
}

// NewNotes returns the notes service.
func NewNotes(store NoteStore, books NotebookReader, vectors *Embeddings, jobs Jobs, tx Tx, now func() time.Time) *Notes {
	return &Notes{store: store, books: books, vectors: vectors, jobs: jobs, tx: tx, now: now}
}

// save stores a note with the command that embeds it, in one transaction.
func (c *Notes) save(ctx context.Context, n *Note, store func(ctx context.Context, n *Note) error) error {
	return c.tx.InTx(ctx, func(ctx context.Context) error {
		if err := store(ctx, n); err != nil {
			return err
		}
		ok, err := c.vectors.Available(ctx)
		if err != nil || !ok {
			return err
		}
		n.CommandID, err = c.jobs.Enqueue(ctx, EmbedNote{NoteID: n.ID})
		return err
	})
}

// NewNote is a request to create a note.
type NewNote struct {
	Title      string
	Content    string
	NoteType   string // "" means "human"
	NotebookID string // "" for a note outside any notebook
}

// AddNote validates and stores a note. An AI note without a title gets
// one from its first line, as the original gives it a generated title.
func (c *Notes) Add(ctx context.Context, in NewNote) (*Note, error) {
	if in.NoteType == "" {
		in.NoteType = "human"
	}
	if err := validNoteType(in.NoteType); err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Content) == "" {
		return nil, apperr.New(apperr.Invalid, "Note content cannot be empty")
	}
	n := &Note{ID: record.NewID(NoteTable), Title: strings.TrimSpace(in.Title), Content: in.Content, NoteType: in.NoteType}
	if in.NotebookID != "" {
		id, ok := record.Normalize(Table, in.NotebookID)
		if !ok {
			return nil, ErrNotFound
		}
		if _, err := c.books.Notebook(ctx, id); err != nil {
			return nil, err
		}
		n.NotebookID = id
	}
	if n.Title == "" && n.NoteType == "ai" {
		line, _, _ := strings.Cut(strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(in.Content), "# ")), "\n")
		n.Title = clip(strings.TrimSpace(line), 80)
	}
	n.Created = c.now().UTC()
	n.Updated = n.Created
	if err := c.save(ctx, n, c.store.CreateNote); err != nil {
		return nil, err
	}
	return n, nil
}

// GetNote returns a note.
func (c *Notes) Get(ctx context.Context, id string) (*Note, error) {
	full, ok := record.Normalize(NoteTable, id)
	if !ok {
		return nil, errNoteNotFound
	}
	return c.store.Note(ctx, full)
}

// ListNotes lists the notes of a notebook, or all notes.
func (c *Notes) List(ctx context.Context, notebookID string) ([]Note, error) {
	if notebookID != "" {
		id, ok := record.Normalize(Table, notebookID)
		if !ok {
			return nil, ErrNotFound
		}
		if _, err := c.books.Notebook(ctx, id); err != nil {
			return nil, err
		}
		notebookID = id
	}
	return c.store.ListNotes(ctx, notebookID)
}

// NoteUpdate changes a note; nil fields are kept.
type NoteUpdate struct {
	Title    *string
	Content  *string
	NoteType *string
}

// UpdateNote applies u.
func (c *Notes) Update(ctx context.Context, id string, u NoteUpdate) (*Note, error) {
	n, err := c.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.NoteType != nil {
		if err := validNoteType(*u.NoteType); err != nil {
			return nil, err
		}
		n.NoteType = *u.NoteType
	}
	if u.Content != nil {
		if strings.TrimSpace(*u.Content) == "" {
			return nil, apperr.New(apperr.Invalid, "Note content cannot be empty")
		}
		n.Content = *u.Content
	}
	if u.Title != nil {
		n.Title = *u.Title
	}
	n.Updated = c.now().UTC()
	if err := c.save(ctx, n, c.store.UpdateNote); err != nil {
		return nil, err
	}
	return n, nil
}

// DeleteNote deletes a note.
func (c *Notes) Delete(ctx context.Context, id string) error {
	full, ok := record.Normalize(NoteTable, id)
	if !ok {
		return errNoteNotFound
	}
	return c.store.DeleteNote(ctx, full)
}
