package provider

import (
	"slices"
	"testing"
)

func TestClassifyModelTypeMatchesTheOriginalsVectors(t *testing.T) {
	// The vectors of tests/test_credentials_api.py and tests/test_model_discovery.py.
	tests := []struct{ model, provider, want string }{
		{"voxtral-mini-tts-2603", "mistral", TypeTextToSpeech},
		{"voxtral-mini-latest", "mistral", TypeSpeechToText},
		{"voxtral-small-latest", "mistral", TypeSpeechToText},
		{"mistral-large-latest", "mistral", TypeLanguage},
		{"mistral-embed", "mistral", TypeEmbedding},
		{"aura-2-thalia-en", "deepgram", TypeTextToSpeech},
		{"gemini-3.1-flash-tts-preview", "google", TypeTextToSpeech},
		{"gemini-2.5-flash", "google", TypeLanguage},
		{"scribe_v1", "elevenlabs", TypeSpeechToText},
		{"eleven_multilingual_v2", "elevenlabs", TypeTextToSpeech},
		{"whisper-large-v3", "groq", TypeSpeechToText},
		{"llama-3.3-70b", "groq", TypeLanguage},
		{"openai/text-embedding-3-small", "ppq", TypeEmbedding},
		{"nova-3", "ppq", TypeSpeechToText},
		{"deepgram_aura_2", "ppq", TypeTextToSpeech},
		{"auto", "ppq", TypeLanguage},
	}
	for _, tt := range tests {
		t.Run(tt.model+" from "+tt.provider+" is "+tt.want, func(t *testing.T) {
			if got := ClassifyModelType(tt.model, tt.provider); got != tt.want {
				t.Errorf("ClassifyModelType(%q, %q) = %q, want %q", tt.model, tt.provider, got, tt.want)
			}
		})
	}
}

func TestClassifyModelType(t *testing.T) {
	tests := []struct {
		name, model, provider, want string
	}{
		{"openai whisper is speech to text", "whisper-1", "openai", TypeSpeechToText},
		{"openai tts is text to speech", "gpt-4o-mini-tts", "openai", TypeTextToSpeech},
		{"openai text-embedding is embedding", "text-embedding-3-large", "openai", TypeEmbedding},
		{"openai chat models are language", "gpt-4o", "openai", TypeLanguage},
		{"the name is matched case-insensitively", "Text-Embedding-3-Small", "openai", TypeEmbedding},
		{"speech to text wins over text to speech", "whisper-tts-hybrid", "openai", TypeSpeechToText},
		{"text to speech wins over embedding", "tts-embedding", "openai", TypeTextToSpeech},
		{"openai_compatible uses the openai table", "whisper-large-v3", "openai_compatible", TypeSpeechToText},
		{"omlx uses the openai table", "nomic-text-embedding-v1.5", "omlx", TypeEmbedding},
		{"anthropic_compatible models are all language", "voyage-embedding-tts", "anthropic_compatible", TypeLanguage},
		{"openrouter has no table so everything is language", "openai/text-embedding-3-small", "openrouter", TypeLanguage},
		{"vertex has no table so everything is language", "text-embedding-005", "vertex", TypeLanguage},
		{"an unknown provider gets language", "whisper-1", "somebody", TypeLanguage},
		{"the provider name is exact", "whisper-1", "OpenAI", TypeLanguage},
		{"google textembedding is embedding", "textembedding-gecko@003", "google", TypeEmbedding},
		{"ollama nomic-embed is embedding", "nomic-embed-text:latest", "ollama", TypeEmbedding},
		{"ollama bge- is embedding", "bge-m3:567m", "ollama", TypeEmbedding},
		{"ollama llama is language", "llama3.2:3b", "ollama", TypeLanguage},
		{"groq whisper is speech to text although groq lists it as language too", "distil-whisper-large-v3-en", "groq", TypeSpeechToText},
		{"voyage models are embedding", "voyage-3.5", "voyage", TypeEmbedding},
		{"deepgram nova is speech to text", "nova-2-general", "deepgram", TypeSpeechToText},
		{"deepgram base is speech to text", "base", "deepgram", TypeSpeechToText},
		{"ppq scribe is speech to text", "elevenlabs/scribe_v1", "ppq", TypeSpeechToText},
		{"ppq eleven is text to speech", "elevenlabs/eleven_v3", "ppq", TypeTextToSpeech},
		{"deepseek models are language", "deepseek-reasoner", "deepseek", TypeLanguage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClassifyModelType(tt.model, tt.provider); got != tt.want {
				t.Errorf("ClassifyModelType(%q, %q) = %q, want %q", tt.model, tt.provider, got, tt.want)
			}
		})
	}
}

