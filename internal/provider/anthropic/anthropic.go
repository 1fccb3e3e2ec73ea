// Package anthropic is the client for the Anthropic Messages API, serving
// both anthropic and anthropic_compatible gateways.
package anthropic

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/open-notebook/open-notebook/internal/provider"
)

const (
	// compatible is the provider whose base URL is mandatory and whose
	// gateway may lack a model listing.
	compatible = "anthropic_compatible"
	apiVersion = "2023-06-01"
	// defaultMaxTokens fills max_tokens, which the Messages API requires.
	defaultMaxTokens = 1024
	// pageSize and maxPages bound the model listing: 2,000 models is far
	// more than Anthropic offers, and a gateway that always says has_more
	// cannot keep the client looping.
	pageSize = 100
	maxPages = 20
)

// Options are what the caller may set beyond the credential.
type Options struct{}

// Client calls one Anthropic-style API with one credential. It is safe for
// concurrent use.
type Client struct {
	name   string
	base   string // ends in /v1; empty when none is configured
	caller *provider.Caller
}

var _ provider.Client = (*Client)(nil)

// New returns a client for cfg. The base URL is cfg.BaseURL (provider/factory
// fills in Anthropic's; anthropic_compatible must name its gateway),
// normalized to end in /v1. hc carries every request and must not be nil.
func New(cfg provider.Config, hc *http.Client, opts Options) *Client {
	name := cmp.Or(cfg.Provider, "anthropic")
	raw := cfg.BaseURL
	key := provider.KeyHeader("x-api-key", "", cfg.Key())
	return &Client{
		name: name,
		base: normalizeBase(raw),
		caller: &provider.Caller{Provider: name, HTTP: hc,
			// Every request carries the API version and, as Anthropic's own
			// SDKs send it, a JSON content type.
			Authorize: func(ctx context.Context, req *http.Request) (string, error) {
				req.Header.Set("anthropic-version", apiVersion)
				req.Header.Set("content-type", "application/json")
				return key(ctx, req)
			}},
	}
}

// normalizeBase ports the original's normalize_anthropic_compatible_base_url:
// users paste the host, the /v1 base or the /models URL, and all of them
// mean the same API.
func normalizeBase(raw string) string {
	u := strings.TrimRight(strings.TrimSpace(raw), "/")
	if u == "" {
		return ""
	}
	u = strings.TrimRight(strings.TrimSuffix(u, "/models"), "/")
	if !strings.HasSuffix(u, "/v1") {
		u += "/v1"
	}
	return u
}

// ListModels lists GET {base}/models, following has_more/last_id pages with
// after_id. Every Anthropic model is a language model.
func (c *Client) ListModels(ctx context.Context) ([]provider.Model, error) {
	models := []provider.Model{}
	afterID := ""
	for range maxPages {
		query := url.Values{"limit": {strconv.Itoa(pageSize)}}
		if afterID != "" {
			query.Set("after_id", afterID)
		}
		u, err := c.urlFor("/models?" + query.Encode())
		if err != nil {
			return nil, err
		}
		var page struct {
			Data []struct {
				ID          string `json:"id"`
				DisplayName string `json:"display_name"`
			} `json:"data"`
			HasMore bool   `json:"has_more"`
			LastID  string `json:"last_id"`
		}
		if err := c.caller.CallJSON(ctx, provider.Request{Method: http.MethodGet, URL: u}, &page); err != nil {
			return nil, err
		}
		if page.Data == nil {
			return nil, provider.Malformed(c.name, errors.New("the listing has no data array"))
		}
		for _, m := range page.Data {
			if m.ID != "" {
				models = append(models, provider.Model{
					Name: m.ID, Provider: c.name, Type: provider.TypeLanguage, Description: m.DisplayName,
				})
			}
		}
		if !page.HasMore || page.LastID == "" {
			break
		}
		afterID = page.LastID
	}
	return models, nil
}

// Probe lists the models, the free authenticated call of the API. For
// anthropic_compatible, a 404 or 405 on the listing is not a failure: such
// gateways answer, so the connection works, but they have no listing and
// models must be added by hand; the status is reported in
// ListingUnsupported with a nil error.
func (c *Client) Probe(ctx context.Context) (provider.ProbeResult, error) {
	models, err := c.ListModels(ctx)
	var pe *provider.Error
	if c.name == compatible && errors.As(err, &pe) &&
		(pe.HTTPStatus == http.StatusNotFound || pe.HTTPStatus == http.StatusMethodNotAllowed) {
		return provider.ProbeResult{ListingUnsupported: pe.HTTPStatus}, nil
	}
	return provider.ProbeResult{Models: models}, err
}

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// messagesRequest is the Messages API body for req.
type messagesRequest struct {
	Model       string    `json:"model"`
	MaxTokens   int       `json:"max_tokens"`
	System      string    `json:"system,omitempty"`
	Messages    []message `json:"messages"`
	Temperature *float64  `json:"temperature,omitempty"`
	Stream      bool      `json:"stream,omitempty"`
}

