package azure

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/secret"
)

// azureModels is the shape of GET /openai/models (Models - List, 2024-10-21).
const azureModels = `{"data":[
 {"status":"succeeded","capabilities":{"fine_tune":false,"inference":true,"completion":false,"chat_completion":true,"embeddings":false},
  "lifecycle_status":"generally-available","deprecation":{"inference":1767225600},"id":"gpt-4o-2024-08-06","created_at":1722902400,"object":"model"},
 {"status":"succeeded","capabilities":{"fine_tune":false,"inference":true,"completion":false,"chat_completion":false,"embeddings":true},
  "lifecycle_status":"generally-available","deprecation":{"inference":1767225600},"id":"text-embedding-3-small","created_at":1705968000,"object":"model"},
 {"status":"succeeded","capabilities":{"fine_tune":false,"inference":true,"completion":false,"chat_completion":false,"embeddings":false},
  "lifecycle_status":"generally-available","deprecation":{"inference":1767225600},"id":"whisper","created_at":1700000000,"object":"model"}],
 "object":"list"}`

var typedModels = []provider.Model{
	{Name: "gpt-4o-2024-08-06", Provider: "azure", Type: provider.TypeLanguage},
	{Name: "text-embedding-3-small", Provider: "azure", Type: provider.TypeEmbedding},
	{Name: "whisper", Provider: "azure"},
}

// config builds an Azure credential; {url} in any endpoint is the fake's URL.
func config(url string, cfg provider.Config) provider.Config {
	cfg.Provider = "azure"
	for _, field := range []*string{&cfg.Endpoint, &cfg.BaseURL, &cfg.EndpointLLM, &cfg.EndpointEmbedding, &cfg.EndpointSTT, &cfg.EndpointTTS} {
		*field = strings.ReplaceAll(*field, "{url}", url)
	}
	return cfg
}

func TestListModelsAsksTheResourceWithItsApiKey(t *testing.T) {
	key := secret.New(testKey)
	tests := []struct {
		name      string
		cfg       provider.Config
		wantPath  string
		wantQuery string
	}{
		{
			name:     "the endpoint is listed with the default api-version",
			cfg:      provider.Config{APIKey: key, Settings: provider.Settings{Endpoint: "{url}"}},
			wantPath: "/openai/models", wantQuery: "api-version=2024-10-21",
		},
		{
			name:     "the base URL stands in for a missing endpoint",
			cfg:      provider.Config{APIKey: key, Settings: provider.Settings{BaseURL: " {url}/ "}},
			wantPath: "/openai/models", wantQuery: "api-version=2024-10-21",
		},
		{
			name:     "a configured api-version is sent",
			cfg:      provider.Config{APIKey: key, Settings: provider.Settings{Endpoint: "{url}", APIVersion: "2025-04-01-preview"}},
			wantPath: "/openai/models", wantQuery: "api-version=2025-04-01-preview",
		},
		{
			name:     "a credential with only per-modality endpoints lists the first of them",
			cfg:      provider.Config{APIKey: key, Settings: provider.Settings{EndpointEmbedding: "{url}/embedding-resource", EndpointTTS: "{url}/tts-resource"}},
			wantPath: "/embedding-resource/openai/models", wantQuery: "api-version=2024-10-21",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, azureModels))
			c := New(config(f.URL, tt.cfg), f.Client())

			for _, list := range []func(context.Context) ([]provider.Model, error){c.ListModels, func(ctx context.Context) ([]provider.Model, error) {
				r, err := c.Probe(ctx)
				return r.Models, err
			}} {
				got, err := list(t.Context())
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if !reflect.DeepEqual(got, typedModels) {
					t.Errorf("models = %+v, want %+v", got, typedModels)
				}
			}
			for _, req := range f.Requests() {
				providertest.WantRequest(t, req, "GET "+tt.wantPath+"?"+tt.wantQuery)
				family.WantAuth(t, req)
			}
		})
	}
}

func TestACredentialWithoutEndpointOrKeyFailsWithoutTheEnvironment(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusOK, azureModels))
	// The original fell back to these; a credential must pass on its own.
	t.Setenv("AZURE_OPENAI_ENDPOINT", f.URL)
	t.Setenv("AZURE_OPENAI_API_KEY", "env-key-0123456789")
	t.Setenv("AZURE_OPENAI_API_VERSION", "2024-10-21")

	tests := []struct {
		name    string
		cfg     provider.Config
		message string
	}{
		{"a credential without any endpoint says so", provider.Config{APIKey: secret.New(testKey)}, "No Azure endpoint configured"},
		{"a credential without a key says so", provider.Config{Settings: provider.Settings{Endpoint: f.URL}}, "No Azure API key configured"},
		{"a blank key is no key", provider.Config{APIKey: secret.New("  "), Settings: provider.Settings{Endpoint: f.URL}}, "No Azure API key configured"},
	}
	for _, tt := range tests {
		for _, call := range operations() {
			t.Run(call.Name+": "+tt.name, func(t *testing.T) {
				family.WantError(t, call.Do(t.Context(), New(config(f.URL, tt.cfg), f.Client())), provider.StatusError, 0, tt.message)
			})
		}
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("the environment's resource received %d requests", n)
	}
}