func TestStaticModels(t *testing.T) {
	type entry struct{ name, typ string }
	tests := []struct {
		name     string
		provider string
		want     []entry
	}{
		{"voyage lists its six embedding models", "voyage", []entry{
			{"voyage-3", TypeEmbedding}, {"voyage-3-lite", TypeEmbedding}, {"voyage-code-3", TypeEmbedding},
			{"voyage-finance-2", TypeEmbedding}, {"voyage-law-2", TypeEmbedding}, {"voyage-multilingual-2", TypeEmbedding},
		}},
		{"elevenlabs lists the fuller voice list and both scribe models", "elevenlabs", []entry{
			{"eleven_v3", TypeTextToSpeech}, {"eleven_flash_v2_5", TypeTextToSpeech}, {"eleven_flash_v2", TypeTextToSpeech},
			{"eleven_multilingual_v2", TypeTextToSpeech}, {"eleven_turbo_v2_5", TypeTextToSpeech}, {"eleven_turbo_v2", TypeTextToSpeech},
			{"eleven_monolingual_v1", TypeTextToSpeech}, {"eleven_multilingual_v1", TypeTextToSpeech},
			{"scribe_v2", TypeSpeechToText}, {"scribe_v1", TypeSpeechToText},
		}},
		{"deepgram lists ten aura voices and seven transcription models", "deepgram", []entry{
			{"aura-2-thalia-en", TypeTextToSpeech}, {"aura-2-andromeda-en", TypeTextToSpeech}, {"aura-2-helena-en", TypeTextToSpeech},
			{"aura-2-apollo-en", TypeTextToSpeech}, {"aura-2-arcas-en", TypeTextToSpeech}, {"aura-2-asteria-en", TypeTextToSpeech},
			{"aura-2-athena-en", TypeTextToSpeech}, {"aura-2-hera-en", TypeTextToSpeech}, {"aura-2-hermes-en", TypeTextToSpeech},
			{"aura-2-atlas-en", TypeTextToSpeech},
			{"nova-3", TypeSpeechToText}, {"nova-2", TypeSpeechToText}, {"whisper-large", TypeSpeechToText},
			{"whisper-medium", TypeSpeechToText}, {"whisper-small", TypeSpeechToText}, {"whisper-base", TypeSpeechToText},
			{"whisper-tiny", TypeSpeechToText},
		}},
		{"vertex lists three gemini models and an embedding model", "vertex", []entry{
			{"gemini-3.5-flash", TypeLanguage}, {"gemini-2.5-flash", TypeLanguage}, {"gemini-2.5-flash-lite", TypeLanguage},
			{"text-embedding-005", TypeEmbedding},
		}},
		{"anthropic's fallback lists eight claude models", "anthropic", []entry{
			{"claude-opus-4-8", TypeLanguage}, {"claude-opus-4-7", TypeLanguage}, {"claude-opus-4-6", TypeLanguage},
			{"claude-opus-4-5", TypeLanguage}, {"claude-sonnet-5", TypeLanguage}, {"claude-sonnet-4-6", TypeLanguage},
			{"claude-sonnet-4-5", TypeLanguage}, {"claude-haiku-4-5", TypeLanguage},
		}},
		{"openrouter seeds one voice and two transcription models", "openrouter", []entry{
			{"microsoft/mai-voice-2", TypeTextToSpeech}, {"openai/whisper-1", TypeSpeechToText}, {"openai/whisper-large-v3", TypeSpeechToText},
		}},
		{"a provider with a live listing has no static list", "openai", nil},
		{"an unknown provider has no static list", "nope", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []entry
			for _, m := range StaticModels(tt.provider) {
				if m.Provider != tt.provider {
					t.Errorf("%s has provider %q, want %q", m.Name, m.Provider, tt.provider)
				}
				got = append(got, entry{m.Name, m.Type})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("StaticModels(%q) = %v, want %v", tt.provider, got, tt.want)
			}
		})
	}
}

func TestStaticModelsAgreeWithTheClassifierWhereOneExists(t *testing.T) {
	for _, provider := range []string{"voyage", "elevenlabs", "deepgram"} {
		for _, m := range StaticModels(provider) {
			if got := ClassifyModelType(m.Name, provider); got != m.Type {
				t.Errorf("%s/%s is listed as %q but classifies as %q", provider, m.Name, m.Type, got)
			}
		}
	}
}

func TestStaticModelsReturnsAFreshListEachTime(t *testing.T) {
	first := StaticModels("voyage")
	first[0].Name = "changed"
	if again := StaticModels("voyage"); again[0].Name != "voyage-3" {
		t.Errorf("a change to a returned list leaked into the next: %q", again[0].Name)
	}
}

