package provider

import (
	"slices"
	"strings"

	"github.com/open-notebook/open-notebook/internal/secret"
)

// Client families: which implementation serves a provider. Many providers
// speak the OpenAI wire format and share one client.
const (
	FamilyOpenAI     = "openai"
	FamilyAnthropic  = "anthropic"
	FamilyGoogle     = "google"
	FamilyVertex     = "vertex"
	FamilyAzure      = "azure"
	FamilyOllama     = "ollama"
	FamilyCohere     = "cohere"
	FamilyVoyage     = "voyage"
	FamilyElevenLabs = "elevenlabs"
	FamilyDeepgram   = "deepgram"
)

// Spec describes one supported provider: how it is named and shown, which
// model types it offers, which environment variables configure it and where
// its API lives.
type Spec struct {
	Name        string // the lowercase identifier the API and the database use
	DisplayName string
	// Modalities are the model types a new credential offers by default.
	Modalities []string
	// RequiredEnv must all be set, or one of RequiredAnyEnv, for the
	// provider to count as configured by the environment. OptionalEnv is
	// read when migrating from the environment but never required.
	RequiredEnv    []string
	RequiredAnyEnv []string
	OptionalEnv    []string
	// TestModel is the cheapest model a connection test may call, "" when
	// the provider is tested by listing its models instead.
	TestModel     string
	TestModelType string
	DocsURL       string // where a user gets a key; "" when there is no such page
	// DiscoveryURL is the provider's OpenAI-compatible model listing, ""
	// when its listing is bespoke or its models are a static list.
	DiscoveryURL string
	// DefaultBaseURL is the API base the clients use when a credential sets
	// none. It is "" where the user must give one (azure and the two
	// *_compatible providers) and for vertex, whose host is built from the
	// credential's location.
	DefaultBaseURL string
	Family         string
}

