package provider

import "strings"

// typePatterns are the name fragments that mark a provider's models as one
// of the non-default types. There is no language list: language is both the
// last type checked and the default, so a language pattern could never
// change the outcome.
type typePatterns struct {
	speechToText, textToSpeech, embedding []string
}

// patternsFor returns the fragments the original's discovery uses for a
// provider. openai_compatible and omlx servers mostly serve OpenAI-style
// names, so they share OpenAI's table; providers without a table
// (anthropic, anthropic_compatible, openrouter, cohere, azure, vertex, ...)
// list language models only.
func patternsFor(providerName string) typePatterns {
	switch providerName {
	case "openai", "openai_compatible", "omlx":
		return typePatterns{
			speechToText: []string{"whisper"},
			textToSpeech: []string{"tts"},
			embedding:    []string{"text-embedding", "embedding"},
		}
	case "google":
		return typePatterns{textToSpeech: []string{"tts"}, embedding: []string{"embedding", "textembedding"}}
	case "ollama":
		return typePatterns{embedding: []string{"nomic-embed", "mxbai-embed", "all-minilm", "bge-", "e5-"}}
	case "mistral":
		return typePatterns{
			speechToText: []string{"voxtral-mini-latest", "voxtral-small-latest"},
			textToSpeech: []string{"voxtral-mini-tts", "voxtral-tts"},
			embedding:    []string{"mistral-embed"},
		}
	case "groq":
		return typePatterns{speechToText: []string{"whisper"}}
	case "voyage":
		return typePatterns{embedding: []string{"voyage"}}
	case "elevenlabs":
		return typePatterns{speechToText: []string{"scribe"}, textToSpeech: []string{"eleven"}}
	case "deepgram":
		return typePatterns{
			speechToText: []string{"nova", "whisper", "enhanced", "base"},
			textToSpeech: []string{"aura"},
		}
	case "ppq":
		return typePatterns{
			speechToText: []string{"whisper", "nova-", "scribe"},
			textToSpeech: []string{"aura", "tts", "eleven"},
			embedding:    []string{"text-embedding", "embed"},
		}
	default:
		return typePatterns{}
	}
}

// ClassifyModelType guesses a model's type from its name, for listings that
// do not say. The provider's patterns are tried on the lowercased name in
// the order speech_to_text, text_to_speech, embedding, and the first match
// wins; anything else is a language model. providerName is exact, as stored.
func ClassifyModelType(name, providerName string) string {
	p := patternsFor(providerName)
	lower := strings.ToLower(name)
	for _, c := range []struct {
		modelType string
		patterns  []string
	}{
		{TypeSpeechToText, p.speechToText},
		{TypeTextToSpeech, p.textToSpeech},
		{TypeEmbedding, p.embedding},
	} {
		for _, pattern := range c.patterns {
			if strings.Contains(lower, pattern) {
				return c.modelType
			}
		}
	}
	return TypeLanguage
}

// StaticModels returns the fixed model list of a provider that has one, with
// every Type set, or nil:
//   - voyage, elevenlabs and deepgram offer no listing, so the list is their
//     catalogue. ElevenLabs' is the fuller one from the original's env path,
//     scribe STT models included; its credential path listed fewer, so the
//     two paths disagreed.
//   - vertex's list is the original's, which answers without calling Vertex.
//   - anthropic's list is the fallback for when its listing fails.
//   - openrouter's are the audio models its listing omits; they are added
//     to a successful, non-empty listing only.
func StaticModels(providerName string) []Model {
	var groups []modelGroup
	switch providerName {
	case "voyage":
		groups = []modelGroup{{TypeEmbedding, []string{
			"voyage-3", "voyage-3-lite", "voyage-code-3", "voyage-finance-2", "voyage-law-2",
			"voyage-multilingual-2",
		}}}
	case "elevenlabs":
		groups = []modelGroup{
			{TypeTextToSpeech, []string{
				"eleven_v3", "eleven_flash_v2_5", "eleven_flash_v2", "eleven_multilingual_v2",
				"eleven_turbo_v2_5", "eleven_turbo_v2", "eleven_monolingual_v1", "eleven_multilingual_v1",
			}},
			{TypeSpeechToText, []string{"scribe_v2", "scribe_v1"}},
		}
	case "deepgram":
		groups = []modelGroup{
			{TypeTextToSpeech, []string{
				"aura-2-thalia-en", "aura-2-andromeda-en", "aura-2-helena-en", "aura-2-apollo-en",
				"aura-2-arcas-en", "aura-2-asteria-en", "aura-2-athena-en", "aura-2-hera-en",
				"aura-2-hermes-en", "aura-2-atlas-en",
			}},
			{TypeSpeechToText, []string{
				"nova-3", "nova-2", "whisper-large", "whisper-medium", "whisper-small", "whisper-base",
				"whisper-tiny",
			}},
		}
	case "vertex":
		// The original registers text-embedding-005 as a language model
		// because vertex has no pattern table; it is an embedding model.
		groups = []modelGroup{
			{TypeLanguage, []string{"gemini-3.5-flash", "gemini-2.5-flash", "gemini-2.5-flash-lite"}},
			{TypeEmbedding, []string{"text-embedding-005"}},
		}
	case "anthropic":
		groups = []modelGroup{{TypeLanguage, []string{
			"claude-opus-4-8", "claude-opus-4-7", "claude-opus-4-6", "claude-opus-4-5",
			"claude-sonnet-5", "claude-sonnet-4-6", "claude-sonnet-4-5", "claude-haiku-4-5",
		}}}
	case "openrouter":
		groups = []modelGroup{
			{TypeTextToSpeech, []string{"microsoft/mai-voice-2"}},
			{TypeSpeechToText, []string{"openai/whisper-1", "openai/whisper-large-v3"}},
		}
	default:
		return nil
	}
	var out []Model
	for _, g := range groups {
		for _, name := range g.names {
			out = append(out, Model{Name: name, Provider: providerName, Type: g.modelType})
		}
	}
	return out
}

