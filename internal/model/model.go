// Package model owns the model registry and the default model per role:
// which models exist for which provider (and through which credential),
// and which one each feature uses.
package model

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/record"
)

// Table is the id prefix of models.
const Table = "model"

// MaxNameLength bounds model names.
const MaxNameLength = 200

// Model is a registered model.
type Model struct {
	ID           string
	Name         string
	Provider     string
	Type         string
	CredentialID string // "" when the model uses the provider's first credential or the environment
	Created      time.Time
	Updated      time.Time
}

// Store persists models and default slots.
type Store interface {
	// CreateModel stores m; a model with the same provider, name (both
	// case-insensitively) and type is an apperr Conflict.
	CreateModel(ctx context.Context, m *Model) error
	Model(ctx context.Context, id string) (*Model, error)
	// ListModels returns models of one type, or all when typ is empty,
	// ordered by provider and name.
	ListModels(ctx context.Context, typ string) ([]Model, error)
	// ModelsByProvider returns a provider's models (case-insensitively),
	// ordered by type and name.
	ModelsByProvider(ctx context.Context, providerName string) ([]Model, error)
	// DeleteModel deletes a model; default slots that held it are cleared
	// in the same statement (a foreign key).
	DeleteModel(ctx context.Context, id string) error
	// Defaults returns the default slots that are set, keyed by field.
	Defaults(ctx context.Context) (map[string]string, error)
	// SetDefaults sets or (with "") clears slots in one transaction.
	SetDefaults(ctx context.Context, slots map[string]string) error
	// CredentialProvider returns the provider of a credential, or an apperr
	// NotFound error.
	CredentialProvider(ctx context.Context, id string) (string, error)
}

// Service implements the models API. Registrations, deletions and
// default changes are recorded in the audit log: they decide which key
// and which provider each feature's requests go to.
type Service struct {
	store Store
	audit audit.Recorder
	now   func() time.Time
}

// NewService returns a Service.
func NewService(s Store, rec audit.Recorder, now func() time.Time) *Service {
	return &Service{store: s, audit: rec, now: now}
}

var errNotFound = apperr.New(apperr.NotFound, "Model not found")

func normalize(id string) (string, error) {
	full, ok := record.Normalize(Table, id)
	if !ok {
		return "", errNotFound
	}
	return full, nil
}

// invalidType is the original's message for a type outside the four.
const invalidType = "Invalid model type. Must be one of: ['language', 'embedding', 'text_to_speech', 'speech_to_text']"

// NewInput creates a model.
type NewInput struct {
	Name         string
	Provider     string
	Type         string
	CredentialID string
}

// Create validates and registers a model. Unlike the original it checks
// the provider and the credential: the credential must exist and serve the
// same provider.
func (s *Service) Create(ctx context.Context, in NewInput) (*Model, error) {
	if !provider.IsModelType(in.Type) {
		return nil, apperr.New(apperr.Invalid, invalidType)
	}
	spec, ok := provider.Lookup(strings.ToLower(strings.TrimSpace(in.Provider)))
	if !ok {
		return nil, apperr.Newf(apperr.Invalid, "Unknown provider '%s'. Must be one of: %s", in.Provider, strings.Join(provider.Names(), ", "))
	}
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		return nil, apperr.New(apperr.Invalid, "Model name cannot be empty")
	case utf8.RuneCountInString(name) > MaxNameLength:
		return nil, apperr.Newf(apperr.Invalid, "Model name must be at most %d characters", MaxNameLength)
	}
	m := &Model{ID: record.NewID(Table), Name: name, Provider: spec.Name, Type: in.Type}
	if in.CredentialID != "" {
		credID, ok := record.Normalize("credential", in.CredentialID)
		if !ok {
			return nil, apperr.Newf(apperr.Invalid, "Credential %s not found", in.CredentialID)
		}
		p, err := s.store.CredentialProvider(ctx, credID)
		if apperr.IsNotFound(err) {
			return nil, apperr.Newf(apperr.Invalid, "Credential %s not found", in.CredentialID)
		}
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(p, spec.Name) {
			return nil, apperr.Newf(apperr.Invalid, "Credential %s is for provider '%s', not '%s'", credID, p, spec.Name)
		}
		m.CredentialID = credID
	}
	m.Created = s.now().UTC()
	m.Updated = m.Created
	err := s.audit.Within(ctx, func(ctx context.Context) (audit.Event, error) {
		return audit.Event{Action: "model.create", Target: m.ID, Details: map[string]any{"provider": m.Provider, "name": m.Name, "type": m.Type}},
			s.store.CreateModel(ctx, m)
	})
	if err != nil {
		if apperr.CodeOf(err) == apperr.Conflict {
			return nil, apperr.Newf(apperr.Invalid, "Model '%s' already exists for provider '%s' with type '%s'", in.Name, in.Provider, in.Type)
		}
		return nil, err
	}
	return m, nil
}

// Get returns one model.
func (s *Service) Get(ctx context.Context, id string) (*Model, error) {
	id, err := normalize(id)
	if err != nil {
		return nil, err
	}
	return s.store.Model(ctx, id)
}

// List returns the models of one type, or all.
func (s *Service) List(ctx context.Context, typ string) ([]Model, error) {
	return s.store.ListModels(ctx, typ)
}

// ByProvider returns a provider's models, matched case-insensitively (the
// original matched exact case here but not in Count).
func (s *Service) ByProvider(ctx context.Context, providerName string) ([]Model, error) {
	return s.store.ModelsByProvider(ctx, providerName)
}

