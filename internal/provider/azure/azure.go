// Package azure is the client for Azure OpenAI: the OpenAI wire format
// (package openai's), addressed by deployment on a per-resource endpoint,
// authenticated with an api-key header.
package azure

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/openai"
	"github.com/open-notebook/open-notebook/internal/secret"
)

// DefaultAPIVersion is the GA data-plane version used when the credential
// names none.
const DefaultAPIVersion = "2024-10-21"

// Client calls one Azure OpenAI resource with one credential. It is safe for
// concurrent use.
type Client struct {
	name    string
	key     secret.String
	version string
	caller  *provider.Caller

	// Endpoints without a trailing "/"; empty when none is configured.
	listing, language, embedding, speechToText, textToSpeech string
}

var _ provider.Client = (*Client)(nil)

// New returns a client for cfg. Each modality uses its own endpoint
// (EndpointLLM, EndpointEmbedding, EndpointSTT, EndpointTTS) when set, else
// Endpoint, else BaseURL, which is where the UI stores it. The model listing
// uses the main endpoint, else the first per-modality one. Unlike the
// original, nothing is ever read from AZURE_OPENAI_* environment variables:
// a credential passes or fails on its own fields. hc carries every request
// and must not be nil.
func New(cfg provider.Config, hc *http.Client) *Client {
	name := cmp.Or(cfg.Provider, "azure")
	version := strings.TrimSpace(cfg.APIVersion)
	if version == "" {
		version = DefaultAPIVersion
	}
	resource := firstSet(cfg.Endpoint, cfg.BaseURL)
	key := cfg.Key()
	return &Client{
		name:         name,
		key:          key,
		version:      version,
		caller:       &provider.Caller{Provider: name, HTTP: hc, Authorize: provider.KeyHeader("api-key", "", key)},
		listing:      firstSet(resource, cfg.EndpointLLM, cfg.EndpointEmbedding, cfg.EndpointSTT, cfg.EndpointTTS),
		language:     firstSet(cfg.EndpointLLM, resource),
		embedding:    firstSet(cfg.EndpointEmbedding, resource),
		speechToText: firstSet(cfg.EndpointSTT, resource),
		textToSpeech: firstSet(cfg.EndpointTTS, resource),
	}
}

// firstSet returns the first non-blank endpoint, trimmed of blanks and a
// trailing "/".
func firstSet(endpoints ...string) string {
	for _, e := range endpoints {
		if e = strings.TrimRight(strings.TrimSpace(e), "/"); e != "" {
			return e
		}
	}
	return ""
}

// ListModels lists the models the resource can deploy:
// GET {endpoint}/openai/models. The listing says what each model can do, so
// chat models are typed language and embedding models embedding.
func (c *Client) ListModels(ctx context.Context) ([]provider.Model, error) {
	u, err := c.urlFor(c.listing, "/openai/models")
	if err != nil {
		return nil, err
	}
	var doc struct {
		Data []struct {
			ID           string `json:"id"`
			Capabilities struct {
				ChatCompletion bool `json:"chat_completion"`
				Embeddings     bool `json:"embeddings"`
			} `json:"capabilities"`
		} `json:"data"`
	}
	if err := c.caller.CallJSON(ctx, provider.Request{Method: http.MethodGet, URL: u}, &doc); err != nil {
		return nil, err
	}
	if doc.Data == nil {
		return nil, provider.Malformed(c.name, errors.New("the listing has no data array"))
	}
	models := make([]provider.Model, 0, len(doc.Data))
	for _, m := range doc.Data {
		if m.ID == "" {
			continue
		}
		model := provider.Model{Name: m.ID, Provider: c.name}
		switch {
		case m.Capabilities.ChatCompletion:
			model.Type = provider.TypeLanguage
		case m.Capabilities.Embeddings:
			model.Type = provider.TypeEmbedding
		}
		models = append(models, model)
	}
	return models, nil
}

// Probe lists the models: GET {endpoint}/openai/models is free and needs a
// valid api-key.
func (c *Client) Probe(ctx context.Context) (provider.ProbeResult, error) {
	models, err := c.ListModels(ctx)
	return provider.ProbeResult{Models: models}, err
}

// Chat posts to the deployment named by req.Model:
// {endpoint}/openai/deployments/{model}/chat/completions.
func (c *Client) Chat(ctx context.Context, req provider.ChatRequest) (provider.ChatResponse, error) {
	u, err := c.urlFor(c.language, deploymentPath(req.Model, "/chat/completions"))
	if err != nil {
		return provider.ChatResponse{}, err
	}
	return openai.Chat(ctx, c.caller, u, req)
}

// ChatStream posts to {endpoint}/openai/deployments/{model}/chat/completions
// for a stream of server-sent events in OpenAI's format.
func (c *Client) ChatStream(ctx context.Context, req provider.ChatRequest, emit func(provider.Delta) error) (provider.ChatResponse, error) {
	u, err := c.urlFor(c.language, deploymentPath(req.Model, "/chat/completions"))
	if err != nil {
		return provider.ChatResponse{}, err
	}
	return openai.ChatStream(ctx, c.caller, u, req, emit)
}

// Embed posts to {endpoint}/openai/deployments/{model}/embeddings and returns
// the vectors in input order.
func (c *Client) Embed(ctx context.Context, req provider.EmbedRequest) ([][]float64, error) {
	u, err := c.urlFor(c.embedding, deploymentPath(req.Model, "/embeddings"))
	if err != nil {
		return nil, err
	}
	return openai.Embed(ctx, c.caller, u, req)
}

// Speak posts to {endpoint}/openai/deployments/{model}/audio/speech and
// returns the audio as sent.
func (c *Client) Speak(ctx context.Context, req provider.SpeechRequest) (provider.Speech, error) {
	u, err := c.urlFor(c.textToSpeech, deploymentPath(req.Model, "/audio/speech"))
	if err != nil {
		return provider.Speech{}, err
	}
	return openai.Speak(ctx, c.caller, u, req)
}

// Transcribe uploads the audio as multipart form data to
// {endpoint}/openai/deployments/{model}/audio/transcriptions.
func (c *Client) Transcribe(ctx context.Context, req provider.TranscriptionRequest) (string, error) {
	u, err := c.urlFor(c.speechToText, deploymentPath(req.Model, "/audio/transcriptions"))
	if err != nil {
		return "", err
	}
	return openai.Transcribe(ctx, c.caller, u, req)
}

// deploymentPath addresses a deployment; its name is user-chosen, so it is
// escaped as one path segment.
func deploymentPath(deployment, operation string) string {
	return "/openai/deployments/" + url.PathEscape(deployment) + operation
}

// urlFor builds {endpoint}{path}?api-version=…, failing before any request when
// the credential lacks the endpoint or the key.
func (c *Client) urlFor(endpoint, path string) (string, error) {
	if endpoint == "" {
		return "", &provider.Error{Provider: c.name, Status: provider.StatusError, Message: "No Azure endpoint configured", Config: true}
	}
	if c.key.Empty() {
		return "", &provider.Error{Provider: c.name, Status: provider.StatusError, Message: "No Azure API key configured", Config: true}
	}
	return endpoint + path + "?api-version=" + url.QueryEscape(c.version), nil
}
