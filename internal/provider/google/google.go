// Package google is the client for the Gemini API
// (generativelanguage.googleapis.com). Its generateContent dialect is also
// what Vertex AI speaks, so package vertex reuses the client with another
// models URL and OAuth2 authorization.
package google

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/open-notebook/open-notebook/internal/provider"
)

const (
	// maxBody bounds every response read. Speech arrives base64-encoded
	// inside JSON, so it is larger than the other families' bound.
	maxBody = 64 << 20
	// maxErrorBody bounds how much of an error answer is read.
	maxErrorBody = 64 << 10
	// maxPages bounds the model listing, so that a server that keeps
	// answering with a page token cannot keep the client busy forever.
	maxPages = 20
	// embedBatch is the most requests batchEmbedContents accepts at once.
	embedBatch = 100
)

// Authorizer authenticates one request and returns the secret it used,
// which is redacted from every error message.
type Authorizer = provider.Authorizer

// Option changes where and how a Client sends its generation requests.
type Option func(*Client)

// WithModelsURL makes the client address models under modelsURL (as in
// {modelsURL}/{model}:generateContent) instead of {base}/v1beta/models.
func WithModelsURL(modelsURL string) Option {
	return func(c *Client) { c.modelsURL = strings.TrimRight(modelsURL, "/") }
}

// WithAuthorizer replaces the x-goog-api-key header with a.
func WithAuthorizer(a Authorizer) Option {
	return func(c *Client) { c.authorize = a }
}

// Client calls the Gemini API with one credential. It is safe for
// concurrent use.
type Client struct {
	name      string
	modelsURL string
	authorize Authorizer
	caller    *provider.Caller
}

var _ provider.Client = (*Client)(nil)

// New returns a client for cfg. The base URL is cfg.BaseURL, else
// https://generativelanguage.googleapis.com; a trailing API version pasted
// with it is dropped. hc carries every request and must not be nil.
func New(cfg provider.Config, hc *http.Client, opts ...Option) *Client {
	name := cmp.Or(cfg.Provider, "google")
	c := &Client{
		name:      name,
		modelsURL: provider.BaseURL(cfg.BaseURL, "", "/v1beta", "/v1") + "/v1beta/models",
		// Without a key Google answers 403 "unregistered callers", which is
		// the truthful result of testing a keyless credential.
		authorize: provider.KeyHeader("x-goog-api-key", "", cfg.Key()),
	}
	for _, opt := range opts {
		opt(c)
	}
	c.caller = &provider.Caller{Provider: name, HTTP: hc, Authorize: c.authorize, Failure: c.failure, MaxBody: maxBody}
	return c
}

type listedModel struct {
	Name                       string   `json:"name"`
	DisplayName                string   `json:"displayName"`
	SupportedGenerationMethods []string `json:"supportedGenerationMethods"`
}

// ListModels lists GET {base}/v1beta/models, following nextPageToken.
func (c *Client) ListModels(ctx context.Context) ([]provider.Model, error) {
	var models []provider.Model
	query := url.Values{"pageSize": {"1000"}}
	for range maxPages {
		var page struct {
			Models        []listedModel `json:"models"`
			NextPageToken string        `json:"nextPageToken"`
		}
		if err := c.Call(ctx, http.MethodGet, c.modelsURL+"?"+query.Encode(), nil, &page); err != nil {
			return nil, err
		}
		for _, m := range page.Models {
			name := strings.TrimPrefix(m.Name, "models/")
			if name == "" {
				continue
			}
			models = append(models, provider.Model{
				Name:        name,
				Provider:    c.name,
				Type:        modelType(name, m.SupportedGenerationMethods),
				Description: m.DisplayName,
			})
		}
		if page.NextPageToken == "" {
			return models, nil
		}
		query.Set("pageToken", page.NextPageToken)
	}
	return nil, &provider.Error{Provider: c.name, Status: provider.StatusError,
		Message: fmt.Sprintf("the model listing did not end after %d pages", maxPages)}
}

// modelType reads a model's type from its name and generation methods. The
// name test comes first because TTS models also offer generateContent,
// which made the original list them as language models.
func modelType(name string, methods []string) string {
	switch {
	case strings.Contains(strings.ToLower(name), "tts"):
		return provider.TypeTextToSpeech
	case slices.Contains(methods, "generateContent"):
		return provider.TypeLanguage
	case slices.Contains(methods, "embedContent"), slices.Contains(methods, "batchEmbedContents"):
		return provider.TypeEmbedding
	default:
		return ""
	}
}

// Probe lists the models: the listing is free and needs a valid key.
func (c *Client) Probe(ctx context.Context) (provider.ProbeResult, error) {
	models, err := c.ListModels(ctx)
	return provider.ProbeResult{Models: models}, err
}

// Embed posts the inputs to {model}:batchEmbedContents, in batches of the
// most the API accepts, and returns the vectors in input order.
func (c *Client) Embed(ctx context.Context, req provider.EmbedRequest) ([][]float64, error) {
	model := modelPath(req.Model)
	vectors := make([][]float64, 0, len(req.Input))
	for start := 0; start < len(req.Input); start += embedBatch {
		batch := req.Input[start:min(start+embedBatch, len(req.Input))]
		type embedContent struct {
			Model   string  `json:"model"`
			Content content `json:"content"`
		}
		body := struct {
			Requests []embedContent `json:"requests"`
		}{}
		for _, text := range batch {
			body.Requests = append(body.Requests, embedContent{"models/" + model, content{Parts: []part{{Text: text}}}})
		}
		var doc struct {
			Embeddings []struct {
				Values []float64 `json:"values"`
			} `json:"embeddings"`
		}
		if err := c.Call(ctx, http.MethodPost, c.modelURL(model, "batchEmbedContents"), body, &doc); err != nil {
			return nil, err
		}
		if len(doc.Embeddings) != len(batch) {
			return nil, provider.Malformed(c.name,
				fmt.Errorf("%d embeddings for %d inputs", len(doc.Embeddings), len(batch)))
		}
		for _, e := range doc.Embeddings {
			vectors = append(vectors, e.Values)
		}
	}
	return vectors, nil
}

// modelPath accepts a model id with or without the API's "models/" prefix.
func modelPath(model string) string {
	return url.PathEscape(strings.TrimPrefix(model, "models/"))
}

func (c *Client) modelURL(model, method string) string {
	return c.modelsURL + "/" + model + ":" + method
}

// Call sends in (when not nil) as JSON to target, authorized like every
// other request of the client, and decodes the JSON answer into out. It
// serves the endpoints beyond generateContent that Vertex AI adds.
func (c *Client) Call(ctx context.Context, method, target string, in, out any) error {
	return c.caller.CallJSON(ctx, provider.Request{Method: method, URL: target, JSON: in}, out)
}

// failure classifies a non-2xx answer. Google rejects a wrong API key with
// 400 INVALID_ARGUMENT rather than 401, and says so only in the error's
// details, so that case is recognised here to report auth_failed.
func (c *Client) failure(resp *http.Response, credential string) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body = io.NopCloser(bytes.NewReader(body))
	e := provider.FromResponse(c.name, resp, credential)
	var doc struct {
		Error struct {
			Details []struct {
				Reason string `json:"reason"`
			} `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &doc) == nil {
		for _, d := range doc.Error.Details {
			if d.Reason == "API_KEY_INVALID" {
				e.Status = provider.StatusAuthFailed
			}
		}
	}
	return e
}
