package deepgram

import (
	"bytes"
	"context"
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
	models, err := family.NewClient(t, f).ListModels(context.Background())
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
	family.WantRequest(t, f, "GET /v1/models")
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
			probe, err := family.NewClient(t, f).Probe(context.Background())
			if tt.ok && (err != nil || probe.Models != nil || probe.ListingUnsupported != 0) {
				t.Fatalf("Probe = %+v, %v; want nothing", probe, err)
			}
			if !tt.ok {
				family.WantMalformed(t, err)
			}
			family.WantRequest(t, f, "GET /v1/projects")
		})
	}
}

func TestBaseURLs(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusOK, `{"projects": []}`))
	if _, err := New(provider.Config{APIKey: secret.New(testKey), Settings: provider.Settings{BaseURL: f.URL + "/v1/"}}, f.Client()).Probe(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.Only(t).Path; got != "/v1/projects" {
		t.Errorf("a pasted /v1 was kept: path = %q", got)
	}
}

func TestErrorsAreClassified(t *testing.T) {
	calls := []providertest.Call{providertest.Probe, providertest.ListModels, providertest.Speak(""), providertest.Transcribe("")}
	family.Failures(t, calls, []providertest.Failure{
		{
			Name: "a 401 is auth_failed with Deepgram's err_msg",
			Answer: providertest.Reply(http.StatusUnauthorized, `{"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials.",
				"request_id": "8c4e2a1b-3d5f-4a6b-9c7d-0e1f2a3b4c5d"}`),
			Status: provider.StatusAuthFailed, HTTPStatus: 401, Message: "Invalid credentials.",
		},
		{
			Name: "a 403 in the newer error shape is forbidden",
			Answer: providertest.Reply(http.StatusForbidden, `{"category": "INSUFFICIENT_PERMISSIONS", "message": "Project does not have access to the requested model.",
				"details": "", "request_id": "9d5f3b2c"}`),
			Status: provider.StatusForbidden, HTTPStatus: 403, Message: "does not have access to the requested model",
		},
		{
			Name:   "a 404 is not_found",
			Answer: providertest.Reply(http.StatusNotFound, `{"err_code": "NOT_FOUND", "err_msg": "Not found.", "request_id": "ae6a4c3d"}`),
			Status: provider.StatusNotFound, HTTPStatus: 404, Message: "Not found.",
		},
		{
			Name: "a 429 is rate_limited and keeps Retry-After",
			Answer: providertest.Reply(http.StatusTooManyRequests, `{"err_code": "TOO_MANY_REQUESTS", "err_msg": "Too many requests. Please try again later",
				"request_id": "bf7b5d4e"}`, "Retry-After", "2"),
			Status: provider.StatusRateLimited, HTTPStatus: 429, Message: "Too many requests", RetryAfter: 2 * time.Second,
		},
		{
			Name:   "a 500 is an error",
			Answer: providertest.Reply(http.StatusInternalServerError, `{"err_code": "INTERNAL_SERVER_ERROR", "err_msg": "Internal server error.", "request_id": "c08c6e5f"}`),
			Status: provider.StatusError, HTTPStatus: 500, Message: "Internal server error.",
		},
		{
			Name:   "a message that echoes the key is redacted",
			Answer: providertest.Reply(http.StatusUnauthorized, `{"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials `+testKey+`."}`),
			Status: provider.StatusAuthFailed, HTTPStatus: 401, Message: "Invalid credentials [REDACTED].",
		},
		providertest.SlowAnswer,
	})
}

func TestUnreadableAnswersAreMalformed(t *testing.T) {
	family.Malformed(t, []providertest.Unreadable{
		{Name: "a truncated model listing", Answer: `{"stt": [`, Call: providertest.ListModels},
		{Name: "a transcription without channels", Answer: `{"metadata": {"request_id": "x"}, "results": {"channels": []}}`,
			Call: providertest.Transcribe("")},
	})
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
			speech, err := family.NewClient(t, f).Speak(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(speech.Audio, mp3) || speech.ContentType != "audio/mpeg" {
				t.Errorf("speech = %q (%s), want the MP3 bytes", speech.Audio, speech.ContentType)
			}
			family.WantJSONRequest(t, f, "POST /v1/speak?"+tt.wantQuery, `{"text": "Hi"}`)
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
			text, err := family.NewClient(t, f).Transcribe(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if text != "Hello from Open Notebook." {
				t.Errorf("text = %q", text)
			}
			req := family.WantRequest(t, f, "POST /v1/listen?"+tt.wantQuery)
			if ct := req.Header.Get("Content-Type"); ct != tt.wantContentType {
				t.Errorf("Content-Type = %q, want %q", ct, tt.wantContentType)
			}
			if !bytes.Equal(req.Body, audio) {
				t.Errorf("body = %q, want the raw audio", req.Body)
			}
		})
	}
}

func TestTextModelsAreUnsupported(t *testing.T) {
	family.Unsupported(t, providertest.Chat("nova-3"), providertest.ChatStream("nova-3"), providertest.Embed("nova-3", "x"))
}