func TestSlotsAreTheSevenDefaultsInAPIOrder(t *testing.T) {
	want := []Slot{
		{Field: "default_chat_model", Short: "chat", Type: TypeLanguage, Required: true},
		{Field: "default_transformation_model", Short: "transformation", Type: TypeLanguage, FallbackToChat: true},
		{Field: "large_context_model", Short: "large_context", Type: TypeLanguage, FallbackToChat: true},
		{Field: "default_text_to_speech_model", Short: "text_to_speech", Type: TypeTextToSpeech},
		{Field: "default_speech_to_text_model", Short: "speech_to_text", Type: TypeSpeechToText},
		{Field: "default_embedding_model", Short: "embedding", Type: TypeEmbedding, Required: true},
		{Field: "default_tools_model", Short: "tools", Type: TypeLanguage, FallbackToChat: true},
	}
	if got := Slots(); !slices.Equal(got, want) {
		t.Errorf("Slots() = %+v\nwant %+v", got, want)
	}
}

func TestResolveSlot(t *testing.T) {
	full := map[string]string{
		"default_chat_model": "model:chat", "default_transformation_model": "model:transform",
		"large_context_model": "model:large", "default_text_to_speech_model": "model:tts",
		"default_speech_to_text_model": "model:stt", "default_embedding_model": "model:embed",
		"default_tools_model": "model:tools",
	}
	onlyChat := map[string]string{"default_chat_model": "model:chat", "default_transformation_model": ""}
	tests := []struct {
		name   string
		slot   string
		values map[string]string
		want   string
	}{
		{"a set slot resolves to its own model", "transformation", full, "model:transform"},
		{"a slot can be named by its field", "default_tools_model", full, "model:tools"},
		{"every set slot resolves to itself", "large_context", full, "model:large"},
		{"an empty transformation slot falls back to chat", "transformation", onlyChat, "model:chat"},
		{"an empty tools slot falls back to chat", "tools", onlyChat, "model:chat"},
		{"an empty large context slot falls back to chat", "large_context_model", onlyChat, "model:chat"},
		{"an empty text to speech slot has no fallback", "text_to_speech", onlyChat, ""},
		{"an empty speech to text slot has no fallback", "speech_to_text", onlyChat, ""},
		{"an empty embedding slot has no fallback", "embedding", onlyChat, ""},
		{"an empty chat slot has no fallback", "chat", map[string]string{"default_tools_model": "model:tools"}, ""},
		{"a fallback with no chat model resolves to nothing", "tools", map[string]string{}, ""},
		{"an unknown slot resolves to nothing", "vision", full, ""},
		{"nil values resolve to nothing", "chat", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ResolveSlot(tt.slot, tt.values); got != tt.want {
				t.Errorf("ResolveSlot(%q) = %q, want %q", tt.slot, got, tt.want)
			}
		})
	}
}

func TestPreferredModel(t *testing.T) {
	m := func(provider, name string) Model { return Model{Provider: provider, Name: name, Type: TypeLanguage} }
	tests := []struct {
		name      string
		models    []Model
		wantIndex int
		wantOK    bool
	}{
		{"no models give no pick", nil, 0, false},
		{"the highest-priority provider wins over an earlier one", []Model{
			m("anthropic", "claude-3-5-sonnet-latest"), m("groq", "llama-3.3-70b"), m("openai", "gpt-4o"),
		}, 2, true},
		{"within the provider the first preference wins over list order", []Model{
			m("openai", "gpt-3.5-turbo"), m("openai", "gpt-4"), m("openai", "gpt-4o-mini"),
		}, 2, true},
		{"a later preference is used when earlier ones are absent", []Model{
			m("openai", "davinci-002"), m("openai", "gpt-3.5-turbo-0125"),
		}, 1, true},
		{"preferences match regardless of case", []Model{
			m("minimax", "abab6.5"), m("minimax", "minimax-m2.5"),
		}, 1, true},
		{"the provider's first model is taken when no preference matches", []Model{
			m("cohere", "command-r"), m("mistral", "codestral-latest"), m("mistral", "ministral-8b"),
		}, 1, true},
		{"a provider without preferences gives its first model", []Model{
			m("novita", "a"), m("ollama", "qwen3:8b"), m("ollama", "llama3.2"),
		}, 1, true},
		{"models[0] is taken when no prioritised provider is present", []Model{
			m("cohere", "command-r"), m("novita", "kimi"),
		}, 0, true},
		{"google prefers gemini-3.5-flash", []Model{
			m("google", "gemini-2.5-pro"), m("google", "gemini-2.5-flash"), m("google", "gemini-3.5-flash"),
		}, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			index, ok := PreferredModel(tt.models)
			if index != tt.wantIndex || ok != tt.wantOK {
				t.Errorf("PreferredModel() = %d, %v; want %d, %v", index, ok, tt.wantIndex, tt.wantOK)
			}
		})
	}
}
