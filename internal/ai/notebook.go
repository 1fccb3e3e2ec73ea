package ai

import (
	"context"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/provider"
)

// The methods in this file are what the notebook features ask of the AI
// layer (notebook.Embedder and notebook.Chatter), by model id.

// EmbeddingModel returns the id of the default embedding model; ok is
// false when none is configured.
func (s *Service) EmbeddingModel(ctx context.Context) (string, bool, error) {
	m, ok, err := s.models.ResolveDefault(ctx, "embedding")
	if err != nil || !ok {
		return "", false, err
	}
	return m.ID, true, nil
}

// EmbedWith returns one vector per text from the embedding model id.
func (s *Service) EmbedWith(ctx context.Context, modelID string, texts []string) ([][]float64, error) {
	return s.Embed(ctx, ModelID(modelID), texts)
}

// LanguageModel reports whether id names a registered language model.
func (s *Service) LanguageModel(ctx context.Context, id string) (bool, error) {
	m, err := s.models.Get(ctx, id)
	if apperr.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return m.Type == provider.TypeLanguage, nil
}

// ChatWith asks the language model id for one completion and returns its
// text.
func (s *Service) ChatWith(ctx context.Context, modelID string, messages []provider.Message, maxTokens int) (string, error) {
	resp, err := s.Chat(ctx, ModelID(modelID), provider.ChatRequest{Messages: messages, MaxTokens: maxTokens})
	if err != nil {
		return "", err
	}
	return resp.Content, nil
}

// DefaultModel returns the id of a slot's default model (with the chat
// fallback of the transformation, tools and large-context slots); ok is
// false when none is configured.
func (s *Service) DefaultModel(ctx context.Context, slot string) (string, bool, error) {
	m, ok, err := s.models.ResolveDefault(ctx, slot)
	if err != nil || !ok {
		return "", false, err
	}
	return m.ID, true, nil
}

// ChatStreamWith calls a language model by id and passes the answer's text
// to emit as it arrives; it returns the whole answer.
func (s *Service) ChatStreamWith(ctx context.Context, modelID string, messages []provider.Message, maxTokens int, emit func(string) error) (string, error) {
	resp, err := s.ChatStream(ctx, ModelID(modelID), provider.ChatRequest{Messages: messages, MaxTokens: maxTokens},
		func(d provider.Delta) error { return emit(d.Text) })
	if err != nil {
		return "", err
	}
	return resp.Content, nil
}

// TranscribeWith transcribes audio with the speech-to-text model id.
func (s *Service) TranscribeWith(ctx context.Context, modelID string, req provider.TranscriptionRequest) (string, error) {
	return s.Transcribe(ctx, ModelID(modelID), req)
}

// SpeakWith synthesizes text with the text-to-speech model id and voice.
func (s *Service) SpeakWith(ctx context.Context, modelID, voice, text string) (provider.Speech, error) {
	return s.Speak(ctx, ModelID(modelID), provider.SpeechRequest{Voice: voice, Text: text})
}
