package google

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/secret"
)

const (
	firstPage = `{"models": [
	  {"name": "models/gemini-2.5-flash", "version": "001", "displayName": "Gemini 2.5 Flash",
	   "description": "Stable version of Gemini 2.5 Flash", "inputTokenLimit": 1048576, "outputTokenLimit": 65536,
	   "supportedGenerationMethods": ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"],
	   "temperature": 1, "topP": 0.95, "topK": 64, "maxTemperature": 2, "thinking": true},
	  {"name": "models/gemini-2.5-flash-preview-tts", "version": "gemini-2.5-flash-exp-tts-2025-05-19",
	   "displayName": "Gemini 2.5 Flash Preview TTS", "supportedGenerationMethods": ["countTokens", "generateContent"]}
	], "nextPageToken": "Ch5tb2Rl+bHM="}`
	secondPage = `{"models": [
	  {"name": "models/gemini-embedding-001", "version": "001", "displayName": "Gemini Embedding 001",
	   "supportedGenerationMethods": ["embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent"]},
	  {"name": "models/imagen-4.0-generate-001", "version": "001", "displayName": "Imagen 4",
	   "supportedGenerationMethods": ["predict"]}
	]}`
)

func TestListModelsFollowsPagesAndTypesEachModel(t *testing.T) {
	f := providertest.New(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("pageToken") == "" {
			providertest.Reply(http.StatusOK, firstPage)(w, r)
			return
		}
		providertest.Reply(http.StatusOK, secondPage)(w, r)
	})
	models, err := family.NewClient(t, f).ListModels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []provider.Model{
		{Name: "gemini-2.5-flash", Provider: "google", Type: provider.TypeLanguage, Description: "Gemini 2.5 Flash"},
		{Name: "gemini-2.5-flash-preview-tts", Provider: "google", Type: provider.TypeTextToSpeech,
			Description: "Gemini 2.5 Flash Preview TTS"},
		{Name: "gemini-embedding-001", Provider: "google", Type: provider.TypeEmbedding, Description: "Gemini Embedding 001"},
		{Name: "imagen-4.0-generate-001", Provider: "google", Type: "", Description: "Imagen 4"},
	}
	if !reflect.DeepEqual(models, want) {
		t.Errorf("models = %+v\nwant %+v", models, want)
	}
	reqs := f.Requests()
	wantQueries := []string{"pageSize=1000", "pageSize=1000&pageToken=Ch5tb2Rl%2BbHM%3D"}
	if len(reqs) != len(wantQueries) {
		t.Fatalf("the provider received %d requests, want %d", len(reqs), len(wantQueries))
	}
	for i, req := range reqs {
		providertest.WantRequest(t, req, "GET /v1beta/models?"+wantQueries[i])
		family.WantAuth(t, req)
	}
}

func TestListModelsTellsTypesApart(t *testing.T) {
	tests := []struct {
		name    string
		model   string
		methods []string
		want    string
	}{
		{"a generateContent model is a language model", "gemini-2.5-pro", []string{"generateContent", "countTokens"}, provider.TypeLanguage},
		{"a TTS model is text_to_speech although it offers generateContent", "gemini-3.1-flash-tts-preview", []string{"generateContent"}, provider.TypeTextToSpeech},
		{"an embedContent-only model is an embedding model", "text-embedding-004", []string{"embedContent"}, provider.TypeEmbedding},
		{"a batchEmbedContents-only model is an embedding model", "embedding-001", []string{"batchEmbedContents"}, provider.TypeEmbedding},
		{"a model that both generates and embeds is a language model", "gemini-hybrid", []string{"embedContent", "generateContent"}, provider.TypeLanguage},
		{"a model with other methods only has no type", "aqa", []string{"generateAnswer"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := modelType(tt.model, tt.methods); got != tt.want {
				t.Errorf("modelType(%q, %v) = %q, want %q", tt.model, tt.methods, got, tt.want)
			}
		})
	}
}