// registry is the provider table in declaration order, which is also the
// order the UI shows. It is never modified: every exported accessor hands
// out copies, so no caller can change what another sees.
var registry = [...]Spec{
	{
		Name: "openai", DisplayName: "OpenAI", Modalities: allTypes(),
		RequiredEnv: []string{"OPENAI_API_KEY"},
		TestModel:   "gpt-3.5-turbo", TestModelType: TypeLanguage,
		DocsURL:        "https://platform.openai.com/api-keys",
		DiscoveryURL:   "https://api.openai.com/v1/models",
		DefaultBaseURL: "https://api.openai.com/v1", Family: FamilyOpenAI,
	},
	{
		Name: "anthropic", DisplayName: "Anthropic", Modalities: []string{TypeLanguage},
		RequiredEnv: []string{"ANTHROPIC_API_KEY"},
		TestModel:   "claude-3-haiku-20240307", TestModelType: TypeLanguage,
		DocsURL:        "https://console.anthropic.com/settings/keys",
		DefaultBaseURL: "https://api.anthropic.com", Family: FamilyAnthropic,
	},
	{
		Name: "google", DisplayName: "Google AI", Modalities: allTypes(),
		RequiredAnyEnv: []string{"GOOGLE_API_KEY", "GEMINI_API_KEY"},
		TestModel:      "gemini-flash-latest", TestModelType: TypeLanguage,
		DocsURL:        "https://aistudio.google.com/app/apikey",
		DefaultBaseURL: "https://generativelanguage.googleapis.com", Family: FamilyGoogle,
	},
	{
		Name: "groq", DisplayName: "Groq", Modalities: []string{TypeLanguage, TypeSpeechToText},
		RequiredEnv: []string{"GROQ_API_KEY"},
		TestModel:   "llama-3.1-8b-instant", TestModelType: TypeLanguage,
		DocsURL:        "https://console.groq.com/keys",
		DiscoveryURL:   "https://api.groq.com/openai/v1/models",
		DefaultBaseURL: "https://api.groq.com/openai/v1", Family: FamilyOpenAI,
	},
	{
		Name: "mistral", DisplayName: "Mistral AI", Modalities: allTypes(),
		RequiredEnv: []string{"MISTRAL_API_KEY"},
		TestModel:   "mistral-small-latest", TestModelType: TypeLanguage,
		DocsURL:        "https://console.mistral.ai/api-keys/",
		DiscoveryURL:   "https://api.mistral.ai/v1/models",
		DefaultBaseURL: "https://api.mistral.ai/v1", Family: FamilyOpenAI,
	},
	{
		Name: "deepseek", DisplayName: "DeepSeek", Modalities: []string{TypeLanguage},
		RequiredEnv: []string{"DEEPSEEK_API_KEY"},
		TestModel:   "deepseek-chat", TestModelType: TypeLanguage,
		DocsURL:        "https://platform.deepseek.com/api_keys",
		DiscoveryURL:   "https://api.deepseek.com/models",
		DefaultBaseURL: "https://api.deepseek.com", Family: FamilyOpenAI,
	},
	{
		Name: "xai", DisplayName: "xAI (Grok)", Modalities: []string{TypeLanguage, TypeTextToSpeech},
		RequiredEnv: []string{"XAI_API_KEY"},
		TestModel:   "grok-beta", TestModelType: TypeLanguage,
		DocsURL:        "https://console.x.ai/",
		DiscoveryURL:   "https://api.x.ai/v1/models",
		DefaultBaseURL: "https://api.x.ai/v1", Family: FamilyOpenAI,
	},
	{
		Name: "openrouter", DisplayName: "OpenRouter", Modalities: allTypes(),
		RequiredEnv: []string{"OPENROUTER_API_KEY"},
		TestModel:   "openai/gpt-3.5-turbo", TestModelType: TypeLanguage,
		DocsURL:        "https://openrouter.ai/keys",
		DiscoveryURL:   "https://openrouter.ai/api/v1/models",
		DefaultBaseURL: "https://openrouter.ai/api/v1", Family: FamilyOpenAI,
	},
	{
		Name: "dashscope", DisplayName: "DashScope (Qwen)", Modalities: []string{TypeLanguage},
		RequiredEnv: []string{"DASHSCOPE_API_KEY"},
		TestModel:   "qwen-plus", TestModelType: TypeLanguage,
		DocsURL:        "https://help.aliyun.com/zh/model-studio/getting-started/",
		DiscoveryURL:   "https://dashscope.aliyuncs.com/compatible-mode/v1/models",
		DefaultBaseURL: "https://dashscope.aliyuncs.com/compatible-mode/v1", Family: FamilyOpenAI,
	},
	{
		Name: "minimax", DisplayName: "MiniMax", Modalities: []string{TypeLanguage},
		RequiredEnv: []string{"MINIMAX_API_KEY"},
		TestModel:   "MiniMax-M2.5", TestModelType: TypeLanguage,
		DocsURL:        "https://platform.minimaxi.com/document/Guides",
		DiscoveryURL:   "https://api.minimax.io/v1/models",
		DefaultBaseURL: "https://api.minimax.io/v1", Family: FamilyOpenAI,
	},
	{
		Name: "novita", DisplayName: "Novita", Modalities: []string{TypeLanguage},
		RequiredEnv: []string{"NOVITA_API_KEY"},
		TestModel:   "moonshotai/kimi-k2.5", TestModelType: TypeLanguage,
		DocsURL:        "https://novita.ai/settings/key-management",
		DiscoveryURL:   "https://api.novita.ai/openai/models",
		DefaultBaseURL: "https://api.novita.ai/openai", Family: FamilyOpenAI,
	},
	{
		Name: "ppq", DisplayName: "PayPerQ", Modalities: allTypes(),
		RequiredEnv: []string{"PPQ_API_KEY"},
		TestModel:   "auto", TestModelType: TypeLanguage,
		DocsURL:        "https://ppq.ai",
		DiscoveryURL:   "https://api.ppq.ai/v1/models?type=all",
		DefaultBaseURL: "https://api.ppq.ai/v1", Family: FamilyOpenAI,
	},
	{
		Name: "cohere", DisplayName: "Cohere", Modalities: []string{TypeLanguage, TypeEmbedding},
		RequiredEnv: []string{"COHERE_API_KEY"},
		TestModel:   "command-a-03-2025", TestModelType: TypeLanguage,
		DocsURL:        "https://dashboard.cohere.com/api-keys",
		DefaultBaseURL: "https://api.cohere.com", Family: FamilyCohere,
	},
	{
		Name: "voyage", DisplayName: "Voyage AI", Modalities: []string{TypeEmbedding},
		RequiredEnv: []string{"VOYAGE_API_KEY"},
		TestModel:   "voyage-3-lite", TestModelType: TypeEmbedding,
		DocsURL:        "https://dash.voyageai.com/api-keys",
		DefaultBaseURL: "https://api.voyageai.com/v1", Family: FamilyVoyage,
	},
	{
		Name: "elevenlabs", DisplayName: "ElevenLabs", Modalities: []string{TypeTextToSpeech, TypeSpeechToText},
		RequiredEnv: []string{"ELEVENLABS_API_KEY"},
		TestModel:   "eleven_multilingual_v2", TestModelType: TypeTextToSpeech,
		DocsURL:        "https://elevenlabs.io/app/settings/api-keys",
		DefaultBaseURL: "https://api.elevenlabs.io", Family: FamilyElevenLabs,
	},
	{
		Name: "deepgram", DisplayName: "Deepgram", Modalities: []string{TypeTextToSpeech, TypeSpeechToText},
		RequiredEnv: []string{"DEEPGRAM_API_KEY"},
		TestModel:   "aura-2-thalia-en", TestModelType: TypeTextToSpeech,
		DocsURL:        "https://console.deepgram.com/",
		DefaultBaseURL: "https://api.deepgram.com", Family: FamilyDeepgram,
	},
	{
		Name: "ollama", DisplayName: "Ollama", Modalities: []string{TypeLanguage, TypeEmbedding},
		RequiredEnv:   []string{"OLLAMA_API_BASE"},
		TestModelType: TypeLanguage,
		// Ollama has no key page: it runs on the user's own machine.
		DefaultBaseURL: "http://localhost:11434", Family: FamilyOllama,
	},
	{
		Name: "omlx", DisplayName: "oMLX", Modalities: []string{TypeLanguage, TypeEmbedding},
		RequiredEnv: []string{"OMLX_API_BASE"}, OptionalEnv: []string{"OMLX_API_KEY"},
		TestModelType:  TypeLanguage,
		DocsURL:        "https://github.com/lfnovo/open-notebook/blob/main/docs/5-CONFIGURATION/omlx.md",
		DefaultBaseURL: "http://localhost:11435/v1", Family: FamilyOpenAI,
	},
	{
		Name: "azure", DisplayName: "Azure OpenAI", Modalities: allTypes(),
		RequiredEnv: []string{"AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_VERSION"},
		OptionalEnv: []string{"AZURE_OPENAI_ENDPOINT_LLM", "AZURE_OPENAI_ENDPOINT_EMBEDDING",
			"AZURE_OPENAI_ENDPOINT_STT", "AZURE_OPENAI_ENDPOINT_TTS"},
		TestModel: "gpt-35-turbo", TestModelType: TypeLanguage,
		DocsURL: "https://portal.azure.com/#view/Microsoft_Azure_ProjectOxford/CognitiveServicesHub/~/OpenAI",
		Family:  FamilyAzure,
	},
	{
		Name: "vertex", DisplayName: "Google Vertex AI",
		Modalities:  []string{TypeLanguage, TypeEmbedding, TypeTextToSpeech},
		RequiredEnv: []string{"VERTEX_PROJECT", "VERTEX_LOCATION"},
		OptionalEnv: []string{"GOOGLE_APPLICATION_CREDENTIALS"},
		TestModel:   "gemini-flash-latest", TestModelType: TypeLanguage,
		DocsURL: "https://cloud.google.com/vertex-ai/docs/start/cloud-environment",
		Family:  FamilyVertex,
	},
	{
		Name: "openai_compatible", DisplayName: "OpenAI Compatible", Modalities: allTypes(),
		RequiredAnyEnv: []string{"OPENAI_COMPATIBLE_BASE_URL", "OPENAI_COMPATIBLE_API_KEY"},
		TestModelType:  TypeLanguage,
		DocsURL:        "https://github.com/lfnovo/open-notebook/blob/main/docs/5-CONFIGURATION/openai-compatible.md",
		Family:         FamilyOpenAI,
	},
	{
		Name: "anthropic_compatible", DisplayName: "Anthropic Compatible", Modalities: []string{TypeLanguage},
		RequiredEnv:   []string{"ANTHROPIC_COMPATIBLE_BASE_URL", "ANTHROPIC_COMPATIBLE_API_KEY"},
		TestModelType: TypeLanguage,
		DocsURL:       "https://github.com/lfnovo/open-notebook/blob/main/docs/5-CONFIGURATION/ai-providers.md",
		Family:        FamilyAnthropic,
	},
}

