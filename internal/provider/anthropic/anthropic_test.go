package anthropic

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/secret"
)

// modelPage answers GET /v1/models like Anthropic: has_more and last_id
// drive the next page's after_id.
func modelPage(hasMore bool, ids ...string) string {
	var data []string
	for _, id := range ids {
		data = append(data, fmt.Sprintf(`{"type":"model","id":%q,"display_name":"Display %s","created_at":"2025-02-19T00:00:00Z"}`, id, id))
	}
	return fmt.Sprintf(`{"data":[%s],"has_more":%t,"first_id":%q,"last_id":%q}`,
		strings.Join(data, ","), hasMore, ids[0], ids[len(ids)-1])
}

func languageModels(providerName string, ids ...string) []provider.Model {
	models := []provider.Model{}
	for _, id := range ids {
		models = append(models, provider.Model{Name: id, Provider: providerName, Type: provider.TypeLanguage, Description: "Display " + id})
	}
	return models
}

func TestListModelsFollowsThePages(t *testing.T) {
	tests := []struct {
		name        string
		pages       map[string]string // after_id → answer
		wantAfterID []string          // per request, "" for none
		want        []provider.Model
	}{
		{
			name: "pages are followed with after_id until has_more is false",
			pages: map[string]string{
				"":                  modelPage(true, "claude-opus-4-5", "claude-sonnet-4-5"),
				"claude-sonnet-4-5": modelPage(false, "claude-haiku-4-5"),
			},
			wantAfterID: []string{"", "claude-sonnet-4-5"},
			want:        languageModels("anthropic", "claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5"),
		},
		{
			name:        "has_more without a last_id ends the listing",
			pages:       map[string]string{"": `{"data":[{"type":"model","id":"claude-haiku-4-5","display_name":"Display claude-haiku-4-5"}],"has_more":true,"first_id":null,"last_id":null}`},
			wantAfterID: []string{""},
			want:        languageModels("anthropic", "claude-haiku-4-5"),
		},
		{
			name:        "an empty listing is an empty list",
			pages:       map[string]string{"": `{"data":[],"has_more":false,"first_id":null,"last_id":null}`},
			wantAfterID: []string{""},
			want:        []provider.Model{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, func(w http.ResponseWriter, r *http.Request) {
				page, ok := tt.pages[r.URL.Query().Get("after_id")]
				if !ok {
					providertest.Reply(http.StatusBadRequest, `{"type":"error","error":{"type":"invalid_request_error","message":"unknown after_id"}}`)(w, r)
					return
				}
				providertest.Reply(http.StatusOK, page)(w, r)
			})
			c := New(provider.Config{Provider: "anthropic", APIKey: secret.New(testKey), BaseURL: f.URL}, f.Client(), Options{})

			got, err := c.ListModels(t.Context())
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("models = %+v, want %+v", got, tt.want)
			}
			reqs := f.Requests()
			if len(reqs) != len(tt.wantAfterID) {
				t.Fatalf("the provider received %d requests, want %d", len(reqs), len(tt.wantAfterID))
			}
			for i, req := range reqs {
				query, _ := url.ParseQuery(req.Query)
				want := url.Values{"limit": {"100"}}
				if tt.wantAfterID[i] != "" {
					want.Set("after_id", tt.wantAfterID[i])
				}
				if req.Method != http.MethodGet || req.Path != "/v1/models" || !reflect.DeepEqual(query, want) {
					t.Errorf("request %d = %s %s?%s, want GET /v1/models?%s", i, req.Method, req.Path, req.Query, want.Encode())
				}
				wantAnthropicHeaders(t, req)
			}
		})
	}
}

func TestListModelsStopsAfterTwentyPages(t *testing.T) {
	f := providertest.New(t, func(w http.ResponseWriter, r *http.Request) {
		next := "model-0"
		if after := r.URL.Query().Get("after_id"); after != "" {
			var n int
			fmt.Sscanf(after, "model-%d", &n)
			next = fmt.Sprintf("model-%d", n+1)
		}
		providertest.Reply(http.StatusOK, modelPage(true, next))(w, r)
	})
	c := New(provider.Config{Provider: "anthropic", APIKey: secret.New(testKey), BaseURL: f.URL}, f.Client(), Options{})

	got, err := c.ListModels(t.Context())
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	if len(got) != 20 || got[19].Name != "model-19" {
		t.Errorf("got %d models ending in %+v, want model-0 … model-19", len(got), got[len(got)-1])
	}
	if n := len(f.Requests()); n != 20 {
		t.Errorf("the provider received %d requests, want 20", n)
	}
}

