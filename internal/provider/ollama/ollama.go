// Package ollama is the client for an Ollama server's native API.
package ollama

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/open-notebook/open-notebook/internal/provider"
)

// Client calls one Ollama server. It is safe for concurrent use.
type Client struct {
	name   string
	base   string
	numCtx int
	caller *provider.Caller
}

var _ provider.Client = (*Client)(nil)

// New returns a client for cfg: the server at cfg.BaseURL, else
// DefaultBaseURL. Ollama has no keys of its own; a key, when set, is sent as
// a Bearer token for an authenticating proxy in front of it. cfg.NumCtx, when
// positive, sets the context window of every chat. hc carries every request
// and must not be nil.
func New(cfg provider.Config, hc *http.Client) *Client {
	name := cmp.Or(cfg.Provider, "ollama")
	return &Client{
		name:   name,
		base:   provider.BaseURL(cfg.BaseURL, ""),
		numCtx: cfg.NumCtx,
		caller: &provider.Caller{Provider: name, HTTP: hc, Authorize: provider.KeyHeader("Authorization", "Bearer ", cfg.Key())},
	}
}

// ListModels lists the locally pulled models: GET {base}/api/tags. The
// description is the model family and size, e.g. "llama 3.2B".
func (c *Client) ListModels(ctx context.Context) ([]provider.Model, error) {
	var doc struct {
		Models []struct {
			Name    string `json:"name"`
			Details struct {
				Family        string `json:"family"`
				ParameterSize string `json:"parameter_size"`
			} `json:"details"`
		} `json:"models"`
	}
	if err := c.caller.CallJSON(ctx, provider.Request{Method: http.MethodGet, URL: c.base + "/api/tags"}, &doc); err != nil {
		return nil, err
	}
	if doc.Models == nil {
		return nil, provider.Malformed(c.name, errors.New("the listing has no models array"))
	}
	models := make([]provider.Model, 0, len(doc.Models))
	for _, m := range doc.Models {
		if m.Name == "" {
			continue
		}
		models = append(models, provider.Model{
			Name:        m.Name,
			Provider:    c.name,
			Description: strings.TrimSpace(m.Details.Family + " " + m.Details.ParameterSize),
		})
	}
	return models, nil
}

