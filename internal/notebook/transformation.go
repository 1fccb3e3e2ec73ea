package notebook

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/record"
)

// TransformationTable is the id prefix of transformations.
const TransformationTable = "transformation"

// Transformation is a prompt that turns a source's text into an insight,
// titled Title (the insight's type).
type Transformation struct {
	ID           string
	Name         string
	Title        string
	Description  string
	Prompt       string
	ApplyDefault bool   // run on every new source that does not choose
	ModelID      string // "" uses the default transformation model
	Created      time.Time
	Updated      time.Time
}

// TransformationStore persists transformations and the default prompt.
// A missing id is an apperr NotFound error.
type TransformationStore interface {
	CreateTransformation(ctx context.Context, t *Transformation) error
	Transformation(ctx context.Context, id string) (*Transformation, error)
	// ListTransformations returns every transformation ordered by name.
	ListTransformations(ctx context.Context) ([]Transformation, error)
	UpdateTransformation(ctx context.Context, t *Transformation) error
	DeleteTransformation(ctx context.Context, id string) error
	DefaultPrompt(ctx context.Context) (string, error)
	SetDefaultPrompt(ctx context.Context, instructions string) error
}

// ModelChecker tells whether a model id names a language model.
type ModelChecker interface {
	LanguageModel(ctx context.Context, id string) (bool, error)
}

// Transformations manages transformations and runs them: on a source, as
// a job that makes an insight, or on any text (the playground).
type Transformations struct {
	store    TransformationStore
	sources  SourceStore
	insights InsightStore
	chat     Chatter
	jobs     Jobs
	tx       Tx
	vectors  *Embeddings
	now      func() time.Time
}

// TransformationsDeps are what the transformations service works with.
type TransformationsDeps struct {
	Store    TransformationStore
	Sources  SourceStore
	Insights InsightStore
	Chat     Chatter
	Jobs     Jobs
	Tx       Tx
	Vectors  *Embeddings
	Now      func() time.Time
}

// NewTransformations returns the transformations service.
func NewTransformations(d TransformationsDeps) *Transformations {
	return &Transformations{store: d.Store, sources: d.Sources, insights: d.Insights, chat: d.Chat, jobs: d.Jobs,
		tx: d.Tx, vectors: d.Vectors, now: d.Now}
}

var errTransformationNotFound = apperr.New(apperr.NotFound, "Transformation not found")

// ErrTransformationNotFound is returned by stores for a missing
// transformation.
func ErrTransformationNotFound() error { return errTransformationNotFound }

// List returns every transformation, by name.
func (t *Transformations) List(ctx context.Context) ([]Transformation, error) {
	return t.store.ListTransformations(ctx)
}

// Get returns one transformation.
func (t *Transformations) Get(ctx context.Context, id string) (*Transformation, error) {
	full, ok := record.Normalize(TransformationTable, id)
	if !ok {
		return nil, errTransformationNotFound
	}
	return t.store.Transformation(ctx, full)
}

// TransformationInput creates or changes a transformation; for a change,
// nil fields are kept, and ModelID is applied only when SetModel is true
// ("" clears it).
type TransformationInput struct {
	Name, Title, Description, Prompt *string
	ApplyDefault                     *bool
	ModelID                          string
	SetModel                         bool
}

// Limits on a transformation's fields.
const (
	maxTransformationName   = 200
	maxTransformationPrompt = 50_000
)

func (in TransformationInput) check(creating bool) error {
	for _, f := range []struct {
		name  string
		v     *string
		limit int
	}{
		{"name", in.Name, maxTransformationName}, {"title", in.Title, maxTransformationName},
		{"description", in.Description, maxTransformationPrompt}, {"prompt", in.Prompt, maxTransformationPrompt},
	} {
		if f.v == nil {
			if creating {
				return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", f.name}, Type: "missing", Msg: "Field required"})
			}
			continue
		}
		if strings.TrimSpace(*f.v) == "" && f.name != "description" {
			return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", f.name}, Type: "string_too_short",
				Msg: "String should have at least 1 character", Input: *f.v})
		}
		if utf8.RuneCountInString(*f.v) > f.limit {
			return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", f.name}, Type: "string_too_long",
				Msg: "String should have at most " + itoa(f.limit) + " characters"})
		}
	}
	return nil
}

