package openai

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"slices"

	"github.com/open-notebook/open-notebook/internal/provider"
)

// The functions below are the OpenAI wire format: the bodies of chat
// completions, embeddings, speech and transcription. Azure OpenAI speaks it
// too, at other URLs and with another key header, so they take the caller
// that authorizes for the provider and the URL to post to; what differs
// between the APIs stays with their clients.

// defaultVoice is the voice OpenAI's speech endpoint requires when the
// caller has no preference.
const defaultVoice = "alloy"

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// maxTokensField names the completion limit. OpenAI's reasoning models
// (o1, o3, gpt-5) refuse max_tokens; OpenAI and Azure OpenAI accept
// max_completion_tokens for every chat model, while the compatible services
// know only max_tokens.
func maxTokensField(providerName string) string {
	if providerName == "openai" || providerName == "azure" {
		return "max_completion_tokens"
	}
	return "max_tokens"
}

// Chat posts req to target, a chat completions URL.
func Chat(ctx context.Context, caller *provider.Caller, target string, req provider.ChatRequest) (provider.ChatResponse, error) {
	messages := make([]message, 0, len(req.Messages))
	for _, m := range req.Messages {
		messages = append(messages, message{Role: m.Role, Content: m.Content})
	}
	body := map[string]any{"model": req.Model, "messages": messages}
	if req.MaxTokens > 0 {
		body[maxTokensField(caller.Provider)] = req.MaxTokens
	}
	if req.Temperature != nil {
		body["temperature"] = *req.Temperature
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
	if err := caller.CallJSON(ctx, provider.Request{Method: http.MethodPost, URL: target, JSON: body}, &doc); err != nil {
		return provider.ChatResponse{}, err
	}
	if len(doc.Choices) == 0 {
		return provider.ChatResponse{}, provider.Malformed(caller.Provider, errors.New("the completion has no choices"))
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

// Embed posts req to target, an embeddings URL, and returns the vectors in
// input order.
func Embed(ctx context.Context, caller *provider.Caller, target string, req provider.EmbedRequest) ([][]float64, error) {
	body := struct {
		Model string   `json:"model"`
		Input []string `json:"input"`
	}{req.Model, req.Input}
	var doc struct {
		Data []embedding `json:"data"`
	}
	if err := caller.CallJSON(ctx, provider.Request{Method: http.MethodPost, URL: target, JSON: body}, &doc); err != nil {
		return nil, err
	}
	if len(doc.Data) != len(req.Input) {
		return nil, provider.Malformed(caller.Provider,
			fmt.Errorf("%d embeddings for %d inputs", len(doc.Data), len(req.Input)))
	}
	// The API may answer out of order; index is the authority.
	slices.SortFunc(doc.Data, func(a, b embedding) int { return cmp.Compare(a.Index, b.Index) })
	vectors := make([][]float64, len(doc.Data))
	for i, d := range doc.Data {
		if d.Index != i {
			return nil, provider.Malformed(caller.Provider, fmt.Errorf("embedding index %d is missing", i))
		}
		vectors[i] = d.Embedding
	}
	return vectors, nil
}

// Speak posts req to target, a speech URL, and returns the audio as sent.
// The voice defaults to alloy.
func Speak(ctx context.Context, caller *provider.Caller, target string, req provider.SpeechRequest) (provider.Speech, error) {
	voice := req.Voice
	if voice == "" {
		voice = defaultVoice
	}
	body := struct {
		Model string `json:"model"`
		Input string `json:"input"`
		Voice string `json:"voice"`
	}{req.Model, req.Text, voice}
	audio, contentType, err := caller.Call(ctx, provider.Request{Method: http.MethodPost, URL: target, JSON: body})
	if err != nil {
		return provider.Speech{}, err
	}
	if contentType == "" {
		contentType = "audio/mpeg" // the API's default response_format is mp3
	}
	return provider.Speech{Audio: audio, ContentType: contentType}, nil
}

// Transcribe uploads req's audio to target, a transcriptions URL, as
// multipart form data.
func Transcribe(ctx context.Context, caller *provider.Caller, target string, req provider.TranscriptionRequest) (string, error) {
	body, contentType, err := transcriptionForm(req)
	if err != nil {
		return "", fmt.Errorf("%s: encoding the transcription request: %w", caller.Provider, err)
	}
	var doc struct {
		Text *string `json:"text"`
	}
	err = caller.CallJSON(ctx, provider.Request{Method: http.MethodPost, URL: target, Body: body, ContentType: contentType}, &doc)
	if err != nil {
		return "", err
	}
	if doc.Text == nil {
		return "", provider.Malformed(caller.Provider, errors.New("the transcription has no text"))
	}
	return *doc.Text, nil
}

func transcriptionForm(req provider.TranscriptionRequest) (*bytes.Buffer, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := provider.WriteAudioPart(w, req); err != nil {
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
