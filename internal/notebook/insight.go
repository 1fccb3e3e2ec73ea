package notebook

import (
	"context"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/record"
)

// InsightTable is the id prefix of insights.
const InsightTable = "source_insight"

// Insight is what a transformation made of a source.
type Insight struct {
	ID               string
	SourceID         string
	TransformationID string // "" once the transformation is deleted
	Type             string // the transformation's title
	Content          string
	Created          time.Time
	Updated          time.Time
}

// InsightStore persists insights. A missing id is an apperr NotFound
// error.
type InsightStore interface {
	// CreateInsight stores an insight unless one with its id exists, and
	// reports whether it did.
	CreateInsight(ctx context.Context, in *Insight) (bool, error)
	Insight(ctx context.Context, id string) (*Insight, error)
	// SourceInsights returns a source's insights, oldest first.
	SourceInsights(ctx context.Context, sourceID string) ([]Insight, error)
	DeleteInsight(ctx context.Context, id string) error
}

// Insights reads, removes and requests insights, and saves them as notes.
type Insights struct {
	store           InsightStore
	sources         SourceStore
	transformations TransformationStore
	notes           *Notes
	jobs            Jobs
}

// NewInsights returns the insights service.
func NewInsights(store InsightStore, sources SourceStore, transformations TransformationStore, notes *Notes, jobs Jobs) *Insights {
	return &Insights{store: store, sources: sources, transformations: transformations, notes: notes, jobs: jobs}
}

var errInsightNotFound = apperr.New(apperr.NotFound, "Insight not found")

// ErrInsightNotFound is returned by stores for a missing insight.
func ErrInsightNotFound() error { return errInsightNotFound }

func (s *Insights) source(ctx context.Context, id string) (*Source, error) {
	full, ok := record.Normalize(SourceTable, id)
	if !ok {
		return nil, errSourceNotFound
	}
	return s.sources.Source(ctx, full)
}

// List returns a source's insights.
func (s *Insights) List(ctx context.Context, sourceID string) ([]Insight, error) {
	src, err := s.source(ctx, sourceID)
	if err != nil {
		return nil, err
	}
	return s.store.SourceInsights(ctx, src.ID)
}

// Get returns one insight.
func (s *Insights) Get(ctx context.Context, id string) (*Insight, error) {
	full, ok := record.Normalize(InsightTable, id)
	if !ok {
		return nil, errInsightNotFound
	}
	return s.store.Insight(ctx, full)
}

// Delete removes an insight (and its embedding).
func (s *Insights) Delete(ctx context.Context, id string) error {
	full, ok := record.Normalize(InsightTable, id)
	if !ok {
		return errInsightNotFound
	}
	return s.store.DeleteInsight(ctx, full)
}

// Generate queues a transformation of a source, which makes an insight.
// It returns the job's id.
func (s *Insights) Generate(ctx context.Context, sourceID, transformationID string) (src *Source, tr *Transformation, jobID string, err error) {
	if src, err = s.source(ctx, sourceID); err != nil {
		return nil, nil, "", err
	}
	full, ok := record.Normalize(TransformationTable, transformationID)
	if !ok {
		return nil, nil, "", errTransformationNotFound
	}
	if tr, err = s.transformations.Transformation(ctx, full); err != nil {
		return nil, nil, "", err
	}
	if strings.TrimSpace(src.FullText) == "" {
		return nil, nil, "", apperr.New(apperr.Invalid, "The source has no text to transform yet")
	}
	jobID, err = s.jobs.Enqueue(ctx, RunTransformation{SourceID: src.ID, TransformationID: tr.ID,
		Trigger: "request:" + record.NewID("r")})
	return src, tr, jobID, err
}

// SaveAsNote copies an insight into a note, in a notebook when one is
// given; the notebook is checked first, so nothing is left half-made.
func (s *Insights) SaveAsNote(ctx context.Context, id, notebookID string) (*Note, error) {
	in, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	title := in.Type
	if src, err := s.sources.Source(ctx, in.SourceID); err == nil {
		title = in.Type + " from source " + src.Title
	}
	return s.notes.Add(ctx, NewNote{Title: clip(title, 200), Content: in.Content, NoteType: "ai", NotebookID: notebookID})
}
