package openai

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/secret"
)

const openAIModels = `{"object":"list","data":[
 {"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},
 {"id":"text-embedding-3-small","object":"model","created":1705948997,"owned_by":"system"}]}`

const mistralModels = `{"object":"list","data":[
 {"id":"mistral-small-latest","object":"model","created":1741305600,"owned_by":"mistralai",
  "capabilities":{"completion_chat":true,"completion_fim":false,"function_calling":true,"fine_tuning":false,"vision":true},
  "name":"mistral-small-2503","description":"Our latest enterprise-grade small model","max_context_length":131072,
  "aliases":["mistral-small-2503"],"deprecation":null,"default_model_temperature":0.3,"type":"base"},
 {"id":"mistral-embed","object":"model","created":1741305600,"owned_by":"mistralai",
  "capabilities":{"completion_chat":false,"completion_fim":false,"function_calling":false,"fine_tuning":false,"vision":false},
  "name":"mistral-embed","description":"Official mistral-embed","max_context_length":8192,
  "aliases":[],"deprecation":null,"type":"base"}]}`

const openRouterModels = `{"data":[
 {"id":"openai/gpt-4o-mini","canonical_slug":"openai/gpt-4o-mini","name":"OpenAI: GPT-4o-mini","created":1721260800,
  "description":"GPT-4o mini is OpenAI's newest model after GPT-4 Omni.","context_length":128000,
  "architecture":{"modality":"text+image->text","input_modalities":["text","image"],"output_modalities":["text"]},
  "pricing":{"prompt":"0.00000015","completion":"0.0000006"}}]}`

func TestListModelsSendsTheListingRequestAndReadsItsModels(t *testing.T) {
	tests := []struct {
		name        string
		provider    string
		base        string // cfg.BaseURL; {url} is the fake's URL
		modelsQuery string
		key         string
		answer      string
		wantPath    string
		wantQuery   string
		wantAuth    string
		want        []provider.Model
	}{
		{
			name: "openai lists data ids with a bearer key", provider: "openai", base: "{url}/v1", key: testKey,
			answer: openAIModels, wantPath: "/v1/models", wantAuth: "Bearer " + testKey,
			want: []provider.Model{
				{Name: "gpt-4o-mini", Provider: "openai"},
				{Name: "text-embedding-3-small", Provider: "openai"},
			},
		},
		{
			name: "the default base URL is used when the credential has none", provider: "groq",
			base: "{url}/openai/v1", key: testKey, answer: openAIModels,
			wantPath: "/openai/v1/models", wantAuth: "Bearer " + testKey,
			want: []provider.Model{
				{Name: "gpt-4o-mini", Provider: "groq"},
				{Name: "text-embedding-3-small", Provider: "groq"},
			},
		},
		{
			name: "a base URL ending in /models/ lists it exactly once", provider: "openai_compatible",
			base: "{url}/v1/models/", key: testKey, answer: openAIModels,
			wantPath: "/v1/models", wantAuth: "Bearer " + testKey,
			want: []provider.Model{
				{Name: "gpt-4o-mini", Provider: "openai_compatible"},
				{Name: "text-embedding-3-small", Provider: "openai_compatible"},
			},
		},
		{
			name: "a keyless server gets no Authorization header", provider: "omlx",
			base: " {url}/v1/ ", answer: `{"object":"list","data":[{"id":"qwen3-8b","object":"model","owned_by":"omlx"}]}`,
			wantPath: "/v1/models",
			want:     []provider.Model{{Name: "qwen3-8b", Provider: "omlx"}},
		},
		{
			name:     "mistral marks chat-capable models as language and leaves the rest to the classifier",
			provider: "mistral", base: "{url}/v1", key: testKey, answer: mistralModels,
			wantPath: "/v1/models", wantAuth: "Bearer " + testKey,
			want: []provider.Model{
				{Name: "mistral-small-latest", Provider: "mistral", Type: provider.TypeLanguage, Description: "mistral-small-2503"},
				{Name: "mistral-embed", Provider: "mistral", Description: "mistral-embed"},
			},
		},
		{
			name: "openrouter describes models by their name", provider: "openrouter",
			base: "{url}/api/v1", key: testKey, answer: openRouterModels,
			wantPath: "/api/v1/models", wantAuth: "Bearer " + testKey,
			want: []provider.Model{{Name: "openai/gpt-4o-mini", Provider: "openrouter", Description: "OpenAI: GPT-4o-mini"}},
		},
		{
			name: "ppq asks for every model type", provider: "ppq", base: "{url}/v1", modelsQuery: "type=all",
			key: testKey, answer: `{"object":"list","data":[{"id":"auto","object":"model"},{"id":"nova-3","object":"model"}]}`,
			wantPath: "/v1/models", wantQuery: "type=all", wantAuth: "Bearer " + testKey,
			want: []provider.Model{{Name: "auto", Provider: "ppq"}, {Name: "nova-3", Provider: "ppq"}},
		},
		{
			name: "an empty listing is an empty list", provider: "deepseek", base: "{url}",
			key: testKey, answer: `{"object":"list","data":[]}`,
			wantPath: "/models", wantAuth: "Bearer " + testKey,
			want: []provider.Model{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, tt.answer))
			cfg := provider.Config{Provider: tt.provider, APIKey: secret.New(tt.key), Settings: provider.Settings{BaseURL: strings.ReplaceAll(tt.base, "{url}", f.URL)}}
			opts := Options{ModelsQuery: tt.modelsQuery}

			for _, call := range []func(context.Context) ([]provider.Model, error){
				New(cfg, f.Client(), opts).ListModels,
				func(ctx context.Context) ([]provider.Model, error) {
					r, err := New(cfg, f.Client(), opts).Probe(ctx)
					return r.Models, err
				},
			} {
				got, err := call(t.Context())
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("models = %+v, want %+v", got, tt.want)
				}
			}
			reqs := f.Requests()
			if len(reqs) != 2 {
				t.Fatalf("the provider received %d requests, want 1 per call", len(reqs))
			}
			req := reqs[0]
			if req.Method != http.MethodGet || req.Path != tt.wantPath || req.Query != tt.wantQuery {
				t.Errorf("request = %s %s?%s, want GET %s?%s", req.Method, req.Path, req.Query, tt.wantPath, tt.wantQuery)
			}
			if got := req.Header.Get("Authorization"); got != tt.wantAuth {
				t.Errorf("Authorization = %q, want %q", got, tt.wantAuth)
			}
		})
	}
}

