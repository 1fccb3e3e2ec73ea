// Package notebook owns notebooks: their type, validation, and the storage
// interface the database adapter implements.
package notebook

import (
	"context"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/record"
)

// Table is the id prefix of notebooks.
const Table = "notebook"

// Notebook is a collection of sources and notes.
type Notebook struct {
	ID           string
	Name         string
	Description  string
	Archived     bool
	Created      time.Time
	Updated      time.Time
	LastViewedAt *time.Time
	SourceCount  int
	NoteCount    int
}

// Order is a validated sort order for listing.
type Order struct {
	Field string // "name", "created" or "updated"
	Desc  bool
}

// ListFilter selects notebooks.
type ListFilter struct {
	Archived *bool // nil: both
	Order    Order
}

// Deleted reports what deleting a notebook removed. Chat sessions do not
// exist in this server, so that count is always zero.
type Deleted struct {
	Notes          int
	Sources        int
	UnlinkedSource int
	ChatSessions   int
}

// Store persists notebooks. Methods return an apperr NotFound error for a
// missing id.
type Store interface {
	CreateNotebook(ctx context.Context, n *Notebook) error
	Notebook(ctx context.Context, id string) (*Notebook, error)
	ListNotebooks(ctx context.Context, f ListFilter) ([]Notebook, error)
	UpdateNotebook(ctx context.Context, n *Notebook) error
	TouchNotebook(ctx context.Context, id string, at time.Time) error
	// RecentlyViewed returns up to limit notebooks and sources, the most
	// recently viewed first.
	RecentlyViewed(ctx context.Context, limit int) ([]Viewed, error)
	DeletePreview(ctx context.Context, notebookID string) (Preview, error)
	// DeleteNotebookContent deletes a notebook with its notes, unlinking its
	// sources and deleting those linked to no other notebook when
	// exclusive is true. It returns the files of deleted sources.
	DeleteNotebookContent(ctx context.Context, notebookID string, exclusive bool) (Deleted, []string, error)
}

// Service applies the rules of notebooks over a Store.
type Service struct {
	store Store
	files Files
	now   func() time.Time
}

// NewService returns a Service. Deleting a notebook's exclusive sources
// removes their files from files; now is the clock.
func NewService(s Store, files Files, now func() time.Time) *Service {
	return &Service{store: s, files: files, now: now}
}

// DeletePreview reports what deleting a notebook would remove.
func (s *Service) DeletePreview(ctx context.Context, id string) (Preview, error) {
	full, err := normalize(id)
	if err != nil {
		return Preview{}, err
	}
	return s.store.DeletePreview(ctx, full)
}

// Delete deletes a notebook with its notes; its sources are unlinked, and
// deleted when exclusive is set and no other notebook has them.
func (s *Service) Delete(ctx context.Context, id string, exclusive bool) (Deleted, error) {
	full, err := normalize(id)
	if err != nil {
		return Deleted{}, err
	}
	d, files, err := s.store.DeleteNotebookContent(ctx, full, exclusive)
	if err != nil {
		return Deleted{}, err
	}
	s.files.Remove(files...)
	return d, nil
}

// ParseOrder parses the original's order_by: a field and an optional
// direction, "updated desc" by default.
func ParseOrder(s string) (Order, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Order{Field: "updated", Desc: true}, nil
	}
	parts := strings.Fields(s)
	field := strings.ToLower(parts[0])
	switch field {
	case "name", "created", "updated":
	default:
		return Order{}, apperr.Newf(apperr.Invalid, "Invalid order_by field: '%s'. Allowed fields: created, name, updated", parts[0])
	}
	o := Order{Field: field}
	if len(parts) > 2 {
		return Order{}, apperr.Newf(apperr.Invalid, "Invalid order_by value: '%s'. Use '<field> [asc|desc]'", s)
	}
	if len(parts) == 2 {
		switch strings.ToLower(parts[1]) {
		case "asc":
		case "desc":
			o.Desc = true
		default:
			return Order{}, apperr.Newf(apperr.Invalid, "Invalid order_by direction: '%s'. Must be 'asc' or 'desc'", parts[1])
		}
	}
	return o, nil
}

// Create validates and stores a new notebook.
func (s *Service) Create(ctx context.Context, name, description string) (*Notebook, error) {
	if strings.TrimSpace(name) == "" {
		return nil, apperr.New(apperr.Invalid, "Notebook name cannot be empty")
	}
	now := s.now().UTC()
	n := &Notebook{ID: record.NewID(Table), Name: name, Description: description, Created: now, Updated: now}
	if err := s.store.CreateNotebook(ctx, n); err != nil {
		return nil, err
	}
	return n, nil
}

// Get returns a notebook and records that it was viewed.
func (s *Service) Get(ctx context.Context, id string) (*Notebook, error) {
	id, err := normalize(id)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	if err := s.store.TouchNotebook(ctx, id, now); err != nil {
		return nil, err
	}
	return s.store.Notebook(ctx, id)
}

// Viewed is a notebook or source someone opened.
type Viewed struct {
	Type  string // "notebook" or "source"
	ID    string
	Title string
	At    time.Time
}

// RecentlyViewed returns what was opened last, notebooks and sources
// together, newest first.
func (s *Service) RecentlyViewed(ctx context.Context, limit int) ([]Viewed, error) {
	list, err := s.store.RecentlyViewed(ctx, limit)
	for i := range list {
		if strings.TrimSpace(list[i].Title) == "" {
			list[i].Title = "Untitled " + list[i].Type
		}
	}
	return list, err
}

// List returns notebooks matching f.
func (s *Service) List(ctx context.Context, f ListFilter) ([]Notebook, error) {
	return s.store.ListNotebooks(ctx, f)
}

// Update is a partial update: nil fields are kept, as in the original.
type Update struct {
	Name        *string
	Description *string
	Archived    *bool
}

// Update applies u to the notebook id.
func (s *Service) Update(ctx context.Context, id string, u Update) (*Notebook, error) {
	id, err := normalize(id)
	if err != nil {
		return nil, err
	}
	if u.Name != nil && strings.TrimSpace(*u.Name) == "" {
		return nil, apperr.New(apperr.Invalid, "Notebook name cannot be empty")
	}
	n, err := s.store.Notebook(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.Name != nil {
		n.Name = *u.Name
	}
	if u.Description != nil {
		n.Description = *u.Description
	}
	if u.Archived != nil {
		n.Archived = *u.Archived
	}
	n.Updated = s.now().UTC()
	if err := s.store.UpdateNotebook(ctx, n); err != nil {
		return nil, err
	}
	return n, nil
}

func normalize(id string) (string, error) {
	full, ok := record.Normalize(Table, id)
	if !ok {
		return "", apperr.New(apperr.NotFound, "Notebook not found")
	}
	return full, nil
}

// ErrNotFound is the error stores return for a missing notebook.
var ErrNotFound = apperr.New(apperr.NotFound, "Notebook not found")