func TestBaseURLsAreNormalizedToV1(t *testing.T) {
	tests := []struct {
		name        string
		provider    string
		base        string // cfg.BaseURL; {url} is the fake's URL
		defaultBase string // Options.DefaultBaseURL
	}{
		{name: "a /v1 base is kept", provider: compatible, base: "{url}/v1"},
		{name: "a bare host gains /v1", provider: compatible, base: "{url}"},
		{name: "a /models URL becomes /v1", provider: compatible, base: "{url}/models"},
		{name: "a /v1/models URL becomes /v1", provider: compatible, base: "{url}/v1/models"},
		{name: "blanks and trailing slashes are dropped", provider: compatible, base: "  {url}/v1/models/ "},
		{name: "anthropic's default host gains /v1", provider: "anthropic", defaultBase: "{url}"},
		{name: "the credential's base wins over the default", provider: "anthropic", base: "{url}/", defaultBase: "http://127.0.0.1:9/unused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, modelPage(false, "compatible-model")))
			cfg := provider.Config{Provider: tt.provider, APIKey: secret.New(testKey), BaseURL: strings.ReplaceAll(tt.base, "{url}", f.URL)}
			c := New(cfg, f.Client(), Options{DefaultBaseURL: strings.ReplaceAll(tt.defaultBase, "{url}", f.URL)})

			if _, err := c.ListModels(t.Context()); err != nil {
				t.Fatalf("err = %v", err)
			}
			if req := f.Only(t); req.Path != "/v1/models" {
				t.Errorf("listed %s, want /v1/models", req.Path)
			}
		})
	}
}