func allTypes() []string {
	return []string{TypeLanguage, TypeEmbedding, TypeSpeechToText, TypeTextToSpeech}
}

// Providers returns the 22 supported providers in declaration order, which
// is the order GET /api/providers reports and the UI shows.
func Providers() []Spec {
	out := make([]Spec, len(registry))
	for i := range registry {
		out[i] = registry[i].clone()
	}
	return out
}

// Lookup returns the provider with the given name. Names are exact and
// lowercase, as the API accepts them: "OpenAI" and " openai" are unknown.
func Lookup(name string) (Spec, bool) {
	s := find(name)
	if s == nil {
		return Spec{}, false
	}
	return s.clone(), true
}

// Names returns the providers' names in declaration order.
func Names() []string {
	out := make([]string, len(registry))
	for i := range registry {
		out[i] = registry[i].Name
	}
	return out
}

// EnvConfig returns the provider's environment variables in the shape the
// API reports them: {"required": .., "required_any": .., "optional": ..},
// with empty groups left out.
func (s Spec) EnvConfig() map[string][]string {
	out := make(map[string][]string, 3)
	if len(s.RequiredEnv) > 0 {
		out["required"] = slices.Clone(s.RequiredEnv)
	}
	if len(s.RequiredAnyEnv) > 0 {
		out["required_any"] = slices.Clone(s.RequiredAnyEnv)
	}
	if len(s.OptionalEnv) > 0 {
		out["optional"] = slices.Clone(s.OptionalEnv)
	}
	return out
}