func TestListModelsRefusesAnAnswerThatIsNotAListing(t *testing.T) {
	family.Malformed(t, []providertest.Unreadable{
		{Name: "a JSON object without data is malformed", Answer: `{"status":"ok"}`, Call: providertest.ListModels},
		{Name: "an HTML page is malformed", Answer: `<!doctype html><html><body>Welcome</body></html>`, Call: providertest.ListModels},
	})
}

func TestEveryCallFailsWithoutABaseURL(t *testing.T) {
	c := New(provider.Config{Provider: "openai_compatible", APIKey: secret.New(testKey), Settings: provider.Settings{BaseURL: "  / "}},
		http.DefaultClient, Options{})
	for _, call := range operations() {
		t.Run(call.Name+" fails before sending anything", func(t *testing.T) {
			family.WantError(t, call.Do(t.Context(), c), provider.StatusError, 0, "No base URL configured")
		})
	}
}

func TestChatSendsTheConversationAndReadsTheCompletion(t *testing.T) {
	temp := 0.2
	tests := []struct {
		name     string
		req      provider.ChatRequest
		wantBody map[string]any
	}{
		{
			name: "limits and temperature are sent when set",
			req: provider.ChatRequest{Model: "gpt-4o-mini", MaxTokens: 64, Temperature: &temp, Messages: []provider.Message{
				{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi!"},
			}},
			wantBody: map[string]any{
				"model": "gpt-4o-mini", "max_completion_tokens": 64.0, "temperature": 0.2,
				"messages": []any{
					map[string]any{"role": "system", "content": "Be brief."},
					map[string]any{"role": "user", "content": "Hi!"},
				},
			},
		},
		{
			name: "unset limits and temperature are left to the provider",
			req:  provider.ChatRequest{Model: "gpt-4o-mini", Messages: []provider.Message{{Role: "user", Content: "Hi!"}}},
			wantBody: map[string]any{
				"model":    "gpt-4o-mini",
				"messages": []any{map[string]any{"role": "user", "content": "Hi!"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, `{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion",
				"created":1741569952,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant",
				"content":"Hello! How can I help?","refusal":null},"logprobs":null,"finish_reason":"stop"}],
				"usage":{"prompt_tokens":9,"completion_tokens":7,"total_tokens":16},"system_fingerprint":"fp_06737a9306"}`))
			c := newClient(f)

			got, err := c.Chat(t.Context(), tt.req)
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			want := provider.ChatResponse{Content: "Hello! How can I help?", Model: "gpt-4o-mini-2024-07-18", InputTokens: 9, OutputTokens: 7}
			if got != want {
				t.Errorf("response = %+v, want %+v", got, want)
			}
			family.WantJSONRequest(t, f, "POST /v1/chat/completions", tt.wantBody)
		})
	}
}

func TestChatRefusesACompletionWithoutChoices(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusOK, `{"id":"chatcmpl-1","object":"chat.completion","choices":[],"usage":{}}`))
	c := New(provider.Config{Provider: "openai", Settings: provider.Settings{BaseURL: f.URL}}, f.Client(), Options{})
	_, err := c.Chat(t.Context(), provider.ChatRequest{Model: "gpt-4o-mini"})
	family.WantMalformed(t, err)
}

