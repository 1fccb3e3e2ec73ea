package deepgram

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/secret"
)

const modelsAnswer = `{
  "stt": [
    {"name": "general", "canonical_name": "nova-3-general", "architecture": "nova-3", "languages": ["en", "en-US"],
     "version": "2025-01-01.0", "uuid": "0b9f2b2e-1f0a-4c3f-9a52-7d4e2a1b3c4d", "batch": true, "streaming": true,
     "formatted_output": true},
    {"name": "general", "canonical_name": "nova-3-general", "architecture": "nova-3", "languages": ["es"],
     "version": "2025-01-01.0", "uuid": "1c0a3c3f-2a1b-4d4e-8b63-8e5f3b2c4d5e", "batch": true, "streaming": true},
    {"name": "whisper-large", "canonical_name": "", "architecture": "whisper", "languages": ["en"],
     "version": "2023-01-01.0", "uuid": "2d1b4d4a-3b2c-4e5f-9c74-9f6a4c3d5e6f", "batch": true, "streaming": false}
  ],
  "tts": [
    {"name": "thalia", "canonical_name": "aura-2-thalia-en", "architecture": "aura-2", "languages": ["en", "en-US"],
     "version": "2025-04-07.0", "uuid": "3e2c5e5b-4c3d-4f6a-8d85-0a7b5d4e6f7a",
     "metadata": {"accent": "American", "age": "Adult", "color": "#9FE2BF", "image": "https://static.deepgram.com/examples/avatars/thalia.jpg",
      "sample": "https://static.deepgram.com/examples/Aura-2-thalia.wav", "tags": ["feminine", "clear"]}},
    {"name": "zeus", "canonical_name": "aura-zeus-en", "architecture": "aura", "languages": ["en-US"],
     "version": "2023-10-10.0", "uuid": "4f3d6f6c-5d4e-4a7b-9e96-1b8c6e5f7a8b"}
  ]
}`

func TestListModelsTypesAndDeduplicates(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusOK, modelsAnswer))
	models, err := newClient(f).ListModels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []provider.Model{
		{Name: "nova-3-general", Provider: "deepgram", Type: provider.TypeSpeechToText},
		{Name: "whisper-large", Provider: "deepgram", Type: provider.TypeSpeechToText},
		{Name: "aura-2-thalia-en", Provider: "deepgram", Type: provider.TypeTextToSpeech},
		{Name: "aura-zeus-en", Provider: "deepgram", Type: provider.TypeTextToSpeech},
	}
	if !reflect.DeepEqual(models, want) {
		t.Errorf("models = %+v\nwant %+v", models, want)
	}
	req := f.Only(t)
	if req.Method != http.MethodGet || req.Path != "/v1/models" {
		t.Errorf("request = %s %s, want GET /v1/models", req.Method, req.Path)
	}
	wantAuth(t, req)
}