func (s *Spec) clone() Spec {
	c := *s
	c.Modalities = slices.Clone(s.Modalities)
	c.RequiredEnv = slices.Clone(s.RequiredEnv)
	c.RequiredAnyEnv = slices.Clone(s.RequiredAnyEnv)
	c.OptionalEnv = slices.Clone(s.OptionalEnv)
	return c
}

// find returns the registry entry itself, for reading only.
func find(name string) *Spec {
	for i := range registry {
		if registry[i].Name == name {
			return &registry[i]
		}
	}
	return nil
}

// Env looks up an environment variable; os.LookupEnv has this shape. The
// functions here take the environment as a value so that the caller decides
// what it holds. A nil Env is an empty environment.
type Env func(key string) (string, bool)

// value returns the variable without surrounding white space, "" when it
// is unset or blank: a blank variable configures nothing.
func (e Env) value(key string) string {
	if e == nil {
		return ""
	}
	v, _ := e(key)
	return strings.TrimSpace(v)
}

func (e Env) set(key string) bool { return e.value(key) != "" }

// EnvConfigured reports whether the environment configures the provider:
// one of its RequiredAnyEnv variables is non-blank when it has such a list,
// else all of its RequiredEnv are. An unknown provider is not configured.
func EnvConfigured(name string, env Env) bool {
	s := find(name)
	return s != nil && s.envConfigured(env)
}

func (s *Spec) envConfigured(env Env) bool {
	switch {
	case len(s.RequiredAnyEnv) > 0:
		return slices.ContainsFunc(s.RequiredAnyEnv, env.set)
	case len(s.RequiredEnv) > 0:
		return !slices.ContainsFunc(s.RequiredEnv, func(k string) bool { return !env.set(k) })
	default:
		return false
	}
}

