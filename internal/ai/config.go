package ai

import (
	"context"
	"strings"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/model"
	"github.com/open-notebook/open-notebook/internal/provider"
)

// modelConfig returns the configuration a call to m uses: its own
// credential's when it has one (a credential whose key cannot be opened is
// an error, never a reason to use another key), else its provider's.
func (s *Service) modelConfig(ctx context.Context, m *model.Model) (provider.Config, error) {
	if m.CredentialID == "" {
		return s.providerConfig(ctx, m.Provider)
	}
	cfg, _, err := s.creds.ProviderConfig(ctx, m.CredentialID)
	return cfg, err
}

// providerConfig returns the configuration of the provider's first
// credential, by creation, whose key opens, else the one its environment
// variables make. With neither it is an Unprocessable error that says what
// to configure, or the decryption error when credentials exist that no
// configured key opens.
func (s *Service) providerConfig(ctx context.Context, providerName string) (provider.Config, error) {
	spec, ok := provider.Lookup(providerName)
	if !ok {
		return provider.Config{}, unknownProvider(providerName)
	}
	creds, err := s.creds.List(ctx, spec.Name)
	if err != nil {
		return provider.Config{}, err
	}
	var locked error
	for _, c := range creds {
		if c.DecryptionError != "" {
			locked = apperr.New(apperr.Locked, c.DecryptionError)
			continue
		}
		cfg, _, err := s.creds.ProviderConfig(ctx, c.ID)
		switch apperr.CodeOf(err) {
		case apperr.Locked:
			locked = err
			continue
		case apperr.NotFound: // deleted since it was listed
			continue
		}
		return cfg, err
	}
	if cfg, ok := provider.EnvConfig(spec.Name, s.env); ok {
		return cfg, nil
	}
	if locked != nil {
		return provider.Config{}, locked
	}
	return provider.Config{}, apperr.Newf(apperr.Unprocessable,
		"No credential is configured for %s: add one in Settings -> API Keys, or set %s.", spec.DisplayName, envHint(spec))
}

// envHint names the variables that configure a provider.
func envHint(spec provider.Spec) string {
	if len(spec.RequiredAnyEnv) > 0 {
		return strings.Join(spec.RequiredAnyEnv, " or ")
	}
	return strings.Join(spec.RequiredEnv, " and ")
}

func unknownProvider(name string) error {
	return apperr.Newf(apperr.NotFound, "Unknown provider '%s'. Must be one of: %s", name, strings.Join(provider.Names(), ", "))
}