// messages builds the body for req. System turns go to the top-level system
// field, as the Messages API accepts only user and assistant turns.
func messages(req provider.ChatRequest) messagesRequest {
	body := messagesRequest{Model: req.Model, MaxTokens: req.MaxTokens, Temperature: req.Temperature, Messages: []message{}}
	if body.MaxTokens <= 0 {
		body.MaxTokens = defaultMaxTokens
	}
	var system []string
	for _, m := range req.Messages {
		if m.Role == "system" {
			system = append(system, m.Content)
			continue
		}
		body.Messages = append(body.Messages, message{Role: m.Role, Content: m.Content})
	}
	body.System = strings.Join(system, "\n\n")
	return body
}

// Chat posts to {base}/messages.
func (c *Client) Chat(ctx context.Context, req provider.ChatRequest) (provider.ChatResponse, error) {
	u, err := c.urlFor("/messages")
	if err != nil {
		return provider.ChatResponse{}, err
	}
	body := messages(req)
	var doc struct {
		Model   string `json:"model"`
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
		Usage struct {
			InputTokens  int `json:"input_tokens"`
			OutputTokens int `json:"output_tokens"`
		} `json:"usage"`
	}
	if err := c.caller.CallJSON(ctx, provider.Request{Method: http.MethodPost, URL: u, JSON: body}, &doc); err != nil {
		return provider.ChatResponse{}, err
	}
	if doc.Content == nil {
		return provider.ChatResponse{}, provider.Malformed(c.name, errors.New("the message has no content"))
	}
	var text strings.Builder
	for _, block := range doc.Content {
		if block.Type == "text" { // thinking and tool_use blocks are not the answer
			text.WriteString(block.Text)
		}
	}
	return provider.ChatResponse{
		Content:      text.String(),
		Model:        doc.Model,
		InputTokens:  doc.Usage.InputTokens,
		OutputTokens: doc.Usage.OutputTokens,
	}, nil
}

// ChatStream posts to {base}/messages with "stream": true and reads the
// server-sent events: message_start (model, input tokens),
// content_block_delta (text_delta pieces; thinking is not the answer),
// message_delta (the cumulative usage), message_stop (the end) and error
// (the API failing midway). ping and unknown events are skipped, as the API
// asks of its clients.
func (c *Client) ChatStream(ctx context.Context, req provider.ChatRequest, emit func(provider.Delta) error) (provider.ChatResponse, error) {
	u, err := c.urlFor("/messages")
	if err != nil {
		return provider.ChatResponse{}, err
	}
	body := messages(req)
	body.Stream = true
	s, err := c.caller.Stream(ctx, provider.Request{Method: http.MethodPost, URL: u, JSON: body, Header: provider.AcceptsStream()})
	if err != nil {
		return provider.ChatResponse{}, err
	}
	defer s.Close()
	answer := provider.NewAnswer(emit)
	type usage struct {
		InputTokens  int `json:"input_tokens"`
		OutputTokens int `json:"output_tokens"`
	}
	for {
		ev, err := s.Event()
		if err != nil {
			return answer.Response(), err
		}
		var event struct {
			Type    string `json:"type"`
			Message struct {
				Model string `json:"model"`
				Usage usage  `json:"usage"`
			} `json:"message"`
			Delta struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"delta"`
			Usage usage `json:"usage"`
			Error struct {
				Type string `json:"type"`
			} `json:"error"`
		}
		if err := json.Unmarshal(ev.Data, &event); err != nil {
			return answer.Response(), s.Malformed(err)
		}
		switch event.Type {
		case "message_start":
			answer.Model = event.Message.Model
			answer.InputTokens, answer.OutputTokens = event.Message.Usage.InputTokens, event.Message.Usage.OutputTokens
		case "content_block_delta":
			if event.Delta.Type == "text_delta" {
				if err := answer.Add(event.Delta.Text); err != nil {
					return answer.Response(), err
				}
			}
		case "message_delta":
			// The counts are cumulative; input_tokens appears only when the
			// server revises it.
			answer.OutputTokens = event.Usage.OutputTokens
			if event.Usage.InputTokens > 0 {
				answer.InputTokens = event.Usage.InputTokens
			}
		case "message_stop":
			return answer.Response(), nil
		case "error":
			status := provider.StatusError
			if event.Error.Type == "rate_limit_error" {
				status = provider.StatusRateLimited
			}
			return answer.Response(), s.FailWith(status, ev.Data)
		}
	}
}

// Embed is unsupported: Anthropic has no embedding models.
func (c *Client) Embed(context.Context, provider.EmbedRequest) ([][]float64, error) {
	return nil, provider.Unsupported(c.name, "embeddings")
}

// Speak is unsupported: Anthropic has no text-to-speech models.
func (c *Client) Speak(context.Context, provider.SpeechRequest) (provider.Speech, error) {
	return provider.Speech{}, provider.Unsupported(c.name, "text-to-speech")
}

// Transcribe is unsupported: Anthropic has no speech-to-text models.
func (c *Client) Transcribe(context.Context, provider.TranscriptionRequest) (string, error) {
	return "", provider.Unsupported(c.name, "speech-to-text")
}

// urlFor joins the base and path, failing when no base is configured.
func (c *Client) urlFor(path string) (string, error) {
	if c.base == "" {
		return "", &provider.Error{Provider: c.name, Status: provider.StatusError, Message: "No base URL configured", Config: true}
	}
	return c.base + path, nil
}
