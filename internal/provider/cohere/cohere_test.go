package cohere

import (
	"context"
	"encoding/json"
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
	  {"name": "command-a-03-2025", "endpoints": ["generate", "chat", "summarize"], "finetuned": false,
	   "context_length": 256000, "tokenizer_url": "https://storage.googleapis.com/cohere-public/tokenizers/command-a-03-2025.json",
	   "default_endpoints": ["chat"], "features": ["json_mode", "tools", "strict_tools"]},
	  {"name": "rerank-v3.5", "endpoints": ["rerank"], "finetuned": false, "context_length": 4096, "default_endpoints": []}
	], "next_page_token": "MTAwfGNvbW1hbmQ="}`
	secondPage = `{"models": [
	  {"name": "embed-v4.0", "endpoints": ["embed"], "finetuned": false, "context_length": 128000,
	   "default_endpoints": ["embed"], "features": null},
	  {"name": "command-r7b-12-2024", "endpoints": ["generate", "chat", "summarize"], "finetuned": false, "context_length": 128000}
	]}`
)

func TestListModelsFollowsPagesAndKeepsChatAndEmbedModels(t *testing.T) {
	f := providertest.New(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page_token") == "" {
			providertest.Reply(http.StatusOK, firstPage)(w, r)
			return
		}
		providertest.Reply(http.StatusOK, secondPage)(w, r)
	})
	probe, err := family.NewClient(t, f).Probe(context.Background())
	models := probe.Models
	if err != nil {
		t.Fatal(err)
	}
	want := []provider.Model{
		{Name: "command-a-03-2025", Provider: "cohere", Type: provider.TypeLanguage},
		{Name: "embed-v4.0", Provider: "cohere", Type: provider.TypeEmbedding},
		{Name: "command-r7b-12-2024", Provider: "cohere", Type: provider.TypeLanguage},
	}
	if !reflect.DeepEqual(models, want) {
		t.Errorf("models = %+v\nwant %+v", models, want)
	}
	reqs := f.Requests()
	wantQueries := []string{"page_size=1000", "page_size=1000&page_token=MTAwfGNvbW1hbmQ%3D"}
	if len(reqs) != len(wantQueries) {
		t.Fatalf("%d requests, want %d", len(reqs), len(wantQueries))
	}
	for i, req := range reqs {
		providertest.WantRequest(t, req, "GET /v1/models?"+wantQueries[i])
		family.WantAuth(t, req)
	}
}

func TestListModelsGivesUpOnAListingThatNeverEnds(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusOK, `{"models": [], "next_page_token": "again"}`))
	_, err := family.NewClient(t, f).ListModels(context.Background())
	family.WantError(t, err, provider.StatusError, 0, "did not end after 20 pages")
	if n := len(f.Requests()); n != maxPages {
		t.Errorf("%d pages fetched, want %d", n, maxPages)
	}
}

func TestBaseURLs(t *testing.T) {
	tests := []struct {
		name   string
		suffix string
	}{
		{"a bare host is used as it is", ""},
		{"a pasted v1 is dropped", "/v1/"},
		{"a pasted v2 is dropped", "/v2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, `{"models": []}`))
			c := New(provider.Config{Provider: "cohere", Settings: provider.Settings{BaseURL: f.URL + tt.suffix}}, f.Client())
			if _, err := c.ListModels(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := f.Only(t).Path; got != "/v1/models" {
				t.Errorf("path = %q", got)
			}
		})
	}
}

func TestErrorsAreClassified(t *testing.T) {
	calls := []providertest.Call{providertest.ListModels, providertest.Chat("command-a-03-2025"), providertest.ChatStream("command-a-03-2025"),
		providertest.Embed("embed-v4.0", "x")}
	family.Failures(t, calls, []providertest.Failure{
		{
			Name:   "a 401 is auth_failed with Cohere's message",
			Answer: providertest.Reply(http.StatusUnauthorized, `{"id": "0b5a7d1c-2f3e-4a6b-9c8d-1e2f3a4b5c6d", "message": "invalid api token"}`),
			Status: provider.StatusAuthFailed, HTTPStatus: 401, Message: "invalid api token",
		},
		{
			Name:   "a 403 is forbidden",
			Answer: providertest.Reply(http.StatusForbidden, `{"id": "a1", "message": "You do not have access to this resource."}`),
			Status: provider.StatusForbidden, HTTPStatus: 403, Message: "do not have access",
		},
		{
			Name:   "a 404 is not_found",
			Answer: providertest.Reply(http.StatusNotFound, `{"id": "a2", "message": "model 'command-x' not found, make sure the correct model ID was used"}`),
			Status: provider.StatusNotFound, HTTPStatus: 404, Message: "model 'command-x' not found",
		},
		{
			Name: "a 429 is rate_limited and keeps Retry-After",
			Answer: providertest.Reply(http.StatusTooManyRequests, `{"id": "a3", "message": "You are using a Trial key, which is limited to 10 API calls / minute."}`,
				"Retry-After", "60"),
			Status: provider.StatusRateLimited, HTTPStatus: 429, Message: "Trial key", RetryAfter: time.Minute,
		},
		{
			Name:   "a 500 is an error",
			Answer: providertest.Reply(http.StatusInternalServerError, `{"id": "a4", "message": "internal server error, this has been reported to our developers"}`),
			Status: provider.StatusError, HTTPStatus: 500, Message: "internal server error",
		},
		{
			Name:   "a message that echoes the key is redacted",
			Answer: providertest.Reply(http.StatusUnauthorized, `{"id": "a5", "message": "invalid api token `+testKey+`"}`),
			Status: provider.StatusAuthFailed, HTTPStatus: 401, Message: "invalid api token [REDACTED]",
		},
		{
			Name:   "an unreadable 200 is malformed",
			Answer: providertest.Reply(http.StatusOK, `{"models": [`),
			Status: provider.StatusError, Message: "could not be read",
		},
		providertest.SlowAnswer,
	})
}

func TestChat(t *testing.T) {
	temperature := 0.3
	tests := []struct {
		name     string
		req      provider.ChatRequest
		answer   string
		wantBody string
		want     provider.ChatResponse
	}{
		{
			name: "a conversation with options sends them and reads the processed token counts",
			req: provider.ChatRequest{
				Model: "command-a-03-2025",
				Messages: []provider.Message{
					{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi"},
					{Role: "assistant", Content: "Hello!"}, {Role: "user", Content: "How are you?"},
				},
				MaxTokens: 100, Temperature: &temperature,
			},
			answer: `{"id": "c14c80c3-18eb-4519-9460-6c92edd8cfb4", "finish_reason": "COMPLETE",
				"message": {"role": "assistant", "content": [{"type": "thinking", "thinking": "A greeting."},
				{"type": "text", "text": "Fine, "}, {"type": "text", "text": "thanks."}]},
				"usage": {"billed_units": {"input_tokens": 9, "output_tokens": 3}, "tokens": {"input_tokens": 215, "output_tokens": 3}}}`,
			wantBody: `{"model": "command-a-03-2025", "max_tokens": 100, "temperature": 0.3, "messages": [
				{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
				{"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "How are you?"}]}`,
			want: provider.ChatResponse{Content: "Fine, thanks.", Model: "command-a-03-2025", InputTokens: 215, OutputTokens: 3},
		},
		{
			name: "a plain question leaves the options out and falls back to billed units",
			req:  provider.ChatRequest{Model: "command-r7b-12-2024", Messages: []provider.Message{{Role: "user", Content: "Hi"}}},
			answer: `{"id": "d2", "finish_reason": "COMPLETE", "message": {"role": "assistant",
				"content": [{"type": "text", "text": "Hello!"}]}, "usage": {"billed_units": {"input_tokens": 1, "output_tokens": 2}}}`,
			wantBody: `{"model": "command-r7b-12-2024", "messages": [{"role": "user", "content": "Hi"}]}`,
			want:     provider.ChatResponse{Content: "Hello!", Model: "command-r7b-12-2024", InputTokens: 1, OutputTokens: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, tt.answer))
			got, err := family.NewClient(t, f).Chat(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Chat = %+v, want %+v", got, tt.want)
			}
			family.WantJSONRequest(t, f, "POST /v2/chat", tt.wantBody)
		})
	}
}

func TestChatWithoutAMessageIsMalformed(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusOK, `{"id": "x", "finish_reason": "ERROR"}`))
	_, err := family.NewClient(t, f).Chat(context.Background(), provider.ChatRequest{Model: "command-a-03-2025"})
	family.WantMalformed(t, err)
}

