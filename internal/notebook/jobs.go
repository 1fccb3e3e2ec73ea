package notebook

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Jobs queues background work. A job enqueued with the context of a store
// transaction (InTx) is part of it: it exists exactly when the change it
// serves does.
type Jobs interface {
	Enqueue(ctx context.Context, args JobArgs) (id string, err error)
}

// Tx runs a function in one store transaction.
type Tx interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// JobArgs are a job's arguments: ids, never secrets or content.
type JobArgs interface{ Kind() string }

// Reporter is how a running job reports its progress and result.
type Reporter interface {
	Progress(stage string, done, total int)
	Result(v any)
	ID() string
	Attempt() int
	Final() bool
}

// ProcessSource extracts a source's text, then queues its embedding and
// transformations.
type ProcessSource struct {
	SourceID        string   `json:"source_id"`
	Transformations []string `json:"transformations"`
	Embed           bool     `json:"embed"`
	// DeleteSource removes the uploaded file once its text is extracted.
	DeleteSource bool `json:"delete_source,omitempty"`
}

// Kind names the job.
func (ProcessSource) Kind() string { return "process_source" }

// RunTransformation makes an insight of a source with a transformation.
// Trigger (the job or request that asked for it) keeps one request from
// producing two insights when its job is retried.
type RunTransformation struct {
	SourceID         string `json:"source_id"`
	TransformationID string `json:"transformation_id"`
	Trigger          string `json:"trigger"`
}

// Kind names the job.
func (RunTransformation) Kind() string { return "run_transformation" }

// EmbedSource embeds a source's text.
type EmbedSource struct {
	SourceID string `json:"source_id"`
}

// Kind names the job.
func (EmbedSource) Kind() string { return "embed_source" }

// EmbedNote embeds a note.
type EmbedNote struct {
	NoteID string `json:"note_id"`
}

// Kind names the job.
func (EmbedNote) Kind() string { return "embed_note" }

// EmbedInsight embeds an insight.
type EmbedInsight struct {
	InsightID string `json:"insight_id"`
}

// Kind names the job.
func (EmbedInsight) Kind() string { return "embed_insight" }

// RebuildEmbeddings embeds again what has been embedded ("existing") or
// everything that has text ("all"), with the current embedding model.
type RebuildEmbeddings struct {
	Mode            string `json:"mode"`
	IncludeSources  bool   `json:"include_sources"`
	IncludeNotes    bool   `json:"include_notes"`
	IncludeInsights bool   `json:"include_insights"`
}

// Kind names the job.
func (RebuildEmbeddings) Kind() string { return "rebuild_embeddings" }

// Processing is where a source's processing stands, as the source shows
// it (stored with the source as JSON).
type Processing struct {
	Async       bool       `json:"async,omitempty"`
	Queued      bool       `json:"queued,omitempty"`
	Retry       bool       `json:"retry,omitempty"`
	Stage       string     `json:"stage,omitempty"`
	Progress    *float64   `json:"progress,omitempty"` // 0 to 100
	StartedAt   *time.Time `json:"started_at,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	Error       string     `json:"error,omitempty"`
	// Note explains an outcome that is not an error (no text in the
	// document, embedding skipped).
	Note string `json:"note,omitempty"`
}

// ParseProcessing reads stored processing information; older rows hold a
// plain sentence, which becomes the note.
func ParseProcessing(raw string) *Processing {
	if raw == "" {
		return nil
	}
	var p Processing
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return &Processing{Note: raw}
	}
	return &p
}

// String stores the processing information.
func (p *Processing) String() string {
	if p == nil {
		return ""
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// permanentError is a failure no retry can fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as a failure no retry can fix: the job that meets it
// ends failed at once.
func Permanent(err error) error {
	if err == nil || IsPermanent(err) {
		return err
	}
	return permanentError{err}
}

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}