func TestAnthropicDefaultsToItsPublicAPI(t *testing.T) {
	tests := []struct {
		name string
		cfg  provider.Config
		want string
	}{
		{"anthropic without a base uses api.anthropic.com/v1", provider.Config{Provider: "anthropic"}, "https://api.anthropic.com/v1"},
		{"anthropic_compatible without a base has none", provider.Config{Provider: compatible, BaseURL: " / "}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := New(tt.cfg, http.DefaultClient, Options{}).base; got != tt.want {
				t.Errorf("base = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestACompatibleGatewayWithoutABaseURLFailsBeforeSendingAnything(t *testing.T) {
	c := New(provider.Config{Provider: compatible, APIKey: secret.New(testKey)}, http.DefaultClient, Options{})
	calls := map[string]func() error{
		"ListModels": func() error { _, err := c.ListModels(t.Context()); return err },
		"Probe":      func() error { _, err := c.Probe(t.Context()); return err },
		"Chat":       func() error { _, err := c.Chat(t.Context(), provider.ChatRequest{Model: "m"}); return err },
	}
	for name, call := range calls {
		t.Run(name+" says no base URL is configured", func(t *testing.T) {
			wantProviderError(t, call(), provider.StatusError, 0, "No base URL configured")
		})
	}
}

func TestProbeTellsAGatewayWithoutAListingFromAFailure(t *testing.T) {
	notFound := providertest.Reply(http.StatusNotFound, `{"detail":"Not Found"}`)
	tests := []struct {
		name       string
		provider   string
		answer     http.HandlerFunc
		want       ProbeResult
		wantStatus provider.Status // "" when the probe succeeds
	}{
		{
			name: "a compatible gateway answering 404 is connected without a listing", provider: compatible,
			answer: notFound, want: ProbeResult{ListingUnsupported: 404},
		},
		{
			name: "a compatible gateway answering 405 is connected without a listing", provider: compatible,
			answer: providertest.Reply(http.StatusMethodNotAllowed, `{"detail":"Method Not Allowed"}`), want: ProbeResult{ListingUnsupported: 405},
		},
		{
			name: "a compatible gateway with a listing returns its models", provider: compatible,
			answer: providertest.Reply(http.StatusOK, modelPage(false, "compatible-model")),
			want:   ProbeResult{Models: languageModels(compatible, "compatible-model")},
		},
		{
			name: "a compatible gateway refusing the key still fails", provider: compatible,
			answer:     providertest.Reply(http.StatusUnauthorized, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`),
			wantStatus: provider.StatusAuthFailed,
		},
		{
			name: "anthropic itself answering 404 is a failure", provider: "anthropic",
			answer: notFound, wantStatus: provider.StatusNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, tt.answer)
			c := New(provider.Config{Provider: tt.provider, APIKey: secret.New(testKey), BaseURL: f.URL}, f.Client(), Options{})

			got, err := c.ProbeDetail(t.Context())
			models, probeErr := c.Probe(t.Context())
			if tt.wantStatus != "" {
				var pe *provider.Error
				if !errors.As(err, &pe) || pe.Status != tt.wantStatus || !errors.As(probeErr, &pe) {
					t.Fatalf("errors = %v / %v, want %s", err, probeErr, tt.wantStatus)
				}
				return
			}
			if err != nil || probeErr != nil {
				t.Fatalf("errors = %v / %v", err, probeErr)
			}
			if !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(models, tt.want.Models) {
				t.Errorf("probe = %+v and %+v, want %+v", got, models, tt.want)
			}
			if tt.want.ListingUnsupported != 0 && models != nil {
				t.Errorf("Probe returned %#v, want nil models for a gateway without a listing", models)
			}
			for _, req := range f.Requests() {
				if req.Path != "/v1/models" {
					t.Errorf("probed %s, want /v1/models", req.Path)
				}
			}
		})
	}
}

func TestChatSendsAMessagesRequest(t *testing.T) {
	temp := 0.7
	answer := `{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",
		"content":[{"type":"thinking","thinking":"The user greets me.","signature":"EqQBCgIYAhIM"},
		{"type":"text","text":"Hello! "},{"type":"text","text":"How can I help?"}],
		"stop_reason":"end_turn","stop_sequence":null,
		"usage":{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":6}}`
	tests := []struct {
		name     string
		req      provider.ChatRequest
		wantBody map[string]any
	}{
		{
			name: "system turns move to the system field and max_tokens defaults to 1024",
			req: provider.ChatRequest{Model: "claude-sonnet-4-5", Messages: []provider.Message{
				{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi!"},
				{Role: "system", Content: "Answer in English."},
			}},
			wantBody: map[string]any{
				"model": "claude-sonnet-4-5", "max_tokens": 1024.0, "system": "Be brief.\n\nAnswer in English.",
				"messages": []any{map[string]any{"role": "user", "content": "Hi!"}},
			},
		},
		{
			name: "a chosen limit and temperature are sent and no system field without system turns",
			req: provider.ChatRequest{Model: "claude-haiku-4-5", MaxTokens: 50, Temperature: &temp, Messages: []provider.Message{
				{Role: "user", Content: "Hi!"}, {Role: "assistant", Content: "Hello."}, {Role: "user", Content: "Bye."},
			}},
			wantBody: map[string]any{
				"model": "claude-haiku-4-5", "max_tokens": 50.0, "temperature": 0.7,
				"messages": []any{
					map[string]any{"role": "user", "content": "Hi!"},
					map[string]any{"role": "assistant", "content": "Hello."},
					map[string]any{"role": "user", "content": "Bye."},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, answer))
			c := New(provider.Config{Provider: "anthropic", APIKey: secret.New(testKey), BaseURL: f.URL + "/v1"}, f.Client(), Options{})

			got, err := c.Chat(t.Context(), tt.req)
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			want := provider.ChatResponse{Content: "Hello! How can I help?", Model: "claude-sonnet-4-5-20250929", InputTokens: 12, OutputTokens: 6}
			if got != want {
				t.Errorf("response = %+v, want %+v", got, want)
			}
			req := f.Only(t)
			if req.Method != http.MethodPost || req.Path != "/v1/messages" {
				t.Errorf("request = %s %s, want POST /v1/messages", req.Method, req.Path)
			}
			wantAnthropicHeaders(t, req)
			providertest.WantJSON(t, req.Body, tt.wantBody)
		})
	}
}

func TestCapabilitiesAnthropicLacksAreUnsupported(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusOK, `{}`))
	c := New(provider.Config{Provider: "anthropic", APIKey: secret.New(testKey), BaseURL: f.URL}, f.Client(), Options{})
	calls := map[string]func() error{
		"Embed": func() error {
			_, err := c.Embed(t.Context(), provider.EmbedRequest{Model: "m", Input: []string{"x"}})
			return err
		},
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
			if err := call(); !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "anthropic") {
				t.Errorf("err = %v, want an anthropic ErrUnsupported", err)
			}
		})
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("the provider received %d requests", n)
	}
}

func TestEveryCallReportsAnthropicFailures(t *testing.T) {
	calls := map[string]func(context.Context, *Client) error{
		"ListModels": func(ctx context.Context, c *Client) error { _, err := c.ListModels(ctx); return err },
		"Probe":      func(ctx context.Context, c *Client) error { _, err := c.Probe(ctx); return err },
		"Chat": func(ctx context.Context, c *Client) error {
			_, err := c.Chat(ctx, provider.ChatRequest{Model: "claude-haiku-4-5", Messages: []provider.Message{{Role: "user", Content: "Hi!"}}})
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
			name:   "a rejected key is auth_failed with Anthropic's message",
			answer: providertest.Reply(http.StatusUnauthorized, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}`),
			status: provider.StatusAuthFailed, httpStatus: 401, message: "invalid x-api-key",
		},
		{
			name: "a gateway echoing the key has it redacted",
			answer: providertest.Reply(http.StatusUnauthorized, `{"type":"error","error":{"type":"authentication_error","message":"key `+testKey+
				` is not valid for this gateway"}}`),
			status: provider.StatusAuthFailed, httpStatus: 401, message: "key [REDACTED] is not valid",
		},
		{
			name:   "a key without permission is forbidden",
			answer: providertest.Reply(http.StatusForbidden, `{"type":"error","error":{"type":"permission_error","message":"Your API key does not have permission to use the specified resource."}}`),
			status: provider.StatusForbidden, httpStatus: 403, message: "does not have permission",
		},
		{
			name:   "an unknown model is not_found",
			answer: providertest.Reply(http.StatusNotFound, `{"type":"error","error":{"type":"not_found_error","message":"model: claude-9"}}`),
			status: provider.StatusNotFound, httpStatus: 404, message: "model: claude-9",
		},
		{
			name: "a rate limit is rate_limited and says when to retry",
			answer: providertest.Reply(http.StatusTooManyRequests, `{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}`,
				"retry-after", "12", "anthropic-ratelimit-requests-remaining", "0"),
			status: provider.StatusRateLimited, httpStatus: 429, message: "exceeded your per-minute rate limit", retryAfter: 12 * time.Second,
		},
		{
			name:   "a server failure is an error with Anthropic's explanation",
			answer: providertest.Reply(http.StatusInternalServerError, `{"type":"error","error":{"type":"api_error","message":"Internal server error"}}`),
			status: provider.StatusError, httpStatus: 500, message: "Internal server error",
		},
		{
			name:   "an overloaded API is an error with Anthropic's explanation",
			answer: providertest.Reply(529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`),
			status: provider.StatusError, httpStatus: 529, message: "Overloaded",
		},
		{
			name:   "an undecodable success is malformed",
			answer: providertest.Reply(http.StatusOK, `{"data":[{"type":"model","id":"claude`),
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
				c := New(provider.Config{Provider: "anthropic", APIKey: secret.New(testKey), BaseURL: f.URL}, f.Client(), Options{})
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
				for _, req := range f.Requests() {
					wantAnthropicHeaders(t, req)
				}
			})
		}
	}
}

// wantAnthropicHeaders checks the key travels in x-api-key only, with the
// API version the client was written against.
func wantAnthropicHeaders(t *testing.T, req providertest.Request) {
	t.Helper()
	if req.Header.Get("x-api-key") != testKey || req.Header.Get("anthropic-version") != "2023-06-01" ||
		req.Header.Get("content-type") != "application/json" || req.Header.Get("Authorization") != "" {
		t.Errorf("headers = %v, want x-api-key, anthropic-version 2023-06-01, JSON and no Authorization", req.Header)
	}
	if strings.Contains(req.Path+"?"+req.Query, testKey) {
		t.Errorf("the key was sent in the URL %s?%s", req.Path, req.Query)
	}
}
