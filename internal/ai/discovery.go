package ai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/model"
	"github.com/open-notebook/open-notebook/internal/provider"
)

// Discovery is what a provider offers.
type Discovery struct {
	Provider string
	// Models have their Type set: from the provider's listing where it
	// says, else from the name by the provider's patterns.
	Models []provider.Model
	// Note explains a list that is empty or fixed without a failure: an
	// Anthropic-style gateway that has no model listing.
	Note string
}

// DiscoverCredential lists the models of a stored credential's provider,
// with that credential. A provider failure is an error, never an empty
// list.
func (s *Service) DiscoverCredential(ctx context.Context, id string) (Discovery, error) {
	cfg, rec, err := s.creds.ProviderConfig(ctx, id)
	if err != nil {
		return Discovery{}, err
	}
	d, err := s.discover(ctx, cfg)
	ev := audit.Event{Action: "credential.discover", Target: rec.ID, Outcome: audit.Success,
		Details: map[string]any{"provider": rec.Provider, "count": len(d.Models)}}
	if err != nil {
		ev.Outcome, ev.Details = audit.Failure, map[string]any{"provider": rec.Provider}
	}
	if rerr := s.audit.Record(ctx, ev); rerr != nil {
		return Discovery{}, rerr
	}
	return d, err
}

// DiscoverProvider lists a provider's models with its first credential,
// else its environment configuration.
func (s *Service) DiscoverProvider(ctx context.Context, providerName string) (Discovery, error) {
	cfg, err := s.providerConfig(ctx, providerName)
	if err != nil {
		return Discovery{}, err
	}
	return s.discover(ctx, cfg)
}

func (s *Service) discover(ctx context.Context, cfg provider.Config) (Discovery, error) {
	client, err := s.client(cfg)
	if err != nil {
		return Discovery{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeouts.Discovery)
	defer cancel()
	d := Discovery{Provider: cfg.Provider}
	listed, err := client.ListModels(ctx)
	var pe *provider.Error
	switch {
	case err == nil:
	case errors.As(err, &pe) && listingUnsupported(cfg.Provider, pe):
		// The gateway answers but lists nothing: where the provider has a
		// catalogue for that (Anthropic itself) it stands in; a compatible
		// gateway's models must be typed in.
		if spec, _ := provider.Lookup(cfg.Provider); spec.CatalogueUse == provider.CatalogueIfNoListing {
			listed = provider.StaticModels(cfg.Provider)
			d.Note = fmt.Sprintf("%s's model listing is unavailable here (HTTP %d); these are the known models.", spec.DisplayName, pe.HTTPStatus)
		} else {
			d.Note = fmt.Sprintf("The gateway has no model listing (HTTP %d); add models by name.", pe.HTTPStatus)
		}
	default:
		return Discovery{}, callError("Model discovery", err)
	}
	d.Models = classify(cfg.Provider, listed)
	return d, nil
}

// listingUnsupported reports an Anthropic-style API that answered its
// model listing with 404 or 405: many gateways offer only /v1/messages.
func listingUnsupported(providerName string, pe *provider.Error) bool {
	spec, _ := provider.Lookup(providerName)
	return spec.Family == provider.FamilyAnthropic &&
		(pe.HTTPStatus == http.StatusNotFound || pe.HTTPStatus == http.StatusMethodNotAllowed)
}

// acceptableName reports whether a model name from a provider's listing
// may be stored: outside input is held to what a person could have typed
// (valid UTF-8, no control or NUL characters, not blank, within the name
// limit), so a hostile or broken listing cannot plant names that break
// pages, logs or the database.
func acceptableName(name string) bool {
	if !utf8.ValidString(name) || strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > model.MaxNameLength {
		return false
	}
	return !strings.ContainsFunc(name, func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) // controls, and invisible format characters such as bidi overrides
	})
}

// classify sets every model's provider and type and drops repeats. A
// non-empty listing gains the models of a catalogue that extends it (the
// audio models OpenRouter serves but does not list).
func classify(providerName string, listed []provider.Model) []provider.Model {
	out := make([]provider.Model, 0, len(listed))
	type key struct{ name, typ string }
	seen := map[key]bool{}
	add := func(m provider.Model) {
		if !acceptableName(m.Name) {
			return
		}
		m.Provider = providerName
		if !provider.IsModelType(m.Type) {
			m.Type = provider.ClassifyModelType(m.Name, providerName)
		}
		if k := (key{m.Name, m.Type}); !seen[k] {
			seen[k] = true
			out = append(out, m)
		}
	}
	for _, m := range listed {
		add(m)
	}
	if spec, _ := provider.Lookup(providerName); spec.CatalogueUse == provider.CatalogueExtendsListing && len(listed) > 0 {
		for _, m := range provider.StaticModels("openrouter") {
			add(m)
		}
	}
	return slices.Clip(out)
}
