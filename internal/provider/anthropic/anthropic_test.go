package anthropic

import (
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
			c := family.NewClient(t, f)

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
				family.WantAuth(t, req)
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
	c := family.NewClient(t, f)

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
		name     string
		provider string
		base     string // cfg.BaseURL; {url} is the fake's URL
	}{
		{name: "a /v1 base is kept", provider: compatible, base: "{url}/v1"},
		{name: "a bare host gains /v1", provider: compatible, base: "{url}"},
		{name: "a /models URL becomes /v1", provider: compatible, base: "{url}/models"},
		{name: "a /v1/models URL becomes /v1", provider: compatible, base: "{url}/v1/models"},
		{name: "blanks and trailing slashes are dropped", provider: compatible, base: "  {url}/v1/models/ "},
		{name: "anthropic's bare host gains /v1", provider: "anthropic", base: "{url}/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, modelPage(false, "compatible-model")))
			cfg := provider.Config{Provider: tt.provider, APIKey: secret.New(testKey), Settings: provider.Settings{BaseURL: strings.ReplaceAll(tt.base, "{url}", f.URL)}}
			c := New(cfg, f.Client(), Options{})

			if _, err := c.ListModels(t.Context()); err != nil {
				t.Fatalf("err = %v", err)
			}
			if req := f.Only(t); req.Path != "/v1/models" {
				t.Errorf("listed %s, want /v1/models", req.Path)
			}
		})
	}
}

func TestACompatibleGatewayWithoutABaseURLFailsBeforeSendingAnything(t *testing.T) {
	c := New(provider.Config{Provider: compatible, APIKey: secret.New(testKey)}, http.DefaultClient, Options{})
	for _, call := range []providertest.Call{providertest.ListModels, providertest.Probe, providertest.Chat("m")} {
		t.Run(call.Name+" says no base URL is configured", func(t *testing.T) {
			family.WantError(t, call.Do(t.Context(), c), provider.StatusError, 0, "No base URL configured")
		})
	}
}

func TestProbeTellsAGatewayWithoutAListingFromAFailure(t *testing.T) {
	notFound := providertest.Reply(http.StatusNotFound, `{"detail":"Not Found"}`)
	tests := []struct {
		name       string
		provider   string
		answer     http.HandlerFunc
		want       provider.ProbeResult
		wantStatus provider.Status // "" when the probe succeeds
	}{
		{
			name: "a compatible gateway answering 404 is connected without a listing", provider: compatible,
			answer: notFound, want: provider.ProbeResult{ListingUnsupported: 404},
		},
		{
			name: "a compatible gateway answering 405 is connected without a listing", provider: compatible,
			answer: providertest.Reply(http.StatusMethodNotAllowed, `{"detail":"Method Not Allowed"}`), want: provider.ProbeResult{ListingUnsupported: 405},
		},
		{
			name: "a compatible gateway with a listing returns its models", provider: compatible,
			answer: providertest.Reply(http.StatusOK, modelPage(false, "compatible-model")),
			want:   provider.ProbeResult{Models: languageModels(compatible, "compatible-model")},
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
			c := New(provider.Config{Provider: tt.provider, APIKey: secret.New(testKey), Settings: provider.Settings{BaseURL: f.URL}}, f.Client(), Options{})

			got, err := c.Probe(t.Context())
			if tt.wantStatus != "" {
				var pe *provider.Error
				if !errors.As(err, &pe) || pe.Status != tt.wantStatus {
					t.Fatalf("error = %v, want %s", err, tt.wantStatus)
				}
				return
			}
			if err != nil {
				t.Fatalf("error = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("probe = %+v, want %+v", got, tt.want)
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
			c := New(provider.Config{Provider: "anthropic", APIKey: secret.New(testKey), Settings: provider.Settings{BaseURL: f.URL + "/v1"}}, f.Client(), Options{})

			got, err := c.Chat(t.Context(), tt.req)
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			want := provider.ChatResponse{Content: "Hello! How can I help?", Model: "claude-sonnet-4-5-20250929", InputTokens: 12, OutputTokens: 6}
			if got != want {
				t.Errorf("response = %+v, want %+v", got, want)
			}
			family.WantJSONRequest(t, f, "POST /v1/messages", tt.wantBody)
		})
	}
}

func TestCapabilitiesAnthropicLacksAreUnsupported(t *testing.T) {
	family.Unsupported(t, providertest.Embed("m", "x"), providertest.Speak("m"), providertest.Transcribe("m"))
}

func TestEveryCallReportsAnthropicFailures(t *testing.T) {
	calls := []providertest.Call{providertest.ListModels, providertest.Probe, providertest.Chat("claude-haiku-4-5"),
		providertest.ChatStream("claude-haiku-4-5")}
	family.Failures(t, calls, []providertest.Failure{
		{
			Name:   "a rejected key is auth_failed with Anthropic's message",
			Answer: providertest.Reply(http.StatusUnauthorized, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}`),
			Status: provider.StatusAuthFailed, HTTPStatus: 401, Message: "invalid x-api-key",
		},
		{
			Name: "a gateway echoing the key has it redacted",
			Answer: providertest.Reply(http.StatusUnauthorized, `{"type":"error","error":{"type":"authentication_error","message":"key `+testKey+
				` is not valid for this gateway"}}`),
			Status: provider.StatusAuthFailed, HTTPStatus: 401, Message: "key [REDACTED] is not valid",
		},
		{
			Name:   "a key without permission is forbidden",
			Answer: providertest.Reply(http.StatusForbidden, `{"type":"error","error":{"type":"permission_error","message":"Your API key does not have permission to use the specified resource."}}`),
			Status: provider.StatusForbidden, HTTPStatus: 403, Message: "does not have permission",
		},
		{
			Name:   "an unknown model is not_found",
			Answer: providertest.Reply(http.StatusNotFound, `{"type":"error","error":{"type":"not_found_error","message":"model: claude-9"}}`),
			Status: provider.StatusNotFound, HTTPStatus: 404, Message: "model: claude-9",
		},
		{
			Name: "a rate limit is rate_limited and says when to retry",
			Answer: providertest.Reply(http.StatusTooManyRequests, `{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}`,
				"retry-after", "12", "anthropic-ratelimit-requests-remaining", "0"),
			Status: provider.StatusRateLimited, HTTPStatus: 429, Message: "exceeded your per-minute rate limit", RetryAfter: 12 * time.Second,
		},
		{
			Name:   "a server failure is an error with Anthropic's explanation",
			Answer: providertest.Reply(http.StatusInternalServerError, `{"type":"error","error":{"type":"api_error","message":"Internal server error"}}`),
			Status: provider.StatusError, HTTPStatus: 500, Message: "Internal server error",
		},
		{
			Name:   "an overloaded API is an error with Anthropic's explanation",
			Answer: providertest.Reply(529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`),
			Status: provider.StatusError, HTTPStatus: 529, Message: "Overloaded",
		},
		{
			Name:   "an undecodable success is malformed",
			Answer: providertest.Reply(http.StatusOK, `{"data":[{"type":"model","id":"claude`),
			Status: provider.StatusError, Message: "could not be read",
		},
		providertest.SlowAnswer,
	})
}
