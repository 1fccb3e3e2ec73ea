// Package vertex is the client for Google's models on Vertex AI,
// authenticated with a service-account key file. Generation speaks the same
// generateContent dialect as the Gemini API, so it is delegated to package
// google's client with Vertex's URLs and OAuth2 tokens.
package vertex

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/google"
)

const (
	// embedBatch is how many texts one predict request carries. Vertex
	// accepts 250 texts but only 20,000 tokens per request; 16 keeps texts
	// of up to about 1,250 tokens each within that.
	embedBatch = 16
	// geminiEmbedPrefix names the embedding models that take one text per
	// request.
	geminiEmbedPrefix = "gemini-embedding"
)

// Client calls Vertex AI in one project and location. It is safe for
// concurrent use.
type Client struct {
	name     string
	project  string
	location string
	// resource is {base}/v1/projects/{project}/locations/{location}.
	resource string
	tokens   *tokens
	gemini   *google.Client
}

var _ provider.Client = (*Client)(nil)

// New returns a client for cfg.Project and cfg.Location that authenticates
// with the service-account key file cfg.CredentialsPath. The base URL is
// cfg.BaseURL, else the location's regional endpoint
// (https://{location}-aiplatform.googleapis.com). The configuration is
// checked on each call, which fails with a clear *provider.Error when the
// project, location or credentials file is missing. hc carries every
// request, token requests included, and must not be nil.
func New(cfg provider.Config, hc *http.Client) *Client {
	name := cmp.Or(cfg.Provider, "vertex")
	project := strings.TrimSpace(cfg.Project)
	location := strings.ToLower(strings.TrimSpace(cfg.Location))
	base := provider.BaseURL(cfg.BaseURL, regionalEndpoint(location))
	c := &Client{
		name:     name,
		project:  project,
		location: location,
		resource: base + "/v1/projects/" + url.PathEscape(project) + "/locations/" + url.PathEscape(location),
		tokens:   newTokens(name, strings.TrimSpace(cfg.CredentialsPath), hc),
	}
	c.gemini = google.New(provider.Config{Provider: name}, hc,
		google.WithModelsURL(c.resource+"/publishers/google/models"), google.WithAuthorizer(c.authorize))
	return c
}

// regionalEndpoint is Vertex AI's host for a location; the global location
// has no regional prefix.
func regionalEndpoint(location string) string {
	if location == "global" {
		return "https://aiplatform.googleapis.com"
	}
	return "https://" + location + "-aiplatform.googleapis.com"
}

// check reports a configuration that cannot work before anything is sent.
// The location becomes part of a host name, so it must be a plain region
// name; otherwise it could point the request, and the token, elsewhere.
func (c *Client) check() error {
	var msg string
	switch {
	case c.project == "":
		msg = "no Google Cloud project is configured"
	case c.location == "":
		msg = "no Vertex AI location is configured"
	case strings.Trim(c.location, "abcdefghijklmnopqrstuvwxyz0123456789-") != "":
		msg = "the location must be a Vertex AI region name such as us-central1"
	case c.tokens.path == "":
		// The original fell back to ambient credentials, which on a cloud
		// VM means the metadata server; the product never calls it.
		msg = "no service-account credentials file is configured"
	default:
		return nil
	}
	return &provider.Error{Provider: c.name, Status: provider.StatusError, Message: msg, Config: true}
}

// authorize adds a bearer access token to req.
func (c *Client) authorize(ctx context.Context, req *http.Request) (string, error) {
	if err := c.check(); err != nil {
		return "", err
	}
	token, err := c.tokens.get(ctx)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return token, nil
}

// ListModels returns the fixed list of Google models on Vertex AI without a
// call: the publisher model catalogue is not a per-project listing.
func (c *Client) ListModels(context.Context) ([]provider.Model, error) {
	models := provider.StaticModels("vertex")
	for i := range models {
		models[i].Provider = c.name
	}
	return models, nil
}

// Probe fetches an access token and then lists the project's own models in
// the location (GET .../projects/{p}/locations/{l}/models?pageSize=1). The
// listing is free, and unlike a publisher model's metadata (which lives
// outside any project, at /v1/publishers/google/models/{m}) it proves the
// token, the project, the location and that the Vertex AI API is enabled.
// It returns nil models: the project's own models are not Google's.
func (c *Client) Probe(ctx context.Context) (provider.ProbeResult, error) {
	var doc struct{}
	return provider.ProbeResult{}, c.gemini.Call(ctx, http.MethodGet, c.resource+"/models?pageSize=1", nil, &doc)
}

// Chat posts to publishers/google/models/{model}:generateContent.
func (c *Client) Chat(ctx context.Context, req provider.ChatRequest) (provider.ChatResponse, error) {
	return c.gemini.Chat(ctx, req)
}

// ChatStream posts to
// publishers/google/models/{model}:streamGenerateContent?alt=sse, which
// streams as on the Gemini API.
func (c *Client) ChatStream(ctx context.Context, req provider.ChatRequest, emit func(provider.Delta) error) (provider.ChatResponse, error) {
	return c.gemini.ChatStream(ctx, req, emit)
}

// Speak asks a Gemini TTS model for audio through generateContent, as on
// the Gemini API.
func (c *Client) Speak(ctx context.Context, req provider.SpeechRequest) (provider.Speech, error) {
	return c.gemini.Speak(ctx, req)
}

// Transcribe is not offered: the registry lists no speech-to-text for
// Vertex AI.
func (c *Client) Transcribe(context.Context, provider.TranscriptionRequest) (string, error) {
	return "", provider.Unsupported(c.name, "speech to text")
}

// Embed posts the inputs to publishers/google/models/{model}:predict in
// batches and returns the vectors in input order.
func (c *Client) Embed(ctx context.Context, req provider.EmbedRequest) ([][]float64, error) {
	target := c.resource + "/publishers/google/models/" + url.PathEscape(req.Model) + ":predict"
	size := embedBatch
	if strings.HasPrefix(req.Model, geminiEmbedPrefix) {
		size = 1
	}
	type instance struct {
		Content string `json:"content"`
	}
	vectors := make([][]float64, 0, len(req.Input))
	for start := 0; start < len(req.Input); start += size {
		batch := req.Input[start:min(start+size, len(req.Input))]
		body := struct {
			Instances []instance `json:"instances"`
		}{}
		for _, text := range batch {
			body.Instances = append(body.Instances, instance{text})
		}
		var doc struct {
			Predictions []struct {
				Embeddings struct {
					Values []float64 `json:"values"`
				} `json:"embeddings"`
			} `json:"predictions"`
		}
		if err := c.gemini.Call(ctx, http.MethodPost, target, body, &doc); err != nil {
			return nil, err
		}
		if len(doc.Predictions) != len(batch) {
			return nil, provider.Malformed(c.name,
				fmt.Errorf("%d predictions for %d inputs", len(doc.Predictions), len(batch)))
		}
		for _, p := range doc.Predictions {
			vectors = append(vectors, p.Embeddings.Values)
		}
	}
	return vectors, nil
}
