package cohere

import (
	"fmt"
	"testing"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
)

var deltas = []string{"Hello", "!", " How", " can", " I", " help", "?"}

const messageStart = `{"id":"29f14a5a-11de-4cae-9800-25e4747408ea","type":"message-start","delta":{"message":{"role":"assistant",` +
	`"content":[],"tool_plan":"","tool_calls":[],"citations":[]}}}`

func contentDelta(text string) []string {
	return providertest.SSE("content-delta", fmt.Sprintf(`{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":%q}}}}`, text))
}

// chatEvents is a whole v2 chat stream, ending with message-end.
func chatEvents() []string {
	events := providertest.SSE("message-start", messageStart,
		"content-start", `{"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":""}}}}`)
	for _, d := range deltas {
		events = append(events, contentDelta(d)...)
	}
	return append(events, providertest.SSE(
		"content-end", `{"type":"content-end","index":0}`,
		"message-end", `{"type":"message-end","delta":{"finish_reason":"COMPLETE","usage":{"billed_units":{"input_tokens":5,"output_tokens":7},`+
			`"tokens":{"input_tokens":71,"output_tokens":7},"cached_tokens":0}}}`)...)
}

func TestChatStreamReadsTheV2EventStream(t *testing.T) {
	whole := chatEvents()
	family.Streaming(t, providertest.StreamWire{
		Model: "command-a-03-2025", Request: "POST /v2/chat", ContentType: "text/event-stream",
		Chunks: whole, Deltas: deltas,
		Want: provider.ChatResponse{Model: "command-a-03-2025", InputTokens: 71, OutputTokens: 7},
		Failing: append(whole[:4:4], providertest.SSE("message-end", `{"type":"message-end","delta":{"finish_reason":"ERROR",`+
			`"error":"internal server error for token `+testKey+`","usage":{"billed_units":{"input_tokens":5,"output_tokens":2}}}}`)...),
		FailStatus: provider.StatusError, FailMessage: "internal server error for token [REDACTED]",
	})
}

func TestChatStreamSendsAStreamingRequest(t *testing.T) {
	temperature := 0.3
	f := providertest.New(t, providertest.Stream{ContentType: "text/event-stream", Chunks: chatEvents()}.ServeHTTP)
	_, err := family.NewClient(t, f).ChatStream(t.Context(), provider.ChatRequest{Model: "command-a-03-2025", MaxTokens: 100,
		Temperature: &temperature, Messages: []provider.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi"}}}, nil)
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	req := family.WantJSONRequest(t, f, "POST /v2/chat", `{"model": "command-a-03-2025", "max_tokens": 100, "temperature": 0.3,
		"stream": true, "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]}`)
	if got := req.Header.Get("Accept"); got != "text/event-stream" {
		t.Errorf("Accept = %q, want text/event-stream", got)
	}
}

func TestChatStreamReadsOnlyTheAnswersText(t *testing.T) {
	events := providertest.SSE("message-start", messageStart,
		"content-start", `{"type":"content-start","index":0,"delta":{"message":{"content":{"type":"thinking","thinking":""}}}}`,
		"content-delta", `{"type":"content-delta","index":0,"delta":{"message":{"content":{"thinking":"A greeting."}}}}`,
		"content-end", `{"type":"content-end","index":0}`,
		"content-start", `{"type":"content-start","index":1,"delta":{"message":{"content":{"type":"text","text":""}}}}`,
		"content-delta", `{"type":"content-delta","index":1,"delta":{"message":{"content":{"text":"Hi!"}}}}`,
		"citation-start", `{"type":"citation-start","index":0,"delta":{"message":{"citations":{"start":0,"end":3,"text":"Hi!","sources":[]}}}}`,
		"citation-end", `{"type":"citation-end","index":0}`,
		"content-end", `{"type":"content-end","index":1}`,
		"message-end", `{"type":"message-end","delta":{"finish_reason":"MAX_TOKENS","usage":{"billed_units":{"input_tokens":2,"output_tokens":9}}}}`,
		"", "[DONE]")
	f := providertest.New(t, providertest.Stream{ContentType: "text/event-stream", Chunks: events}.ServeHTTP)
	got, err := family.NewClient(t, f).ChatStream(t.Context(), provider.ChatRequest{Model: "command-a-reasoning-08-2025"}, nil)
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	if want := (provider.ChatResponse{Content: "Hi!", Model: "command-a-reasoning-08-2025", InputTokens: 2, OutputTokens: 9}); got != want {
		t.Errorf("response = %+v, want %+v (billed units when tokens are missing)", got, want)
	}
}