// embedAnswer answers v2/embed with one float vector per text whose first
// value is the number in the text ("t7" → 7).
func embedAnswer(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Texts []string `json:"texts"`
	}
	json.NewDecoder(r.Body).Decode(&body)
	var vectors []string
	for _, text := range body.Texts {
		vectors = append(vectors, fmt.Sprintf("[%s, 0.125]", strings.TrimPrefix(text, "t")))
	}
	texts, _ := json.Marshal(body.Texts)
	providertest.Reply(http.StatusOK, `{"id": "e1", "embeddings": {"float": [`+strings.Join(vectors, ",")+`]}, "texts": `+string(texts)+`,
		"meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": 4}}, "response_type": "embeddings_by_type"}`)(w, r)
}

func TestEmbed(t *testing.T) {
	tests := []struct {
		name      string
		inputs    int
		wantSizes []int
	}{
		{"a few texts go in one request", 2, []int{2}},
		{"more texts than a request holds are split", 100, []int{96, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, embedAnswer)
			input := providertest.Texts(tt.inputs)
			vectors, err := family.NewClient(t, f).Embed(context.Background(), provider.EmbedRequest{Model: "embed-v4.0", Input: input})
			if err != nil {
				t.Fatal(err)
			}
			providertest.WantVectors(t, vectors, tt.inputs, 0.125)
			providertest.WantBatches(t, f.Requests(), input, tt.wantSizes, func(req providertest.Request, batch []string) {
				texts, _ := json.Marshal(batch)
				providertest.WantJSONRequest(t, req, "POST /v2/embed", `{"model": "embed-v4.0", "texts": `+string(texts)+`,
					"input_type": "search_document", "embedding_types": ["float"]}`)
				family.WantAuth(t, req)
			})
		})
	}
}

func TestEmbedRejectsAMissingVector(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusOK, `{"id": "e2", "embeddings": {"float": [[0.1]]}, "response_type": "embeddings_by_type"}`))
	_, err := family.NewClient(t, f).Embed(context.Background(), provider.EmbedRequest{Model: "embed-v4.0", Input: []string{"a", "b"}})
	family.WantMalformed(t, err)
}

func TestAudioIsUnsupported(t *testing.T) {
	family.Unsupported(t, providertest.Speak("tts"), providertest.Transcribe("stt"))
}
