package openai

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/secret"
)

// deltas are the pieces the fake streams its answer in.
var deltas = []string{"Hello", "!", " How", " can", " I", " help", "?"}

// chunk is one chat.completion.chunk event as OpenAI sends it, with choices
// (a JSON array) and usage (JSON, "null" in all but the last).
func chunk(choices, usage string) string {
	return `data: {"id":"chatcmpl-C1Pq8XyZ7","object":"chat.completion.chunk","created":1754389811,` +
		`"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_34a54ae93c",` +
		`"choices":` + choices + `,"usage":` + usage + `,"obfuscation":"3o"}` + "\n\n"
}

func deltaChunk(text string) string {
	return chunk(fmt.Sprintf(`[{"index":0,"delta":{"content":%q},"logprobs":null,"finish_reason":null}]`, text), "null")
}

// openAIStream is a whole answer: the role, the deltas, the finish, the
// usage that stream_options asks for and the terminator.
func openAIStream() []string {
	chunks := []string{chunk(`[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]`, "null")}
	for _, d := range deltas {
		chunks = append(chunks, deltaChunk(d))
	}
	return append(chunks,
		chunk(`[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]`, "null"),
		chunk(`[]`, `{"prompt_tokens":9,"completion_tokens":7,"total_tokens":16,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}`),
		"data: [DONE]\n\n")
}

func TestChatStreamPassesOnEachPieceOfTheEventStream(t *testing.T) {
	whole := openAIStream()
	family.Streaming(t, providertest.StreamWire{
		Model: "gpt-4o-mini", Request: "POST /v1/chat/completions", ContentType: "text/event-stream; charset=utf-8",
		Chunks: whole, Deltas: deltas,
		Want: provider.ChatResponse{Model: "gpt-4o-mini-2024-07-18", InputTokens: 9, OutputTokens: 7},
		Failing: append(whole[:3:3], `data: {"error":{"message":"The upstream for key `+testKey+` is overloaded. Please retry.",`+
			`"type":"server_error","param":null,"code":null}}`+"\n\n"),
		FailStatus: provider.StatusError, FailMessage: "The upstream for key [REDACTED] is overloaded",
	})
}

func TestChatStreamAsksForAStreamWithItsUsage(t *testing.T) {
	temp := 0.3
	tests := []struct {
		name     string
		provider string
		want     map[string]any
	}{
		{
			name: "openai is asked for the usage at the end of the stream", provider: "openai",
			want: map[string]any{"model": "gpt-4o-mini", "max_completion_tokens": 64.0, "temperature": 0.3, "stream": true,
				"stream_options": map[string]any{"include_usage": true},
				"messages":       []any{map[string]any{"role": "user", "content": "Hi!"}}},
		},
		{
			name: "mistral, which refuses stream_options, is not", provider: "mistral",
			want: map[string]any{"model": "gpt-4o-mini", "max_tokens": 64.0, "temperature": 0.3, "stream": true,
				"messages": []any{map[string]any{"role": "user", "content": "Hi!"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Stream{ContentType: "text/event-stream", Chunks: openAIStream()}.ServeHTTP)
			c := New(provider.Config{Provider: tt.provider, APIKey: secret.New(testKey), Settings: provider.Settings{BaseURL: f.URL + "/v1"}}, f.Client(), Options{})
			_, err := c.ChatStream(t.Context(), provider.ChatRequest{Model: "gpt-4o-mini", MaxTokens: 64, Temperature: &temp,
				Messages: []provider.Message{{Role: "user", Content: "Hi!"}}}, nil)
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			req := family.WantJSONRequest(t, f, "POST /v1/chat/completions", tt.want)
			if got := req.Header.Get("Accept"); got != "text/event-stream" {
				t.Errorf("Accept = %q, want text/event-stream", got)
			}
		})
	}
}

func TestChatStreamReadsWhatCompatibleServersSend(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   provider.ChatResponse
	}{
		{
			name: "OpenRouter's keep-alive comments are skipped",
			chunks: []string{": OPENROUTER PROCESSING\n\n", deltaChunk("Hel"), ": OPENROUTER PROCESSING\n\n", deltaChunk("lo"),
				chunk(`[{"index":0,"delta":{"content":""},"finish_reason":"stop","native_finish_reason":"stop"}]`,
					`{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6,"cost":0.0000021}`),
				"data: [DONE]\n\n"},
			want: provider.ChatResponse{Content: "Hello", Model: "gpt-4o-mini-2024-07-18", InputTokens: 4, OutputTokens: 2},
		},
		{
			name: "CRLF line ends, data without a space and a [DONE] without its blank line are read",
			chunks: []string{strings.ReplaceAll(strings.Replace(deltaChunk("Hi"), "data: ", "data:", 1), "\n", "\r\n"),
				"data: [DONE]\n"},
			want: provider.ChatResponse{Content: "Hi", Model: "gpt-4o-mini-2024-07-18"},
		},
		{
			name: "usage in the last chunk, as Mistral sends it without being asked, is read",
			chunks: []string{
				`data: {"id":"cmpl-e5cc70bb28c444948073e77776eb30ef","object":"chat.completion.chunk","created":1702256327,` +
					`"model":"mistral-small-latest","choices":[{"index":0,"delta":{"role":"assistant","content":"Bonjour"},"finish_reason":null}]}` + "\n\n",
				`data: {"id":"cmpl-e5cc70bb28c444948073e77776eb30ef","object":"chat.completion.chunk","created":1702256327,` +
					`"model":"mistral-small-latest","choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}],` +
					`"usage":{"prompt_tokens":10,"total_tokens":13,"completion_tokens":3}}` + "\n\n",
				"data: [DONE]\n\n"},
			want: provider.ChatResponse{Content: "Bonjour", Model: "mistral-small-latest", InputTokens: 10, OutputTokens: 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Stream{ContentType: "text/event-stream", Chunks: tt.chunks}.ServeHTTP)
			got, err := newClient(f).ChatStream(t.Context(), provider.ChatRequest{Model: "m"}, nil)
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if got != tt.want {
				t.Errorf("response = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestChatStreamRefusesAChunkThatIsNotJSON(t *testing.T) {
	f := providertest.New(t, providertest.Stream{ContentType: "text/event-stream",
		Chunks: []string{deltaChunk("Hi"), "data: {\"id\":\"chatcmpl-1\",\"choices\":[\n\n", "data: [DONE]\n\n"}}.ServeHTTP)
	got, err := newClient(f).ChatStream(t.Context(), provider.ChatRequest{Model: "m"}, nil)
	family.WantMalformed(t, err)
	if got.Content != "Hi" {
		t.Errorf("content = %q, want the text before the bad chunk", got.Content)
	}
}

func TestChatStreamOfAServerThatDoesNotStreamIsMalformed(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusOK, `{"id":"chatcmpl-1","object":"chat.completion","model":"m",
		"choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}]}`))
	_, err := newClient(f).ChatStream(t.Context(), provider.ChatRequest{Model: "m"}, nil)
	pe := family.WantMalformed(t, err)
	if !strings.Contains(pe.Err.Error(), "instead of a stream") {
		t.Errorf("err = %v, want it to say the answer was not streamed", pe.Err)
	}
}
