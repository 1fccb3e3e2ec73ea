// Package openai is the client for every provider that speaks the OpenAI REST
// API: OpenAI itself and the compatible services (groq, mistral, deepseek,
// xai, openrouter, dashscope, minimax, novita, ppq, omlx and any
// openai_compatible server). Its wire format (Chat, Embed, Speak and
// Transcribe) is also what Azure OpenAI speaks, so package azure reuses it
// with its own URLs and api-key header.
package openai

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/open-notebook/open-notebook/internal/provider"
)

// Options are what differs between the providers this family serves.
type Options struct {
	// ModelsQuery is a raw query added to the model listing. PayPerQ lists
	// its audio and embedding models only with "type=all".
	ModelsQuery string
}

// Client calls one OpenAI-compatible API with one credential. It is safe for
// concurrent use.
type Client struct {
	name        string
	base        string // without a trailing "/" or "/models"; empty when none is configured
	modelsQuery string
	caller      *provider.Caller
}

var _ provider.Client = (*Client)(nil)

// New returns a client for cfg. The base URL is cfg.BaseURL (provider/factory
// fills in the provider's default); a trailing "/models" is dropped so that
// a base pasted from the listing URL still lists it exactly once. hc carries every request
// (in production the egress-guarded client) and must not be nil.
func New(cfg provider.Config, hc *http.Client, opts Options) *Client {
	name := cmp.Or(cfg.Provider, "openai")
	base := normalizeBase(cfg.BaseURL)
	return &Client{
		name:        name,
		base:        base,
		modelsQuery: opts.ModelsQuery,
		caller: &provider.Caller{Provider: name, HTTP: hc,
			Authorize: provider.KeyHeader("Authorization", "Bearer ", cfg.Key())},
	}
}

func normalizeBase(raw string) string {
	u := strings.TrimRight(strings.TrimSpace(raw), "/")
	u = strings.TrimSuffix(u, "/models")
	return strings.TrimRight(u, "/")
}

type listedModel struct {
	ID   string `json:"id"`
	Name string `json:"name"` // OpenRouter's and Mistral's display name
	// Capabilities is Mistral's: completion_chat tells a chat model apart
	// from its embedding, OCR and moderation models.
	Capabilities struct {
		CompletionChat bool `json:"completion_chat"`
	} `json:"capabilities"`
}

// ListModels lists {base}/models. OpenAI-style model listings are a single
// page, so there is no pagination to follow.
func (c *Client) ListModels(ctx context.Context) ([]provider.Model, error) {
	u, err := c.urlFor("/models")
	if err != nil {
		return nil, err
	}
	if c.modelsQuery != "" {
		u += "?" + c.modelsQuery
	}
	var doc struct {
		Data []listedModel `json:"data"`
	}
	if err := c.caller.CallJSON(ctx, provider.Request{Method: http.MethodGet, URL: u}, &doc); err != nil {
		return nil, err
	}
	if doc.Data == nil { // another JSON API answering 200 is not a model listing
		return nil, provider.Malformed(c.name, errors.New("the listing has no data array"))
	}
	models := make([]provider.Model, 0, len(doc.Data))
	for _, m := range doc.Data {
		if m.ID == "" {
			continue
		}
		model := provider.Model{Name: m.ID, Provider: c.name, Description: m.Name}
		if m.Capabilities.CompletionChat {
			model.Type = provider.TypeLanguage
		}
		models = append(models, model)
	}
	return models, nil
}

// Probe lists the models: GET {base}/models is free on every provider of
// this family and, where the provider uses keys, needs a valid one.
func (c *Client) Probe(ctx context.Context) (provider.ProbeResult, error) {
	models, err := c.ListModels(ctx)
	return provider.ProbeResult{Models: models}, err
}

// Chat posts to {base}/chat/completions.
func (c *Client) Chat(ctx context.Context, req provider.ChatRequest) (provider.ChatResponse, error) {
	u, err := c.urlFor("/chat/completions")
	if err != nil {
		return provider.ChatResponse{}, err
	}
	return Chat(ctx, c.caller, u, req)
}

// ChatStream posts to {base}/chat/completions for a stream of server-sent
// events.
func (c *Client) ChatStream(ctx context.Context, req provider.ChatRequest, emit func(provider.Delta) error) (provider.ChatResponse, error) {
	u, err := c.urlFor("/chat/completions")
	if err != nil {
		return provider.ChatResponse{}, err
	}
	return ChatStream(ctx, c.caller, u, req, emit)
}

// Embed posts to {base}/embeddings and returns the vectors in input order.
func (c *Client) Embed(ctx context.Context, req provider.EmbedRequest) ([][]float64, error) {
	u, err := c.urlFor("/embeddings")
	if err != nil {
		return nil, err
	}
	return Embed(ctx, c.caller, u, req)
}

// Speak posts to {base}/audio/speech and returns the audio as sent.
func (c *Client) Speak(ctx context.Context, req provider.SpeechRequest) (provider.Speech, error) {
	u, err := c.urlFor("/audio/speech")
	if err != nil {
		return provider.Speech{}, err
	}
	return Speak(ctx, c.caller, u, req)
}

// Transcribe uploads the audio to {base}/audio/transcriptions as multipart
// form data.
func (c *Client) Transcribe(ctx context.Context, req provider.TranscriptionRequest) (string, error) {
	u, err := c.urlFor("/audio/transcriptions")
	if err != nil {
		return "", err
	}
	return Transcribe(ctx, c.caller, u, req)
}

// urlFor joins the base and path, failing when no base is configured.
func (c *Client) urlFor(path string) (string, error) {
	if c.base == "" {
		return "", &provider.Error{Provider: c.name, Status: provider.StatusError, Message: "No base URL configured", Config: true}
	}
	return c.base + path, nil
}