func TestListModelsGivesUpOnAListingThatNeverEnds(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusOK, `{"models": [], "nextPageToken": "again"}`))
	_, err := family.NewClient(t, f).ListModels(context.Background())
	family.WantError(t, err, provider.StatusError, 0, "did not end after 20 pages")
	if n := len(f.Requests()); n != maxPages {
		t.Errorf("the client fetched %d pages, want %d", n, maxPages)
	}
}

func TestBaseURLs(t *testing.T) {
	tests := []struct {
		name string
		base string
	}{
		{"a bare host is used as it is", ""},
		{"a trailing slash is dropped", "/"},
		{"a pasted API version is dropped", "/v1beta"},
		{"a pasted v1 version is dropped", "/v1/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, `{"models": []}`))
			c := New(provider.Config{Provider: "google", APIKey: secret.New(testKey), Settings: provider.Settings{BaseURL: f.URL + tt.base}}, f.Client())
			if _, err := c.Probe(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := f.Only(t).Path; got != "/v1beta/models" {
				t.Errorf("path = %q, want /v1beta/models", got)
			}
		})
	}
}

func TestErrorsAreClassified(t *testing.T) {
	calls := []providertest.Call{providertest.ListModels, providertest.Chat("gemini-2.5-flash"), providertest.ChatStream("gemini-2.5-flash"),
		providertest.Embed("gemini-embedding-001", "x")}
	family.Failures(t, calls, []providertest.Failure{
		{
			Name: "an invalid key, which Google answers with 400, is auth_failed",
			Answer: providertest.Reply(http.StatusBadRequest, `{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
				"status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
				"reason": "API_KEY_INVALID", "domain": "googleapis.com",
				"metadata": {"service": "generativelanguage.googleapis.com"}}]}}`),
			Status: provider.StatusAuthFailed, HTTPStatus: 400, Message: "API key not valid",
		},
		{
			Name: "a 401 is auth_failed",
			Answer: providertest.Reply(http.StatusUnauthorized, `{"error": {"code": 401, "message": "Request had invalid authentication credentials.",
				"status": "UNAUTHENTICATED"}}`),
			Status: provider.StatusAuthFailed, HTTPStatus: 401, Message: "invalid authentication credentials",
		},
		{
			Name: "a 403 is forbidden",
			Answer: providertest.Reply(http.StatusForbidden, `{"error": {"code": 403, "message": "Method doesn't allow unregistered callers (callers without established identity).",
				"status": "PERMISSION_DENIED"}}`),
			Status: provider.StatusForbidden, HTTPStatus: 403, Message: "unregistered callers",
		},
		{
			Name: "a 404 is not_found",
			Answer: providertest.Reply(http.StatusNotFound, `{"error": {"code": 404, "message": "models/gemini-0 is not found for API version v1beta, or is not supported for generateContent.",
				"status": "NOT_FOUND"}}`),
			Status: provider.StatusNotFound, HTTPStatus: 404, Message: "is not found for API version v1beta",
		},
		{
			Name: "a 429 is rate_limited and keeps Retry-After",
			Answer: providertest.Reply(http.StatusTooManyRequests, `{"error": {"code": 429, "message": "You exceeded your current quota, please check your plan and billing details.",
				"status": "RESOURCE_EXHAUSTED"}}`, "Retry-After", "17"),
			Status: provider.StatusRateLimited, HTTPStatus: 429, Message: "exceeded your current quota", RetryAfter: 17 * time.Second,
		},
		{
			Name: "a 500 is an error with Google's message",
			Answer: providertest.Reply(http.StatusInternalServerError, `{"error": {"code": 500, "message": "An internal error has occurred.",
				"status": "INTERNAL"}}`),
			Status: provider.StatusError, HTTPStatus: 500, Message: "An internal error has occurred.",
		},
		{
			Name:   "a message that echoes the key is redacted",
			Answer: providertest.Reply(http.StatusBadRequest, `{"error": {"code": 400, "message": "Bad key `+testKey+`", "status": "INVALID_ARGUMENT"}}`),
			Status: provider.StatusError, HTTPStatus: 400, Message: "Bad key [REDACTED]",
		},
		{
			Name:   "an unreadable 200 is malformed",
			Answer: providertest.Reply(http.StatusOK, `{"models": [`),
			Status: provider.StatusError, Message: "could not be read",
		},
		providertest.SlowAnswer,
	})
}

