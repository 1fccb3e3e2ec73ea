package ai

import (
	"context"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/model"
	"github.com/open-notebook/open-notebook/internal/provider"
)

// Ref names the model a call uses: a registered model, or the default
// model of a slot.
type Ref struct {
	id, slot string
}

// ModelID refers to a registered model by its id.
func ModelID(id string) Ref { return Ref{id: id} }

// Slot refers to the default model of a slot, by its short name ("chat",
// "transformation", "tools", "large_context", "embedding",
// "text_to_speech", "speech_to_text") or its field name. An empty
// transformation, tools or large-context slot falls back to the chat model.
func Slot(name string) Ref { return Ref{slot: name} }

// Chat asks the referred language model for one completion; req.Model is
// set from the model.
func (s *Service) Chat(ctx context.Context, ref Ref, req provider.ChatRequest) (provider.ChatResponse, error) {
	m, c, err := s.resolve(ctx, ref, provider.TypeLanguage)
	if err != nil {
		return provider.ChatResponse{}, err
	}
	req.Model = m.Name
	resp, err := c.Chat(ctx, req)
	if err != nil {
		return provider.ChatResponse{}, callError("Chat", err)
	}
	return resp, nil
}

// ChatStream is Chat with the answer passed to emit piece by piece as the
// provider sends it. Cancelling ctx (the client went away) cancels the
// upstream request at once. After a failure the response holds the text
// that arrived.
func (s *Service) ChatStream(ctx context.Context, ref Ref, req provider.ChatRequest, emit func(provider.Delta) error) (provider.ChatResponse, error) {
	m, err := s.Model(ctx, ref, provider.TypeLanguage)
	if err != nil {
		return provider.ChatResponse{}, err
	}
	cfg, err := s.modelConfig(ctx, m)
	if err != nil {
		return provider.ChatResponse{}, err
	}
	c, err := s.streams(cfg)
	if err != nil {
		return provider.ChatResponse{}, err
	}
	req.Model = m.Name
	resp, err := c.ChatStream(ctx, req, emit)
	if err != nil {
		return resp, callError("Chat", err)
	}
	return resp, nil
}

// Embed returns one vector per text from the referred embedding model.
func (s *Service) Embed(ctx context.Context, ref Ref, texts []string) ([][]float64, error) {
	m, c, err := s.resolve(ctx, ref, provider.TypeEmbedding)
	if err != nil {
		return nil, err
	}
	vectors, err := c.Embed(ctx, provider.EmbedRequest{Model: m.Name, Input: texts})
	if err != nil {
		return nil, callError("Embedding", err)
	}
	return vectors, nil
}

// Speak synthesizes req.Text with the referred text-to-speech model;
// req.Model is set from the model.
func (s *Service) Speak(ctx context.Context, ref Ref, req provider.SpeechRequest) (provider.Speech, error) {
	m, c, err := s.resolve(ctx, ref, provider.TypeTextToSpeech)
	if err != nil {
		return provider.Speech{}, err
	}
	req.Model = m.Name
	speech, err := c.Speak(ctx, req)
	if err != nil {
		return provider.Speech{}, callError("Speech synthesis", err)
	}
	return speech, nil
}

// Transcribe returns the transcript of req.Audio from the referred
// speech-to-text model; req.Model is set from the model.
func (s *Service) Transcribe(ctx context.Context, ref Ref, req provider.TranscriptionRequest) (string, error) {
	m, c, err := s.resolve(ctx, ref, provider.TypeSpeechToText)
	if err != nil {
		return "", err
	}
	req.Model = m.Name
	text, err := c.Transcribe(ctx, req)
	if err != nil {
		return "", callError("Transcription", err)
	}
	return text, nil
}

// Model returns the model ref refers to, which must be of type want: the
// model a call with ref would use, e.g. to record which model made an
// embedding. A missing model or an empty slot is Unprocessable, as the
// original's ConfigurationError.
func (s *Service) Model(ctx context.Context, ref Ref, want string) (*model.Model, error) {
	var m *model.Model
	switch {
	case ref.slot != "":
		found, ok, err := s.models.ResolveDefault(ctx, ref.slot)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, apperr.Newf(apperr.Unprocessable, "No model configured for %s. Please go to Settings → "+
				"Models and configure a default model for '%s'.", ref.slot, ref.slot)
		}
		m = found
	case ref.id != "":
		found, err := s.models.Get(ctx, ref.id)
		if apperr.IsNotFound(err) {
			return nil, apperr.Newf(apperr.Unprocessable, "Model with ID %s not found", ref.id)
		}
		if err != nil {
			return nil, err
		}
		m = found
	default:
		return nil, apperr.New(apperr.Unprocessable, "No model was given")
	}
	if m.Type != want {
		return nil, apperr.Newf(apperr.Unprocessable, "Model %s (%s) is a %s model, not a %s model",
			m.ID, m.Name, m.Type, want)
	}
	return m, nil
}

// resolve finds the referred model and builds the client for the
// credential it uses.
func (s *Service) resolve(ctx context.Context, ref Ref, want string) (*model.Model, provider.Client, error) {
	m, err := s.Model(ctx, ref, want)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := s.modelConfig(ctx, m)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.client(cfg)
	if err != nil {
		return nil, nil, err
	}
	return m, c, nil
}