func TestEachCapabilityCallsItsDeploymentOnItsEndpoint(t *testing.T) {
	temp := 0.5
	base := provider.Config{APIKey: secret.New(testKey), Settings: provider.Settings{Endpoint: "{url}/resource", APIVersion: "2024-10-21"}}
	withEndpoints := base
	withEndpoints.EndpointLLM, withEndpoints.EndpointEmbedding = "{url}/llm", "{url}/embedding"
	withEndpoints.EndpointSTT, withEndpoints.EndpointTTS = "{url}/stt/", "{url}/tts"

	tests := []struct {
		name     string
		cfg      provider.Config
		answer   http.HandlerFunc
		call     func(context.Context, *Client) (any, error)
		wantPath string
		wantBody func(*testing.T, providertest.Request)
		want     any
	}{
		{
			name: "chat posts the conversation to the language endpoint's deployment",
			cfg:  withEndpoints,
			answer: providertest.Reply(http.StatusOK, `{"choices":[{"content_filter_results":{},"finish_reason":"stop","index":0,"logprobs":null,
				"message":{"content":"Hi! How can I help you today?","refusal":null,"role":"assistant"}}],"created":1741569952,
				"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","model":"gpt-4o-2024-08-06","object":"chat.completion",
				"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}],"system_fingerprint":"fp_b705f0c291",
				"usage":{"completion_tokens":9,"prompt_tokens":8,"total_tokens":17}}`),
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Chat(ctx, provider.ChatRequest{Model: "gpt-4o", MaxTokens: 32, Temperature: &temp,
					Messages: []provider.Message{{Role: "user", Content: "Hi!"}}})
			},
			wantPath: "/llm/openai/deployments/gpt-4o/chat/completions",
			wantBody: func(t *testing.T, req providertest.Request) {
				providertest.WantJSON(t, req.Body, map[string]any{"model": "gpt-4o", "max_completion_tokens": 32.0, "temperature": 0.5,
					"messages": []any{map[string]any{"role": "user", "content": "Hi!"}}})
			},
			want: provider.ChatResponse{Content: "Hi! How can I help you today?", Model: "gpt-4o-2024-08-06", InputTokens: 8, OutputTokens: 9},
		},
		{
			name:   "a streamed chat asks the language endpoint's deployment for events with the usage",
			cfg:    withEndpoints,
			answer: providertest.Stream{ContentType: "text/event-stream", Chunks: azureStream()}.ServeHTTP,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ChatStream(ctx, provider.ChatRequest{Model: "gpt-4o", MaxTokens: 32, Temperature: &temp,
					Messages: []provider.Message{{Role: "user", Content: "Hi!"}}}, nil)
			},
			wantPath: "/llm/openai/deployments/gpt-4o/chat/completions",
			wantBody: func(t *testing.T, req providertest.Request) {
				providertest.WantJSON(t, req.Body, map[string]any{"model": "gpt-4o", "max_completion_tokens": 32.0, "temperature": 0.5,
					"stream": true, "stream_options": map[string]any{"include_usage": true},
					"messages": []any{map[string]any{"role": "user", "content": "Hi!"}}})
			},
			want: provider.ChatResponse{Content: "Hi! How can I help?", Model: "gpt-4o-2024-08-06", InputTokens: 8, OutputTokens: 7},
		},
		{
			name: "a deployment name is escaped as one path segment",
			cfg:  base,
			answer: providertest.Reply(http.StatusOK, `{"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"ok"}}],
				"model":"gpt-4o-mini","object":"chat.completion","usage":{"completion_tokens":1,"prompt_tokens":2,"total_tokens":3}}`),
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Chat(ctx, provider.ChatRequest{Model: "team chat/v2?x", Messages: []provider.Message{{Role: "user", Content: "Hi!"}}})
			},
			wantPath: "/resource/openai/deployments/team%20chat%2Fv2%3Fx/chat/completions",
			wantBody: func(t *testing.T, req providertest.Request) {
				providertest.WantJSON(t, req.Body, map[string]any{"model": "team chat/v2?x",
					"messages": []any{map[string]any{"role": "user", "content": "Hi!"}}})
			},
			want: provider.ChatResponse{Content: "ok", Model: "gpt-4o-mini", InputTokens: 2, OutputTokens: 1},
		},
		{
			name: "embeddings fall back to the resource endpoint and come back in input order",
			cfg:  base,
			answer: providertest.Reply(http.StatusOK, `{"data":[{"embedding":[0.3,0.4],"index":1,"object":"embedding"},
				{"embedding":[0.1,0.2],"index":0,"object":"embedding"}],"model":"text-embedding-3-small","object":"list",
				"usage":{"prompt_tokens":4,"total_tokens":4}}`),
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Embed(ctx, provider.EmbedRequest{Model: "embed-small", Input: []string{"a", "b"}})
			},
			wantPath: "/resource/openai/deployments/embed-small/embeddings",
			wantBody: func(t *testing.T, req providertest.Request) {
				providertest.WantJSON(t, req.Body, map[string]any{"model": "embed-small", "input": []any{"a", "b"}})
			},
			want: [][]float64{{0.1, 0.2}, {0.3, 0.4}},
		},
		{
			name: "speech goes to the text-to-speech endpoint with the default voice",
			cfg:  withEndpoints,
			answer: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "audio/mpeg")
				w.Write([]byte("ID3\x04mp3-frames"))
			},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Speak(ctx, provider.SpeechRequest{Model: "tts", Text: "Hello from Open Notebook"})
			},
			wantPath: "/tts/openai/deployments/tts/audio/speech",
			wantBody: func(t *testing.T, req providertest.Request) {
				providertest.WantJSON(t, req.Body, map[string]any{"model": "tts", "input": "Hello from Open Notebook", "voice": "alloy"})
			},
			want: provider.Speech{Audio: []byte("ID3\x04mp3-frames"), ContentType: "audio/mpeg"},
		},
		{
			name:   "transcription uploads a form to the speech-to-text endpoint",
			cfg:    withEndpoints,
			answer: providertest.Reply(http.StatusOK, `{"text":"Hello from Open Notebook."}`),
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Transcribe(ctx, provider.TranscriptionRequest{Model: "whisper", Audio: []byte("RIFF....WAVE"),
					Filename: "clip.wav", ContentType: "audio/wav", Language: "en"})
			},
			wantPath: "/stt/openai/deployments/whisper/audio/transcriptions",
			wantBody: func(t *testing.T, req providertest.Request) {
				form := providertest.ParseForm(t, req)
				want := map[string]providertest.FormPart{
					"file":     {Filename: "clip.wav", ContentType: "audio/wav", Data: "RIFF....WAVE"},
					"model":    {Data: "whisper"},
					"language": {Data: "en"},
				}
				if !reflect.DeepEqual(form, want) {
					t.Errorf("form = %+v, want %+v", form, want)
				}
			},
			want: "Hello from Open Notebook.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, tt.answer)
			got, err := tt.call(t.Context(), New(config(f.URL, tt.cfg), f.Client()))
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("result = %+v, want %+v", got, tt.want)
			}
			req := family.WantRequest(t, f, "POST "+tt.wantPath+"?api-version=2024-10-21")
			tt.wantBody(t, req)
		})
	}
}