func TestAKeylessCredentialSendsNoKeyHeader(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusForbidden, `{"error": {"code": 403, "message": "Method doesn't allow unregistered callers.", "status": "PERMISSION_DENIED"}}`))
	_, err := New(provider.Config{Provider: "google", Settings: provider.Settings{BaseURL: f.URL}}, f.Client()).Probe(context.Background())
	family.WantError(t, err, provider.StatusForbidden, 403, "unregistered callers")
	if _, ok := f.Only(t).Header["X-Goog-Api-Key"]; ok {
		t.Error("an empty x-goog-api-key header was sent")
	}
}

func TestChat(t *testing.T) {
	temperature := 0.2
	tests := []struct {
		name     string
		req      provider.ChatRequest
		wantPath string
		wantBody string
	}{
		{
			name: "a conversation maps roles, the system instruction and the generation config",
			req: provider.ChatRequest{
				Model: "gemini-2.5-flash",
				Messages: []provider.Message{
					{Role: "system", Content: "Be brief."},
					{Role: "user", Content: "Hi"},
					{Role: "assistant", Content: "Hello!"},
					{Role: "user", Content: "How are you?"},
				},
				MaxTokens: 50, Temperature: &temperature,
			},
			wantPath: "/v1beta/models/gemini-2.5-flash:generateContent",
			wantBody: `{"contents": [
				{"role": "user", "parts": [{"text": "Hi"}]},
				{"role": "model", "parts": [{"text": "Hello!"}]},
				{"role": "user", "parts": [{"text": "How are you?"}]}],
				"systemInstruction": {"parts": [{"text": "Be brief."}]},
				"generationConfig": {"maxOutputTokens": 50, "temperature": 0.2}}`,
		},
		{
			name: "a plain question with a models/ prefixed id sends neither system instruction nor config",
			req: provider.ChatRequest{
				Model:    "models/gemini-2.5-flash",
				Messages: []provider.Message{{Role: "user", Content: "Hi"}},
			},
			wantPath: "/v1beta/models/gemini-2.5-flash:generateContent",
			wantBody: `{"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, `{"candidates": [{"content": {"parts": [
				{"text": "The user greets me.", "thought": true}, {"text": "Fine, "}, {"text": "thanks."}], "role": "model"},
				"finishReason": "STOP", "index": 0}],
				"usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 3, "totalTokenCount": 40, "thoughtsTokenCount": 25},
				"modelVersion": "gemini-2.5-flash", "responseId": "mG5xaN3Kb"}`))
			got, err := family.NewClient(t, f).Chat(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			want := provider.ChatResponse{Content: "Fine, thanks.", Model: "gemini-2.5-flash", InputTokens: 12, OutputTokens: 28}
			if got != want {
				t.Errorf("Chat = %+v, want %+v", got, want)
			}
			family.WantJSONRequest(t, f, "POST "+tt.wantPath, tt.wantBody)
		})
	}
}

func TestChatWithoutAnAnswer(t *testing.T) {
	tests := []struct {
		name    string
		answer  string
		message string
	}{
		{
			name: "a blocked prompt says why",
			answer: `{"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": [
				{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}]},
				"usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8}}`,
			message: "blocked the prompt (SAFETY)",
		},
		{
			name:    "an answer without candidates is malformed",
			answer:  `{"usageMetadata": {"promptTokenCount": 8}}`,
			message: "could not be read",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, tt.answer))
			_, err := family.NewClient(t, f).Chat(context.Background(), provider.ChatRequest{
				Model: "gemini-2.5-flash", Messages: []provider.Message{{Role: "user", Content: "Hi"}}})
			family.WantError(t, err, provider.StatusError, 0, tt.message)
		})
	}
}