func (t *Transformations) checkModel(ctx context.Context, id string) (string, error) {
	if id == "" {
		return "", nil
	}
	full, ok := record.Normalize("model", id)
	if ok {
		lm, err := t.chat.LanguageModel(ctx, full)
		if err != nil {
			return "", err
		}
		ok = lm
	}
	if !ok {
		return "", apperr.Newf(apperr.NotFound, "Model %s not found", id)
	}
	return full, nil
}

// Create stores a new transformation.
func (t *Transformations) Create(ctx context.Context, in TransformationInput) (*Transformation, error) {
	if err := in.check(true); err != nil {
		return nil, err
	}
	model, err := t.checkModel(ctx, in.ModelID)
	if err != nil {
		return nil, err
	}
	now := t.now().UTC()
	tr := &Transformation{ID: record.NewID(TransformationTable), Name: strings.TrimSpace(*in.Name), Title: strings.TrimSpace(*in.Title),
		Description: *in.Description, Prompt: *in.Prompt, ModelID: model, Created: now, Updated: now}
	if in.ApplyDefault != nil {
		tr.ApplyDefault = *in.ApplyDefault
	}
	if err := t.store.CreateTransformation(ctx, tr); err != nil {
		return nil, err
	}
	return tr, nil
}

// Update changes a transformation.
func (t *Transformations) Update(ctx context.Context, id string, in TransformationInput) (*Transformation, error) {
	if err := in.check(false); err != nil {
		return nil, err
	}
	tr, err := t.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	set := func(dst *string, v *string, trim bool) {
		if v != nil {
			*dst = *v
			if trim {
				*dst = strings.TrimSpace(*v)
			}
		}
	}
	set(&tr.Name, in.Name, true)
	set(&tr.Title, in.Title, true)
	set(&tr.Description, in.Description, false)
	set(&tr.Prompt, in.Prompt, false)
	if in.ApplyDefault != nil {
		tr.ApplyDefault = *in.ApplyDefault
	}
	if in.SetModel {
		if tr.ModelID, err = t.checkModel(ctx, in.ModelID); err != nil {
			return nil, err
		}
	}
	tr.Updated = t.now().UTC()
	if err := t.store.UpdateTransformation(ctx, tr); err != nil {
		return nil, err
	}
	return tr, nil
}

// Delete removes a transformation; the insights it made stay.
func (t *Transformations) Delete(ctx context.Context, id string) error {
	full, ok := record.Normalize(TransformationTable, id)
	if !ok {
		return errTransformationNotFound
	}
	return t.store.DeleteTransformation(ctx, full)
}

// DefaultPrompt returns the instructions put before every transformation's
// prompt.
func (t *Transformations) DefaultPrompt(ctx context.Context) (string, error) {
	return t.store.DefaultPrompt(ctx)
}

// SetDefaultPrompt changes them.
func (t *Transformations) SetDefaultPrompt(ctx context.Context, instructions string) (string, error) {
	if utf8.RuneCountInString(instructions) > maxTransformationPrompt {
		return "", apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", "transformation_instructions"},
			Type: "string_too_long", Msg: "String should have at most " + itoa(maxTransformationPrompt) + " characters"})
	}
	return instructions, t.store.SetDefaultPrompt(ctx, instructions)
}

// Output is what a transformation produced, and with which model.
type Output struct {
	Text    string
	ModelID string
}

// transformationTokens bounds an insight's length.
const transformationTokens = 4000

// maxTransformationInput bounds the text a transformation reads (about
// 100,000 tokens): a source longer than that is cut, and the cut is said.
const maxTransformationInput = 400_000