func TestProbeListsProjects(t *testing.T) {
	tests := []struct {
		name   string
		answer string
		ok     bool
	}{
		{"a project list proves the key", `{"projects": [{"project_id": "5a9b2c1d-3e4f-4a5b-8c6d-7e8f9a0b1c2d", "name": "Notebook"}]}`, true},
		{"an empty project list proves it too", `{"projects": []}`, true},
		{"an answer that is not a project list is malformed", `{"models": []}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, tt.answer))
			models, err := newClient(f).Probe(context.Background())
			if tt.ok && (err != nil || models != nil) {
				t.Fatalf("Probe = %v, %v; want nil, nil", models, err)
			}
			if !tt.ok {
				wantProviderError(t, err, provider.StatusError, 0, "could not be read")
			}
			req := f.Only(t)
			if req.Method != http.MethodGet || req.Path != "/v1/projects" {
				t.Errorf("request = %s %s, want GET /v1/projects", req.Method, req.Path)
			}
			wantAuth(t, req)
		})
	}
}

func TestBaseURLs(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusOK, `{"projects": []}`))
	if _, err := New(provider.Config{APIKey: secret.New(testKey), BaseURL: f.URL + "/v1/"}, f.Client()).Probe(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.Only(t).Path; got != "/v1/projects" {
		t.Errorf("a pasted /v1 was kept: path = %q", got)
	}
	if got := New(provider.Config{}, http.DefaultClient).base; got != "https://api.deepgram.com" {
		t.Errorf("default base = %q", got)
	}
}

func TestErrorsAreClassified(t *testing.T) {
	calls := map[string]func(*Client, context.Context) error{
		"Probe":      func(c *Client, ctx context.Context) error { _, err := c.Probe(ctx); return err },
		"ListModels": func(c *Client, ctx context.Context) error { _, err := c.ListModels(ctx); return err },
		"Speak": func(c *Client, ctx context.Context) error {
			_, err := c.Speak(ctx, provider.SpeechRequest{Text: "Hi"})
			return err
		},
		"Transcribe": func(c *Client, ctx context.Context) error {
			_, err := c.Transcribe(ctx, provider.TranscriptionRequest{Audio: []byte("RIFF")})
			return err
		},
	}
	tests := []struct {
		name       string
		answer     http.HandlerFunc
		status     provider.Status
		httpStatus int
		message    string
		retryAfter time.Duration
	}{
		{
			name: "a 401 is auth_failed with Deepgram's err_msg",
			answer: providertest.Reply(http.StatusUnauthorized, `{"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials.",
				"request_id": "8c4e2a1b-3d5f-4a6b-9c7d-0e1f2a3b4c5d"}`),
			status: provider.StatusAuthFailed, httpStatus: 401, message: "Invalid credentials.",
		},
		{
			name: "a 403 in the newer error shape is forbidden",
			answer: providertest.Reply(http.StatusForbidden, `{"category": "INSUFFICIENT_PERMISSIONS", "message": "Project does not have access to the requested model.",
				"details": "", "request_id": "9d5f3b2c"}`),
			status: provider.StatusForbidden, httpStatus: 403, message: "does not have access to the requested model",
		},
		{
			name:   "a 404 is not_found",
			answer: providertest.Reply(http.StatusNotFound, `{"err_code": "NOT_FOUND", "err_msg": "Not found.", "request_id": "ae6a4c3d"}`),
			status: provider.StatusNotFound, httpStatus: 404, message: "Not found.",
		},
		{
			name: "a 429 is rate_limited and keeps Retry-After",
			answer: providertest.Reply(http.StatusTooManyRequests, `{"err_code": "TOO_MANY_REQUESTS", "err_msg": "Too many requests. Please try again later",
				"request_id": "bf7b5d4e"}`, "Retry-After", "2"),
			status: provider.StatusRateLimited, httpStatus: 429, message: "Too many requests", retryAfter: 2 * time.Second,
		},
		{
			name:   "a 500 is an error",
			answer: providertest.Reply(http.StatusInternalServerError, `{"err_code": "INTERNAL_SERVER_ERROR", "err_msg": "Internal server error.", "request_id": "c08c6e5f"}`),
			status: provider.StatusError, httpStatus: 500, message: "Internal server error.",
		},
		{
			name:   "a message that echoes the key is redacted",
			answer: providertest.Reply(http.StatusUnauthorized, `{"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials `+testKey+`."}`),
			status: provider.StatusAuthFailed, httpStatus: 401, message: "Invalid credentials [REDACTED].",
		},
		{
			name:   "an answer slower than the deadline is a timeout",
			answer: providertest.Stall,
			status: provider.StatusTimeout, message: "did not answer in time",
		},
	}
	for _, tt := range tests {
		for call, do := range calls {
			t.Run(call+"/"+tt.name, func(t *testing.T) {
				f := providertest.New(t, tt.answer)
				ctx, cancel := context.WithTimeout(context.Background(), providertest.Deadline(tt.status))
				defer cancel()
				pe := wantProviderError(t, do(newClient(f), ctx), tt.status, tt.httpStatus, tt.message)
				if pe.RetryAfter != tt.retryAfter {
					t.Errorf("RetryAfter = %v, want %v", pe.RetryAfter, tt.retryAfter)
				}
				wantAuth(t, f.Only(t))
			})
		}
	}
}

func TestUnreadableAnswersAreMalformed(t *testing.T) {
	tests := []struct {
		name   string
		answer string
		call   func(*Client) error
	}{
		{"a truncated model listing", `{"stt": [`, func(c *Client) error { _, err := c.ListModels(context.Background()); return err }},
		{"a transcription without channels", `{"metadata": {"request_id": "x"}, "results": {"channels": []}}`, func(c *Client) error {
			_, err := c.Transcribe(context.Background(), provider.TranscriptionRequest{Audio: []byte("RIFF")})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, tt.answer))
			wantProviderError(t, tt.call(newClient(f)), provider.StatusError, 0, "could not be read")
		})
	}
}

func TestSpeak(t *testing.T) {
	mp3 := []byte("\xff\xfb\x90\x64\x00\x00\x00\x00")
	tests := []struct {
		name      string
		req       provider.SpeechRequest
		wantQuery string
	}{
		{"a voice is sent as the model", provider.SpeechRequest{Model: "aura-2-thalia-en", Voice: "aura-2-helena-en", Text: "Hi"}, "model=aura-2-helena-en"},
		{"without a voice the model is used", provider.SpeechRequest{Model: "aura-2-apollo-en", Text: "Hi"}, "model=aura-2-apollo-en"},
		{"without either the default voice is used", provider.SpeechRequest{Text: "Hi"}, "model=aura-2-thalia-en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, string(mp3), "Content-Type", "audio/mpeg", "dg-request-id", "d19d7f6a"))
			speech, err := newClient(f).Speak(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(speech.Audio, mp3) || speech.ContentType != "audio/mpeg" {
				t.Errorf("speech = %q (%s), want the MP3 bytes", speech.Audio, speech.ContentType)
			}
			req := f.Only(t)
			if req.Method != http.MethodPost || req.Path != "/v1/speak" || req.Query != tt.wantQuery {
				t.Errorf("request = %s %s?%s, want POST /v1/speak?%s", req.Method, req.Path, req.Query, tt.wantQuery)
			}
			if ct := req.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			wantAuth(t, req)
			providertest.WantJSON(t, req.Body, `{"text": "Hi"}`)
		})
	}
}

func TestTranscribe(t *testing.T) {
	audio := []byte("RIFF\x24\x00\x00\x00WAVEfmt ")
	tests := []struct {
		name            string
		req             provider.TranscriptionRequest
		wantQuery       string
		wantContentType string
	}{
		{
			name:            "a model and language are passed on with the audio's type",
			req:             provider.TranscriptionRequest{Model: "nova-2", Audio: audio, ContentType: "audio/wav", Language: "en"},
			wantQuery:       "language=en&model=nova-2&smart_format=true",
			wantContentType: "audio/wav",
		},
		{
			name:            "without a model, language or type Deepgram picks nova-3 and detects the rest",
			req:             provider.TranscriptionRequest{Audio: audio},
			wantQuery:       "detect_language=true&model=nova-3&smart_format=true",
			wantContentType: "application/octet-stream",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, `{"metadata": {"transaction_key": "deprecated", "request_id": "e2a08b7c",
				"sha256": "5f2c", "created": "2026-03-01T10:00:00.000Z", "duration": 1.5, "channels": 1, "models": ["1abfe86b"]},
				"results": {"channels": [{"alternatives": [{"transcript": "Hello from Open Notebook.", "confidence": 0.99,
				"words": [{"word": "hello", "start": 0.08, "end": 0.4, "confidence": 0.99, "punctuated_word": "Hello"}]}],
				"detected_language": "en"}]}}`))
			text, err := newClient(f).Transcribe(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if text != "Hello from Open Notebook." {
				t.Errorf("text = %q", text)
			}
			req := f.Only(t)
			if req.Method != http.MethodPost || req.Path != "/v1/listen" || req.Query != tt.wantQuery {
				t.Errorf("request = %s %s?%s, want POST /v1/listen?%s", req.Method, req.Path, req.Query, tt.wantQuery)
			}
			if ct := req.Header.Get("Content-Type"); ct != tt.wantContentType {
				t.Errorf("Content-Type = %q, want %q", ct, tt.wantContentType)
			}
			if !bytes.Equal(req.Body, audio) {
				t.Errorf("body = %q, want the raw audio", req.Body)
			}
			wantAuth(t, req)
		})
	}
}

func TestTextModelsAreUnsupported(t *testing.T) {
	c := New(provider.Config{Provider: "deepgram"}, http.DefaultClient)
	if _, err := c.Chat(context.Background(), provider.ChatRequest{}); !errors.Is(err, provider.ErrUnsupported) {
		t.Errorf("Chat err = %v, want ErrUnsupported", err)
	}
	if _, err := c.Embed(context.Background(), provider.EmbedRequest{}); !errors.Is(err, provider.ErrUnsupported) {
		t.Errorf("Embed err = %v, want ErrUnsupported", err)
	}
}
