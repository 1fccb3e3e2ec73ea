package provider

import (
	"slices"
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

// Spec is the one declaration of a provider: how it is named and shown,
// which model types it offers, what its credential form asks for and what
// the server insists on, which environment variables configure it, where
// its API lives, how its models are classified, listed and preferred, and
// how it is tested. Everything special about a provider is here; the code
// that uses a Spec has no per-provider branches.
type Spec struct {
	Name        string // the lowercase identifier the API and the database use
	DisplayName string
	Family      string
	// Modalities are the model types a new credential offers by default.
	Modalities []string
	DocsURL    string // where a user gets a key; "" when there is no such page

	// DefaultBaseURL is the API base the clients use when a credential sets
	// none. It is "" where the user must give one (azure and the two
	// *_compatible providers) and for vertex, whose host is built from the
	// credential's location.
	DefaultBaseURL string
	// DiscoveryURL is the provider's OpenAI-compatible model listing, ""
	// when its listing is bespoke or its models are a static list. Its
	// query, if any, is sent to whatever host a credential points at.
	DiscoveryURL string

	// Key says whether a credential needs an API key: KeyRequired, or
	// KeyOptional (local servers, service-account files).
	Key KeyRule
	// Fields are the settings the credential form shows, in order, after
	// the name and modalities.
	Fields []Field
	// Requires are the settings the server refuses a credential without
	// (the original's ensure_provider_required_fields).
	Requires []Requirement

	// RequiredEnv must all be set, or one of RequiredAnyEnv, for the
	// provider to count as configured by the environment. OptionalEnv is
	// read when migrating from the environment but never required.
	RequiredEnv    []string
	RequiredAnyEnv []string
	OptionalEnv    []string
	// Env says which variable fills which setting ("api_key" or a setting's
	// API name) when the environment configures the provider; for a
	// setting several variables fill, the first that is set wins.
	Env []EnvVar
	// modeEnv, for providers configured per model type (azure,
	// openai_compatible), reports whether the environment configures one
	// mode ("LLM", "EMBEDDING", "STT", "TTS").
	modeEnv func(env Env, mode string) bool
	// availableEnv, when set, is the variable whose presence alone makes
	// the provider available (vertex needs only its project there).
	availableEnv string

	// Patterns classify listed models whose type the listing does not say.
	Patterns Patterns
	// Catalogue is a fixed model list; CatalogueUse says what it is for.
	Catalogue    []ModelGroup
	CatalogueUse CatalogueUse

	// Priority orders providers when auto-assign looks for a default model
	// (1 first; 0: never preferred), and Preferred are the name fragments
	// it prefers within the provider, best first.
	Priority  int
	Preferred []string

	// TestModel is the cheapest model a connection test may call, "" when
	// the provider is tested by listing its models instead.
	TestModel     string
	TestModelType string
	// TestVoice is the voice a text-to-speech model test asks for where the
	// provider has no default voice.
	TestVoice string
}

// KeyRule says whether a provider's credentials need an API key.
type KeyRule string

// Key rules.
const (
	KeyRequired KeyRule = "required"
	KeyOptional KeyRule = "optional"
)

// Field is one input of a provider's credential form.
type Field struct {
	Name        string `json:"name"` // "api_key" or a setting's API name
	Label       string `json:"label"`
	Kind        string `json:"kind" enum:"secret,url,text,number"`
	Required    bool   `json:"required"` // the form insists; the server insists only on Requires
	Placeholder string `json:"placeholder,omitempty"`
	Hint        string `json:"hint,omitempty"`
	Group       string `json:"group,omitempty"`   // a collapsible section, e.g. "Advanced"
	Initial     string `json:"initial,omitempty"` // prefilled in a new credential's form
}

// Requirement is a setting the server refuses a credential without.
type Requirement struct {
	Field   string // "api_key" or a setting's API name
	Message string
}

// EnvVar maps an environment variable to a credential field.
type EnvVar struct {
	Var   string
	Field string // "api_key" or a setting's API name
}

// Patterns are the name fragments that mark a provider's models as one of
// the non-default types. There is no language list: language is both the
// last type checked and the default.
type Patterns struct {
	SpeechToText, TextToSpeech, Embedding []string
}

// ModelGroup is models of one type in a catalogue.
type ModelGroup struct {
	Type  string
	Names []string
}

// CatalogueUse says what a provider's catalogue is for.
type CatalogueUse int

// Catalogue uses.
const (
	NoCatalogue CatalogueUse = iota
	// CatalogueIsListing: the provider offers no listing (or the original
	// answers without calling it), so the catalogue is its model list.
	CatalogueIsListing
	// CatalogueIfNoListing: the catalogue stands in when the listing is
	// unavailable.
	CatalogueIfNoListing
	// CatalogueExtendsListing: models the listing omits, added to a
	// successful, non-empty listing.
	CatalogueExtendsListing
)

// Form pieces shared by many providers.
func apiKey(hint string) Field {
	return Field{Name: "api_key", Label: "API key", Kind: "secret", Required: true, Hint: hint}
}

func optionalKey(hint string) Field {
	f := apiKey(hint)
	f.Required = false
	return f
}

// hostedBase is the base-URL field of a hosted provider: only for a proxy
// or gateway, under Advanced.
func hostedBase(def string) Field {
	return Field{Name: "base_url", Label: "Base URL", Kind: "url", Placeholder: def,
		Hint: "Only for a proxy or gateway. Empty uses the provider’s own API.", Group: "Advanced"}
}

// keyed is the usual environment of a provider configured by one key:
// {PREFIX}_API_KEY, and {PREFIX}_API_BASE for the base URL (the variable
// the original provisions a stored base URL into).
func keyed(prefix string) []EnvVar {
	return []EnvVar{{prefix + "_API_KEY", "api_key"}, {prefix + "_API_BASE", "base_url"}}
}

// hosted completes the declaration of a hosted provider: a required key,
// an optional base URL under Advanced, and the keyed environment.
func hosted(s Spec, envPrefix string) Spec {
	s.Key = KeyRequired
	s.Fields = []Field{apiKey(""), hostedBase(s.DefaultBaseURL)}
	s.RequiredEnv = []string{envPrefix + "_API_KEY"}
	s.Env = keyed(envPrefix)
	if s.TestModelType == "" {
		s.TestModelType = TypeLanguage
	}
	return s
}

var openAIPatterns = Patterns{
	SpeechToText: []string{"whisper"},
	TextToSpeech: []string{"tts"},
	Embedding:    []string{"text-embedding", "embedding"},
}

// registry is the provider table in declaration order, which is also the
// order the UI shows. It is never modified: every exported accessor hands
// out copies, so no caller can change what another sees.
var registry = [...]Spec{
	hosted(Spec{
		Name: "openai", DisplayName: "OpenAI", Family: FamilyOpenAI, Modalities: allTypes(),
		DocsURL:        "https://platform.openai.com/api-keys",
		DefaultBaseURL: "https://api.openai.com/v1", DiscoveryURL: "https://api.openai.com/v1/models",
		Patterns: openAIPatterns, Priority: 1, Preferred: []string{"gpt-4o", "gpt-4", "gpt-3.5-turbo"},
		TestModel: "gpt-3.5-turbo",
	}, "OPENAI"),
	hosted(Spec{
		Name: "anthropic", DisplayName: "Anthropic", Family: FamilyAnthropic, Modalities: []string{TypeLanguage},
		DocsURL:        "https://console.anthropic.com/settings/keys",
		DefaultBaseURL: "https://api.anthropic.com",
		Catalogue: []ModelGroup{{TypeLanguage, []string{
			"claude-opus-4-8", "claude-opus-4-7", "claude-opus-4-6", "claude-opus-4-5",
			"claude-sonnet-5", "claude-sonnet-4-6", "claude-sonnet-4-5", "claude-haiku-4-5",
		}}},
		CatalogueUse: CatalogueIfNoListing,
		Priority:     2, Preferred: []string{"claude-3-5-sonnet", "claude-3-opus", "claude-3-sonnet"},
		TestModel: "claude-3-haiku-20240307",
	}, "ANTHROPIC"),
	func() Spec {
		s := hosted(Spec{
			Name: "google", DisplayName: "Google AI", Family: FamilyGoogle, Modalities: allTypes(),
			DocsURL:        "https://aistudio.google.com/app/apikey",
			DefaultBaseURL: "https://generativelanguage.googleapis.com",
			Patterns:       Patterns{TextToSpeech: []string{"tts"}, Embedding: []string{"embedding", "textembedding"}},
			Priority:       3, Preferred: []string{"gemini-3.5-flash", "gemini-2.5-flash", "gemini-2.5-pro"},
			TestModel: "gemini-flash-latest",
		}, "GOOGLE")
		s.RequiredEnv, s.RequiredAnyEnv = nil, []string{"GOOGLE_API_KEY", "GEMINI_API_KEY"}
		s.Env = append(s.Env, EnvVar{"GEMINI_API_KEY", "api_key"})
		return s
	}(),
	hosted(Spec{
		Name: "groq", DisplayName: "Groq", Family: FamilyOpenAI, Modalities: []string{TypeLanguage, TypeSpeechToText},
		DocsURL:        "https://console.groq.com/keys",
		DefaultBaseURL: "https://api.groq.com/openai/v1", DiscoveryURL: "https://api.groq.com/openai/v1/models",
		Patterns: Patterns{SpeechToText: []string{"whisper"}}, Priority: 5, Preferred: []string{"llama-3.3", "llama-3.1", "mixtral"},
		TestModel: "llama-3.1-8b-instant",
	}, "GROQ"),
	hosted(Spec{
		Name: "mistral", DisplayName: "Mistral AI", Family: FamilyOpenAI, Modalities: allTypes(),
		DocsURL:        "https://console.mistral.ai/api-keys/",
		DefaultBaseURL: "https://api.mistral.ai/v1", DiscoveryURL: "https://api.mistral.ai/v1/models",
		Patterns: Patterns{
			SpeechToText: []string{"voxtral-mini-latest", "voxtral-small-latest"},
			TextToSpeech: []string{"voxtral-mini-tts", "voxtral-tts"},
			Embedding:    []string{"mistral-embed"},
		},
		Priority: 4, Preferred: []string{"mistral-large", "mixtral"},
		TestModel: "mistral-small-latest",
	}, "MISTRAL"),
	hosted(Spec{
		Name: "deepseek", DisplayName: "DeepSeek", Family: FamilyOpenAI, Modalities: []string{TypeLanguage},
		DocsURL:        "https://platform.deepseek.com/api_keys",
		DefaultBaseURL: "https://api.deepseek.com", DiscoveryURL: "https://api.deepseek.com/models",
		Priority: 6, TestModel: "deepseek-chat",
	}, "DEEPSEEK"),
	hosted(Spec{
		Name: "xai", DisplayName: "xAI (Grok)", Family: FamilyOpenAI, Modalities: []string{TypeLanguage, TypeTextToSpeech},
		DocsURL:        "https://console.x.ai/",
		DefaultBaseURL: "https://api.x.ai/v1", DiscoveryURL: "https://api.x.ai/v1/models",
		Priority: 7, TestModel: "grok-beta",
		// xAI has no default voice.
		TestVoice: "eve",
	}, "XAI"),
	hosted(Spec{
		Name: "openrouter", DisplayName: "OpenRouter", Family: FamilyOpenAI, Modalities: allTypes(),
		DocsURL:        "https://openrouter.ai/keys",
		DefaultBaseURL: "https://openrouter.ai/api/v1", DiscoveryURL: "https://openrouter.ai/api/v1/models",
		// The audio models OpenRouter serves but does not list.
		Catalogue: []ModelGroup{
			{TypeTextToSpeech, []string{"microsoft/mai-voice-2"}},
			{TypeSpeechToText, []string{"openai/whisper-1", "openai/whisper-large-v3"}},
		},
		CatalogueUse: CatalogueExtendsListing,
		Priority:     8, TestModel: "openai/gpt-3.5-turbo",
	}, "OPENROUTER"),
	hosted(Spec{
		Name: "dashscope", DisplayName: "DashScope (Qwen)", Family: FamilyOpenAI, Modalities: []string{TypeLanguage},
		DocsURL:        "https://help.aliyun.com/zh/model-studio/getting-started/",
		DefaultBaseURL: "https://dashscope.aliyuncs.com/compatible-mode/v1", DiscoveryURL: "https://dashscope.aliyuncs.com/compatible-mode/v1/models",
		Priority: 12, Preferred: []string{"qwen-max", "qwen-plus", "qwen-turbo"},
		TestModel: "qwen-plus",
	}, "DASHSCOPE"),
	hosted(Spec{
		Name: "minimax", DisplayName: "MiniMax", Family: FamilyOpenAI, Modalities: []string{TypeLanguage},
		DocsURL:        "https://platform.minimaxi.com/document/Guides",
		DefaultBaseURL: "https://api.minimax.io/v1", DiscoveryURL: "https://api.minimax.io/v1/models",
		Priority: 13, Preferred: []string{"MiniMax-M2.5", "MiniMax-M2.5-highspeed"},
		TestModel: "MiniMax-M2.5",
	}, "MINIMAX"),
	hosted(Spec{
		Name: "novita", DisplayName: "Novita", Family: FamilyOpenAI, Modalities: []string{TypeLanguage},
		DocsURL:        "https://novita.ai/settings/key-management",
		DefaultBaseURL: "https://api.novita.ai/openai", DiscoveryURL: "https://api.novita.ai/openai/models",
		TestModel: "moonshotai/kimi-k2.5",
	}, "NOVITA"),
	hosted(Spec{
		Name: "ppq", DisplayName: "PayPerQ", Family: FamilyOpenAI, Modalities: allTypes(),
		DocsURL: "https://ppq.ai",
		// PayPerQ lists its audio and embedding models only with type=all.
		DefaultBaseURL: "https://api.ppq.ai/v1", DiscoveryURL: "https://api.ppq.ai/v1/models?type=all",
		Patterns: Patterns{
			SpeechToText: []string{"whisper", "nova-", "scribe"},
			TextToSpeech: []string{"aura", "tts", "eleven"},
			Embedding:    []string{"text-embedding", "embed"},
		},
		TestModel: "auto",
	}, "PPQ"),
	hosted(Spec{
		Name: "cohere", DisplayName: "Cohere", Family: FamilyCohere, Modalities: []string{TypeLanguage, TypeEmbedding},
		DocsURL:        "https://dashboard.cohere.com/api-keys",
		DefaultBaseURL: "https://api.cohere.com",
		TestModel:      "command-a-03-2025",
	}, "COHERE"),
	hosted(Spec{
		Name: "voyage", DisplayName: "Voyage AI", Family: FamilyVoyage, Modalities: []string{TypeEmbedding},
		DocsURL:        "https://dash.voyageai.com/api-keys",
		DefaultBaseURL: "https://api.voyageai.com/v1",
		Patterns:       Patterns{Embedding: []string{"voyage"}},
		Catalogue: []ModelGroup{{TypeEmbedding, []string{
			"voyage-3", "voyage-3-lite", "voyage-code-3", "voyage-finance-2", "voyage-law-2", "voyage-multilingual-2",
		}}},
		CatalogueUse: CatalogueIsListing,
		TestModel:    "voyage-3-lite", TestModelType: TypeEmbedding,
	}, "VOYAGE"),
	hosted(Spec{
		Name: "elevenlabs", DisplayName: "ElevenLabs", Family: FamilyElevenLabs, Modalities: []string{TypeTextToSpeech, TypeSpeechToText},
		DocsURL:        "https://elevenlabs.io/app/settings/api-keys",
		DefaultBaseURL: "https://api.elevenlabs.io",
		Patterns:       Patterns{SpeechToText: []string{"scribe"}, TextToSpeech: []string{"eleven"}},
		// The fuller list of the original's environment path, scribe
		// models included.
		Catalogue: []ModelGroup{
			{TypeTextToSpeech, []string{
				"eleven_v3", "eleven_flash_v2_5", "eleven_flash_v2", "eleven_multilingual_v2",
				"eleven_turbo_v2_5", "eleven_turbo_v2", "eleven_monolingual_v1", "eleven_multilingual_v1",
			}},
			{TypeSpeechToText, []string{"scribe_v2", "scribe_v1"}},
		},
		CatalogueUse: CatalogueIsListing,
		TestModel:    "eleven_multilingual_v2", TestModelType: TypeTextToSpeech,
	}, "ELEVENLABS"),
	hosted(Spec{
		Name: "deepgram", DisplayName: "Deepgram", Family: FamilyDeepgram, Modalities: []string{TypeTextToSpeech, TypeSpeechToText},
		DocsURL:        "https://console.deepgram.com/",
		DefaultBaseURL: "https://api.deepgram.com",
		Patterns: Patterns{
			SpeechToText: []string{"nova", "whisper", "enhanced", "base"},
			TextToSpeech: []string{"aura"},
		},
		Catalogue: []ModelGroup{
			{TypeTextToSpeech, []string{
				"aura-2-thalia-en", "aura-2-andromeda-en", "aura-2-helena-en", "aura-2-apollo-en",
				"aura-2-arcas-en", "aura-2-asteria-en", "aura-2-athena-en", "aura-2-hera-en",
				"aura-2-hermes-en", "aura-2-atlas-en",
			}},
			{TypeSpeechToText, []string{
				"nova-3", "nova-2", "whisper-large", "whisper-medium", "whisper-small", "whisper-base", "whisper-tiny",
			}},
		},
		CatalogueUse: CatalogueIsListing,
		TestModel:    "aura-2-thalia-en", TestModelType: TypeTextToSpeech,
	}, "DEEPGRAM"),
	{
		Name: "ollama", DisplayName: "Ollama", Family: FamilyOllama, Modalities: []string{TypeLanguage, TypeEmbedding},
		// Ollama has no key page: it runs on the user's own machine.
		DefaultBaseURL: "http://localhost:11434",
		Key:            KeyOptional,
		Fields: []Field{
			{Name: "base_url", Label: "Server URL", Kind: "url", Placeholder: "http://localhost:11434", Hint: "Empty uses http://localhost:11434."},
			{Name: "num_ctx", Label: "Context window (num_ctx)", Kind: "number", Placeholder: "8192", Hint: "Optional. Tokens of context Ollama gives each request."},
			optionalKey("Only if your Ollama sits behind a proxy that asks for one."),
		},
		// OLLAMA_API_BASE is the base URL, never a key.
		RequiredEnv: []string{"OLLAMA_API_BASE"}, Env: []EnvVar{{"OLLAMA_API_BASE", "base_url"}},
		Patterns: Patterns{Embedding: []string{"nomic-embed", "mxbai-embed", "all-minilm", "bge-", "e5-"}},
		Priority: 9, TestModelType: TypeLanguage,
	},
	{
		Name: "omlx", DisplayName: "oMLX", Family: FamilyOpenAI, Modalities: []string{TypeLanguage, TypeEmbedding},
		DocsURL:        "https://github.com/lfnovo/open-notebook/blob/main/docs/5-CONFIGURATION/omlx.md",
		DefaultBaseURL: "http://localhost:11435/v1",
		Key:            KeyOptional,
		Fields: []Field{
			{Name: "base_url", Label: "Server URL", Kind: "url", Placeholder: "http://localhost:11435/v1", Initial: "http://localhost:11435/v1"},
			optionalKey(""),
		},
		RequiredEnv: []string{"OMLX_API_BASE"}, OptionalEnv: []string{"OMLX_API_KEY"}, Env: keyed("OMLX"),
		Patterns: openAIPatterns, TestModelType: TypeLanguage,
	},
	{
		Name: "azure", DisplayName: "Azure OpenAI", Family: FamilyAzure, Modalities: allTypes(),
		DocsURL: "https://portal.azure.com/#view/Microsoft_Azure_ProjectOxford/CognitiveServicesHub/~/OpenAI",
		Key:     KeyRequired,
		Fields: []Field{
			apiKey(""),
			{Name: "endpoint", Label: "Endpoint", Kind: "url", Required: true, Placeholder: "https://my-resource.openai.azure.com"},
			{Name: "api_version", Label: "API version", Kind: "text", Placeholder: "2024-10-21", Hint: "Empty uses 2024-10-21."},
			{Name: "endpoint_llm", Label: "Language endpoint", Kind: "url", Group: "Per-modality endpoints"},
			{Name: "endpoint_embedding", Label: "Embedding endpoint", Kind: "url", Group: "Per-modality endpoints"},
			{Name: "endpoint_stt", Label: "Speech-to-text endpoint", Kind: "url", Group: "Per-modality endpoints"},
			{Name: "endpoint_tts", Label: "Text-to-speech endpoint", Kind: "url", Group: "Per-modality endpoints"},
		},
		RequiredEnv: []string{"AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_VERSION"},
		OptionalEnv: []string{"AZURE_OPENAI_ENDPOINT_LLM", "AZURE_OPENAI_ENDPOINT_EMBEDDING",
			"AZURE_OPENAI_ENDPOINT_STT", "AZURE_OPENAI_ENDPOINT_TTS"},
		Env: []EnvVar{
			{"AZURE_OPENAI_API_KEY", "api_key"}, {"AZURE_OPENAI_ENDPOINT", "endpoint"},
			{"AZURE_OPENAI_API_VERSION", "api_version"}, {"AZURE_OPENAI_ENDPOINT_LLM", "endpoint_llm"},
			{"AZURE_OPENAI_ENDPOINT_EMBEDDING", "endpoint_embedding"}, {"AZURE_OPENAI_ENDPOINT_STT", "endpoint_stt"},
			{"AZURE_OPENAI_ENDPOINT_TTS", "endpoint_tts"},
		},
		// Configured by the three generic variables, or by all three of a
		// mode's own.
		modeEnv: func(env Env, mode string) bool {
			return env.set("AZURE_OPENAI_API_KEY") && env.set("AZURE_OPENAI_ENDPOINT") && env.set("AZURE_OPENAI_API_VERSION") ||
				env.set("AZURE_OPENAI_API_KEY_"+mode) && env.set("AZURE_OPENAI_ENDPOINT_"+mode) && env.set("AZURE_OPENAI_API_VERSION_"+mode)
		},
		Priority: 10, TestModel: "gpt-35-turbo", TestModelType: TypeLanguage,
	},
	{
		Name: "vertex", DisplayName: "Google Vertex AI", Family: FamilyVertex,
		Modalities: []string{TypeLanguage, TypeEmbedding, TypeTextToSpeech},
		DocsURL:    "https://cloud.google.com/vertex-ai/docs/start/cloud-environment",
		Key:        KeyOptional,
		Fields: []Field{
			{Name: "project", Label: "Google Cloud project", Kind: "text", Required: true, Placeholder: "my-project-id"},
			{Name: "location", Label: "Location", Kind: "text", Required: true, Placeholder: "us-central1"},
			{Name: "credentials_path", Label: "Service-account file", Kind: "text", Placeholder: "/secrets/vertex-sa.json",
				Hint: "A path on the server to a service-account JSON file. Leave empty to use the server’s default Google credentials."},
		},
		RequiredEnv: []string{"VERTEX_PROJECT", "VERTEX_LOCATION"},
		OptionalEnv: []string{"GOOGLE_APPLICATION_CREDENTIALS"},
		Env: []EnvVar{
			{"VERTEX_PROJECT", "project"}, {"VERTEX_LOCATION", "location"}, {"GOOGLE_APPLICATION_CREDENTIALS", "credentials_path"},
		},
		availableEnv: "VERTEX_PROJECT",
		// The original's list, which it answers without calling Vertex. It
		// registers text-embedding-005 as a language model because vertex
		// has no pattern table; it is an embedding model.
		Catalogue: []ModelGroup{
			{TypeLanguage, []string{"gemini-3.5-flash", "gemini-2.5-flash", "gemini-2.5-flash-lite"}},
			{TypeEmbedding, []string{"text-embedding-005"}},
		},
		CatalogueUse: CatalogueIsListing,
		TestModel:    "gemini-flash-latest", TestModelType: TypeLanguage,
	},
	{
		Name: "openai_compatible", DisplayName: "OpenAI Compatible", Family: FamilyOpenAI, Modalities: allTypes(),
		DocsURL: "https://github.com/lfnovo/open-notebook/blob/main/docs/5-CONFIGURATION/openai-compatible.md",
		Key:     KeyOptional,
		Fields: []Field{
			{Name: "base_url", Label: "Base URL", Kind: "url", Required: true, Placeholder: "http://localhost:1234/v1",
				Hint: "The address of the OpenAI-style API, usually ending in /v1."},
			optionalKey("Only if the server asks for one."),
		},
		RequiredAnyEnv: []string{"OPENAI_COMPATIBLE_BASE_URL", "OPENAI_COMPATIBLE_API_KEY"},
		Env:            []EnvVar{{"OPENAI_COMPATIBLE_API_KEY", "api_key"}, {"OPENAI_COMPATIBLE_BASE_URL", "base_url"}},
		modeEnv: func(env Env, mode string) bool {
			return env.set("OPENAI_COMPATIBLE_BASE_URL") || env.set("OPENAI_COMPATIBLE_BASE_URL_"+mode) ||
				env.set("OPENAI_COMPATIBLE_API_KEY") || env.set("OPENAI_COMPATIBLE_API_KEY_"+mode)
		},
		Patterns: openAIPatterns, Priority: 11, TestModelType: TypeLanguage,
	},
	{
		Name: "anthropic_compatible", DisplayName: "Anthropic Compatible", Family: FamilyAnthropic, Modalities: []string{TypeLanguage},
		DocsURL: "https://github.com/lfnovo/open-notebook/blob/main/docs/5-CONFIGURATION/ai-providers.md",
		Key:     KeyRequired,
		Fields: []Field{
			{Name: "base_url", Label: "Base URL", Kind: "url", Required: true, Placeholder: "https://gateway.example.com/v1"},
			apiKey(""),
		},
		Requires: []Requirement{
			{"base_url", "Anthropic-compatible credentials require a base URL"},
			{"api_key", "Anthropic-compatible credentials require an API key"},
		},
		RequiredEnv:   []string{"ANTHROPIC_COMPATIBLE_BASE_URL", "ANTHROPIC_COMPATIBLE_API_KEY"},
		Env:           []EnvVar{{"ANTHROPIC_COMPATIBLE_API_KEY", "api_key"}, {"ANTHROPIC_COMPATIBLE_BASE_URL", "base_url"}},
		TestModelType: TypeLanguage,
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
	c.Fields = slices.Clone(s.Fields)
	c.Requires = slices.Clone(s.Requires)
	c.Env = slices.Clone(s.Env)
	c.Preferred = slices.Clone(s.Preferred)
	c.Catalogue = make([]ModelGroup, len(s.Catalogue))
	for i, g := range s.Catalogue {
		c.Catalogue[i] = ModelGroup{Type: g.Type, Names: slices.Clone(g.Names)}
	}
	c.Patterns = Patterns{SpeechToText: slices.Clone(s.Patterns.SpeechToText),
		TextToSpeech: slices.Clone(s.Patterns.TextToSpeech), Embedding: slices.Clone(s.Patterns.Embedding)}
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
