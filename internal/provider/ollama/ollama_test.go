package ollama

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

// tags is the shape of GET /api/tags.
const tags = `{"models":[
 {"name":"llama3.2:latest","model":"llama3.2:latest","modified_at":"2025-01-10T12:00:00.000000-08:00","size":2019393189,
  "digest":"a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
  "details":{"parent_model":"","format":"gguf","family":"llama","families":["llama"],"parameter_size":"3.2B","quantization_level":"Q4_K_M"}},
 {"name":"nomic-embed-text:latest","model":"nomic-embed-text:latest","modified_at":"2025-01-09T08:00:00.000000-08:00","size":274302450,
  "digest":"0a109f422b47e3a30ba2b10eca18548e944e8a23073ee3f3e947efcf3c45e59f",
  "details":{"parent_model":"","format":"gguf","family":"nomic-bert","families":["nomic-bert"],"parameter_size":"137M","quantization_level":"F16"}},
 {"name":"custom:dev","model":"custom:dev","size":1,"digest":"00","details":{}}]}`

func TestListModelsReadsTheTags(t *testing.T) {
	want := []provider.Model{
		{Name: "llama3.2:latest", Provider: "ollama", Description: "llama 3.2B"},
		{Name: "nomic-embed-text:latest", Provider: "ollama", Description: "nomic-bert 137M"},
		{Name: "custom:dev", Provider: "ollama"},
	}
	tests := []struct {
		name     string
		base     string // {url} is the fake's URL
		key      string
		wantAuth string
	}{
		{name: "a plain server is asked without credentials", base: "{url}"},
		{name: "a trailing slash is dropped", base: " {url}/ "},
		{name: "a key is sent as a bearer token for an auth proxy", base: "{url}", key: testKey, wantAuth: "Bearer " + testKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, tags))
			c := New(provider.Config{Provider: "ollama", APIKey: secret.New(tt.key), Settings: provider.Settings{BaseURL: strings.ReplaceAll(tt.base, "{url}", f.URL)}}, f.Client())

			for _, list := range []func(context.Context) ([]provider.Model, error){c.ListModels, func(ctx context.Context) ([]provider.Model, error) {
				r, err := c.Probe(ctx)
				return r.Models, err
			}} {
				got, err := list(t.Context())
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("models = %+v, want %+v", got, want)
				}
			}
			for _, req := range f.Requests() {
				if req.Method != http.MethodGet || req.Path != "/api/tags" || req.Query != "" {
					t.Errorf("request = %s %s?%s, want GET /api/tags", req.Method, req.Path, req.Query)
				}
				if got := req.Header.Get("Authorization"); got != tt.wantAuth {
					t.Errorf("Authorization = %q, want %q", got, tt.wantAuth)
				}
			}
		})
	}
}

func TestListModelsRefusesAnAnswerThatIsNotAListing(t *testing.T) {
	family.Malformed(t, []providertest.Unreadable{
		{Name: "an object without models is malformed", Answer: `{"version":"0.5.4"}`, Call: providertest.ListModels},
		{Name: "a text page is malformed", Answer: `Ollama is running`, Call: providertest.ListModels},
	})
}