type modelGroup struct {
	modelType string
	names     []string
}

// Slot is one default-model slot of GET/PUT /api/models/defaults.
type Slot struct {
	Field string // the JSON field, e.g. "default_chat_model"
	Short string // the name features ask for, e.g. "chat"
	Type  string // the model type the slot must hold
	// Required slots (chat and embedding) can be reassigned but not cleared.
	Required bool
	// FallbackToChat slots resolve to the chat model while they are empty.
	FallbackToChat bool
}

// Slots returns the seven default-model slots in the API's field order.
func Slots() []Slot {
	return []Slot{
		{Field: "default_chat_model", Short: "chat", Type: TypeLanguage, Required: true},
		{Field: "default_transformation_model", Short: "transformation", Type: TypeLanguage, FallbackToChat: true},
		{Field: "large_context_model", Short: "large_context", Type: TypeLanguage, FallbackToChat: true},
		{Field: "default_text_to_speech_model", Short: "text_to_speech", Type: TypeTextToSpeech},
		{Field: "default_speech_to_text_model", Short: "speech_to_text", Type: TypeSpeechToText},
		{Field: "default_embedding_model", Short: "embedding", Type: TypeEmbedding, Required: true},
		{Field: "default_tools_model", Short: "tools", Type: TypeLanguage, FallbackToChat: true},
	}
}

// ResolveSlot returns the model id a feature asking for slot (its Short
// name or its Field) should use, given the stored defaults keyed by Field.
// An empty transformation, large-context or tools slot falls back to the
// chat model; an empty chat, embedding, text-to-speech or speech-to-text
// slot, or an unknown slot, resolves to "" (the feature is unavailable).
func ResolveSlot(slot string, values map[string]string) string {
	for _, s := range Slots() {
		if s.Short != slot && s.Field != slot {
			continue
		}
		if id := values[s.Field]; id != "" || !s.FallbackToChat {
			return id
		}
		return values["default_chat_model"]
	}
	return ""
}

// providerPriority is the order in which auto-assign looks for a provider
// that has models of the wanted type.
func providerPriority() []string {
	return []string{
		"openai", "anthropic", "google", "mistral", "groq", "deepseek", "xai", "openrouter",
		"ollama", "azure", "openai_compatible", "dashscope", "minimax",
	}
}

// modelPreferences are the name fragments auto-assign prefers within a
// provider, best first.
func modelPreferences(providerName string) []string {
	switch providerName {
	case "openai":
		return []string{"gpt-4o", "gpt-4", "gpt-3.5-turbo"}
	case "anthropic":
		return []string{"claude-3-5-sonnet", "claude-3-opus", "claude-3-sonnet"}
	case "google":
		return []string{"gemini-3.5-flash", "gemini-2.5-flash", "gemini-2.5-pro"}
	case "mistral":
		return []string{"mistral-large", "mixtral"}
	case "groq":
		return []string{"llama-3.3", "llama-3.1", "mixtral"}
	case "dashscope":
		return []string{"qwen-max", "qwen-plus", "qwen-turbo"}
	case "minimax":
		return []string{"MiniMax-M2.5", "MiniMax-M2.5-highspeed"}
	default:
		return nil
	}
}

// PreferredModel picks the model auto-assign gives an empty required slot,
// from models of one type sorted by provider and name. It takes the first
// provider in priority order that has any; within it, the first model whose
// name contains a preferred fragment (fragments in preference order, case
// ignored), else that provider's first model. With no prioritised provider
// present it takes models[0]. ok is false only when models is empty.
func PreferredModel(models []Model) (index int, ok bool) {
	if len(models) == 0 {
		return 0, false
	}
	for _, p := range providerPriority() {
		first := -1
		for i, m := range models {
			if m.Provider == p {
				first = i
				break
			}
		}
		if first < 0 {
			continue
		}
		for _, pref := range modelPreferences(p) {
			pref = strings.ToLower(pref)
			for i := first; i < len(models); i++ {
				if models[i].Provider == p && strings.Contains(strings.ToLower(models[i].Name), pref) {
					return i, true
				}
			}
		}
		return first, true
	}
	return 0, true
}
