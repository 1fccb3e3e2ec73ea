package provider

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// envOf is an Env holding exactly vars.
func envOf(vars map[string]string) Env {
	return func(key string) (string, bool) {
		v, ok := vars[key]
		return v, ok
	}
}

var all4 = []string{TypeLanguage, TypeEmbedding, TypeSpeechToText, TypeTextToSpeech}

func TestProvidersAreTheTwentyTwoOfTheSpecInDeclarationOrder(t *testing.T) {
	want := []string{
		"openai", "anthropic", "google", "groq", "mistral", "deepseek", "xai", "openrouter",
		"dashscope", "minimax", "novita", "ppq", "cohere", "voyage", "elevenlabs", "deepgram",
		"ollama", "omlx", "azure", "vertex", "openai_compatible", "anthropic_compatible",
	}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	var fromSpecs []string
	for _, s := range Providers() {
		fromSpecs = append(fromSpecs, s.Name)
	}
	if !slices.Equal(fromSpecs, want) {
		t.Fatalf("Providers() names = %v, want %v", fromSpecs, want)
	}
}

func TestEverySpecHoldsTheRegistryInvariants(t *testing.T) {
	families := []string{FamilyOpenAI, FamilyAnthropic, FamilyGoogle, FamilyVertex, FamilyAzure,
		FamilyOllama, FamilyCohere, FamilyVoyage, FamilyElevenLabs, FamilyDeepgram}
	userGivenBase := []string{"azure", "vertex", "openai_compatible", "anthropic_compatible"}
	seen := map[string]bool{}
	for _, s := range Providers() {
		t.Run(s.Name, func(t *testing.T) {
			if seen[s.Name] {
				t.Errorf("name %q is declared twice", s.Name)
			}
			seen[s.Name] = true
			if s.Name != strings.ToLower(s.Name) {
				t.Errorf("name %q is not lowercase", s.Name)
			}
			if s.DisplayName == "" {
				t.Error("display name is empty")
			}
			if len(s.Modalities) == 0 {
				t.Error("no modalities")
			}
			for _, m := range s.Modalities {
				if !slices.Contains(all4, m) {
					t.Errorf("modality %q is not a model type", m)
				}
			}
			if !slices.Contains(all4, s.TestModelType) {
				t.Errorf("test model type %q is not a model type", s.TestModelType)
			}
			if len(s.RequiredEnv)+len(s.RequiredAnyEnv) == 0 {
				t.Error("no required or required_any env var")
			}
			if s.DiscoveryURL != "" {
				if len(s.RequiredEnv) != 1 {
					t.Errorf("has a discovery URL but %d required env vars, want exactly 1", len(s.RequiredEnv))
				}
				// The listing lives under the base the clients call.
				if !strings.HasPrefix(s.DiscoveryURL, s.DefaultBaseURL+"/models") {
					t.Errorf("discovery URL %q is not %q + /models", s.DiscoveryURL, s.DefaultBaseURL)
				}
			}
			if s.DocsURL != "" && !strings.HasPrefix(s.DocsURL, "https://") {
				t.Errorf("docs URL %q is not https", s.DocsURL)
			}
			if s.DocsURL == "" && s.Name != "ollama" {
				t.Error("docs URL is empty; only ollama has none")
			}
			if !slices.Contains(families, s.Family) {
				t.Errorf("family %q is unknown", s.Family)
			}
			if (s.DefaultBaseURL == "") != slices.Contains(userGivenBase, s.Name) {
				t.Errorf("default base URL %q: only %v may have none", s.DefaultBaseURL, userGivenBase)
			}
			if s.DefaultBaseURL != "" {
				u, err := url.Parse(s.DefaultBaseURL)
				if err != nil || (u.Scheme != "https" && u.Host != "localhost:11434" && u.Host != "localhost:11435") {
					t.Errorf("default base URL %q is neither https nor a local default", s.DefaultBaseURL)
				}
			}
		})
	}
}

