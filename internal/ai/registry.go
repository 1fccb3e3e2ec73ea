package ai

import (
	"context"
	"errors"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/model"
	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/record"
)

// Candidate is a model a user picked to register.
type Candidate struct {
	Name string
	// Provider may be empty; when given it must be the credential's.
	Provider string
	Type     string
}

// Registration counts what registering did. Existing models include the
// ones that were linked, and repeats within the request.
type Registration struct {
	Created, Existing, Linked int
}

// typeChoices is how a model type error lists the four types.
const typeChoices = "Input should be 'language', 'embedding', 'speech_to_text' or 'text_to_speech'"

// RegisterModels registers models for a credential's provider, linked to
// the credential. A model that exists already (same name, whatever its
// case, and type) is not created again, even when a request names it
// twice; if it has no credential it is linked to this one. Every candidate
// is checked before anything is stored.
func (s *Service) RegisterModels(ctx context.Context, credentialID string, cs []Candidate) (Registration, error) {
	var fields []apperr.FieldError
	bad := func(i int, field, typ, msg string, input any) {
		fields = append(fields, apperr.FieldError{Loc: []any{"body", "models", i, field}, Type: typ, Msg: msg, Input: input})
	}
	for i, c := range cs {
		switch name := strings.TrimSpace(c.Name); {
		case name == "":
			bad(i, "name", "string_too_short", "Model name cannot be empty", c.Name)
		case utf8.RuneCountInString(name) > model.MaxNameLength:
			bad(i, "name", "string_too_long", "String should have at most 200 characters", c.Name)
		}
		if !provider.IsModelType(c.Type) {
			bad(i, "model_type", "literal_error", typeChoices, c.Type)
		}
	}
	if len(fields) > 0 {
		return Registration{}, apperr.InvalidFields(fields...)
	}
	cred, err := s.creds.Get(ctx, credentialID)
	if err != nil {
		return Registration{}, err
	}
	for i, c := range cs {
		if c.Provider != "" && !strings.EqualFold(strings.TrimSpace(c.Provider), cred.Provider) {
			bad(i, "provider", "value_error", "Value error, the credential is for provider '"+cred.Provider+"'", c.Provider)
		}
	}
	if len(fields) > 0 {
		return Registration{}, apperr.InvalidFields(fields...)
	}
	now := s.now().UTC()
	ms := make([]model.Model, len(cs))
	for i, c := range cs {
		ms[i] = model.Model{ID: record.NewID(model.Table), Name: strings.TrimSpace(c.Name), Provider: cred.Provider,
			Type: c.Type, CredentialID: cred.ID, Created: now, Updated: now}
	}
	var reg Registration
	err = s.audit.Within(ctx, func(ctx context.Context) (audit.Event, error) {
		created, linked, err := s.store.RegisterModels(ctx, ms)
		reg = Registration{Created: created, Existing: len(ms) - created, Linked: linked}
		return audit.Event{Action: "credential.register_models", Target: cred.ID,
			Details: map[string]any{"created": reg.Created, "existing": reg.Existing, "linked": reg.Linked}}, err
	})
	if err != nil {
		return Registration{}, err
	}
	return reg, nil
}

// Sync outcomes besides a provider.Status.
const (
	SyncOK            = "ok"
	SyncNotConfigured = "not_configured"
)

// SyncResult reports one provider's sync.
type SyncResult struct {
	Provider                  string
	Discovered, New, Existing int
	// Status is SyncOK, SyncNotConfigured, or the failure's
	// provider.Status; Error then says why.
	Status string
	Error  string
}

// SyncReport is the sync of every provider, in registry order.
type SyncReport struct {
	Results                   []SyncResult
	TotalDiscovered, TotalNew int
}

// SyncProvider discovers a provider's models with its first credential,
// else its environment configuration, and registers the new ones without
// a credential link (they follow the provider's first credential). A
// provider failure is an error.
func (s *Service) SyncProvider(ctx context.Context, providerName string) (SyncResult, error) {
	cfg, err := s.providerConfig(ctx, providerName)
	if err != nil {
		return SyncResult{}, err
	}
	return s.sync(ctx, cfg)
}

// SyncAll syncs every configured provider at once, each within the
// discovery timeout, so one hung provider never holds the others. A
// provider's failure is reported in its result.
func (s *Service) SyncAll(ctx context.Context) (SyncReport, error) {
	counts, err := s.store.CredentialCounts(ctx)
	if err != nil {
		return SyncReport{}, err
	}
	specs := provider.Providers()
	rep := SyncReport{Results: make([]SyncResult, len(specs))}
	var wg sync.WaitGroup
	for i, spec := range specs {
		if counts[spec.Name] == 0 && !provider.EnvConfigured(spec.Name, s.env) {
			rep.Results[i] = SyncResult{Provider: spec.Name, Status: SyncNotConfigured}
			continue
		}
		wg.Go(func() {
			r, err := s.SyncProvider(ctx, spec.Name)
			if err != nil {
				r = s.failedSync(spec.Name, err)
			}
			rep.Results[i] = r
		})
	}
	wg.Wait()
	for _, r := range rep.Results {
		rep.TotalDiscovered += r.Discovered
		rep.TotalNew += r.New
	}
	return rep, nil
}

func (s *Service) sync(ctx context.Context, cfg provider.Config) (SyncResult, error) {
	d, err := s.discover(ctx, cfg)
	if err != nil {
		return SyncResult{}, err
	}
	now := s.now().UTC()
	ms := make([]model.Model, len(d.Models))
	for i, m := range d.Models {
		ms[i] = model.Model{ID: record.NewID(model.Table), Name: m.Name, Provider: cfg.Provider, Type: m.Type,
			Created: now, Updated: now}
	}
	var created int
	err = s.audit.Within(ctx, func(ctx context.Context) (audit.Event, error) {
		var err error
		created, _, err = s.store.RegisterModels(ctx, ms)
		return audit.Event{Action: "models.sync", Target: cfg.Provider,
			Details: map[string]any{"discovered": len(ms), "new": created}}, err
	})
	if err != nil {
		return SyncResult{}, err
	}
	return SyncResult{Provider: cfg.Provider, Discovered: len(ms), New: created, Existing: len(ms) - created,
		Status: SyncOK}, nil
}

// failedSync reports a provider that could not be synced, with a message
// meant for users; other causes are logged, not shown.
func (s *Service) failedSync(providerName string, err error) SyncResult {
	r := SyncResult{Provider: providerName, Status: string(provider.StatusError)}
	var pe *provider.Error
	if errors.As(err, &pe) {
		r.Status = string(pe.Status)
	}
	if e, ok := apperr.As(err); ok && e.Code != apperr.Internal {
		r.Error = e.Message
		return r
	}
	s.logger.Error("model sync failed", "provider", providerName, "error", err)
	r.Error = "The models could not be synced"
	return r
}
