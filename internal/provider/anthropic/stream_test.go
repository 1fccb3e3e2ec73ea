package anthropic

import (
	"fmt"
	"testing"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/secret"
)

var deltas = []string{"Hello", "!", " How", " can", " I", " help", "?"}

func textDelta(text string) []string {
	return providertest.SSE("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":%q}}`, text))
}

// messageStream is a whole Messages stream, as the API documents it.
func messageStream() []string {
	chunks := providertest.SSE(
		"message_start", `{"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant",`+
			`"content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,`+
			`"usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}`,
		"content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
		"ping", `{"type": "ping"}`)
	for _, d := range deltas {
		chunks = append(chunks, textDelta(d)...)
	}
	return append(chunks, providertest.SSE(
		"content_block_stop", `{"type":"content_block_stop","index":0}`,
		"message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}`,
		"message_stop", `{"type":"message_stop"}`)...)
}

func TestChatStreamReadsTheMessagesEventStream(t *testing.T) {
	whole := messageStream()
	family.Streaming(t, providertest.StreamWire{
		Model: "claude-sonnet-4-5", Request: "POST /v1/messages", ContentType: "text/event-stream; charset=utf-8",
		Chunks: whole, Deltas: deltas,
		Want: provider.ChatResponse{Model: "claude-sonnet-4-5-20250929", InputTokens: 25, OutputTokens: 15},
		Failing: append(whole[:5:5], providertest.SSE("error", `{"type":"error","error":{"type":"rate_limit_error",`+
			`"message":"The gateway's quota for key `+testKey+` is used up"}}`)...),
		FailStatus: provider.StatusRateLimited, FailMessage: "quota for key [REDACTED] is used up",
	})
}

func TestChatStreamSendsAStreamingMessagesRequest(t *testing.T) {
	f := providertest.New(t, providertest.Stream{ContentType: "text/event-stream", Chunks: messageStream()}.ServeHTTP)
	c := New(provider.Config{Provider: "anthropic", APIKey: secret.New(testKey), Settings: provider.Settings{BaseURL: f.URL}}, f.Client(), Options{})
	_, err := c.ChatStream(t.Context(), provider.ChatRequest{Model: "claude-haiku-4-5", Messages: []provider.Message{
		{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi!"}}}, nil)
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	req := family.WantJSONRequest(t, f, "POST /v1/messages", map[string]any{
		"model": "claude-haiku-4-5", "max_tokens": 1024.0, "system": "Be brief.", "stream": true,
		"messages": []any{map[string]any{"role": "user", "content": "Hi!"}},
	})
	if got := req.Header.Get("Accept"); got != "text/event-stream" {
		t.Errorf("Accept = %q, want text/event-stream", got)
	}
}

func TestChatStreamLeavesOutThinkingAndReadsRevisedUsage(t *testing.T) {
	chunks := providertest.SSE(
		"message_start", `{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","content":[],`+
			`"model":"claude-opus-4-1-20250805","usage":{"input_tokens":0,"output_tokens":0}}}`,
		"content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}`,
		"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"The user greets me."}}`,
		"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM"}}`,
		"content_block_stop", `{"type":"content_block_stop","index":0}`,
		"content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}`,
		"content_block_delta", `{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Hello."}}`,
		"content_block_stop", `{"type":"content_block_stop","index":1}`,
		"message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":31,"output_tokens":48}}`,
		"message_stop", `{"type":"message_stop"}`)
	f := providertest.New(t, providertest.Stream{ContentType: "text/event-stream", Chunks: chunks}.ServeHTTP)
	var got []string
	resp, err := family.NewClient(t, f).ChatStream(t.Context(), provider.ChatRequest{Model: "claude-opus-4-1"},
		func(d provider.Delta) error { got = append(got, d.Text); return nil })
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	want := provider.ChatResponse{Content: "Hello.", Model: "claude-opus-4-1-20250805", InputTokens: 31, OutputTokens: 48}
	if resp != want || len(got) != 1 {
		t.Errorf("response = %+v after deltas %q, want %+v after one", resp, got, want)
	}
}

func TestChatStreamReportsAnOverloadedAPIMidway(t *testing.T) {
	chunks := append(messageStream()[:4:4], providertest.SSE("error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)...)
	f := providertest.New(t, providertest.Stream{ContentType: "text/event-stream", Chunks: chunks}.ServeHTTP)
	resp, err := family.NewClient(t, f).ChatStream(t.Context(), provider.ChatRequest{Model: "claude-sonnet-4-5"}, nil)
	family.WantError(t, err, provider.StatusError, 0, "Overloaded")
	if resp.Content != "Hello" {
		t.Errorf("content = %q, want the text before the error", resp.Content)
	}
}