// EnvConfig builds the provider's Config from the environment, mapping
// variables to fields as migrating a provider from the environment does;
// ok is false when EnvConfigured is. Values are trimmed and blank ones
// left unset. Providers configured by one key also take BaseURL from
// {PROVIDER}_API_BASE (OPENAI_API_BASE, OLLAMA_API_BASE, ...), the variable
// the original provisions a stored base URL into, so a deployment that
// sets it keeps working when it falls back to the environment at run time.
func EnvConfig(name string, env Env) (cfg Config, ok bool) {
	s := find(name)
	if s == nil || !s.envConfigured(env) {
		return Config{}, false
	}
	cfg.Provider = s.Name
	key := ""
	switch s.Name {
	case "vertex":
		cfg.Project = env.value("VERTEX_PROJECT")
		cfg.Location = env.value("VERTEX_LOCATION")
		cfg.CredentialsPath = env.value("GOOGLE_APPLICATION_CREDENTIALS")
	case "azure":
		key = env.value("AZURE_OPENAI_API_KEY")
		cfg.Endpoint = env.value("AZURE_OPENAI_ENDPOINT")
		cfg.APIVersion = env.value("AZURE_OPENAI_API_VERSION")
		cfg.EndpointLLM = env.value("AZURE_OPENAI_ENDPOINT_LLM")
		cfg.EndpointEmbedding = env.value("AZURE_OPENAI_ENDPOINT_EMBEDDING")
		cfg.EndpointSTT = env.value("AZURE_OPENAI_ENDPOINT_STT")
		cfg.EndpointTTS = env.value("AZURE_OPENAI_ENDPOINT_TTS")
	case "openai_compatible", "anthropic_compatible":
		prefix := strings.ToUpper(s.Name)
		key = env.value(prefix + "_API_KEY")
		cfg.BaseURL = env.value(prefix + "_BASE_URL")
	default:
		cfg.BaseURL = env.value(strings.ToUpper(s.Name) + "_API_BASE")
		switch s.Name {
		case "ollama":
			// OLLAMA_API_BASE is the base URL, never a key.
		case "omlx":
			key = env.value("OMLX_API_KEY")
		case "google":
			key = env.value("GOOGLE_API_KEY")
			if key == "" {
				key = env.value("GEMINI_API_KEY")
			}
		default:
			key = env.value(s.RequiredEnv[0])
		}
	}
	cfg.APIKey = secret.New(key)
	return cfg, true
}

// Available reports whether the provider can be used, because it has a
// stored credential or the environment configures it, and if so the model
// types it supports: the GET /api/models/providers algorithm for one
// provider. azure and openai_compatible are judged per type from their
// per-mode variables (AZURE_OPENAI_*_LLM, OPENAI_COMPATIBLE_BASE_URL_TTS,
// ...); vertex needs only VERTEX_PROJECT here.
//
// Unlike the original, which counts a variable as set as soon as it exists,
// a variable counts only when it is non-blank after trimming, the rule the
// credential status already applies: an exported but empty OPENAI_API_KEY
// no longer makes OpenAI look available there while it is "not configured"
// everywhere else.
func Available(name string, env Env, hasCredential bool) (available bool, types []string) {
	s := find(name)
	if s == nil {
		return false, nil
	}
	switch s.Name {
	case "azure":
		return perMode(hasCredential, func(mode string) bool { return azureMode(env, mode) })
	case "openai_compatible":
		return perMode(hasCredential, func(mode string) bool {
			return env.set("OPENAI_COMPATIBLE_BASE_URL") || env.set("OPENAI_COMPATIBLE_BASE_URL_"+mode) ||
				env.set("OPENAI_COMPATIBLE_API_KEY") || env.set("OPENAI_COMPATIBLE_API_KEY_"+mode)
		})
	case "vertex":
		available = hasCredential || env.set("VERTEX_PROJECT")
	default:
		available = hasCredential || s.envConfigured(env)
	}
	if !available {
		return false, nil
	}
	for _, t := range allTypes() {
		if slices.Contains(s.Modalities, t) {
			types = append(types, t)
		}
	}
	return true, types
}

// perMode applies a per-mode configuration check to each model type: a
// stored credential serves every type, else a type is supported when its
// mode is configured, and the provider is available when any type is.
func perMode(hasCredential bool, configured func(mode string) bool) (bool, []string) {
	var types []string
	for _, t := range allTypes() {
		if hasCredential || configured(envMode(t)) {
			types = append(types, t)
		}
	}
	return len(types) > 0, types
}

// azureMode reports whether Azure is configured for one mode: by the three
// generic variables or by all three of the mode's own.
func azureMode(env Env, mode string) bool {
	generic := env.set("AZURE_OPENAI_API_KEY") && env.set("AZURE_OPENAI_ENDPOINT") &&
		env.set("AZURE_OPENAI_API_VERSION")
	specific := env.set("AZURE_OPENAI_API_KEY_"+mode) && env.set("AZURE_OPENAI_ENDPOINT_"+mode) &&
		env.set("AZURE_OPENAI_API_VERSION_"+mode)
	return generic || specific
}

// envMode is the suffix a model type's per-mode variables carry.
func envMode(modelType string) string {
	switch modelType {
	case TypeLanguage:
		return "LLM"
	case TypeEmbedding:
		return "EMBEDDING"
	case TypeSpeechToText:
		return "STT"
	default:
		return "TTS"
	}
}
