// Package deepgram is the client for Deepgram's speech API: Aura text to
// speech and pre-recorded speech to text.
package deepgram

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/open-notebook/open-notebook/internal/provider"
)

const (
	// defaultSpeakModel is the voice used when the caller names none; it is
	// also the original's test voice for Deepgram.
	defaultSpeakModel = "aura-2-thalia-en"
	// defaultListenModel is Deepgram's current general transcription model.
	defaultListenModel = "nova-3"
)

// Client calls Deepgram with one API key. It is safe for concurrent use.
type Client struct {
	name   string
	base   string
	caller *provider.Caller
}

var _ provider.Client = (*Client)(nil)

// New returns a client for cfg. The base URL is cfg.BaseURL, else
// https://api.deepgram.com; a trailing /v1 pasted with it is dropped. hc
// carries every request and must not be nil.
func New(cfg provider.Config, hc *http.Client) *Client {
	name := cmp.Or(cfg.Provider, "deepgram")
	return &Client{name: name, base: provider.BaseURL(cfg.BaseURL, "", "/v1"),
		caller: &provider.Caller{Provider: name, HTTP: hc, Authorize: provider.KeyHeader("Authorization", "Token ", cfg.Key())}}
}

type listedModel struct {
	Name          string `json:"name"`
	CanonicalName string `json:"canonical_name"`
}

// ListModels lists GET {base}/v1/models: its stt models are speech to text,
// its tts models text to speech. The listing repeats a model once per
// version, so names are deduplicated.
func (c *Client) ListModels(ctx context.Context) ([]provider.Model, error) {
	var doc struct {
		STT []listedModel `json:"stt"`
		TTS []listedModel `json:"tts"`
	}
	if err := c.caller.CallJSON(ctx, provider.Request{Method: http.MethodGet, URL: c.base + "/v1/models"}, &doc); err != nil {
		return nil, err
	}
	var models []provider.Model
	for _, group := range []struct {
		modelType string
		listed    []listedModel
	}{{provider.TypeSpeechToText, doc.STT}, {provider.TypeTextToSpeech, doc.TTS}} {
		seen := map[string]bool{}
		for _, m := range group.listed {
			name := m.CanonicalName
			if name == "" {
				name = m.Name
			}
			if name == "" || seen[name] {
				continue
			}
			seen[name] = true
			models = append(models, provider.Model{Name: name, Provider: c.name, Type: group.modelType})
		}
	}
	return models, nil
}

// Probe lists the key's projects (GET {base}/v1/projects), which is free
// and fails without a valid key. It returns nil models.
func (c *Client) Probe(ctx context.Context) (provider.ProbeResult, error) {
	var doc struct {
		Projects []json.RawMessage `json:"projects"`
	}
	if err := c.caller.CallJSON(ctx, provider.Request{Method: http.MethodGet, URL: c.base + "/v1/projects"}, &doc); err != nil {
		return provider.ProbeResult{}, err
	}
	if doc.Projects == nil {
		return provider.ProbeResult{}, provider.Malformed(c.name, errors.New("the answer has no projects"))
	}
	return provider.ProbeResult{}, nil
}

// Speak posts the text to {base}/v1/speak. Deepgram selects a voice by its
// model id (aura-2-thalia-en), so a requested voice is sent as the model,
// else the requested model, else aura-2-thalia-en.
func (c *Client) Speak(ctx context.Context, req provider.SpeechRequest) (provider.Speech, error) {
	model := req.Voice
	if model == "" {
		model = req.Model
	}
	if model == "" {
		model = defaultSpeakModel
	}
	body := struct {
		Text string `json:"text"`
	}{req.Text}
	target := c.base + "/v1/speak?" + url.Values{"model": {model}}.Encode()
	audio, contentType, err := c.caller.Call(ctx, provider.Request{Method: http.MethodPost, URL: target, JSON: body})
	if err != nil {
		return provider.Speech{}, err
	}
	if contentType == "" {
		contentType = "audio/mpeg" // Deepgram's default encoding is MP3
	}
	return provider.Speech{Audio: audio, ContentType: contentType}, nil
}

// Transcribe posts the raw audio to {base}/v1/listen with smart formatting.
// Without a language, Deepgram is asked to detect it.
func (c *Client) Transcribe(ctx context.Context, req provider.TranscriptionRequest) (string, error) {
	model := req.Model
	if model == "" {
		model = defaultListenModel
	}
	query := url.Values{"model": {model}, "smart_format": {"true"}}
	if req.Language != "" {
		query.Set("language", req.Language)
	} else {
		query.Set("detect_language", "true")
	}
	contentType := req.ContentType
	if contentType == "" {
		contentType = "application/octet-stream" // Deepgram detects the format itself
	}
	var doc struct {
		Results struct {
			Channels []struct {
				Alternatives []struct {
					Transcript string `json:"transcript"`
				} `json:"alternatives"`
			} `json:"channels"`
		} `json:"results"`
	}
	err := c.caller.CallJSON(ctx, provider.Request{Method: http.MethodPost, URL: c.base + "/v1/listen?" + query.Encode(),
		Body: bytes.NewReader(req.Audio), ContentType: contentType}, &doc)
	if err != nil {
		return "", err
	}
	if len(doc.Results.Channels) == 0 || len(doc.Results.Channels[0].Alternatives) == 0 {
		return "", provider.Malformed(c.name, errors.New("the answer has no transcript"))
	}
	return doc.Results.Channels[0].Alternatives[0].Transcript, nil
}

// Chat is not offered: Deepgram is a speech provider.
func (c *Client) Chat(context.Context, provider.ChatRequest) (provider.ChatResponse, error) {
	return provider.ChatResponse{}, provider.Unsupported(c.name, "chat")
}

// ChatStream is unsupported, as Chat is.
func (c *Client) ChatStream(context.Context, provider.ChatRequest, func(provider.Delta) error) (provider.ChatResponse, error) {
	return provider.ChatResponse{}, provider.Unsupported(c.name, "chat")
}

// Embed is not offered: Deepgram is a speech provider.
func (c *Client) Embed(context.Context, provider.EmbedRequest) ([][]float64, error) {
	return nil, provider.Unsupported(c.name, "embeddings")
}
