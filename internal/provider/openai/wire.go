package openai

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
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

// streamsUsage reports whether the provider accepts stream_options, which
// asks for the token usage at the end of a stream. Mistral refuses the field
// (422 "Extra inputs are not permitted") but reports usage in its last chunk
// anyway; every other provider of the family accepts it or ignores it.
func streamsUsage(providerName string) bool {
	return providerName != "mistral"
}

// chatBody is the chat completions request for req.
func chatBody(providerName string, req provider.ChatRequest) map[string]any {
	messages := make([]message, 0, len(req.Messages))
	for _, m := range req.Messages {
		messages = append(messages, message{Role: m.Role, Content: m.Content})
	}
	body := map[string]any{"model": req.Model, "messages": messages}
	if req.MaxTokens > 0 {
		body[maxTokensField(providerName)] = req.MaxTokens
	}
	if req.Temperature != nil {
		body["temperature"] = *req.Temperature
	}
	return body
}

// Chat posts req to target, a chat completions URL.
func Chat(ctx context.Context, caller *provider.Caller, target string, req provider.ChatRequest) (provider.ChatResponse, error) {
	body := chatBody(caller.Provider, req)
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

// ChatStream posts req to target, a chat completions URL, asking for a
// stream of server-sent events: chunks whose choices carry the text in
// delta.content, a last chunk with the usage (stream_options.include_usage)
// and "data: [DONE]". A chunk with an "error" member is the provider failing
// midway, as OpenAI and OpenRouter report it.
func ChatStream(ctx context.Context, caller *provider.Caller, target string, req provider.ChatRequest, emit func(provider.Delta) error) (provider.ChatResponse, error) {
	body := chatBody(caller.Provider, req)
	body["stream"] = true
	if streamsUsage(caller.Provider) {
		body["stream_options"] = map[string]any{"include_usage": true}
	}
	s, err := caller.Stream(ctx, provider.Request{Method: http.MethodPost, URL: target, JSON: body, Header: provider.AcceptsStream()})
	if err != nil {
		return provider.ChatResponse{}, err
	}
	defer s.Close()
	answer := provider.NewAnswer(emit)
	for {
		ev, err := s.Event()
		if err != nil {
			return answer.Response(), err
		}
		if string(bytes.TrimSpace(ev.Data)) == "[DONE]" {
			return answer.Response(), nil
		}
		var chunk struct {
			Model   string          `json:"model"`
			Error   json.RawMessage `json:"error"`
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
			} `json:"choices"`
			Usage *struct {
				PromptTokens     int `json:"prompt_tokens"`
				CompletionTokens int `json:"completion_tokens"`
			} `json:"usage"`
		}
		if err := json.Unmarshal(ev.Data, &chunk); err != nil {
			return answer.Response(), s.Malformed(err)
		}
		if len(chunk.Error) > 0 && string(chunk.Error) != "null" {
			return answer.Response(), s.FailWith(provider.StatusError, ev.Data)
		}
		if chunk.Model != "" {
			answer.Model = chunk.Model
		}
		if chunk.Usage != nil {
			answer.InputTokens, answer.OutputTokens = chunk.Usage.PromptTokens, chunk.Usage.CompletionTokens
		}
		// n is 1, so a chunk carries at most one choice; Azure's first
		// chunk, with the prompt's filter results, carries none.
		if len(chunk.Choices) > 0 {
			if err := answer.Add(chunk.Choices[0].Delta.Content); err != nil {
				return answer.Response(), err
			}
		}
	}
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