// embedAnswer answers batchEmbedContents with one vector per request whose
// only value is the number in the request's text ("t7" → 7), so the test
// can tell the order was kept.
func embedAnswer(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Requests []struct {
			Content struct {
				Parts []struct {
					Text string `json:"text"`
				} `json:"parts"`
			} `json:"content"`
		} `json:"requests"`
	}
	json.NewDecoder(r.Body).Decode(&body)
	var out strings.Builder
	out.WriteString(`{"embeddings": [`)
	for i, req := range body.Requests {
		if i > 0 {
			out.WriteString(",")
		}
		fmt.Fprintf(&out, `{"values": [%s, 0.5]}`, strings.TrimPrefix(req.Content.Parts[0].Text, "t"))
	}
	out.WriteString("]}")
	providertest.Reply(http.StatusOK, out.String())(w, r)
}

func TestEmbed(t *testing.T) {
	tests := []struct {
		name       string
		inputs     int
		wantSizes  []int
		wantModels string
	}{
		{"a few inputs go in one batch", 3, []int{3}, "models/gemini-embedding-001"},
		{"more inputs than a batch holds are split", 150, []int{100, 50}, "models/gemini-embedding-001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, embedAnswer)
			input := providertest.Texts(tt.inputs)
			vectors, err := family.NewClient(t, f).Embed(context.Background(), provider.EmbedRequest{Model: "gemini-embedding-001", Input: input})
			if err != nil {
				t.Fatal(err)
			}
			providertest.WantVectors(t, vectors, tt.inputs, 0.5)
			providertest.WantBatches(t, f.Requests(), input, tt.wantSizes, func(req providertest.Request, batch []string) {
				providertest.WantRequest(t, req, "POST /v1beta/models/gemini-embedding-001:batchEmbedContents")
				family.WantAuth(t, req)
				var body struct {
					Requests []struct {
						Model   string          `json:"model"`
						Content json.RawMessage `json:"content"`
					} `json:"requests"`
				}
				if err := json.Unmarshal(req.Body, &body); err != nil {
					t.Fatal(err)
				}
				if len(body.Requests) != len(batch) {
					t.Fatalf("the batch has %d requests, want %d", len(body.Requests), len(batch))
				}
				if body.Requests[0].Model != tt.wantModels {
					t.Errorf("model = %q, want %q", body.Requests[0].Model, tt.wantModels)
				}
				providertest.WantJSON(t, body.Requests[0].Content, `{"parts": [{"text": "`+batch[0]+`"}]}`)
			})
		})
	}
}

func TestEmbedRejectsAMissingVector(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusOK, `{"embeddings": [{"values": [0.1]}]}`))
	_, err := family.NewClient(t, f).Embed(context.Background(), provider.EmbedRequest{Model: "gemini-embedding-001", Input: []string{"a", "b"}})
	family.WantMalformed(t, err)
}