// apply runs a transformation on text with its model (or modelID, or the
// default transformation model), after the default instructions.
func (t *Transformations) apply(ctx context.Context, tr *Transformation, text, modelID string) (Output, error) {
	if modelID == "" {
		modelID = tr.ModelID
	}
	if modelID == "" {
		id, ok, err := t.chat.DefaultModel(ctx, "transformation")
		if err != nil {
			return Output{}, err
		}
		if !ok {
			return Output{}, apperr.New(apperr.Invalid, "No transformation model configured. Please go to Settings → Models and set a default chat or transformation model.")
		}
		modelID = id
	}
	instructions, err := t.store.DefaultPrompt(ctx)
	if err != nil {
		return Output{}, err
	}
	system := strings.TrimSpace(instructions + "\n\n" + tr.Prompt + "\n\n" + formatting)
	if utf8.RuneCountInString(text) > maxTransformationInput {
		text = string([]rune(text)[:maxTransformationInput]) + "\n\n[The text was cut here: it is longer than a transformation reads.]"
	}
	out, err := t.chat.ChatWith(ctx, modelID, []provider.Message{
		{Role: "system", Content: system},
		{Role: "user", Content: "INPUT:\n\n" + text},
	}, transformationTokens)
	if err != nil {
		return Output{}, err
	}
	return Output{Text: stripThinking(out), ModelID: modelID}, nil
}

// formatting asks for Markdown that renders well in the notebook.
const formatting = "Write in Markdown. Put inline mathematics between $ signs and displayed equations between $$ lines."

var thinking = regexp.MustCompile(`(?s)<think>.*?</think>`)

// stripThinking drops the reasoning some models print before answering.
func stripThinking(s string) string {
	return strings.TrimSpace(thinking.ReplaceAllString(s, ""))
}

// Execute runs a transformation on any text and returns the output
// without storing anything: the playground.
func (t *Transformations) Execute(ctx context.Context, id, input, modelID string) (Output, error) {
	tr, err := t.Get(ctx, id)
	if err != nil {
		return Output{}, err
	}
	if strings.TrimSpace(input) == "" {
		return Output{}, apperr.New(apperr.Invalid, "Input text cannot be empty")
	}
	if modelID != "" {
		if modelID, err = t.checkModel(ctx, modelID); err != nil {
			return Output{}, err
		}
	}
	return t.apply(ctx, tr, input, modelID)
}

// Run is the run_transformation job: it makes an insight of a source and
// queues its embedding, in one transaction. The insight's id comes from
// the job's trigger, so a retried job never makes two.
func (t *Transformations) Run(ctx context.Context, a RunTransformation, rep Reporter) error {
	s, err := t.sources.Source(ctx, a.SourceID)
	if apperr.IsNotFound(err) {
		return Permanent(apperr.Newf(apperr.NotFound, "Source %s no longer exists", a.SourceID))
	}
	if err != nil {
		return err
	}
	tr, err := t.store.Transformation(ctx, a.TransformationID)
	if apperr.IsNotFound(err) {
		return Permanent(apperr.Newf(apperr.NotFound, "Transformation %s no longer exists", a.TransformationID))
	}
	if err != nil {
		return err
	}
	if strings.TrimSpace(s.FullText) == "" {
		return Permanent(apperr.Newf(apperr.Invalid, "Source %s has no text to transform", s.ID))
	}
	rep.Progress("writing", 0, 1)
	out, err := t.apply(ctx, tr, s.FullText, "")
	if err != nil {
		if e, ok := apperr.As(err); ok && (e.Code == apperr.Invalid || e.Code == apperr.Unprocessable || e.Code == apperr.NotFound) {
			return Permanent(err) // no model, or a model that is gone: a retry cannot help
		}
		return err
	}
	now := t.now().UTC()
	in := &Insight{ID: record.DerivedID(InsightTable, a.Trigger+"/"+a.TransformationID+"/"+a.SourceID),
		SourceID: s.ID, TransformationID: tr.ID, Type: tr.Title, Content: out.Text, Created: now, Updated: now}
	err = t.tx.InTx(ctx, func(ctx context.Context) error {
		created, err := t.insights.CreateInsight(ctx, in)
		if err != nil || !created {
			return err
		}
		return t.vectors.queueEmbedding(ctx, t.jobs, EmbedInsight{InsightID: in.ID})
	})
	if apperr.IsNotFound(err) {
		return Permanent(apperr.Newf(apperr.NotFound, "Source %s was deleted while it was transformed", s.ID))
	}
	if err != nil {
		return err
	}
	rep.Progress("done", 1, 1)
	rep.Result(map[string]any{"success": true, "source_id": s.ID, "transformation_id": tr.ID, "insight_id": in.ID,
		"model_id": out.ModelID})
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
