// Package settings owns the content-processing settings (the original's
// open_notebook:content_settings record): their defaults and allowed values.
package settings

import (
	"context"
	"slices"
	"strings"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/audit"
)

// Content is the settings document. Every field is optional in storage; a
// missing field reads as its default.
type Content struct {
	DefaultContentProcessingEngineDoc *string  `json:"default_content_processing_engine_doc"`
	DefaultContentProcessingEngineURL *string  `json:"default_content_processing_engine_url"`
	DefaultEmbeddingOption            *string  `json:"default_embedding_option"`
	AutoDeleteFiles                   *string  `json:"auto_delete_files"`
	DoclingOCR                        *bool    `json:"docling_ocr"`
	DoclingFormulas                   *bool    `json:"docling_formulas"`
	DoclingVision                     *bool    `json:"docling_vision"`
	YoutubePreferredLanguages         []string `json:"youtube_preferred_languages"`
}

// fields names the fields a patch sets, for the audit log.
func (c Content) fields() []string {
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	add(c.DefaultContentProcessingEngineDoc != nil, "default_content_processing_engine_doc")
	add(c.DefaultContentProcessingEngineURL != nil, "default_content_processing_engine_url")
	add(c.DefaultEmbeddingOption != nil, "default_embedding_option")
	add(c.AutoDeleteFiles != nil, "auto_delete_files")
	add(c.DoclingOCR != nil, "docling_ocr")
	add(c.DoclingFormulas != nil, "docling_formulas")
	add(c.DoclingVision != nil, "docling_vision")
	add(c.YoutubePreferredLanguages != nil, "youtube_preferred_languages")
	return out
}

// Allowed values of the enumerated fields, keyed by JSON name.
var allowed = map[string][]string{
	"default_content_processing_engine_doc": {"auto", "docling", "simple"},
	"default_content_processing_engine_url": {"auto", "firecrawl", "jina", "crawl4ai", "simple"},
	"default_embedding_option":              {"ask", "always", "never"},
	"auto_delete_files":                     {"yes", "no"},
}

// Allowed returns the allowed values of an enumerated field, or nil.
func Allowed(field string) []string { return allowed[field] }

// Defaults returns the original's domain defaults.
func Defaults() Content {
	s := func(v string) *string { return &v }
	b := func(v bool) *bool { return &v }
	return Content{
		DefaultContentProcessingEngineDoc: s("auto"),
		DefaultContentProcessingEngineURL: s("auto"),
		DefaultEmbeddingOption:            s("ask"),
		AutoDeleteFiles:                   s("yes"),
		DoclingOCR:                        b(true),
		DoclingFormulas:                   b(false),
		DoclingVision:                     b(false),
		YoutubePreferredLanguages:         []string{"en", "pt", "es", "de", "nl", "en-GB", "fr", "de", "hi", "ja"},
	}
}

// Merge applies the non-nil fields of patch to c, as the original's PUT
// does (a null never clears a value).
func (c Content) Merge(patch Content) Content {
	if patch.DefaultContentProcessingEngineDoc != nil {
		c.DefaultContentProcessingEngineDoc = patch.DefaultContentProcessingEngineDoc
	}
	if patch.DefaultContentProcessingEngineURL != nil {
		c.DefaultContentProcessingEngineURL = patch.DefaultContentProcessingEngineURL
	}
	if patch.DefaultEmbeddingOption != nil {
		c.DefaultEmbeddingOption = patch.DefaultEmbeddingOption
	}
	if patch.AutoDeleteFiles != nil {
		c.AutoDeleteFiles = patch.AutoDeleteFiles
	}
	if patch.DoclingOCR != nil {
		c.DoclingOCR = patch.DoclingOCR
	}
	if patch.DoclingFormulas != nil {
		c.DoclingFormulas = patch.DoclingFormulas
	}
	if patch.DoclingVision != nil {
		c.DoclingVision = patch.DoclingVision
	}
	if patch.YoutubePreferredLanguages != nil {
		c.YoutubePreferredLanguages = patch.YoutubePreferredLanguages
	}
	return c
}

// Validate checks the enumerated fields that are set and reports each
// invalid one the way the original's request validation does.
func (c Content) Validate() error {
	var errs []apperr.FieldError
	check := func(field string, v *string) {
		if v == nil || slices.Contains(allowed[field], *v) {
			return
		}
		quoted := make([]string, len(allowed[field]))
		for i, a := range allowed[field] {
			quoted[i] = "'" + a + "'"
		}
		errs = append(errs, apperr.FieldError{
			Loc:   []any{"body", field},
			Type:  "literal_error",
			Msg:   "Input should be " + strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1],
			Input: *v,
		})
	}
	check("default_content_processing_engine_doc", c.DefaultContentProcessingEngineDoc)
	check("default_content_processing_engine_url", c.DefaultContentProcessingEngineURL)
	check("default_embedding_option", c.DefaultEmbeddingOption)
	check("auto_delete_files", c.AutoDeleteFiles)
	if len(errs) > 0 {
		return apperr.InvalidFields(errs...)
	}
	return nil
}

// Store persists the settings document.
type Store interface {
	// ContentSettings returns the stored document, or ok=false when none was
	// ever saved.
	ContentSettings(ctx context.Context) (c Content, ok bool, err error)
	SaveContentSettings(ctx context.Context, c Content) error
}

// Service reads and updates the settings. Changes are recorded in the
// audit log: they decide what happens to uploaded files and what is sent
// to embedding providers.
type Service struct {
	store Store
	audit audit.Recorder
}

// NewService returns a Service over s.
func NewService(s Store, rec audit.Recorder) *Service { return &Service{store: s, audit: rec} }

// Get returns the settings, defaults filled in.
func (s *Service) Get(ctx context.Context) (Content, error) {
	c, ok, err := s.store.ContentSettings(ctx)
	if err != nil {
		return Content{}, err
	}
	if !ok {
		return Defaults(), nil
	}
	return Defaults().Merge(c), nil
}

// Update validates patch and stores the merged settings.
func (s *Service) Update(ctx context.Context, patch Content) (Content, error) {
	if err := patch.Validate(); err != nil {
		return Content{}, err
	}
	cur, err := s.Get(ctx)
	if err != nil {
		return Content{}, err
	}
	next := cur.Merge(patch)
	err = s.audit.Within(ctx, func(ctx context.Context) (audit.Event, error) {
		return audit.Event{Action: "settings.update", Details: map[string]any{"fields": patch.fields()}},
			s.store.SaveContentSettings(ctx, next)
	})
	if err != nil {
		return Content{}, err
	}
	return next, nil
}