func TestEachSpecMatchesTheSpecTable(t *testing.T) {
	tests := []struct {
		name, display, testModel, testType, discovery, base, family string
		modalities                                                  []string
	}{
		{"openai", "OpenAI", "gpt-3.5-turbo", TypeLanguage, "https://api.openai.com/v1/models", "https://api.openai.com/v1", FamilyOpenAI, all4},
		{"anthropic", "Anthropic", "claude-3-haiku-20240307", TypeLanguage, "", "https://api.anthropic.com", FamilyAnthropic, []string{TypeLanguage}},
		{"google", "Google AI", "gemini-flash-latest", TypeLanguage, "", "https://generativelanguage.googleapis.com", FamilyGoogle, all4},
		{"groq", "Groq", "llama-3.1-8b-instant", TypeLanguage, "https://api.groq.com/openai/v1/models", "https://api.groq.com/openai/v1", FamilyOpenAI, []string{TypeLanguage, TypeSpeechToText}},
		{"mistral", "Mistral AI", "mistral-small-latest", TypeLanguage, "https://api.mistral.ai/v1/models", "https://api.mistral.ai/v1", FamilyOpenAI, all4},
		{"deepseek", "DeepSeek", "deepseek-chat", TypeLanguage, "https://api.deepseek.com/models", "https://api.deepseek.com", FamilyOpenAI, []string{TypeLanguage}},
		{"xai", "xAI (Grok)", "grok-beta", TypeLanguage, "https://api.x.ai/v1/models", "https://api.x.ai/v1", FamilyOpenAI, []string{TypeLanguage, TypeTextToSpeech}},
		{"openrouter", "OpenRouter", "openai/gpt-3.5-turbo", TypeLanguage, "https://openrouter.ai/api/v1/models", "https://openrouter.ai/api/v1", FamilyOpenAI, all4},
		{"dashscope", "DashScope (Qwen)", "qwen-plus", TypeLanguage, "https://dashscope.aliyuncs.com/compatible-mode/v1/models", "https://dashscope.aliyuncs.com/compatible-mode/v1", FamilyOpenAI, []string{TypeLanguage}},
		{"minimax", "MiniMax", "MiniMax-M2.5", TypeLanguage, "https://api.minimax.io/v1/models", "https://api.minimax.io/v1", FamilyOpenAI, []string{TypeLanguage}},
		{"novita", "Novita", "moonshotai/kimi-k2.5", TypeLanguage, "https://api.novita.ai/openai/models", "https://api.novita.ai/openai", FamilyOpenAI, []string{TypeLanguage}},
		{"ppq", "PayPerQ", "auto", TypeLanguage, "https://api.ppq.ai/v1/models?type=all", "https://api.ppq.ai/v1", FamilyOpenAI, all4},
		{"cohere", "Cohere", "command-a-03-2025", TypeLanguage, "", "https://api.cohere.com", FamilyCohere, []string{TypeLanguage, TypeEmbedding}},
		{"voyage", "Voyage AI", "voyage-3-lite", TypeEmbedding, "", "https://api.voyageai.com/v1", FamilyVoyage, []string{TypeEmbedding}},
		{"elevenlabs", "ElevenLabs", "eleven_multilingual_v2", TypeTextToSpeech, "", "https://api.elevenlabs.io", FamilyElevenLabs, []string{TypeTextToSpeech, TypeSpeechToText}},
		{"deepgram", "Deepgram", "aura-2-thalia-en", TypeTextToSpeech, "", "https://api.deepgram.com", FamilyDeepgram, []string{TypeTextToSpeech, TypeSpeechToText}},
		{"ollama", "Ollama", "", TypeLanguage, "", "http://localhost:11434", FamilyOllama, []string{TypeLanguage, TypeEmbedding}},
		{"omlx", "oMLX", "", TypeLanguage, "", "http://localhost:11435/v1", FamilyOpenAI, []string{TypeLanguage, TypeEmbedding}},
		{"azure", "Azure OpenAI", "gpt-35-turbo", TypeLanguage, "", "", FamilyAzure, all4},
		{"vertex", "Google Vertex AI", "gemini-flash-latest", TypeLanguage, "", "", FamilyVertex, []string{TypeLanguage, TypeEmbedding, TypeTextToSpeech}},
		{"openai_compatible", "OpenAI Compatible", "", TypeLanguage, "", "", FamilyOpenAI, all4},
		{"anthropic_compatible", "Anthropic Compatible", "", TypeLanguage, "", "", FamilyAnthropic, []string{TypeLanguage}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := Lookup(tt.name)
			if !ok {
				t.Fatalf("Lookup(%q) found nothing", tt.name)
			}
			got := []string{s.DisplayName, s.TestModel, s.TestModelType, s.DiscoveryURL, s.DefaultBaseURL, s.Family}
			want := []string{tt.display, tt.testModel, tt.testType, tt.discovery, tt.base, tt.family}
			if !slices.Equal(got, want) {
				t.Errorf("[display test-model test-type discovery base family] = %q, want %q", got, want)
			}
			if !slices.Equal(s.Modalities, tt.modalities) {
				t.Errorf("modalities = %v, want %v", s.Modalities, tt.modalities)
			}
		})
	}
}

