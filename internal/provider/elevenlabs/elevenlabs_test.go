package elevenlabs

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
)

const modelsAnswer = `[
  {"model_id": "eleven_multilingual_v2", "name": "Eleven Multilingual v2", "can_be_finetuned": true,
   "can_do_text_to_speech": true, "can_do_voice_conversion": false, "can_use_style": true, "can_use_speaker_boost": true,
   "serves_pro_voices": false, "token_cost_factor": 1.0,
   "description": "Our most life-like, emotionally rich mode in 29 languages.", "requires_alpha_access": false,
   "max_characters_request_free_user": 10000, "max_characters_request_subscribed_user": 10000,
   "maximum_text_length_per_request": 10000, "languages": [{"language_id": "en", "name": "English"}],
   "model_rates": {"character_cost_multiplier": 1.0}, "concurrency_group": "standard"},
  {"model_id": "eleven_multilingual_sts_v2", "name": "Eleven Multilingual v2 (STS)", "can_do_text_to_speech": false,
   "can_do_voice_conversion": true, "description": "Speech to speech."},
  {"model_id": "eleven_flash_v2_5", "name": "Eleven Flash v2.5", "can_do_text_to_speech": true, "description": ""}
]`

func TestListModelsKeepsTTSModelsAndAddsScribe(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusOK, modelsAnswer))
	models, err := newClient(f).Probe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []provider.Model{
		{Name: "eleven_multilingual_v2", Provider: "elevenlabs", Type: provider.TypeTextToSpeech,
			Description: "Our most life-like, emotionally rich mode in 29 languages."},
		{Name: "eleven_flash_v2_5", Provider: "elevenlabs", Type: provider.TypeTextToSpeech, Description: "Eleven Flash v2.5"},
		{Name: "scribe_v2", Provider: "elevenlabs", Type: provider.TypeSpeechToText},
		{Name: "scribe_v1", Provider: "elevenlabs", Type: provider.TypeSpeechToText},
	}
	if !reflect.DeepEqual(models, want) {
		t.Errorf("models = %+v\nwant %+v", models, want)
	}
	req := f.Only(t)
	if req.Method != http.MethodGet || req.Path != "/v1/models" || req.Query != "" {
		t.Errorf("request = %s %s?%s, want GET /v1/models", req.Method, req.Path, req.Query)
	}
	wantAuth(t, req)
}

func TestBaseURLs(t *testing.T) {
	tests := []struct {
		name   string
		suffix string
	}{
		{"a bare host is used as it is", ""},
		{"a pasted v1 is dropped", "/v1/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, `[]`))
			if _, err := New(provider.Config{BaseURL: f.URL + tt.suffix}, f.Client()).ListModels(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := f.Only(t).Path; got != "/v1/models" {
				t.Errorf("path = %q", got)
			}
		})
	}
	if got := New(provider.Config{}, http.DefaultClient).base; got != "https://api.elevenlabs.io" {
		t.Errorf("default base = %q", got)
	}
}

