// Package factory builds the provider.Client that serves a credential,
// choosing the client family from the provider registry.
package factory

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/anthropic"
	"github.com/open-notebook/open-notebook/internal/provider/azure"
	"github.com/open-notebook/open-notebook/internal/provider/cohere"
	"github.com/open-notebook/open-notebook/internal/provider/deepgram"
	"github.com/open-notebook/open-notebook/internal/provider/elevenlabs"
	"github.com/open-notebook/open-notebook/internal/provider/google"
	"github.com/open-notebook/open-notebook/internal/provider/ollama"
	"github.com/open-notebook/open-notebook/internal/provider/openai"
	"github.com/open-notebook/open-notebook/internal/provider/vertex"
	"github.com/open-notebook/open-notebook/internal/provider/voyage"
)

// New returns the client for cfg.Provider. A credential without a base URL
// gets the registry's DefaultBaseURL, so every default lives in one table;
// providers without one (azure, vertex and the two *_compatible ones) rely
// on the credential's own fields. hc carries every request and must not be
// nil: in production it is the egress-guarded client.
func New(cfg provider.Config, hc *http.Client) (provider.Client, error) {
	spec, ok := provider.Lookup(cfg.Provider)
	if !ok {
		return nil, fmt.Errorf("unknown provider %q", cfg.Provider)
	}
	if strings.TrimSpace(cfg.BaseURL) == "" {
		cfg.BaseURL = spec.DefaultBaseURL
	}
	switch spec.Family {
	case provider.FamilyOpenAI:
		return openai.New(cfg, hc, openai.Options{ModelsQuery: modelsQuery(spec)}), nil
	case provider.FamilyAnthropic:
		return anthropic.New(cfg, hc, anthropic.Options{}), nil
	case provider.FamilyGoogle:
		return google.New(cfg, hc), nil
	case provider.FamilyVertex:
		return vertex.New(cfg, hc), nil
	case provider.FamilyAzure:
		return azure.New(cfg, hc), nil
	case provider.FamilyOllama:
		return ollama.New(cfg, hc), nil
	case provider.FamilyCohere:
		return cohere.New(cfg, hc), nil
	case provider.FamilyVoyage:
		return voyage.New(cfg, hc), nil
	case provider.FamilyElevenLabs:
		return elevenlabs.New(cfg, hc), nil
	case provider.FamilyDeepgram:
		return deepgram.New(cfg, hc), nil
	}
	return nil, fmt.Errorf("provider %q has no client family %q", spec.Name, spec.Family)
}

// modelsQuery is the query the provider's discovery URL carries: PayPerQ
// lists its audio and embedding models only with type=all, and that holds
// for a credential that points at another host as well.
func modelsQuery(spec provider.Spec) string {
	u, err := url.Parse(spec.DiscoveryURL)
	if err != nil {
		return ""
	}
	return u.RawQuery
}
