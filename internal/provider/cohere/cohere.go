// Package cohere is the client for Cohere's API: the model listing, v2 chat
// and v2 embed.
package cohere

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/open-notebook/open-notebook/internal/provider"
)

const (
	// maxPages bounds the model listing, so that a server that keeps
	// answering with a page token cannot keep the client busy forever.
	maxPages = 20
	// embedBatch is the most texts one v2/embed request accepts.
	embedBatch = 96
)

// Client calls Cohere with one API key. It is safe for concurrent use.
type Client struct {
	name   string
	base   string
	caller *provider.Caller
}

var _ provider.Client = (*Client)(nil)

// New returns a client for cfg. The base URL is cfg.BaseURL, else
// https://api.cohere.com; a trailing API version pasted with it is dropped,
// since the client addresses both v1 and v2. hc carries every request and
// must not be nil.
func New(cfg provider.Config, hc *http.Client) *Client {
	name := cmp.Or(cfg.Provider, "cohere")
	return &Client{name: name, base: provider.BaseURL(cfg.BaseURL, "", "/v1", "/v2"),
		caller: &provider.Caller{Provider: name, HTTP: hc, Authorize: provider.KeyHeader("Authorization", "Bearer ", cfg.Key())}}
}

// ListModels lists GET {base}/v1/models, following next_page_token. Only
// models served by the chat or embed endpoint are kept; rerank and
// classification models are of no use to the product.
func (c *Client) ListModels(ctx context.Context) ([]provider.Model, error) {
	var models []provider.Model
	query := url.Values{"page_size": {"1000"}}
	for range maxPages {
		var page struct {
			Models []struct {
				Name      string   `json:"name"`
				Endpoints []string `json:"endpoints"`
			} `json:"models"`
			NextPageToken string `json:"next_page_token"`
		}
		if err := c.call(ctx, http.MethodGet, c.base+"/v1/models?"+query.Encode(), nil, &page); err != nil {
			return nil, err
		}
		for _, m := range page.Models {
			model := provider.Model{Name: m.Name, Provider: c.name}
			switch {
			case m.Name == "":
				continue
			case slices.Contains(m.Endpoints, "chat"):
				model.Type = provider.TypeLanguage
			case slices.Contains(m.Endpoints, "embed"):
				model.Type = provider.TypeEmbedding
			default:
				continue
			}
			models = append(models, model)
		}
		if page.NextPageToken == "" {
			return models, nil
		}
		query.Set("page_token", page.NextPageToken)
	}
	return nil, &provider.Error{Provider: c.name, Status: provider.StatusError,
		Message: fmt.Sprintf("the model listing did not end after %d pages", maxPages)}
}

// Probe lists the models: the listing is free and needs a valid key.
func (c *Client) Probe(ctx context.Context) (provider.ProbeResult, error) {
	models, err := c.ListModels(ctx)
	return provider.ProbeResult{Models: models}, err
}

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type tokenCounts struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}

// chatRequest is the v2/chat body for req.
type chatRequest struct {
	Model       string    `json:"model"`
	Messages    []message `json:"messages"`
	MaxTokens   int       `json:"max_tokens,omitempty"`
	Temperature *float64  `json:"temperature,omitempty"`
	Stream      bool      `json:"stream,omitempty"`
}

func newChatRequest(req provider.ChatRequest) chatRequest {
	body := chatRequest{Model: req.Model, MaxTokens: req.MaxTokens, Temperature: req.Temperature}
	for _, m := range req.Messages {
		role := m.Role
		if role != "system" && role != "assistant" {
			role = "user"
		}
		body.Messages = append(body.Messages, message{Role: role, Content: m.Content})
	}
	return body
}

// usage is a chat's usage: tokens is what the model processed, billed_units
// what was charged, the latter being only the fallback.
type usage struct {
	BilledUnits tokenCounts  `json:"billed_units"`
	Tokens      *tokenCounts `json:"tokens"`
}

func (u usage) counts() tokenCounts {
	if u.Tokens != nil {
		return *u.Tokens
	}
	return u.BilledUnits
}

