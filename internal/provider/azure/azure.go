// Package azure is the client for Azure OpenAI: the OpenAI wire format,
// addressed by deployment on a per-resource endpoint, authenticated with an
// api-key header.
package azure

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/secret"
)

const (
	// DefaultAPIVersion is the GA data-plane version used when the
	// credential names none.
	DefaultAPIVersion = "2024-10-21"
	// defaultVoice is the voice the speech endpoint requires when the
	// caller has no preference.
	defaultVoice = "alloy"
)

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
	name := cfg.Provider
	if name == "" {
		name = "azure"
	}
	version := strings.TrimSpace(cfg.APIVersion)
	if version == "" {
		version = DefaultAPIVersion
	}
	resource := firstSet(cfg.Endpoint, cfg.BaseURL)
	key := secret.New(strings.TrimSpace(cfg.APIKey.Reveal()))
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
func (c *Client) Probe(ctx context.Context) ([]provider.Model, error) {
	return c.ListModels(ctx)
}

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Chat posts to the deployment named by req.Model:
// {endpoint}/openai/deployments/{model}/chat/completions.
func (c *Client) Chat(ctx context.Context, req provider.ChatRequest) (provider.ChatResponse, error) {
	u, err := c.urlFor(c.language, deploymentPath(req.Model, "/chat/completions"))
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

// Embed posts to {endpoint}/openai/deployments/{model}/embeddings and returns
// the vectors in input order.
func (c *Client) Embed(ctx context.Context, req provider.EmbedRequest) ([][]float64, error) {
	u, err := c.urlFor(c.embedding, deploymentPath(req.Model, "/embeddings"))
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

// Speak posts to {endpoint}/openai/deployments/{model}/audio/speech and
// returns the audio as sent.
func (c *Client) Speak(ctx context.Context, req provider.SpeechRequest) (provider.Speech, error) {
	u, err := c.urlFor(c.textToSpeech, deploymentPath(req.Model, "/audio/speech"))
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

// Transcribe uploads the audio as multipart form data to
// {endpoint}/openai/deployments/{model}/audio/transcriptions.
func (c *Client) Transcribe(ctx context.Context, req provider.TranscriptionRequest) (string, error) {
	u, err := c.urlFor(c.speechToText, deploymentPath(req.Model, "/audio/transcriptions"))
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

// deploymentPath addresses a deployment; its name is user-chosen, so it is
// escaped as one path segment.
func deploymentPath(deployment, operation string) string {
	return "/openai/deployments/" + url.PathEscape(deployment) + operation
}

// urlFor builds {endpoint}{path}?api-version=…, failing before any request when
// the credential lacks the endpoint or the key.
func (c *Client) urlFor(endpoint, path string) (string, error) {
	if endpoint == "" {
		return "", &provider.Error{Provider: c.name, Status: provider.StatusError, Message: "No Azure endpoint configured"}
	}
	if c.key.Empty() {
		return "", &provider.Error{Provider: c.name, Status: provider.StatusError, Message: "No Azure API key configured"}
	}
	return endpoint + path + "?api-version=" + url.QueryEscape(c.version), nil
}