func TestEmbedReturnsVectorsInInputOrder(t *testing.T) {
	tests := []struct {
		name    string
		answer  string
		want    [][]float64
		wantErr bool
	}{
		{
			name: "vectors answered out of order are put back in input order",
			answer: `{"object":"list","data":[{"object":"embedding","index":1,"embedding":[0.3,0.4]},
				{"object":"embedding","index":0,"embedding":[0.1,0.2]}],"model":"text-embedding-3-small",
				"usage":{"prompt_tokens":4,"total_tokens":4}}`,
			want: [][]float64{{0.1, 0.2}, {0.3, 0.4}},
		},
		{
			name:    "fewer vectors than inputs is malformed",
			answer:  `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1]}],"model":"m"}`,
			wantErr: true,
		},
		{
			name: "a repeated index is malformed",
			answer: `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1]},
				{"object":"embedding","index":0,"embedding":[0.2]}],"model":"m"}`,
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, tt.answer))
			c := newClient(f)

			got, err := c.Embed(t.Context(), provider.EmbedRequest{Model: "text-embedding-3-small", Input: []string{"first", "second"}})
			if tt.wantErr {
				family.WantMalformed(t, err)
			} else {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("vectors = %v, want %v", got, tt.want)
				}
			}
			family.WantJSONRequest(t, f, "POST /v1/embeddings", map[string]any{"model": "text-embedding-3-small", "input": []any{"first", "second"}})
		})
	}
}

func TestSpeakReturnsTheAudioAsSent(t *testing.T) {
	audio := "ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x00"
	tests := []struct {
		name, voice, wantVoice   string
		contentType, wantContent string
	}{
		{name: "an unset voice defaults to alloy", wantVoice: "alloy", contentType: "audio/mpeg", wantContent: "audio/mpeg"},
		{name: "a chosen voice is sent", voice: "nova", wantVoice: "nova", contentType: "audio/wav", wantContent: "audio/wav"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.Write([]byte(audio))
			})
			c := newClient(f)

			got, err := c.Speak(t.Context(), provider.SpeechRequest{Model: "gpt-4o-mini-tts", Voice: tt.voice, Text: "Hello from Open Notebook"})
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if string(got.Audio) != audio || got.ContentType != tt.wantContent {
				t.Errorf("speech = %q (%s), want %q (%s)", got.Audio, got.ContentType, audio, tt.wantContent)
			}
			family.WantJSONRequest(t, f, "POST /v1/audio/speech",
				map[string]any{"model": "gpt-4o-mini-tts", "input": "Hello from Open Notebook", "voice": tt.wantVoice})
		})
	}
}

func TestTranscribeUploadsTheAudioAsAForm(t *testing.T) {
	tests := []struct {
		name     string
		req      provider.TranscriptionRequest
		wantFile providertest.FormPart
		wantLang string
	}{
		{
			name:     "the file keeps its name, type and language",
			req:      provider.TranscriptionRequest{Model: "whisper-1", Audio: []byte("RIFF....WAVE"), Filename: "clip.wav", ContentType: "audio/wav", Language: "en"},
			wantFile: providertest.FormPart{Filename: "clip.wav", ContentType: "audio/wav", Data: "RIFF....WAVE"},
			wantLang: "en",
		},
		{
			name:     "an unnamed clip of unknown type is still uploaded and the language is auto-detected",
			req:      provider.TranscriptionRequest{Model: "whisper-large-v3", Audio: []byte{0xff, 0xfb}},
			wantFile: providertest.FormPart{Filename: "audio", ContentType: "application/octet-stream", Data: "\xff\xfb"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, `{"text":"Hello from Open Notebook.","usage":{"type":"duration","seconds":2}}`))
			c := New(provider.Config{Provider: "groq", APIKey: secret.New(testKey), Settings: provider.Settings{BaseURL: f.URL + "/openai/v1"}}, f.Client(), Options{})

			got, err := c.Transcribe(t.Context(), tt.req)
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if got != "Hello from Open Notebook." {
				t.Errorf("text = %q", got)
			}
			req := family.WantRequest(t, f, "POST /openai/v1/audio/transcriptions")
			form := providertest.ParseForm(t, req)
			if form["file"] != tt.wantFile {
				t.Errorf("file part = %+v, want %+v", form["file"], tt.wantFile)
			}
			if form["model"].Data != tt.req.Model {
				t.Errorf("model = %q, want %q", form["model"].Data, tt.req.Model)
			}
			if lang, sent := form["language"]; lang.Data != tt.wantLang || sent != (tt.wantLang != "") {
				t.Errorf("language = %q (sent %v), want %q", lang.Data, sent, tt.wantLang)
			}
		})
	}
}

