// Package openai is the client for every provider that speaks the OpenAI REST
// API: OpenAI itself and the compatible services (groq, mistral, deepseek,
// xai, openrouter, dashscope, minimax, novita, ppq, omlx and any
// openai_compatible server).
package openai

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"slices"
	"strings"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/secret"
)

// defaultVoice is the voice OpenAI's speech endpoint requires when the
// caller has no preference.
const defaultVoice = "alloy"

// Options are what differs between the providers this family serves.
type Options struct {
	// DefaultBaseURL is the API base used when the credential has none,
	// e.g. https://api.openai.com/v1. Empty for openai_compatible, which
	// then fails with "No base URL configured".
	DefaultBaseURL string
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

// New returns a client for cfg. The base URL is cfg.BaseURL, else
// opts.DefaultBaseURL; a trailing "/models" is dropped so that a base pasted
// from the listing URL still lists it exactly once. hc carries every request
// (in production the egress-guarded client) and must not be nil.
func New(cfg provider.Config, hc *http.Client, opts Options) *Client {
	name := cfg.Provider
	if name == "" {
		name = "openai"
	}
	base := normalizeBase(cfg.BaseURL)
	if base == "" {
		base = normalizeBase(opts.DefaultBaseURL)
	}
	key := secret.New(strings.TrimSpace(cfg.APIKey.Reveal()))
	return &Client{
		name:        name,
		base:        base,
		modelsQuery: opts.ModelsQuery,
		caller: &provider.Caller{Provider: name, HTTP: hc,
			Authorize: provider.KeyHeader("Authorization", "Bearer ", key)},
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
func (c *Client) Probe(ctx context.Context) ([]provider.Model, error) {
	return c.ListModels(ctx)
}

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Chat posts to {base}/chat/completions.
func (c *Client) Chat(ctx context.Context, req provider.ChatRequest) (provider.ChatResponse, error) {
	u, err := c.urlFor("/chat/completions")
	if err != nil {
		return provider.ChatResponse{}, err
	}
	body := struct {
		Model       string    `json:"model"`
		Messages    []message `json:"messages"`
		MaxTokens   int       `json:"max_tokens,omitempty"`
		Temperature *float64  `json:"temperature,omitempty"`
	}{Model: req.Model, MaxTokens: req.MaxTokens, Temperature: req.Temperature}
	for _, m := range req.Messages {
		body.Messages = append(body.Messages, message{Role: m.Role, Content: m.Content})
	}
	var doc struct {
		Model   string `json:"model"`
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := c.caller.CallJSON(ctx, provider.Request{Method: http.MethodPost, URL: u, JSON: body}, &doc); err != nil {
		return provider.ChatResponse{}, err
	}
	if len(doc.Choices) == 0 {
		return provider.ChatResponse{}, provider.Malformed(c.name, errors.New("the completion has no choices"))
	}
	return provider.ChatResponse{
		Content:      doc.Choices[0].Message.Content,
		Model:        doc.Model,
		InputTokens:  doc.Usage.PromptTokens,
		OutputTokens: doc.Usage.CompletionTokens,
	}, nil
}

type embedding struct {
	Index     int       `json:"index"`
	Embedding []float64 `json:"embedding"`
}

// Embed posts to {base}/embeddings and returns the vectors in input order.
func (c *Client) Embed(ctx context.Context, req provider.EmbedRequest) ([][]float64, error) {
	u, err := c.urlFor("/embeddings")
	if err != nil {
		return nil, err
	}
	body := struct {
		Model string   `json:"model"`
		Input []string `json:"input"`
	}{req.Model, req.Input}
	var doc struct {
		Data []embedding `json:"data"`
	}
	if err := c.caller.CallJSON(ctx, provider.Request{Method: http.MethodPost, URL: u, JSON: body}, &doc); err != nil {
		return nil, err
	}
	if len(doc.Data) != len(req.Input) {
		return nil, provider.Malformed(c.name,
			fmt.Errorf("%d embeddings for %d inputs", len(doc.Data), len(req.Input)))
	}
	// The API may answer out of order; index is the authority.
	slices.SortFunc(doc.Data, func(a, b embedding) int { return cmp.Compare(a.Index, b.Index) })
	vectors := make([][]float64, len(doc.Data))
	for i, d := range doc.Data {
		if d.Index != i {
			return nil, provider.Malformed(c.name, fmt.Errorf("embedding index %d is missing", i))
		}
		vectors[i] = d.Embedding
	}
	return vectors, nil
}

// Speak posts to {base}/audio/speech and returns the audio as sent.
func (c *Client) Speak(ctx context.Context, req provider.SpeechRequest) (provider.Speech, error) {
	u, err := c.urlFor("/audio/speech")
	if err != nil {
		return provider.Speech{}, err
	}
	voice := req.Voice
	if voice == "" {
		voice = defaultVoice
	}
	body := struct {
		Model string `json:"model"`
		Input string `json:"input"`
		Voice string `json:"voice"`
	}{req.Model, req.Text, voice}
	audio, contentType, err := c.caller.Call(ctx, provider.Request{Method: http.MethodPost, URL: u, JSON: body})
	if err != nil {
		return provider.Speech{}, err
	}
	if contentType == "" {
		contentType = "audio/mpeg" // the API's default response_format is mp3
	}
	return provider.Speech{Audio: audio, ContentType: contentType}, nil
}

// Transcribe uploads the audio to {base}/audio/transcriptions as multipart
// form data.
func (c *Client) Transcribe(ctx context.Context, req provider.TranscriptionRequest) (string, error) {
	u, err := c.urlFor("/audio/transcriptions")
	if err != nil {
		return "", err
	}
	body, contentType, err := transcriptionForm(req)
	if err != nil {
		return "", fmt.Errorf("%s: encoding the transcription request: %w", c.name, err)
	}
	var doc struct {
		Text *string `json:"text"`
	}
	err = c.caller.CallJSON(ctx, provider.Request{Method: http.MethodPost, URL: u, Body: body, ContentType: contentType}, &doc)
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
	filename := req.Filename
	if filename == "" {
		filename = "audio"
	}
	fileType := req.ContentType
	if fileType == "" {
		fileType = "application/octet-stream"
	}
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", multipart.FileContentDisposition("file", filename))
	h.Set("Content-Type", fileType)
	part, err := w.CreatePart(h)
	if err != nil {
		return nil, "", err
	}
	if _, err := part.Write(req.Audio); err != nil {
		return nil, "", err
	}
	if err := w.WriteField("model", req.Model); err != nil {
		return nil, "", err
	}
	if req.Language != "" {
		if err := w.WriteField("language", req.Language); err != nil {
			return nil, "", err
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return &buf, w.FormDataContentType(), nil
}

// urlFor joins the base and path, failing when no base is configured.
func (c *Client) urlFor(path string) (string, error) {
	if c.base == "" {
		return "", &provider.Error{Provider: c.name, Status: provider.StatusError, Message: "No base URL configured"}
	}
	return c.base + path, nil
}
