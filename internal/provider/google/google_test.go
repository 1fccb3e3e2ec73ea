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
	models, err := newClient(f).ListModels(context.Background())
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
		if req.Method != http.MethodGet || req.Path != "/v1beta/models" || req.Query != wantQueries[i] {
			t.Errorf("request %d = %s %s?%s, want GET /v1beta/models?%s", i, req.Method, req.Path, req.Query, wantQueries[i])
		}
		wantAuth(t, req)
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
	_, err := newClient(f).ListModels(context.Background())
	wantProviderError(t, err, provider.StatusError, 0, "did not end after 20 pages")
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
			c := New(provider.Config{Provider: "google", APIKey: secretKey(), BaseURL: f.URL + tt.base}, f.Client())
			if _, err := c.Probe(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := f.Only(t).Path; got != "/v1beta/models" {
				t.Errorf("path = %q, want /v1beta/models", got)
			}
		})
	}
	if got := New(provider.Config{}, http.DefaultClient).modelsURL; got != "https://generativelanguage.googleapis.com/v1beta/models" {
		t.Errorf("default models URL = %q", got)
	}
}

func TestErrorsAreClassified(t *testing.T) {
	calls := map[string]func(*Client, context.Context) error{
		"ListModels": func(c *Client, ctx context.Context) error { _, err := c.ListModels(ctx); return err },
		"Chat": func(c *Client, ctx context.Context) error {
			_, err := c.Chat(ctx, provider.ChatRequest{Model: "gemini-2.5-flash", Messages: []provider.Message{{Role: "user", Content: "Hi"}}})
			return err
		},
		"Embed": func(c *Client, ctx context.Context) error {
			_, err := c.Embed(ctx, provider.EmbedRequest{Model: "gemini-embedding-001", Input: []string{"x"}})
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
			name: "an invalid key, which Google answers with 400, is auth_failed",
			answer: providertest.Reply(http.StatusBadRequest, `{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
				"status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
				"reason": "API_KEY_INVALID", "domain": "googleapis.com",
				"metadata": {"service": "generativelanguage.googleapis.com"}}]}}`),
			status: provider.StatusAuthFailed, httpStatus: 400, message: "API key not valid",
		},
		{
			name: "a 401 is auth_failed",
			answer: providertest.Reply(http.StatusUnauthorized, `{"error": {"code": 401, "message": "Request had invalid authentication credentials.",
				"status": "UNAUTHENTICATED"}}`),
			status: provider.StatusAuthFailed, httpStatus: 401, message: "invalid authentication credentials",
		},
		{
			name: "a 403 is forbidden",
			answer: providertest.Reply(http.StatusForbidden, `{"error": {"code": 403, "message": "Method doesn't allow unregistered callers (callers without established identity).",
				"status": "PERMISSION_DENIED"}}`),
			status: provider.StatusForbidden, httpStatus: 403, message: "unregistered callers",
		},
		{
			name: "a 404 is not_found",
			answer: providertest.Reply(http.StatusNotFound, `{"error": {"code": 404, "message": "models/gemini-0 is not found for API version v1beta, or is not supported for generateContent.",
				"status": "NOT_FOUND"}}`),
			status: provider.StatusNotFound, httpStatus: 404, message: "is not found for API version v1beta",
		},
		{
			name: "a 429 is rate_limited and keeps Retry-After",
			answer: providertest.Reply(http.StatusTooManyRequests, `{"error": {"code": 429, "message": "You exceeded your current quota, please check your plan and billing details.",
				"status": "RESOURCE_EXHAUSTED"}}`, "Retry-After", "17"),
			status: provider.StatusRateLimited, httpStatus: 429, message: "exceeded your current quota", retryAfter: 17 * time.Second,
		},
		{
			name: "a 500 is an error with Google's message",
			answer: providertest.Reply(http.StatusInternalServerError, `{"error": {"code": 500, "message": "An internal error has occurred.",
				"status": "INTERNAL"}}`),
			status: provider.StatusError, httpStatus: 500, message: "An internal error has occurred.",
		},
		{
			name:   "a message that echoes the key is redacted",
			answer: providertest.Reply(http.StatusBadRequest, `{"error": {"code": 400, "message": "Bad key `+testKey+`", "status": "INVALID_ARGUMENT"}}`),
			status: provider.StatusError, httpStatus: 400, message: "Bad key [REDACTED]",
		},
		{
			name:   "an unreadable 200 is malformed",
			answer: providertest.Reply(http.StatusOK, `{"models": [`),
			status: provider.StatusError, message: "could not be read",
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

func TestAKeylessCredentialSendsNoKeyHeader(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusForbidden, `{"error": {"code": 403, "message": "Method doesn't allow unregistered callers.", "status": "PERMISSION_DENIED"}}`))
	_, err := New(provider.Config{Provider: "google", BaseURL: f.URL}, f.Client()).Probe(context.Background())
	wantProviderError(t, err, provider.StatusForbidden, 403, "unregistered callers")
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
			got, err := newClient(f).Chat(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			want := provider.ChatResponse{Content: "Fine, thanks.", Model: "gemini-2.5-flash", InputTokens: 12, OutputTokens: 28}
			if got != want {
				t.Errorf("Chat = %+v, want %+v", got, want)
			}
			req := f.Only(t)
			if req.Method != http.MethodPost || req.Path != tt.wantPath {
				t.Errorf("request = %s %s, want POST %s", req.Method, req.Path, tt.wantPath)
			}
			if ct := req.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			wantAuth(t, req)
			providertest.WantJSON(t, req.Body, tt.wantBody)
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
			_, err := newClient(f).Chat(context.Background(), provider.ChatRequest{
				Model: "gemini-2.5-flash", Messages: []provider.Message{{Role: "user", Content: "Hi"}}})
			wantProviderError(t, err, provider.StatusError, 0, tt.message)
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
			var input []string
			for i := range tt.inputs {
				input = append(input, fmt.Sprintf("t%d", i))
			}
			vectors, err := newClient(f).Embed(context.Background(), provider.EmbedRequest{Model: "gemini-embedding-001", Input: input})
			if err != nil {
				t.Fatal(err)
			}
			if len(vectors) != tt.inputs {
				t.Fatalf("%d vectors for %d inputs", len(vectors), tt.inputs)
			}
			for i, v := range vectors {
				if len(v) != 2 || v[0] != float64(i) || v[1] != 0.5 {
					t.Fatalf("vector %d = %v, want [%d 0.5]", i, v, i)
				}
			}
			reqs := f.Requests()
			if len(reqs) != len(tt.wantSizes) {
				t.Fatalf("%d requests, want %d", len(reqs), len(tt.wantSizes))
			}
			for i, req := range reqs {
				if req.Method != http.MethodPost || req.Path != "/v1beta/models/gemini-embedding-001:batchEmbedContents" {
					t.Errorf("request %d = %s %s", i, req.Method, req.Path)
				}
				wantAuth(t, req)
				var body struct {
					Requests []struct {
						Model   string          `json:"model"`
						Content json.RawMessage `json:"content"`
					} `json:"requests"`
				}
				if err := json.Unmarshal(req.Body, &body); err != nil {
					t.Fatal(err)
				}
				if len(body.Requests) != tt.wantSizes[i] {
					t.Errorf("batch %d has %d requests, want %d", i, len(body.Requests), tt.wantSizes[i])
				}
				if body.Requests[0].Model != tt.wantModels {
					t.Errorf("model = %q, want %q", body.Requests[0].Model, tt.wantModels)
				}
				providertest.WantJSON(t, body.Requests[0].Content, fmt.Sprintf(`{"parts": [{"text": "t%d"}]}`, i*100))
			}
		})
	}
}

