package factory_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/factory"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/secret"
)

func TestNewServesEveryProviderWithItsFamilysClient(t *testing.T) {
	want := map[string]string{
		provider.FamilyOpenAI: "*openai.Client", provider.FamilyAnthropic: "*anthropic.Client",
		provider.FamilyGoogle: "*google.Client", provider.FamilyVertex: "*vertex.Client",
		provider.FamilyAzure: "*azure.Client", provider.FamilyOllama: "*ollama.Client",
		provider.FamilyCohere: "*cohere.Client", provider.FamilyVoyage: "*voyage.Client",
		provider.FamilyElevenLabs: "*elevenlabs.Client", provider.FamilyDeepgram: "*deepgram.Client",
	}
	for _, spec := range provider.Providers() {
		c, err := factory.New(provider.Config{Provider: spec.Name}, http.DefaultClient)
		if err != nil {
			t.Fatalf("%s: %v", spec.Name, err)
		}
		if got := fmt.Sprintf("%T", c); got != want[spec.Family] {
			t.Errorf("%s is served by %s, want %s", spec.Name, got, want[spec.Family])
		}
	}
}

func TestNewPointsTheClientWhereTheCredentialSays(t *testing.T) {
	up := providertest.NewUpstream(t, provider.FamilyOpenAI)
	tests := []struct {
		name     string
		provider string
		base     string
		want     string // the listing request, or the error
	}{
		{"a credential's base URL wins", "groq", up.BaseURL(""), "GET /v1/models"},
		{"PayPerQ lists every model type, on any host", "ppq", up.BaseURL(""), "GET /v1/models?type=all"},
		{"an OpenAI-compatible server has no default base URL", "openai_compatible", "",
			"openai_compatible: error: No base URL configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up.Reset()
			c, err := factory.New(provider.Config{Provider: tt.provider, APIKey: secret.New(providertest.GoodKey), Settings: provider.Settings{BaseURL: tt.base}}, up.Client())
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ListModels(t.Context())
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = up.Only(t).Line()
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewRefusesAnUnknownProvider(t *testing.T) {
	for _, name := range []string{"", "OpenAI", "sqlite"} {
		if _, err := factory.New(provider.Config{Provider: name}, http.DefaultClient); err == nil ||
			!strings.Contains(err.Error(), "unknown provider") {
			t.Errorf("%q: err = %v", name, err)
		}
	}
}

func TestNewUsesTheRegistrysDefaultBaseURL(t *testing.T) {
	// A client without a base URL calls the registry's; a transport that
	// answers every request shows where it went without any network.
	var got []string
	hc := &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		got = append(got, r.URL.Scheme+"://"+r.URL.Host+r.URL.Path)
		return nil, fmt.Errorf("offline")
	})}
	for _, p := range []string{"openai", "groq", "novita", "anthropic", "google", "ollama", "cohere", "elevenlabs", "deepgram"} {
		c, err := factory.New(provider.Config{Provider: p, APIKey: secret.New("k")}, hc)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.ListModels(t.Context())
	}
	want := []string{
		"https://api.openai.com/v1/models", "https://api.groq.com/openai/v1/models", "https://api.novita.ai/openai/models",
		"https://api.anthropic.com/v1/models", "https://generativelanguage.googleapis.com/v1beta/models",
		"http://localhost:11434/api/tags", "https://api.cohere.com/v1/models", "https://api.elevenlabs.io/v1/models",
		"https://api.deepgram.com/v1/models",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("requests\n%v\nwant\n%v", got, want)
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// recorder answers nothing and remembers where each request was sent.
type recorder struct{ urls []string }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.urls = append(r.urls, req.URL.String())
	return nil, fmt.Errorf("not sent")
}

func TestAProviderWithoutABaseURLIsCalledAtItsDefault(t *testing.T) {
	for _, spec := range provider.Providers() {
		if spec.DefaultBaseURL == "" {
			continue
		}
		t.Run(spec.Name, func(t *testing.T) {
			rec := &recorder{}
			c, err := factory.New(provider.Config{Provider: spec.Name, APIKey: secret.New("k")}, &http.Client{Transport: rec})
			if err != nil {
				t.Fatal(err)
			}
			_, _ = c.Probe(t.Context())
			if _, err := c.Embed(t.Context(), provider.EmbedRequest{Model: "m", Input: []string{"x"}}); err != nil && len(rec.urls) == 0 {
				_, _ = c.Chat(t.Context(), provider.ChatRequest{Model: "m", Messages: []provider.Message{{Role: "user", Content: "x"}}})
			}
			if len(rec.urls) == 0 {
				t.Fatal("no request was made")
			}
			for _, u := range rec.urls {
				if !strings.HasPrefix(u, strings.TrimSuffix(spec.DefaultBaseURL, "/v1")) {
					t.Errorf("called %s, want a URL under %s", u, spec.DefaultBaseURL)
				}
			}
		})
	}
}