func TestChatSendsANonStreamingRequest(t *testing.T) {
	temp := 0.3
	tests := []struct {
		name     string
		numCtx   int
		req      provider.ChatRequest
		wantBody map[string]any
	}{
		{
			name:   "the context window, token limit and temperature go into options",
			numCtx: 8192,
			req: provider.ChatRequest{Model: "llama3.2", MaxTokens: 128, Temperature: &temp, Messages: []provider.Message{
				{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi!"},
			}},
			wantBody: map[string]any{
				"model": "llama3.2", "stream": false,
				"options": map[string]any{"num_ctx": 8192.0, "num_predict": 128.0, "temperature": 0.3},
				"messages": []any{
					map[string]any{"role": "system", "content": "Be brief."},
					map[string]any{"role": "user", "content": "Hi!"},
				},
			},
		},
		{
			name: "without settings the model's defaults are kept",
			req:  provider.ChatRequest{Model: "llama3.2", Messages: []provider.Message{{Role: "user", Content: "Hi!"}}},
			wantBody: map[string]any{
				"model": "llama3.2", "stream": false,
				"messages": []any{map[string]any{"role": "user", "content": "Hi!"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, `{"model":"llama3.2","created_at":"2023-12-12T14:13:43.416799Z",
				"message":{"role":"assistant","content":"Hello! How are you today?"},"done":true,"done_reason":"stop",
				"total_duration":5191566416,"load_duration":2154458,"prompt_eval_count":26,"prompt_eval_duration":383809000,
				"eval_count":298,"eval_duration":4799921000}`))
			c := New(provider.Config{Provider: "ollama", Settings: provider.Settings{BaseURL: f.URL, NumCtx: tt.numCtx}}, f.Client())

			got, err := c.Chat(t.Context(), tt.req)
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			want := provider.ChatResponse{Content: "Hello! How are you today?", Model: "llama3.2", InputTokens: 26, OutputTokens: 298}
			if got != want {
				t.Errorf("response = %+v, want %+v", got, want)
			}
			providertest.WantJSONRequest(t, f.Only(t), "POST /api/chat", tt.wantBody)
		})
	}
}

func TestEmbedSendsTheBatch(t *testing.T) {
	tests := []struct {
		name    string
		answer  string
		want    [][]float64
		wantErr bool
	}{
		{
			name: "one vector per input comes back in order",
			answer: `{"model":"all-minilm","embeddings":[[0.010071029,-0.0017594862],[0.5,0.25]],
				"total_duration":14143917,"load_duration":1019500,"prompt_eval_count":8}`,
			want: [][]float64{{0.010071029, -0.0017594862}, {0.5, 0.25}},
		},
		{
			name:    "fewer vectors than inputs is malformed",
			answer:  `{"model":"all-minilm","embeddings":[[0.1,0.2]]}`,
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, tt.answer))
			c := New(provider.Config{Provider: "ollama", Settings: provider.Settings{BaseURL: f.URL}}, f.Client())

			got, err := c.Embed(t.Context(), provider.EmbedRequest{Model: "all-minilm", Input: []string{"why is the sky blue?", "why is the grass green?"}})
			if tt.wantErr {
				family.WantMalformed(t, err)
			} else if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("vectors = %v (err %v), want %v", got, err, tt.want)
			}
			providertest.WantJSONRequest(t, f.Only(t), "POST /api/embed",
				map[string]any{"model": "all-minilm", "input": []any{"why is the sky blue?", "why is the grass green?"}})
		})
	}
}

func TestAudioIsUnsupported(t *testing.T) {
	family.Unsupported(t, providertest.Speak("m"), providertest.Transcribe("m"))
}

func TestEveryCallReportsOllamaFailures(t *testing.T) {
	calls := []providertest.Call{providertest.ListModels, providertest.Probe, providertest.Chat("llama3.2"),
		providertest.ChatStream("llama3.2"), providertest.Embed("all-minilm", "x")}
	family.Failures(t, calls, []providertest.Failure{
		{
			Name:   "a proxy rejecting the key is auth_failed and the echoed key is redacted",
			Answer: providertest.Reply(http.StatusUnauthorized, `{"error":"invalid token `+testKey+`"}`),
			Status: provider.StatusAuthFailed, HTTPStatus: 401, Message: "invalid token [REDACTED]",
		},
		{
			Name:   "a proxy refusing access is forbidden",
			Answer: providertest.Reply(http.StatusForbidden, `{"error":"forbidden"}`),
			Status: provider.StatusForbidden, HTTPStatus: 403, Message: "forbidden",
		},
		{
			Name:   "a model that was never pulled is not_found with Ollama's message",
			Answer: providertest.Reply(http.StatusNotFound, `{"error":"model 'llama9' not found"}`),
			Status: provider.StatusNotFound, HTTPStatus: 404, Message: "model 'llama9' not found",
		},
		{
			Name:   "a rate-limiting proxy is rate_limited and says when to retry",
			Answer: providertest.Reply(http.StatusTooManyRequests, `{"error":"too many requests"}`, "Retry-After", "3"),
			Status: provider.StatusRateLimited, HTTPStatus: 429, Message: "too many requests", RetryAfter: 3 * time.Second,
		},
		{
			Name:   "a crashed runner is an error with Ollama's explanation",
			Answer: providertest.Reply(http.StatusInternalServerError, `{"error":"llama runner process has terminated: exit status 2"}`),
			Status: provider.StatusError, HTTPStatus: 500, Message: "llama runner process has terminated",
		},
		{
			Name:   "an undecodable success is malformed",
			Answer: providertest.Reply(http.StatusOK, `{"models":[{"name":`),
			Status: provider.StatusError, Message: "could not be read",
		},
		providertest.SlowAnswer,
	})
}