func TestEmbedRejectsAMissingVector(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusOK, `{"embeddings": [{"values": [0.1]}]}`))
	_, err := newClient(f).Embed(context.Background(), provider.EmbedRequest{Model: "gemini-embedding-001", Input: []string{"a", "b"}})
	wantProviderError(t, err, provider.StatusError, 0, "could not be read")
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
			speech, err := newClient(f).Speak(context.Background(), provider.SpeechRequest{
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
			req := f.Only(t)
			if req.Path != "/v1beta/models/gemini-2.5-flash-preview-tts:generateContent" {
				t.Errorf("path = %q", req.Path)
			}
			wantAuth(t, req)
			providertest.WantJSON(t, req.Body, `{"contents": [{"role": "user", "parts": [{"text": "Hello from Open Notebook"}]}],
				"generationConfig": {"responseModalities": ["AUDIO"],
				"speechConfig": {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "`+tt.wantVoice+`"}}}}}`)
		})
	}
}

func TestSpeakWithoutAudioIsMalformed(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusOK, `{"candidates": [{"content": {"parts": [{"text": "I cannot speak."}], "role": "model"}}]}`))
	_, err := newClient(f).Speak(context.Background(), provider.SpeechRequest{Model: "gemini-2.5-flash-preview-tts", Text: "Hi"})
	wantProviderError(t, err, provider.StatusError, 0, "could not be read")
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
			text, err := newClient(f).Transcribe(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if text != "Hello from Open Notebook." {
				t.Errorf("text = %q", text)
			}
			req := f.Only(t)
			if req.Path != "/v1beta/models/gemini-2.5-flash:generateContent" {
				t.Errorf("path = %q", req.Path)
			}
			wantAuth(t, req)
			providertest.WantJSON(t, req.Body, `{"contents": [{"role": "user", "parts": [
				{"text": "`+tt.wantPrompt+`"},
				{"inlineData": {"mimeType": "`+tt.wantType+`", "data": "`+base64.StdEncoding.EncodeToString(audio)+`"}}]}]}`)
		})
	}
}

func TestACancelledContextStopsTheCall(t *testing.T) {
	f := providertest.New(t, providertest.Stall)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := newClient(f).ListModels(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want it to wrap context.Canceled", err)
	}
	wantProviderError(t, err, provider.StatusError, 0, "cancelled")
}