func TestEnvConfigMethodReportsOnlyTheNonEmptyGroups(t *testing.T) {
	tests := []struct {
		provider string
		want     map[string][]string
	}{
		{"openai", map[string][]string{"required": {"OPENAI_API_KEY"}}},
		{"google", map[string][]string{"required_any": {"GOOGLE_API_KEY", "GEMINI_API_KEY"}}},
		{"omlx", map[string][]string{"required": {"OMLX_API_BASE"}, "optional": {"OMLX_API_KEY"}}},
		{"azure", map[string][]string{
			"required": {"AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_VERSION"},
			"optional": {"AZURE_OPENAI_ENDPOINT_LLM", "AZURE_OPENAI_ENDPOINT_EMBEDDING", "AZURE_OPENAI_ENDPOINT_STT", "AZURE_OPENAI_ENDPOINT_TTS"},
		}},
		{"vertex", map[string][]string{
			"required": {"VERTEX_PROJECT", "VERTEX_LOCATION"}, "optional": {"GOOGLE_APPLICATION_CREDENTIALS"},
		}},
		{"openai_compatible", map[string][]string{"required_any": {"OPENAI_COMPATIBLE_BASE_URL", "OPENAI_COMPATIBLE_API_KEY"}}},
		{"anthropic_compatible", map[string][]string{"required": {"ANTHROPIC_COMPATIBLE_BASE_URL", "ANTHROPIC_COMPATIBLE_API_KEY"}}},
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			s, _ := Lookup(tt.provider)
			got := s.EnvConfig()
			if fmt.Sprint(got) != fmt.Sprint(tt.want) { // fmt sorts map keys
				t.Errorf("EnvConfig() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLookupAcceptsOnlyExactLowercaseNames(t *testing.T) {
	for _, name := range []string{"OpenAI", " openai", "openai ", "opnai", "", "sqlite", "openai-compatible", "vertexai"} {
		if _, ok := Lookup(name); ok {
			t.Errorf("Lookup(%q) found a provider", name)
		}
	}
	if s, ok := Lookup("openai_compatible"); !ok || s.Name != "openai_compatible" {
		t.Errorf("Lookup(openai_compatible) = %q, %v", s.Name, ok)
	}
}

func TestChangingAReturnedSpecDoesNotChangeTheRegistry(t *testing.T) {
	list := Providers()
	list[0].Name = "changed"
	list[0].Modalities[0] = "changed"
	s, _ := Lookup("openai")
	s.RequiredEnv[0] = "changed"
	s.EnvConfig()["required"][0] = "changed"
	Names()[0] = "changed"

	again, ok := Lookup("openai")
	if !ok || again.Modalities[0] != TypeLanguage || again.RequiredEnv[0] != "OPENAI_API_KEY" {
		t.Errorf("registry changed through a copy: %+v", again)
	}
	if Providers()[0].Name != "openai" || Names()[0] != "openai" {
		t.Error("registry order changed through a copy")
	}
}

func TestEnvConfigured(t *testing.T) {
	azure := map[string]string{
		"AZURE_OPENAI_API_KEY": "k", "AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com", "AZURE_OPENAI_API_VERSION": "2024-10-21",
	}
	tests := []struct {
		name     string
		provider string
		env      map[string]string
		want     bool
	}{
		{"a set key configures openai", "openai", map[string]string{"OPENAI_API_KEY": "sk-1"}, true},
		{"an empty key does not configure openai", "openai", map[string]string{"OPENAI_API_KEY": ""}, false},
		{"a blank key does not configure openai", "openai", map[string]string{"OPENAI_API_KEY": " \t\n"}, false},
		{"another provider's key does not configure openai", "openai", map[string]string{"GROQ_API_KEY": "g"}, false},
		{"GEMINI_API_KEY alone configures google", "google", map[string]string{"GEMINI_API_KEY": "g"}, true},
		{"a blank GOOGLE_API_KEY with GEMINI_API_KEY configures google", "google", map[string]string{"GOOGLE_API_KEY": " ", "GEMINI_API_KEY": "g"}, true},
		{"two blank google keys do not configure google", "google", map[string]string{"GOOGLE_API_KEY": " ", "GEMINI_API_KEY": ""}, false},
		{"all three azure vars configure azure", "azure", azure, true},
		{"azure without an API version is not configured", "azure", map[string]string{"AZURE_OPENAI_API_KEY": "k", "AZURE_OPENAI_ENDPOINT": "e"}, false},
		{"vertex needs its location too", "vertex", map[string]string{"VERTEX_PROJECT": "p"}, false},
		{"vertex with project and location is configured", "vertex", map[string]string{"VERTEX_PROJECT": "p", "VERTEX_LOCATION": "us-central1"}, true},
		{"an openai-compatible key alone configures openai_compatible", "openai_compatible", map[string]string{"OPENAI_COMPATIBLE_API_KEY": "k"}, true},
		{"a mode-specific base URL does not configure openai_compatible", "openai_compatible", map[string]string{"OPENAI_COMPATIBLE_BASE_URL_LLM": "http://h"}, false},
		{"anthropic_compatible needs its key as well as its base URL", "anthropic_compatible", map[string]string{"ANTHROPIC_COMPATIBLE_BASE_URL": "https://h"}, false},
		{"OLLAMA_API_BASE configures ollama", "ollama", map[string]string{"OLLAMA_API_BASE": "http://localhost:11434"}, true},
		{"OMLX_API_KEY alone does not configure omlx", "omlx", map[string]string{"OMLX_API_KEY": "k"}, false},
		{"an unknown provider is never configured", "sqlite", map[string]string{"SQLITE_API_KEY": "k"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EnvConfigured(tt.provider, envOf(tt.env)); got != tt.want {
				t.Errorf("EnvConfigured(%q) = %v, want %v", tt.provider, got, tt.want)
			}
		})
	}
	t.Run("a nil environment configures nothing", func(t *testing.T) {
		for _, name := range Names() {
			if EnvConfigured(name, nil) {
				t.Errorf("EnvConfigured(%q, nil) = true", name)
			}
		}
	})
}

func TestEnvConfigMapsVariablesToCredentialFields(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		env      map[string]string
		wantKey  string
		want     Config // APIKey is compared through wantKey
	}{
		{"openai takes its key and its API base", "openai",
			map[string]string{"OPENAI_API_KEY": " sk-openai \n", "OPENAI_API_BASE": "https://gw.example.com/v1"},
			"sk-openai", Config{Provider: "openai", Settings: Settings{BaseURL: "https://gw.example.com/v1"}}},
		{"groq without an API base leaves BaseURL empty", "groq",
			map[string]string{"GROQ_API_KEY": "gsk-1"},
			"gsk-1", Config{Provider: "groq"}},
		{"google prefers GOOGLE_API_KEY", "google",
			map[string]string{"GOOGLE_API_KEY": "g-1", "GEMINI_API_KEY": "gem-1"},
			"g-1", Config{Provider: "google"}},
		{"google falls back to GEMINI_API_KEY when GOOGLE_API_KEY is blank", "google",
			map[string]string{"GOOGLE_API_KEY": "  ", "GEMINI_API_KEY": "gem-1"},
			"gem-1", Config{Provider: "google"}},
		{"ollama's base is its URL and it has no key", "ollama",
			map[string]string{"OLLAMA_API_BASE": "http://10.0.0.5:11434"},
			"", Config{Provider: "ollama", Settings: Settings{BaseURL: "http://10.0.0.5:11434"}}},
		{"omlx takes an optional key and its base", "omlx",
			map[string]string{"OMLX_API_BASE": "http://localhost:11435/v1", "OMLX_API_KEY": "omlx-1"},
			"omlx-1", Config{Provider: "omlx", Settings: Settings{BaseURL: "http://localhost:11435/v1"}}},
		{"vertex takes project, location and credentials path", "vertex",
			map[string]string{"VERTEX_PROJECT": "proj", "VERTEX_LOCATION": "europe-west4", "GOOGLE_APPLICATION_CREDENTIALS": "/run/sa.json"},
			"", Config{Provider: "vertex", Settings: Settings{Project: "proj", Location: "europe-west4", CredentialsPath: "/run/sa.json"}}},
		{"azure takes key, endpoint, version and per-mode endpoints", "azure",
			map[string]string{
				"AZURE_OPENAI_API_KEY": "az-1", "AZURE_OPENAI_ENDPOINT": "https://r.openai.azure.com",
				"AZURE_OPENAI_API_VERSION": "2024-10-21", "AZURE_OPENAI_ENDPOINT_LLM": "https://llm.openai.azure.com",
				"AZURE_OPENAI_ENDPOINT_EMBEDDING": "https://emb.openai.azure.com", "AZURE_OPENAI_ENDPOINT_STT": "https://stt.openai.azure.com",
				"AZURE_OPENAI_ENDPOINT_TTS": "https://tts.openai.azure.com",
			},
			"az-1", Config{Provider: "azure", Settings: Settings{Endpoint: "https://r.openai.azure.com", APIVersion: "2024-10-21", EndpointLLM: "https://llm.openai.azure.com", EndpointEmbedding: "https://emb.openai.azure.com", EndpointSTT: "https://stt.openai.azure.com", EndpointTTS: "https://tts.openai.azure.com"}}},
		{"openai_compatible takes its prefixed key and base URL", "openai_compatible",
			map[string]string{"OPENAI_COMPATIBLE_BASE_URL": "http://lmstudio:1234/v1", "OPENAI_COMPATIBLE_API_KEY": "lm-1"},
			"lm-1", Config{Provider: "openai_compatible", Settings: Settings{BaseURL: "http://lmstudio:1234/v1"}}},
		{"openai_compatible needs no key", "openai_compatible",
			map[string]string{"OPENAI_COMPATIBLE_BASE_URL": "http://lmstudio:1234/v1"},
			"", Config{Provider: "openai_compatible", Settings: Settings{BaseURL: "http://lmstudio:1234/v1"}}},
		{"anthropic_compatible takes its prefixed key and base URL", "anthropic_compatible",
			map[string]string{"ANTHROPIC_COMPATIBLE_BASE_URL": "https://api.example.com", "ANTHROPIC_COMPATIBLE_API_KEY": "ac-1"},
			"ac-1", Config{Provider: "anthropic_compatible", Settings: Settings{BaseURL: "https://api.example.com"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := EnvConfig(tt.provider, envOf(tt.env))
			if !ok {
				t.Fatalf("EnvConfig(%q) not ok", tt.provider)
			}
			if key := got.APIKey.Reveal(); key != tt.wantKey {
				t.Errorf("APIKey = %q, want %q", key, tt.wantKey)
			}
			if tt.wantKey != "" && strings.Contains(fmt.Sprintf("%v %+v %#v", got, got, got), tt.wantKey) {
				t.Error("the key shows when the Config is printed")
			}
			got.APIKey = tt.want.APIKey
			if got != tt.want {
				t.Errorf("EnvConfig(%q) = %+v, want %+v", tt.provider, got, tt.want)
			}
		})
	}
}

func TestEnvConfigRefusesProvidersTheEnvironmentDoesNotConfigure(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		env      map[string]string
	}{
		{"openai with a blank key", "openai", map[string]string{"OPENAI_API_KEY": "  ", "OPENAI_API_BASE": "https://gw"}},
		{"vertex without a location", "vertex", map[string]string{"VERTEX_PROJECT": "p"}},
		{"an unknown provider", "nope", map[string]string{"NOPE_API_KEY": "k"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := EnvConfig(tt.provider, envOf(tt.env)); ok || got != (Config{}) {
				t.Errorf("EnvConfig(%q) = %+v, %v; want zero, false", tt.provider, got, ok)
			}
		})
	}
}

func TestAvailableFollowsTheModelsProvidersEnvTable(t *testing.T) {
	// Every row of the original's tests/test_models_api.py table.
	tests := []struct {
		name          string
		provider      string
		env           map[string]string
		wantAvailable bool
		wantTypes     []string
	}{
		{"blank ANTHROPIC_COMPATIBLE vars leave anthropic_compatible unavailable", "anthropic_compatible",
			map[string]string{"ANTHROPIC_COMPATIBLE_BASE_URL": "   ", "ANTHROPIC_COMPATIBLE_API_KEY": "   "}, false, nil},
		{"only OPENAI_COMPATIBLE_BASE_URL supports all four types", "openai_compatible",
			map[string]string{"OPENAI_COMPATIBLE_BASE_URL": "http://localhost:1234/v1"}, true, all4},
		{"LLM and EMBEDDING base URLs support exactly language and embedding", "openai_compatible",
			map[string]string{"OPENAI_COMPATIBLE_BASE_URL_LLM": "http://a/v1", "OPENAI_COMPATIBLE_BASE_URL_EMBEDDING": "http://b/v1"},
			true, []string{TypeLanguage, TypeEmbedding}},
		{"no variables leave openai_compatible unavailable", "openai_compatible", nil, false, nil},
		{"the generic and the LLM base URL support all four types", "openai_compatible",
			map[string]string{"OPENAI_COMPATIBLE_BASE_URL": "http://a/v1", "OPENAI_COMPATIBLE_BASE_URL_LLM": "http://b/v1"}, true, all4},
		{"an LLM base URL alone supports language", "openai_compatible",
			map[string]string{"OPENAI_COMPATIBLE_BASE_URL_LLM": "http://a/v1"}, true, []string{TypeLanguage}},
		{"an EMBEDDING base URL alone supports embedding", "openai_compatible",
			map[string]string{"OPENAI_COMPATIBLE_BASE_URL_EMBEDDING": "http://a/v1"}, true, []string{TypeEmbedding}},
		{"an STT base URL alone supports speech to text", "openai_compatible",
			map[string]string{"OPENAI_COMPATIBLE_BASE_URL_STT": "http://a/v1"}, true, []string{TypeSpeechToText}},
		{"a TTS base URL alone supports text to speech", "openai_compatible",
			map[string]string{"OPENAI_COMPATIBLE_BASE_URL_TTS": "http://a/v1"}, true, []string{TypeTextToSpeech}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			available, types := Available(tt.provider, envOf(tt.env), false)
			if available != tt.wantAvailable || !slices.Equal(types, tt.wantTypes) {
				t.Errorf("Available(%q) = %v, %v; want %v, %v", tt.provider, available, types, tt.wantAvailable, tt.wantTypes)
			}
		})
	}
}

func TestAvailable(t *testing.T) {
	azureGeneric := map[string]string{
		"AZURE_OPENAI_API_KEY": "k", "AZURE_OPENAI_ENDPOINT": "https://r.openai.azure.com", "AZURE_OPENAI_API_VERSION": "2024-10-21",
	}
	tests := []struct {
		name          string
		provider      string
		env           map[string]string
		hasCredential bool
		wantAvailable bool
		wantTypes     []string
	}{
		{"a stored credential makes openai available with its modalities", "openai", nil, true, true, all4},
		{"an env key makes groq available with its modalities", "groq", map[string]string{"GROQ_API_KEY": "g"}, false, true, []string{TypeLanguage, TypeSpeechToText}},
		{"an empty env key does not make openai available, unlike the original", "openai", map[string]string{"OPENAI_API_KEY": ""}, false, false, nil},
		{"a blank env key does not make openai available", "openai", map[string]string{"OPENAI_API_KEY": "  "}, false, false, nil},
		{"GEMINI_API_KEY makes google available", "google", map[string]string{"GEMINI_API_KEY": "g"}, false, true, all4},
		{"types come in API order, not modality order", "elevenlabs", map[string]string{"ELEVENLABS_API_KEY": "e"}, false, true, []string{TypeSpeechToText, TypeTextToSpeech}},
		{"OLLAMA_API_BASE makes ollama available", "ollama", map[string]string{"OLLAMA_API_BASE": "http://localhost:11434"}, false, true, []string{TypeLanguage, TypeEmbedding}},
		{"OMLX_API_BASE makes omlx available", "omlx", map[string]string{"OMLX_API_BASE": "http://localhost:11435/v1"}, false, true, []string{TypeLanguage, TypeEmbedding}},
		{"VERTEX_PROJECT alone makes vertex available", "vertex", map[string]string{"VERTEX_PROJECT": "p"}, false, true, []string{TypeLanguage, TypeEmbedding, TypeTextToSpeech}},
		{"VERTEX_LOCATION alone does not make vertex available", "vertex", map[string]string{"VERTEX_LOCATION": "us-central1"}, false, false, nil},
		{"the generic azure vars support all four types", "azure", azureGeneric, false, true, all4},
		{"the three LLM azure vars support language only", "azure",
			map[string]string{"AZURE_OPENAI_API_KEY_LLM": "k", "AZURE_OPENAI_ENDPOINT_LLM": "https://l", "AZURE_OPENAI_API_VERSION_LLM": "v"},
			false, true, []string{TypeLanguage}},
		{"two of the three TTS azure vars support nothing", "azure",
			map[string]string{"AZURE_OPENAI_API_KEY_TTS": "k", "AZURE_OPENAI_ENDPOINT_TTS": "https://t"}, false, false, nil},
		{"a stored azure credential supports all four types", "azure", nil, true, true, all4},
		{"a stored openai_compatible credential supports all four types", "openai_compatible", nil, true, true, all4},
		{"an openai-compatible API key alone supports all four types", "openai_compatible",
			map[string]string{"OPENAI_COMPATIBLE_API_KEY": "k"}, false, true, all4},
		{"a TTS openai-compatible API key supports text to speech", "openai_compatible",
			map[string]string{"OPENAI_COMPATIBLE_API_KEY_TTS": "k"}, false, true, []string{TypeTextToSpeech}},
		{"both anthropic-compatible vars support language", "anthropic_compatible",
			map[string]string{"ANTHROPIC_COMPATIBLE_BASE_URL": "https://h", "ANTHROPIC_COMPATIBLE_API_KEY": "k"}, false, true, []string{TypeLanguage}},
		{"a stored anthropic_compatible credential supports language", "anthropic_compatible", nil, true, true, []string{TypeLanguage}},
		{"an unknown provider is unavailable even with a credential", "sqlite", nil, true, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			available, types := Available(tt.provider, envOf(tt.env), tt.hasCredential)
			if available != tt.wantAvailable || !slices.Equal(types, tt.wantTypes) {
				t.Errorf("Available(%q) = %v, %v; want %v, %v", tt.provider, available, types, tt.wantAvailable, tt.wantTypes)
			}
		})
	}
}