// Chat posts to {base}/v2/chat.
func (c *Client) Chat(ctx context.Context, req provider.ChatRequest) (provider.ChatResponse, error) {
	body := newChatRequest(req)
	var doc struct {
		Message *struct {
			Content []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"content"`
		} `json:"message"`
		Usage usage `json:"usage"`
	}
	if err := c.call(ctx, http.MethodPost, c.base+"/v2/chat", body, &doc); err != nil {
		return provider.ChatResponse{}, err
	}
	if doc.Message == nil {
		return provider.ChatResponse{}, provider.Malformed(c.name, errors.New("the answer has no message"))
	}
	var text strings.Builder
	for _, part := range doc.Message.Content {
		// Reasoning models add "thinking" parts, which are not the answer.
		if part.Type == "text" {
			text.WriteString(part.Text)
		}
	}
	counts := doc.Usage.counts()
	return provider.ChatResponse{
		Content:      text.String(),
		Model:        req.Model,
		InputTokens:  counts.InputTokens,
		OutputTokens: counts.OutputTokens,
	}, nil
}

// ChatStream posts to {base}/v2/chat with "stream": true and reads the
// server-sent events by their type: content-delta carries the next piece of
// text in delta.message.content.text (a reasoning model's "thinking" is not
// the answer), and message-end ends the stream with the usage, or with an
// error when its finish_reason is ERROR. The other events (message-start,
// content-start, tool and citation events) carry no text of the answer.
func (c *Client) ChatStream(ctx context.Context, req provider.ChatRequest, emit func(provider.Delta) error) (provider.ChatResponse, error) {
	body := newChatRequest(req)
	body.Stream = true
	s, err := c.caller.Stream(ctx, provider.Request{Method: http.MethodPost, URL: c.base + "/v2/chat", JSON: body,
		Header: provider.AcceptsStream()})
	if err != nil {
		return provider.ChatResponse{}, err
	}
	defer s.Close()
	answer := provider.NewAnswer(emit)
	answer.Model = req.Model
	for {
		ev, err := s.Event()
		if err != nil {
			return answer.Response(), err
		}
		if string(ev.Data) == "[DONE]" { // sent after message-end, never instead of it
			continue
		}
		// The type says what the delta holds: message-start's content is
		// a list, content-delta's one piece.
		var event struct {
			Type  string          `json:"type"`
			Delta json.RawMessage `json:"delta"`
		}
		if err := json.Unmarshal(ev.Data, &event); err != nil {
			return answer.Response(), s.Malformed(err)
		}
		switch event.Type {
		case "content-delta":
			var delta struct {
				Message struct {
					Content struct {
						Text string `json:"text"`
					} `json:"content"`
				} `json:"message"`
			}
			if err := json.Unmarshal(event.Delta, &delta); err != nil {
				return answer.Response(), s.Malformed(err)
			}
			if err := answer.Add(delta.Message.Content.Text); err != nil {
				return answer.Response(), err
			}
		case "message-end":
			var delta struct {
				FinishReason string `json:"finish_reason"`
				Error        string `json:"error"`
				Usage        usage  `json:"usage"`
			}
			if err := json.Unmarshal(event.Delta, &delta); err != nil {
				return answer.Response(), s.Malformed(err)
			}
			if delta.FinishReason == "ERROR" || delta.Error != "" {
				return answer.Response(), s.Fail(provider.StatusError, delta.Error)
			}
			counts := delta.Usage.counts()
			answer.InputTokens, answer.OutputTokens = counts.InputTokens, counts.OutputTokens
			return answer.Response(), nil
		}
	}
}

// Embed posts the inputs to {base}/v2/embed as documents to be searched, in
// batches of the most the API accepts, and returns the float vectors in
// input order.
func (c *Client) Embed(ctx context.Context, req provider.EmbedRequest) ([][]float64, error) {
	vectors := make([][]float64, 0, len(req.Input))
	for start := 0; start < len(req.Input); start += embedBatch {
		batch := req.Input[start:min(start+embedBatch, len(req.Input))]
		body := struct {
			Model          string   `json:"model"`
			Texts          []string `json:"texts"`
			InputType      string   `json:"input_type"`
			EmbeddingTypes []string `json:"embedding_types"`
		}{req.Model, batch, "search_document", []string{"float"}}
		var doc struct {
			Embeddings struct {
				Float [][]float64 `json:"float"`
			} `json:"embeddings"`
		}
		if err := c.call(ctx, http.MethodPost, c.base+"/v2/embed", body, &doc); err != nil {
			return nil, err
		}
		if len(doc.Embeddings.Float) != len(batch) {
			return nil, provider.Malformed(c.name,
				fmt.Errorf("%d embeddings for %d inputs", len(doc.Embeddings.Float), len(batch)))
		}
		vectors = append(vectors, doc.Embeddings.Float...)
	}
	return vectors, nil
}

// Speak is not offered by Cohere.
func (c *Client) Speak(context.Context, provider.SpeechRequest) (provider.Speech, error) {
	return provider.Speech{}, provider.Unsupported(c.name, "text to speech")
}

// Transcribe is not offered: the registry lists no speech-to-text for
// Cohere.
func (c *Client) Transcribe(context.Context, provider.TranscriptionRequest) (string, error) {
	return "", provider.Unsupported(c.name, "speech to text")
}

// call sends in (when not nil) as JSON and decodes the JSON answer into out.
// Cohere answers JSON only to clients that accept it.
func (c *Client) call(ctx context.Context, method, target string, in, out any) error {
	return c.caller.CallJSON(ctx, provider.Request{Method: method, URL: target, JSON: in,
		Header: provider.Header("Accept", "application/json")}, out)
}
