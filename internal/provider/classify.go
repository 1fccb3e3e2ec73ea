package provider

import (
	"slices"
	"strings"
)

// ClassifyModelType guesses a model's type from its name, for listings that
// do not say. The provider's patterns are tried on the lowercased name in
// the order speech_to_text, text_to_speech, embedding, and the first match
// wins; anything else is a language model. providerName is exact, as stored.
func ClassifyModelType(name, providerName string) string {
	s := find(providerName)
	if s == nil {
		return TypeLanguage
	}
	lower := strings.ToLower(name)
	for _, c := range []struct {
		modelType string
		patterns  []string
	}{
		{TypeSpeechToText, s.Patterns.SpeechToText},
		{TypeTextToSpeech, s.Patterns.TextToSpeech},
		{TypeEmbedding, s.Patterns.Embedding},
	} {
		for _, pattern := range c.patterns {
			if strings.Contains(lower, pattern) {
				return c.modelType
			}
		}
	}
	return TypeLanguage
}

// StaticModels returns the catalogue of a provider that has one (see
// Spec.CatalogueUse), with every Type set, or nil.
func StaticModels(providerName string) []Model {
	s := find(providerName)
	if s == nil {
		return nil
	}
	var out []Model
	for _, g := range s.Catalogue {
		for _, name := range g.Names {
			out = append(out, Model{Name: name, Provider: providerName, Type: g.Type})
		}
	}
	return out
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

// priority returns the providers auto-assign considers, best first.
func priority() []*Spec {
	var out []*Spec
	for i := range registry {
		if registry[i].Priority > 0 {
			out = append(out, &registry[i])
		}
	}
	slices.SortFunc(out, func(a, b *Spec) int { return a.Priority - b.Priority })
	return out
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
	for _, p := range priority() {
		first := -1
		for i, m := range models {
			if m.Provider == p.Name {
				first = i
				break
			}
		}
		if first < 0 {
			continue
		}
		for _, pref := range p.Preferred {
			pref = strings.ToLower(pref)
			for i := first; i < len(models); i++ {
				if models[i].Provider == p.Name && strings.Contains(strings.ToLower(models[i].Name), pref) {
					return i, true
				}
			}
		}
		return first, true
	}
	return 0, true
}
