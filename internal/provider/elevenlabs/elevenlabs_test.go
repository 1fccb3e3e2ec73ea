package elevenlabs

import (
	"bytes"
	"context"
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
	probe, err := family.NewClient(t, f).Probe(context.Background())
	models := probe.Models
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
	family.WantRequest(t, f, "GET /v1/models")
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
			if _, err := New(provider.Config{Settings: provider.Settings{BaseURL: f.URL + tt.suffix}}, f.Client()).ListModels(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := f.Only(t).Path; got != "/v1/models" {
				t.Errorf("path = %q", got)
			}
		})
	}
}

func TestErrorsAreClassified(t *testing.T) {
	calls := []providertest.Call{providertest.ListModels, providertest.Speak("eleven_multilingual_v2"), providertest.Transcribe("scribe_v1")}
	family.Failures(t, calls, []providertest.Failure{
		{
			Name:   "a 401 is auth_failed with ElevenLabs' message",
			Answer: providertest.Reply(http.StatusUnauthorized, `{"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}`),
			Status: provider.StatusAuthFailed, HTTPStatus: 401, Message: "Invalid API key",
		},
		{
			Name: "a 403 is forbidden",
			Answer: providertest.Reply(http.StatusForbidden, `{"detail": {"status": "missing_permissions",
				"message": "The API key you used is missing the permission models_read to execute this operation."}}`),
			Status: provider.StatusForbidden, HTTPStatus: 403, Message: "missing the permission models_read",
		},
		{
			Name: "a 404 is not_found",
			Answer: providertest.Reply(http.StatusNotFound, `{"detail": {"status": "voice_not_found",
				"message": "A voice with the voice_id 21m00Tcm4TlvDq8ikWAM was not found."}}`),
			Status: provider.StatusNotFound, HTTPStatus: 404, Message: "was not found",
		},
		{
			Name: "a 422 is an error with the validation message",
			Answer: providertest.Reply(http.StatusUnprocessableEntity, `{"detail": [{"loc": ["body", "text"], "msg": "field required",
				"type": "value_error.missing"}]}`),
			Status: provider.StatusError, HTTPStatus: 422, Message: "field required",
		},
		{
			Name: "a 429 is rate_limited and keeps Retry-After",
			Answer: providertest.Reply(http.StatusTooManyRequests, `{"detail": {"status": "too_many_concurrent_requests",
				"message": "Too many concurrent requests for your subscription."}}`, "Retry-After", "5"),
			Status: provider.StatusRateLimited, HTTPStatus: 429, Message: "Too many concurrent requests", RetryAfter: 5 * time.Second,
		},
		{
			Name:   "a 500 is an error",
			Answer: providertest.Reply(http.StatusInternalServerError, `{"detail": {"status": "internal_error", "message": "Something went wrong."}}`),
			Status: provider.StatusError, HTTPStatus: 500, Message: "Something went wrong.",
		},
		{
			Name: "a message that echoes the key is redacted",
			Answer: providertest.Reply(http.StatusUnauthorized, `{"detail": {"status": "invalid_api_key",
				"message": "Invalid API key: `+testKey+`"}}`),
			Status: provider.StatusAuthFailed, HTTPStatus: 401, Message: "Invalid API key: [REDACTED]",
		},
		providertest.SlowAnswer,
	})
}

func TestMalformedAnswers(t *testing.T) {
	family.Malformed(t, []providertest.Unreadable{
		{Name: "a listing that is not an array", Answer: `{"models": []}`, Call: providertest.ListModels},
		{Name: "a truncated listing", Answer: `[{"model_id": `, Call: providertest.ListModels},
		{Name: "a transcription without text", Answer: `{"language_code": "en"}`, Call: providertest.Transcribe("scribe_v1")},
	})
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
			speech, err := family.NewClient(t, f).Speak(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(speech.Audio, mp3) || speech.ContentType != "audio/mpeg" {
				t.Errorf("speech = %q (%s), want the MP3 bytes", speech.Audio, speech.ContentType)
			}
			req := family.WantJSONRequest(t, f, "POST "+tt.wantPath, tt.wantBody)
			if accept := req.Header.Get("Accept"); accept != "audio/mpeg" {
				t.Errorf("Accept = %q, want audio/mpeg", accept)
			}
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
			text, err := family.NewClient(t, f).Transcribe(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if text != "Hello from Open Notebook." {
				t.Errorf("text = %q", text)
			}
			req := family.WantRequest(t, f, "POST /v1/speech-to-text")
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
	family.Unsupported(t, providertest.Chat("eleven_multilingual_v2"), providertest.ChatStream("eleven_multilingual_v2"), providertest.Embed("eleven_multilingual_v2", "x"))
}