func TestErrorsAreClassified(t *testing.T) {
	calls := map[string]func(*Client, context.Context) error{
		"ListModels": func(c *Client, ctx context.Context) error { _, err := c.ListModels(ctx); return err },
		"Speak": func(c *Client, ctx context.Context) error {
			_, err := c.Speak(ctx, provider.SpeechRequest{Model: "eleven_multilingual_v2", Text: "Hi"})
			return err
		},
		"Transcribe": func(c *Client, ctx context.Context) error {
			_, err := c.Transcribe(ctx, provider.TranscriptionRequest{Model: "scribe_v1", Audio: []byte("RIFF")})
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
			name:   "a 401 is auth_failed with ElevenLabs' message",
			answer: providertest.Reply(http.StatusUnauthorized, `{"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}`),
			status: provider.StatusAuthFailed, httpStatus: 401, message: "Invalid API key",
		},
		{
			name: "a 403 is forbidden",
			answer: providertest.Reply(http.StatusForbidden, `{"detail": {"status": "missing_permissions",
				"message": "The API key you used is missing the permission models_read to execute this operation."}}`),
			status: provider.StatusForbidden, httpStatus: 403, message: "missing the permission models_read",
		},
		{
			name: "a 404 is not_found",
			answer: providertest.Reply(http.StatusNotFound, `{"detail": {"status": "voice_not_found",
				"message": "A voice with the voice_id 21m00Tcm4TlvDq8ikWAM was not found."}}`),
			status: provider.StatusNotFound, httpStatus: 404, message: "was not found",
		},
		{
			name: "a 422 is an error with the validation message",
			answer: providertest.Reply(http.StatusUnprocessableEntity, `{"detail": [{"loc": ["body", "text"], "msg": "field required",
				"type": "value_error.missing"}]}`),
			status: provider.StatusError, httpStatus: 422, message: "field required",
		},
		{
			name: "a 429 is rate_limited and keeps Retry-After",
			answer: providertest.Reply(http.StatusTooManyRequests, `{"detail": {"status": "too_many_concurrent_requests",
				"message": "Too many concurrent requests for your subscription."}}`, "Retry-After", "5"),
			status: provider.StatusRateLimited, httpStatus: 429, message: "Too many concurrent requests", retryAfter: 5 * time.Second,
		},
		{
			name:   "a 500 is an error",
			answer: providertest.Reply(http.StatusInternalServerError, `{"detail": {"status": "internal_error", "message": "Something went wrong."}}`),
			status: provider.StatusError, httpStatus: 500, message: "Something went wrong.",
		},
		{
			name: "a message that echoes the key is redacted",
			answer: providertest.Reply(http.StatusUnauthorized, `{"detail": {"status": "invalid_api_key",
				"message": "Invalid API key: `+testKey+`"}}`),
			status: provider.StatusAuthFailed, httpStatus: 401, message: "Invalid API key: [REDACTED]",
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

func TestMalformedAnswers(t *testing.T) {
	tests := []struct {
		name   string
		answer string
		call   func(*Client) error
	}{
		{"a listing that is not an array", `{"models": []}`, func(c *Client) error { _, err := c.ListModels(context.Background()); return err }},
		{"a truncated listing", `[{"model_id": `, func(c *Client) error { _, err := c.ListModels(context.Background()); return err }},
		{"a transcription without text", `{"language_code": "en"}`, func(c *Client) error {
			_, err := c.Transcribe(context.Background(), provider.TranscriptionRequest{Model: "scribe_v1"})
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
	mp3 := []byte("ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x64")
	tests := []struct {
		name     string
		req      provider.SpeechRequest
		wantPath string
		wantBody string
	}{
		{
			name:     "no voice picks the default voice",
			req:      provider.SpeechRequest{Model: "eleven_multilingual_v2", Text: "Hello from Open Notebook"},
			wantPath: "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM",
			wantBody: `{"text": "Hello from Open Notebook", "model_id": "eleven_multilingual_v2"}`,
		},
		{
			name:     "a voice id is path-escaped",
			req:      provider.SpeechRequest{Model: "eleven_flash_v2_5", Voice: "../v1/user", Text: "Hi"},
			wantPath: "/v1/text-to-speech/..%2Fv1%2Fuser",
			wantBody: `{"text": "Hi", "model_id": "eleven_flash_v2_5"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, string(mp3), "Content-Type", "audio/mpeg"))
			speech, err := newClient(f).Speak(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(speech.Audio, mp3) || speech.ContentType != "audio/mpeg" {
				t.Errorf("speech = %q (%s), want the MP3 bytes", speech.Audio, speech.ContentType)
			}
			req := f.Only(t)
			if req.Method != http.MethodPost || req.Path != tt.wantPath {
				t.Errorf("request = %s %s, want POST %s", req.Method, req.Path, tt.wantPath)
			}
			if req.Header.Get("Accept") != "audio/mpeg" || req.Header.Get("Content-Type") != "application/json" {
				t.Errorf("Accept = %q, Content-Type = %q", req.Header.Get("Accept"), req.Header.Get("Content-Type"))
			}
			wantAuth(t, req)
			providertest.WantJSON(t, req.Body, tt.wantBody)
		})
	}
}

func TestTranscribe(t *testing.T) {
	audio := []byte("RIFF\x24\x00\x00\x00WAVEfmt ")
	tests := []struct {
		name string
		req  provider.TranscriptionRequest
		want map[string]providertest.FormPart
	}{
		{
			name: "a named file with a language sends every field",
			req:  provider.TranscriptionRequest{Model: "scribe_v1", Audio: audio, Filename: "clip.wav", ContentType: "audio/wav", Language: "en"},
			want: map[string]providertest.FormPart{
				"model_id":      {Data: "scribe_v1"},
				"language_code": {Data: "en"},
				"file":          {Filename: "clip.wav", ContentType: "audio/wav", Data: string(audio)},
			},
		},
		{
			name: "an anonymous clip without a language lets ElevenLabs detect it",
			req:  provider.TranscriptionRequest{Model: "scribe_v2", Audio: audio},
			want: map[string]providertest.FormPart{
				"model_id": {Data: "scribe_v2"},
				"file":     {Filename: "audio", ContentType: "application/octet-stream", Data: string(audio)},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, `{"language_code": "en", "language_probability": 0.98,
				"text": "Hello from Open Notebook.", "words": [{"text": "Hello", "type": "word", "start": 0.0, "end": 0.4,
				"speaker_id": "speaker_1"}]}`))
			text, err := newClient(f).Transcribe(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if text != "Hello from Open Notebook." {
				t.Errorf("text = %q", text)
			}
			req := f.Only(t)
			if req.Method != http.MethodPost || req.Path != "/v1/speech-to-text" {
				t.Errorf("request = %s %s", req.Method, req.Path)
			}
			wantAuth(t, req)
			for name, part := range providertest.ParseForm(t, req) {
				if want, ok := tt.want[name]; !ok || part != want {
					t.Errorf("form field %q = %+v, want %+v", name, part, want)
				}
			}
			if got := len(providertest.ParseForm(t, req)); got != len(tt.want) {
				t.Errorf("%d form fields, want %d", got, len(tt.want))
			}
		})
	}
}

func TestTextModelsAreUnsupported(t *testing.T) {
	c := New(provider.Config{Provider: "elevenlabs"}, http.DefaultClient)
	if _, err := c.Chat(context.Background(), provider.ChatRequest{}); !errors.Is(err, provider.ErrUnsupported) {
		t.Errorf("Chat err = %v, want ErrUnsupported", err)
	}
	if _, err := c.Embed(context.Background(), provider.EmbedRequest{}); !errors.Is(err, provider.ErrUnsupported) {
		t.Errorf("Embed err = %v, want ErrUnsupported", err)
	}
}