// operations calls every capability once with a plausible request.
func operations() []providertest.Call {
	return []providertest.Call{providertest.ListModels, providertest.Probe, providertest.Chat("gpt-4o-mini"),
		providertest.ChatStream("gpt-4o-mini"), providertest.Embed("text-embedding-3-small", "x"), providertest.Speak("tts-1"), providertest.Transcribe("whisper-1")}
}

func TestEveryCallReportsProviderFailures(t *testing.T) {
	family.Failures(t, operations(), []providertest.Failure{
		{
			Name: "a rejected key is auth_failed with the provider's message and without the key",
			Answer: providertest.Reply(http.StatusUnauthorized, `{"error":{"message":"Incorrect API key provided: `+testKey+
				`. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error",
				"param":null,"code":"invalid_api_key"}}`),
			Status: provider.StatusAuthFailed, HTTPStatus: 401, Message: "Incorrect API key provided: [REDACTED]",
		},
		{
			Name: "a key without access is forbidden",
			Answer: providertest.Reply(http.StatusForbidden, `{"error":{"message":"You are not allowed to sample from this model",
				"type":"invalid_request_error","param":null,"code":null}}`),
			Status: provider.StatusForbidden, HTTPStatus: 403, Message: "not allowed to sample",
		},
		{
			Name: "an unknown model is not_found",
			Answer: providertest.Reply(http.StatusNotFound, `{"error":{"message":"The model 'gpt-9' does not exist or you do not have access to it.",
				"type":"invalid_request_error","param":null,"code":"model_not_found"}}`),
			Status: provider.StatusNotFound, HTTPStatus: 404, Message: "The model 'gpt-9' does not exist",
		},
		{
			Name: "a rate limit is rate_limited and says when to retry",
			Answer: providertest.Reply(http.StatusTooManyRequests, `{"error":{"message":"Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3.",
				"type":"requests","param":null,"code":"rate_limit_exceeded"}}`, "Retry-After", "20"),
			Status: provider.StatusRateLimited, HTTPStatus: 429, Message: "Rate limit reached", RetryAfter: 20 * time.Second,
		},
		{
			Name: "a server failure is an error with the provider's explanation",
			Answer: providertest.Reply(http.StatusInternalServerError, `{"error":{"message":"The server had an error while processing your request. Sorry about that!",
				"type":"server_error","param":null,"code":null}}`),
			Status: provider.StatusError, HTTPStatus: 500, Message: "The server had an error",
		},
		{
			Name:   "an undecodable success is malformed",
			Answer: providertest.Reply(http.StatusOK, `{"object":"list","data":[{"id":`),
			Status: provider.StatusError, Message: "could not be read", JSONOnly: true,
		},
		providertest.SlowAnswer,
	})
}

func TestACancelledCallSendsNothingAndSaysSo(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusOK, openAIModels))
	c := New(provider.Config{Provider: "openai", APIKey: secret.New(testKey), Settings: provider.Settings{BaseURL: f.URL}}, f.Client(), Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := c.ListModels(ctx)
	family.WantError(t, err, provider.StatusError, 0, "cancelled")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want it to wrap context.Canceled", err)
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("the provider received %d requests", n)
	}
}

func TestCompatibleServicesGetMaxTokens(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusOK,
		`{"model":"llama-3.1-8b-instant","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"}}]}`))
	c := New(provider.Config{Provider: "groq", APIKey: secret.New(testKey), Settings: provider.Settings{BaseURL: f.URL + "/openai/v1"}}, f.Client(), Options{})
	if _, err := c.Chat(t.Context(), provider.ChatRequest{Model: "llama-3.1-8b-instant", MaxTokens: 16,
		Messages: []provider.Message{{Role: "user", Content: "Hi!"}}}); err != nil {
		t.Fatal(err)
	}
	family.WantJSONRequest(t, f, "POST /openai/v1/chat/completions", map[string]any{
		"model": "llama-3.1-8b-instant", "max_tokens": 16.0,
		"messages": []any{map[string]any{"role": "user", "content": "Hi!"}},
	})
}