// Count returns a provider's models per type.
func (s *Service) Count(ctx context.Context, providerName string) (map[string]int, int, error) {
	ms, err := s.store.ModelsByProvider(ctx, providerName)
	if err != nil {
		return nil, 0, err
	}
	counts := map[string]int{}
	for _, t := range provider.ModelTypes() {
		counts[t] = 0
	}
	for _, m := range ms {
		counts[m.Type]++
	}
	return counts, len(ms), nil
}

// Delete removes a model and clears the default slots that held it.
func (s *Service) Delete(ctx context.Context, id string) error {
	id, err := normalize(id)
	if err != nil {
		return err
	}
	return s.audit.Within(ctx, func(ctx context.Context) (audit.Event, error) {
		return audit.Event{Action: "model.delete", Target: id}, s.store.DeleteModel(ctx, id)
	})
}

// Defaults returns every slot's model id ("" when unset), keyed by field.
func (s *Service) Defaults(ctx context.Context) (map[string]string, error) {
	set, err := s.store.Defaults(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, slot := range provider.Slots() {
		out[slot.Field] = set[slot.Field]
	}
	return out, nil
}

// UpdateDefaults applies a partial update: a slot mapped to "" is cleared
// (refused for the required chat and embedding slots), any other value
// must be an existing model of the slot's type. Nothing changes unless
// every slot is valid.
func (s *Service) UpdateDefaults(ctx context.Context, patch map[string]string) (map[string]string, error) {
	changes := map[string]string{}
	for _, slot := range provider.Slots() {
		v, ok := patch[slot.Field]
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if v == "" {
			if slot.Required {
				return nil, apperr.Newf(apperr.Invalid, "%s is required and cannot be cleared, only reassigned", slot.Field)
			}
			changes[slot.Field] = ""
			continue
		}
		id, ok := record.Normalize(Table, v)
		if !ok {
			return nil, apperr.Newf(apperr.Invalid, "Model %s not found", v)
		}
		m, err := s.store.Model(ctx, id)
		if apperr.IsNotFound(err) {
			return nil, apperr.Newf(apperr.Invalid, "Model %s not found", v)
		}
		if err != nil {
			return nil, err
		}
		if m.Type != slot.Type {
			return nil, apperr.Newf(apperr.Invalid, "%s needs %s model, but %s is %s model", slot.Field, withArticle(slot.Type), id, withArticle(m.Type))
		}
		changes[slot.Field] = id
	}
	if len(changes) > 0 {
		if err := s.setDefaults(ctx, changes, false); err != nil {
			return nil, err
		}
	}
	return s.Defaults(ctx)
}

// AutoAssignment reports what auto-assign did.
type AutoAssignment struct {
	Assigned map[string]string `json:"assigned"`
	Skipped  []string          `json:"skipped"`
	Missing  []string          `json:"missing"`
}

// AutoAssign fills the required slots that are empty with the preferred
// model of their type (the original's provider priority and name
// preferences).
func (s *Service) AutoAssign(ctx context.Context) (*AutoAssignment, error) {
	current, err := s.Defaults(ctx)
	if err != nil {
		return nil, err
	}
	res := &AutoAssignment{Assigned: map[string]string{}, Skipped: []string{}, Missing: []string{}}
	for _, slot := range provider.Slots() {
		if !slot.Required {
			continue
		}
		if current[slot.Field] != "" {
			res.Skipped = append(res.Skipped, slot.Field)
			continue
		}
		ms, err := s.store.ListModels(ctx, slot.Type)
		if err != nil {
			return nil, err
		}
		candidates := make([]provider.Model, len(ms))
		for i, m := range ms {
			candidates[i] = provider.Model{Name: m.Name, Provider: m.Provider, Type: m.Type}
		}
		i, ok := provider.PreferredModel(candidates)
		if !ok {
			res.Missing = append(res.Missing, slot.Field)
			continue
		}
		res.Assigned[slot.Field] = ms[i].ID
	}
	if len(res.Assigned) > 0 {
		if err := s.setDefaults(ctx, res.Assigned, true); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// setDefaults stores slot changes and records which slots changed.
func (s *Service) setDefaults(ctx context.Context, changes map[string]string, auto bool) error {
	var slots []string
	for _, slot := range provider.Slots() {
		if _, ok := changes[slot.Field]; ok {
			slots = append(slots, slot.Field)
		}
	}
	details := map[string]any{"slots": slots}
	if auto {
		details["auto_assign"] = true
	}
	return s.audit.Within(ctx, func(ctx context.Context) (audit.Event, error) {
		return audit.Event{Action: "models.defaults", Details: details}, s.store.SetDefaults(ctx, changes)
	})
}

// ResolveDefault returns the model a feature asking for slot should use,
// applying the fallbacks (transformation, tools and large-context use the
// chat model when unset). ok is false when no model is configured.
func (s *Service) ResolveDefault(ctx context.Context, slot string) (*Model, bool, error) {
	values, err := s.store.Defaults(ctx)
	if err != nil {
		return nil, false, err
	}
	id := provider.ResolveSlot(slot, values)
	if id == "" {
		return nil, false, nil
	}
	m, err := s.store.Model(ctx, id)
	if apperr.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return m, true, nil
}

// withArticle puts "a" or "an" before a model type.
func withArticle(typ string) string {
	if strings.ContainsRune("aeiou", rune(typ[0])) {
		return "an " + typ
	}
	return "a " + typ
}

// SlotFields returns the default-slot field names in API order.
func SlotFields() []string {
	var out []string
	for _, s := range provider.Slots() {
		out = append(out, s.Field)
	}
	return out
}
