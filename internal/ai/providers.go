package ai

import (
	"context"

	"github.com/open-notebook/open-notebook/internal/provider"
)

// Availability says which providers can be used, because a credential or
// the environment configures them, and which model types each serves.
type Availability struct {
	Available, Unavailable []string // in registry order
	// SupportedTypes has an entry for every available provider only.
	SupportedTypes map[string][]string
}

// Providers reports the providers' availability (GET /api/models/providers)
// with one query, whatever the number of credentials.
func (s *Service) Providers(ctx context.Context) (Availability, error) {
	counts, err := s.store.CredentialCounts(ctx)
	if err != nil {
		return Availability{}, err
	}
	a := Availability{Available: []string{}, Unavailable: []string{}, SupportedTypes: map[string][]string{}}
	for _, name := range provider.Names() {
		ok, types := provider.Available(name, s.env, counts[name] > 0)
		if !ok {
			a.Unavailable = append(a.Unavailable, name)
			continue
		}
		a.Available = append(a.Available, name)
		a.SupportedTypes[name] = types
	}
	return a, nil
}
