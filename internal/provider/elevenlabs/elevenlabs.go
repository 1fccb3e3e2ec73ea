// Package elevenlabs is the client for ElevenLabs' speech API: text to
// speech and the Scribe speech-to-text models.
package elevenlabs

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"

	"github.com/open-notebook/open-notebook/internal/provider"
)

const (
	// defaultVoice is the voice ElevenLabs' own examples use ("Rachel"),
	// for callers that name none.
	defaultVoice = "21m00Tcm4TlvDq8ikWAM"
)

// Client calls ElevenLabs with one API key. It is safe for concurrent use.
type Client struct {
	name   string
	base   string
	caller *provider.Caller
}

var _ provider.Client = (*Client)(nil)

// New returns a client for cfg. The base URL is cfg.BaseURL, else
// https://api.elevenlabs.io; a trailing /v1 pasted with it is dropped. hc
// carries every request and must not be nil.
func New(cfg provider.Config, hc *http.Client) *Client {
	name := cmp.Or(cfg.Provider, "elevenlabs")
	return &Client{name: name, base: provider.BaseURL(cfg.BaseURL, "", "/v1"),
		caller: &provider.Caller{Provider: name, HTTP: hc, Authorize: provider.KeyHeader("xi-api-key", "", cfg.Key())}}
}

// ListModels lists GET {base}/v1/models, keeping the text-to-speech models,
// and adds the Scribe speech-to-text models, which that listing leaves out.
func (c *Client) ListModels(ctx context.Context) ([]provider.Model, error) {
	var listed []struct {
		ModelID           string `json:"model_id"`
		Name              string `json:"name"`
		Description       string `json:"description"`
		CanDoTextToSpeech bool   `json:"can_do_text_to_speech"`
	}
	if err := c.caller.CallJSON(ctx, provider.Request{Method: http.MethodGet, URL: c.base + "/v1/models"}, &listed); err != nil {
		return nil, err
	}
	var models []provider.Model
	seen := map[string]bool{}
	for _, m := range listed {
		if m.ModelID == "" || !m.CanDoTextToSpeech {
			continue
		}
		description := m.Description
		if description == "" {
			description = m.Name
		}
		models = append(models, provider.Model{
			Name: m.ModelID, Provider: c.name, Type: provider.TypeTextToSpeech, Description: description,
		})
		seen[m.ModelID] = true
	}
	for _, m := range provider.StaticModels("elevenlabs") {
		if m.Type == provider.TypeSpeechToText && !seen[m.Name] {
			m.Provider = c.name
			models = append(models, m)
		}
	}
	return models, nil
}

// Probe lists the models: the listing is free and needs a valid key.
func (c *Client) Probe(ctx context.Context) (provider.ProbeResult, error) {
	models, err := c.ListModels(ctx)
	return provider.ProbeResult{Models: models}, err
}

// Speak posts the text to {base}/v1/text-to-speech/{voice} and returns the
// MP3 audio. The voice defaults to ElevenLabs' "Rachel".
func (c *Client) Speak(ctx context.Context, req provider.SpeechRequest) (provider.Speech, error) {
	voice := req.Voice
	if voice == "" {
		voice = defaultVoice
	}
	body := struct {
		Text    string `json:"text"`
		ModelID string `json:"model_id,omitempty"`
	}{req.Text, req.Model}
	audio, contentType, err := c.caller.Call(ctx, provider.Request{Method: http.MethodPost,
		URL: c.base + "/v1/text-to-speech/" + url.PathEscape(voice), JSON: body, Header: provider.Header("Accept", "audio/mpeg")})
	if err != nil {
		return provider.Speech{}, err
	}
	if contentType == "" {
		contentType = "audio/mpeg"
	}
	return provider.Speech{Audio: audio, ContentType: contentType}, nil
}

// Transcribe uploads the audio to {base}/v1/speech-to-text as multipart
// form data.
func (c *Client) Transcribe(ctx context.Context, req provider.TranscriptionRequest) (string, error) {
	body, contentType, err := transcriptionForm(req)
	if err != nil {
		return "", fmt.Errorf("%s: encoding the transcription request: %w", c.name, err)
	}
	var doc struct {
		Text *string `json:"text"`
	}
	err = c.caller.CallJSON(ctx, provider.Request{Method: http.MethodPost, URL: c.base + "/v1/speech-to-text",
		Body: body, ContentType: contentType}, &doc)
	if err != nil {
		return "", err
	}
	if doc.Text == nil {
		return "", provider.Malformed(c.name, errors.New("the transcription has no text"))
	}
	return *doc.Text, nil
}

func transcriptionForm(req provider.TranscriptionRequest) (*bytes.Buffer, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.WriteField("model_id", req.Model); err != nil {
		return nil, "", err
	}
	if req.Language != "" {
		if err := w.WriteField("language_code", req.Language); err != nil {
			return nil, "", err
		}
	}
	if err := provider.WriteAudioPart(w, req); err != nil {
		return nil, "", err
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return &buf, w.FormDataContentType(), nil
}

// Chat is not offered: ElevenLabs is a speech provider.
func (c *Client) Chat(context.Context, provider.ChatRequest) (provider.ChatResponse, error) {
	return provider.ChatResponse{}, provider.Unsupported(c.name, "chat")
}

// ChatStream is unsupported, as Chat is.
func (c *Client) ChatStream(context.Context, provider.ChatRequest, func(provider.Delta) error) (provider.ChatResponse, error) {
	return provider.ChatResponse{}, provider.Unsupported(c.name, "chat")
}

// Embed is not offered: ElevenLabs is a speech provider.
func (c *Client) Embed(context.Context, provider.EmbedRequest) ([][]float64, error) {
	return nil, provider.Unsupported(c.name, "embeddings")
}
