// Package voyage is the client for Voyage AI's embeddings API.
package voyage

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/open-notebook/open-notebook/internal/provider"
)

const (
	// embedBatch is how many texts one request carries. Voyage accepts
	// 1,000 texts but, for several models, only 120,000 tokens per request;
	// 64 keeps texts of up to about 1,800 tokens each within that.
	embedBatch = 64
	// probeModel is the cheapest model, embedded once by Probe.
	probeModel = "voyage-3-lite"
)

// Client calls Voyage AI with one API key. It is safe for concurrent use.
type Client struct {
	name   string
	base   string
	caller *provider.Caller
}

var _ provider.Client = (*Client)(nil)

// New returns a client for cfg. The base URL is cfg.BaseURL, else
// https://api.voyageai.com/v1. hc carries every request and must not be nil.
func New(cfg provider.Config, hc *http.Client) *Client {
	name := cmp.Or(cfg.Provider, "voyage")
	return &Client{name: name, base: provider.BaseURL(cfg.BaseURL, ""),
		caller: &provider.Caller{Provider: name, HTTP: hc, Authorize: provider.KeyHeader("Authorization", "Bearer ", cfg.Key())}}
}

// ListModels returns Voyage's model catalogue without a call: the API has
// no model listing.
func (c *Client) ListModels(context.Context) ([]provider.Model, error) {
	models := provider.StaticModels("voyage")
	for i := range models {
		models[i].Provider = c.name
	}
	return models, nil
}

// Probe embeds the single word "ping" with voyage-3-lite. Voyage has no free
// authenticated endpoint, so the cheapest paid call is the only proof that
// a key works; it costs one token. It returns nil models.
func (c *Client) Probe(ctx context.Context) (provider.ProbeResult, error) {
	_, err := c.Embed(ctx, provider.EmbedRequest{Model: probeModel, Input: []string{"ping"}})
	return provider.ProbeResult{}, err
}

type embedding struct {
	Index     int       `json:"index"`
	Embedding []float64 `json:"embedding"`
}

// Embed posts the inputs to {base}/embeddings in batches and returns the
// vectors in input order.
func (c *Client) Embed(ctx context.Context, req provider.EmbedRequest) ([][]float64, error) {
	vectors := make([][]float64, 0, len(req.Input))
	for start := 0; start < len(req.Input); start += embedBatch {
		batch := req.Input[start:min(start+embedBatch, len(req.Input))]
		body := struct {
			Input []string `json:"input"`
			Model string   `json:"model"`
		}{batch, req.Model}
		var doc struct {
			Data []embedding `json:"data"`
		}
		if err := c.caller.CallJSON(ctx, provider.Request{Method: http.MethodPost, URL: c.base + "/embeddings", JSON: body}, &doc); err != nil {
			return nil, err
		}
		if len(doc.Data) != len(batch) {
			return nil, provider.Malformed(c.name, fmt.Errorf("%d embeddings for %d inputs", len(doc.Data), len(batch)))
		}
		// index, not the order of data, says which input a vector is for.
		slices.SortFunc(doc.Data, func(a, b embedding) int { return cmp.Compare(a.Index, b.Index) })
		for i, d := range doc.Data {
			if d.Index != i {
				return nil, provider.Malformed(c.name, fmt.Errorf("embedding index %d is missing", i))
			}
			vectors = append(vectors, d.Embedding)
		}
	}
	return vectors, nil
}

// Chat is not offered by Voyage AI.
func (c *Client) Chat(context.Context, provider.ChatRequest) (provider.ChatResponse, error) {
	return provider.ChatResponse{}, provider.Unsupported(c.name, "chat")
}

// ChatStream is unsupported, as Chat is.
func (c *Client) ChatStream(context.Context, provider.ChatRequest, func(provider.Delta) error) (provider.ChatResponse, error) {
	return provider.ChatResponse{}, provider.Unsupported(c.name, "chat")
}

// Speak is not offered by Voyage AI.
func (c *Client) Speak(context.Context, provider.SpeechRequest) (provider.Speech, error) {
	return provider.Speech{}, provider.Unsupported(c.name, "text to speech")
}

// Transcribe is not offered by Voyage AI.
func (c *Client) Transcribe(context.Context, provider.TranscriptionRequest) (string, error) {
	return "", provider.Unsupported(c.name, "speech to text")
}