// Probe lists the models: GET {base}/api/tags is Ollama's cheapest call and
// passes through any authenticating proxy in front of it.
func (c *Client) Probe(ctx context.Context) (provider.ProbeResult, error) {
	models, err := c.ListModels(ctx)
	return provider.ProbeResult{Models: models}, err
}

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// chatOptions are Ollama's model parameters; unset ones keep the model's
// own defaults.
type chatOptions struct {
	NumCtx      int      `json:"num_ctx,omitempty"`
	NumPredict  int      `json:"num_predict,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
}

// chatRequest is the /api/chat body for req.
type chatRequest struct {
	Model    string       `json:"model"`
	Messages []message    `json:"messages"`
	Stream   bool         `json:"stream"`
	Options  *chatOptions `json:"options,omitempty"`
}

func (c *Client) chatRequest(req provider.ChatRequest, stream bool) chatRequest {
	body := chatRequest{Model: req.Model, Messages: []message{}, Stream: stream}
	for _, m := range req.Messages {
		body.Messages = append(body.Messages, message{Role: m.Role, Content: m.Content})
	}
	opts := chatOptions{Temperature: req.Temperature}
	if c.numCtx > 0 {
		opts.NumCtx = c.numCtx
	}
	if req.MaxTokens > 0 { // Ollama reads a negative num_predict as "no limit"
		opts.NumPredict = req.MaxTokens
	}
	if opts != (chatOptions{}) {
		body.Options = &opts
	}
	return body
}

// Chat posts a non-streaming request to {base}/api/chat.
func (c *Client) Chat(ctx context.Context, req provider.ChatRequest) (provider.ChatResponse, error) {
	body := c.chatRequest(req, false)
	var doc struct {
		Model   string `json:"model"`
		Message *struct {
			Content string `json:"content"`
		} `json:"message"`
		PromptEvalCount int `json:"prompt_eval_count"`
		EvalCount       int `json:"eval_count"`
	}
	if err := c.caller.CallJSON(ctx, provider.Request{Method: http.MethodPost, URL: c.base + "/api/chat", JSON: body}, &doc); err != nil {
		return provider.ChatResponse{}, err
	}
	if doc.Message == nil {
		return provider.ChatResponse{}, provider.Malformed(c.name, errors.New("the answer has no message"))
	}
	return provider.ChatResponse{
		Content:      doc.Message.Content,
		Model:        doc.Model,
		InputTokens:  doc.PromptEvalCount,
		OutputTokens: doc.EvalCount,
	}, nil
}

// ChatStream posts a streaming request to {base}/api/chat, which answers
// with newline-delimited JSON: one object per piece of text in
// message.content (a thinking model's reasoning, in message.thinking, is
// not the answer), the last with "done": true and the token counts. An
// object with an "error" member is the server failing midway.
func (c *Client) ChatStream(ctx context.Context, req provider.ChatRequest, emit func(provider.Delta) error) (provider.ChatResponse, error) {
	s, err := c.caller.Stream(ctx, provider.Request{Method: http.MethodPost, URL: c.base + "/api/chat",
		JSON: c.chatRequest(req, true), Header: provider.Header("Accept", "application/x-ndjson")})
	if err != nil {
		return provider.ChatResponse{}, err
	}
	defer s.Close()
	answer := provider.NewAnswer(emit)
	for {
		line, err := s.Line()
		if err != nil {
			return answer.Response(), err
		}
		var chunk struct {
			Model   string `json:"model"`
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
			Done            bool    `json:"done"`
			PromptEvalCount int     `json:"prompt_eval_count"`
			EvalCount       int     `json:"eval_count"`
			Error           *string `json:"error"`
		}
		if err := json.Unmarshal(line, &chunk); err != nil {
			return answer.Response(), s.Malformed(err)
		}
		if chunk.Error != nil {
			return answer.Response(), s.Fail(provider.StatusError, *chunk.Error)
		}
		if chunk.Model != "" {
			answer.Model = chunk.Model
		}
		if err := answer.Add(chunk.Message.Content); err != nil {
			return answer.Response(), err
		}
		if chunk.Done {
			answer.InputTokens, answer.OutputTokens = chunk.PromptEvalCount, chunk.EvalCount
			return answer.Response(), nil
		}
	}
}

// Embed posts to {base}/api/embed, which embeds a batch in input order.
func (c *Client) Embed(ctx context.Context, req provider.EmbedRequest) ([][]float64, error) {
	body := struct {
		Model string   `json:"model"`
		Input []string `json:"input"`
	}{req.Model, req.Input}
	var doc struct {
		Embeddings [][]float64 `json:"embeddings"`
	}
	if err := c.caller.CallJSON(ctx, provider.Request{Method: http.MethodPost, URL: c.base + "/api/embed", JSON: body}, &doc); err != nil {
		return nil, err
	}
	if len(doc.Embeddings) != len(req.Input) {
		return nil, provider.Malformed(c.name,
			fmt.Errorf("%d embeddings for %d inputs", len(doc.Embeddings), len(req.Input)))
	}
	return doc.Embeddings, nil
}

// Speak is unsupported: Ollama serves no text-to-speech models.
func (c *Client) Speak(context.Context, provider.SpeechRequest) (provider.Speech, error) {
	return provider.Speech{}, provider.Unsupported(c.name, "text-to-speech")
}

// Transcribe is unsupported: Ollama serves no speech-to-text models.
func (c *Client) Transcribe(context.Context, provider.TranscriptionRequest) (string, error) {
	return "", provider.Unsupported(c.name, "speech-to-text")
}
