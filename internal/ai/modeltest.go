package ai

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/model"
	"github.com/open-notebook/open-notebook/internal/provider"
)

// testSpeech is a real 1.5 s clip (16 kHz mono WAV, espeak-ng saying "Hello
// from Open Notebook.") that speech-to-text model tests transcribe.
//
//go:embed assets/test_speech.wav
var testSpeech []byte

// The inputs of a model test: the smallest real call of each type.
const (
	testPrompt    = "Hi!"
	testMaxTokens = 16
	testEmbedText = "This is a test."
	testSpeakText = "Hello from Open Notebook"
)

// ModelTest is the outcome of a registered model's test.
type ModelTest struct {
	Success bool
	Message string
	Status  provider.Status
	Latency time.Duration
}

// TestModel makes the smallest real call for the model's type through the
// credential it would use in a feature: chat with a tiny max_tokens, one
// embedding, a short phrase of speech, or the transcription of a bundled
// clip. A missing model is a NotFound error; every other outcome, a
// missing configuration included, is a ModelTest.
func (s *Service) TestModel(ctx context.Context, id string) (ModelTest, error) {
	m, err := s.models.Get(ctx, id)
	if err != nil {
		return ModelTest{}, err
	}
	cfg, err := s.modelConfig(ctx, m)
	if e, ok := apperr.As(err); ok && e.Code != apperr.Internal {
		return ModelTest{Status: provider.StatusError, Message: e.Message}, nil
	}
	if err != nil {
		return ModelTest{}, err
	}
	client, err := s.client(cfg)
	if err != nil {
		return ModelTest{}, err
	}
	callCtx, cancel := context.WithTimeout(ctx, s.timeouts.ModelTest)
	defer cancel()
	start := time.Now()
	msg, err := exercise(callCtx, client, m)
	res := ModelTest{Success: true, Status: provider.StatusOK, Message: msg, Latency: time.Since(start)}
	if err != nil {
		res.Success, res.Status, res.Message = modelFailure(err)
	}
	return res, nil
}

// exercise makes the test call and describes its answer as the original
// does.
func exercise(ctx context.Context, c provider.Client, m *model.Model) (string, error) {
	switch m.Type {
	case provider.TypeLanguage:
		resp, err := c.Chat(ctx, provider.ChatRequest{Model: m.Name, MaxTokens: testMaxTokens,
			Messages: []provider.Message{{Role: "user", Content: testPrompt}}})
		if err != nil {
			return "", err
		}
		content := clip(resp.Content, 100)
		if content == "" {
			content = "(empty response)"
		}
		return "Response: " + content, nil
	case provider.TypeEmbedding:
		vectors, err := c.Embed(ctx, provider.EmbedRequest{Model: m.Name, Input: []string{testEmbedText}})
		if err != nil {
			return "", err
		}
		if len(vectors) == 0 || len(vectors[0]) == 0 {
			return "", errors.New("the provider returned an empty embedding")
		}
		return fmt.Sprintf("Embedding dimensions: %d", len(vectors[0])), nil
	case provider.TypeTextToSpeech:
		speech, err := c.Speak(ctx, provider.SpeechRequest{Model: m.Name, Voice: testVoice(m.Provider), Text: testSpeakText})
		if err != nil {
			return "", err
		}
		if len(speech.Audio) == 0 {
			return "", errors.New("the provider returned no audio")
		}
		return fmt.Sprintf("Audio generated: %d bytes", len(speech.Audio)), nil
	case provider.TypeSpeechToText:
		text, err := c.Transcribe(ctx, provider.TranscriptionRequest{Model: m.Name, Audio: testSpeech,
			Filename: "test_speech.wav", ContentType: "audio/wav", Language: "en"})
		if err != nil {
			return "", err
		}
		if strings.TrimSpace(text) == "" {
			return "Connection successful (test clip produced no transcription)", nil
		}
		return "Transcription: " + clip(text, 100), nil
	}
	return "", fmt.Errorf("Unsupported model type: %s", m.Type)
}

// modelFailure classifies a failed model test. Unlike a connection test, a
// 404 fails here: the user asked about this very model.
func modelFailure(err error) (success bool, status provider.Status, message string) {
	var pe *provider.Error
	switch {
	case errors.Is(err, provider.ErrUnsupported):
		return false, provider.StatusError, err.Error()
	case !errors.As(err, &pe):
		return false, provider.StatusError, err.Error()
	case refusedConfig(pe):
		return false, pe.Status, pe.Message
	case pe.Status == provider.StatusNotFound:
		return false, pe.Status, "Model not found on this provider (HTTP 404): " + pe.Message
	}
	success, message = provider.TestMessage(pe)
	return success, pe.Status, message
}

// clip shortens s to n characters, counting runes.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// testVoice is the voice a speech test asks for: the provider's, where it
// has no default voice.
func testVoice(providerName string) string {
	spec, _ := provider.Lookup(providerName)
	return spec.TestVoice
}
