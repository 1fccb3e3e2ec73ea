package ollama

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
			c := New(provider.Config{Provider: "ollama", APIKey: secret.New(tt.key), BaseURL: strings.ReplaceAll(tt.base, "{url}", f.URL)}, f.Client())

			for _, list := range []func(context.Context) ([]provider.Model, error){c.ListModels, c.Probe} {
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
	tests := []struct{ name, answer string }{
		{"an object without models is malformed", `{"version":"0.5.4"}`},
		{"a text page is malformed", `Ollama is running`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, tt.answer))
			_, err := New(provider.Config{Provider: "ollama", BaseURL: f.URL}, f.Client()).ListModels(t.Context())
			wantProviderError(t, err, provider.StatusError, 0, "could not be read")
		})
	}
}

func TestTheDefaultServerIsLocal(t *testing.T) {
	if got := New(provider.Config{Provider: "ollama", BaseURL: "  "}, http.DefaultClient).base; got != "http://localhost:11434" {
		t.Errorf("base = %q, want http://localhost:11434", got)
	}
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
			c := New(provider.Config{Provider: "ollama", BaseURL: f.URL, NumCtx: tt.numCtx}, f.Client())

			got, err := c.Chat(t.Context(), tt.req)
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			want := provider.ChatResponse{Content: "Hello! How are you today?", Model: "llama3.2", InputTokens: 26, OutputTokens: 298}
			if got != want {
				t.Errorf("response = %+v, want %+v", got, want)
			}
			req := f.Only(t)
			if req.Method != http.MethodPost || req.Path != "/api/chat" || req.Header.Get("Content-Type") != "application/json" {
				t.Errorf("request = %s %s (%s), want a JSON POST /api/chat", req.Method, req.Path, req.Header.Get("Content-Type"))
			}
			providertest.WantJSON(t, req.Body, tt.wantBody)
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
			c := New(provider.Config{Provider: "ollama", BaseURL: f.URL}, f.Client())

			got, err := c.Embed(t.Context(), provider.EmbedRequest{Model: "all-minilm", Input: []string{"why is the sky blue?", "why is the grass green?"}})
			if tt.wantErr {
				wantProviderError(t, err, provider.StatusError, 0, "could not be read")
			} else if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("vectors = %v (err %v), want %v", got, err, tt.want)
			}
			req := f.Only(t)
			if req.Method != http.MethodPost || req.Path != "/api/embed" {
				t.Errorf("request = %s %s, want POST /api/embed", req.Method, req.Path)
			}
			providertest.WantJSON(t, req.Body, map[string]any{"model": "all-minilm", "input": []any{"why is the sky blue?", "why is the grass green?"}})
		})
	}
}

func TestAudioIsUnsupported(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusOK, `{}`))
	c := New(provider.Config{Provider: "ollama", BaseURL: f.URL}, f.Client())
	calls := map[string]func() error{
		"Speak": func() error {
			_, err := c.Speak(t.Context(), provider.SpeechRequest{Model: "m", Text: "x"})
			return err
		},
		"Transcribe": func() error {
			_, err := c.Transcribe(t.Context(), provider.TranscriptionRequest{Model: "m"})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name+" is unsupported without a request", func(t *testing.T) {
			if err := call(); !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "ollama") {
				t.Errorf("err = %v, want an ollama ErrUnsupported", err)
			}
		})
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("the server received %d requests", n)
	}
}

func TestEveryCallReportsOllamaFailures(t *testing.T) {
	calls := map[string]func(context.Context, *Client) error{
		"ListModels": func(ctx context.Context, c *Client) error { _, err := c.ListModels(ctx); return err },
		"Probe":      func(ctx context.Context, c *Client) error { _, err := c.Probe(ctx); return err },
		"Chat": func(ctx context.Context, c *Client) error {
			_, err := c.Chat(ctx, provider.ChatRequest{Model: "llama3.2", Messages: []provider.Message{{Role: "user", Content: "Hi!"}}})
			return err
		},
		"Embed": func(ctx context.Context, c *Client) error {
			_, err := c.Embed(ctx, provider.EmbedRequest{Model: "all-minilm", Input: []string{"x"}})
			return err
		},
	}
	tests := []struct {
		name       string
		answer     http.HandlerFunc
		timeout    time.Duration
		status     provider.Status
		httpStatus int
		message    string
		retryAfter time.Duration
	}{
		{
			name:   "a proxy rejecting the key is auth_failed and the echoed key is redacted",
			answer: providertest.Reply(http.StatusUnauthorized, `{"error":"invalid token `+testKey+`"}`),
			status: provider.StatusAuthFailed, httpStatus: 401, message: "invalid token [REDACTED]",
		},
		{
			name:   "a proxy refusing access is forbidden",
			answer: providertest.Reply(http.StatusForbidden, `{"error":"forbidden"}`),
			status: provider.StatusForbidden, httpStatus: 403, message: "forbidden",
		},
		{
			name:   "a model that was never pulled is not_found with Ollama's message",
			answer: providertest.Reply(http.StatusNotFound, `{"error":"model 'llama9' not found"}`),
			status: provider.StatusNotFound, httpStatus: 404, message: "model 'llama9' not found",
		},
		{
			name:   "a rate-limiting proxy is rate_limited and says when to retry",
			answer: providertest.Reply(http.StatusTooManyRequests, `{"error":"too many requests"}`, "Retry-After", "3"),
			status: provider.StatusRateLimited, httpStatus: 429, message: "too many requests", retryAfter: 3 * time.Second,
		},
		{
			name:   "a crashed runner is an error with Ollama's explanation",
			answer: providertest.Reply(http.StatusInternalServerError, `{"error":"llama runner process has terminated: exit status 2"}`),
			status: provider.StatusError, httpStatus: 500, message: "llama runner process has terminated",
		},
		{
			name:   "an undecodable success is malformed",
			answer: providertest.Reply(http.StatusOK, `{"models":[{"name":`),
			status: provider.StatusError, message: "could not be read",
		},
		{
			name:   "an answer slower than the deadline is a timeout",
			answer: providertest.Stall, timeout: 50 * time.Millisecond,
			status: provider.StatusTimeout, message: "did not answer in time",
		},
	}
	for _, tt := range tests {
		for op, call := range calls {
			t.Run(op+": "+tt.name, func(t *testing.T) {
				f := providertest.New(t, tt.answer)
				c := New(provider.Config{Provider: "ollama", APIKey: secret.New(testKey), BaseURL: f.URL}, f.Client())
				ctx := t.Context()
				if tt.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.timeout)
					defer cancel()
				}
				pe := wantProviderError(t, call(ctx, c), tt.status, tt.httpStatus, tt.message)
				if pe.RetryAfter != tt.retryAfter {
					t.Errorf("RetryAfter = %v, want %v", pe.RetryAfter, tt.retryAfter)
				}
			})
		}
	}
}