// operations calls every capability once with a plausible request.
func operations() []providertest.Call {
	return []providertest.Call{providertest.ListModels, providertest.Probe, providertest.Chat("gpt-4o"),
		providertest.ChatStream("gpt-4o"), providertest.Embed("embed-small", "x"), providertest.Speak("tts"), providertest.Transcribe("whisper")}
}

func TestEveryCallReportsAzureFailures(t *testing.T) {
	family.Failures(t, operations(), []providertest.Failure{
		{
			Name: "a rejected key is auth_failed with Azure's message",
			Answer: providertest.Reply(http.StatusUnauthorized, `{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. `+
				`Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}`),
			Status: provider.StatusAuthFailed, HTTPStatus: 401, Message: "Access denied due to invalid subscription key",
		},
		{
			Name:   "a key without the role is forbidden",
			Answer: providertest.Reply(http.StatusForbidden, `{"error":{"code":"PermissionDenied","message":"Principal does not have access to API/Operation."}}`),
			Status: provider.StatusForbidden, HTTPStatus: 403, Message: "Principal does not have access",
		},
		{
			Name: "a missing deployment is not_found",
			Answer: providertest.Reply(http.StatusNotFound, `{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist. `+
				`If you created the deployment within the last 5 minutes, please wait a moment and try again."}}`),
			Status: provider.StatusNotFound, HTTPStatus: 404, Message: "The API deployment for this resource does not exist",
		},
		{
			Name: "a rate limit is rate_limited and says when to retry",
			Answer: providertest.Reply(http.StatusTooManyRequests, `{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation under `+
				`Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds."}}`,
				"Retry-After", "6"),
			Status: provider.StatusRateLimited, HTTPStatus: 429, Message: "exceeded token rate limit", RetryAfter: 6 * time.Second,
		},
		{
			Name: "a server failure is an error with Azure's explanation",
			Answer: providertest.Reply(http.StatusInternalServerError, `{"error":{"message":"The server had an error processing your request. Sorry about that!",
				"type":"server_error","param":null,"code":null}}`),
			Status: provider.StatusError, HTTPStatus: 500, Message: "The server had an error processing your request",
		},
		{
			Name:   "an undecodable success is malformed",
			Answer: providertest.Reply(http.StatusOK, `<html><body>Azure API Management</body></html>`),
			Status: provider.StatusError, Message: "could not be read", JSONOnly: true,
		},
		providertest.SlowAnswer,
	})
}