func TestSpeak(t *testing.T) {
	pcm := []byte{0x01, 0x02, 0x03, 0x04, 0xfe, 0xff}
	tests := []struct {
		name      string
		voice     string
		mimeType  string
		wantVoice string
		wantRate  uint32
	}{
		{"no voice picks Kore and 24 kHz PCM becomes WAV", "", "audio/L16;codec=pcm;rate=24000", "Kore", 24000},
		{"a named voice is sent and the PCM rate is kept", "Puck", "audio/L16;codec=pcm;rate=16000", "Puck", 16000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, `{"candidates": [{"content": {"parts": [{"inlineData": {
				"mimeType": "`+tt.mimeType+`", "data": "`+base64.StdEncoding.EncodeToString(pcm)+`"}}], "role": "model"},
				"finishReason": "STOP", "index": 0}], "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 20},
				"modelVersion": "gemini-2.5-flash-preview-tts"}`))
			speech, err := family.NewClient(t, f).Speak(context.Background(), provider.SpeechRequest{
				Model: "gemini-2.5-flash-preview-tts", Voice: tt.voice, Text: "Hello from Open Notebook"})
			if err != nil {
				t.Fatal(err)
			}
			if speech.ContentType != "audio/wav" {
				t.Errorf("ContentType = %q, want audio/wav", speech.ContentType)
			}
			a := speech.Audio
			if len(a) != 44+len(pcm) || string(a[0:4]) != "RIFF" || string(a[8:16]) != "WAVEfmt " || string(a[36:40]) != "data" {
				t.Fatalf("not a WAV file: % x", a)
			}
			if got := binary.LittleEndian.Uint32(a[24:]); got != tt.wantRate {
				t.Errorf("sample rate = %d, want %d", got, tt.wantRate)
			}
			if got := binary.LittleEndian.Uint32(a[28:]); got != tt.wantRate*2 {
				t.Errorf("byte rate = %d, want %d", got, tt.wantRate*2)
			}
			if got := binary.LittleEndian.Uint16(a[34:]); got != 16 {
				t.Errorf("bits per sample = %d, want 16", got)
			}
			if got := binary.LittleEndian.Uint32(a[40:]); got != uint32(len(pcm)) || string(a[44:]) != string(pcm) {
				t.Errorf("data chunk = %d bytes % x, want the PCM samples", got, a[44:])
			}
			family.WantJSONRequest(t, f, "POST /v1beta/models/gemini-2.5-flash-preview-tts:generateContent", `{"contents": [{"role": "user", "parts": [{"text": "Hello from Open Notebook"}]}],
				"generationConfig": {"responseModalities": ["AUDIO"],
				"speechConfig": {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "`+tt.wantVoice+`"}}}}}`)
		})
	}
}

func TestSpeakWithoutAudioIsMalformed(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusOK, `{"candidates": [{"content": {"parts": [{"text": "I cannot speak."}], "role": "model"}}]}`))
	_, err := family.NewClient(t, f).Speak(context.Background(), provider.SpeechRequest{Model: "gemini-2.5-flash-preview-tts", Text: "Hi"})
	family.WantMalformed(t, err)
}

func TestTranscribe(t *testing.T) {
	audio := []byte("ID3\x04fake-mp3-frames")
	tests := []struct {
		name       string
		req        provider.TranscriptionRequest
		wantType   string
		wantPrompt string
	}{
		{
			name:       "the content type and language are passed on",
			req:        provider.TranscriptionRequest{Model: "gemini-2.5-flash", Audio: audio, Filename: "clip.bin", ContentType: "audio/ogg", Language: "en"},
			wantType:   "audio/ogg",
			wantPrompt: "Transcribe this audio. Answer with the transcript only. The speech is in the language with ISO 639-1 code en.",
		},
		{
			name:       "without a content type the file name tells it",
			req:        provider.TranscriptionRequest{Model: "gemini-2.5-flash", Audio: audio, Filename: "test_speech.MP3"},
			wantType:   "audio/mp3",
			wantPrompt: "Transcribe this audio. Answer with the transcript only.",
		},
		{
			name:       "an unknown file defaults to WAV",
			req:        provider.TranscriptionRequest{Model: "gemini-2.5-flash", Audio: audio},
			wantType:   "audio/wav",
			wantPrompt: "Transcribe this audio. Answer with the transcript only.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, `{"candidates": [{"content": {"parts": [{"text": "Hello from Open Notebook.\n"}],
				"role": "model"}, "finishReason": "STOP"}], "usageMetadata": {"promptTokenCount": 40, "candidatesTokenCount": 6}}`))
			text, err := family.NewClient(t, f).Transcribe(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if text != "Hello from Open Notebook." {
				t.Errorf("text = %q", text)
			}
			family.WantJSONRequest(t, f, "POST /v1beta/models/gemini-2.5-flash:generateContent", `{"contents": [{"role": "user", "parts": [
				{"text": "`+tt.wantPrompt+`"},
				{"inlineData": {"mimeType": "`+tt.wantType+`", "data": "`+base64.StdEncoding.EncodeToString(audio)+`"}}]}]}`)
		})
	}
}

func TestACancelledContextStopsTheCall(t *testing.T) {
	f := providertest.New(t, providertest.Stall)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := family.NewClient(t, f).ListModels(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want it to wrap context.Canceled", err)
	}
	family.WantError(t, err, provider.StatusError, 0, "cancelled")
}
