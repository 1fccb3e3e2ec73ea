package ollama

import (
	"fmt"
	"testing"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/secret"
)

var deltas = []string{"Hello", "!", " How", " are", " you", " today", "?"}

func line(content string) string {
	return fmt.Sprintf(`{"model":"llama3.2","created_at":"2025-05-04T17:40:00.385406455Z","message":{"role":"assistant","content":%q},"done":false}`+"\n", content)
}

// chatLines is a whole streamed answer: one line per piece, then the
// line that says it is done, with the counts.
func chatLines() []string {
	var lines []string
	for _, d := range deltas {
		lines = append(lines, line(d))
	}
	return append(lines, `{"model":"llama3.2","created_at":"2025-05-04T17:40:01.2Z","message":{"role":"assistant","content":""},`+
		`"done":true,"done_reason":"stop","total_duration":4883583458,"load_duration":1334875,"prompt_eval_count":26,`+
		`"prompt_eval_duration":342546000,"eval_count":282,"eval_duration":4535599000}`+"\n")
}

func TestChatStreamReadsTheNDJSONAnswer(t *testing.T) {
	whole := chatLines()
	family.Streaming(t, providertest.StreamWire{
		Model: "llama3.2", Request: "POST /api/chat", ContentType: "application/x-ndjson",
		Chunks: whole, Deltas: deltas,
		Want: provider.ChatResponse{Model: "llama3.2", InputTokens: 26, OutputTokens: 282},
		Failing: append(whole[:2:2], `{"error":"an error was encountered while running the model: the proxy dropped token `+
			testKey+`"}`+"\n"),
		FailStatus: provider.StatusError, FailMessage: "an error was encountered while running the model: the proxy dropped token [REDACTED]",
	})
}

func TestChatStreamSendsAStreamingRequest(t *testing.T) {
	f := providertest.New(t, providertest.Stream{ContentType: "application/x-ndjson", Chunks: chatLines()}.ServeHTTP)
	c := New(provider.Config{Provider: "ollama", APIKey: secret.New(testKey), Settings: provider.Settings{BaseURL: f.URL, NumCtx: 8192}}, f.Client())
	_, err := c.ChatStream(t.Context(), provider.ChatRequest{Model: "llama3.2", MaxTokens: 128,
		Messages: []provider.Message{{Role: "user", Content: "Hi!"}}}, nil)
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	req := family.WantJSONRequest(t, f, "POST /api/chat", map[string]any{
		"model": "llama3.2", "stream": true, "options": map[string]any{"num_ctx": 8192.0, "num_predict": 128.0},
		"messages": []any{map[string]any{"role": "user", "content": "Hi!"}},
	})
	if got := req.Header.Get("Accept"); got != "application/x-ndjson" {
		t.Errorf("Accept = %q, want application/x-ndjson", got)
	}
}

func TestChatStreamLeavesOutAThinkingModelsReasoning(t *testing.T) {
	lines := []string{
		`{"model":"qwen3:8b","created_at":"2025-06-01T10:00:00Z","message":{"role":"assistant","content":"","thinking":"The user greets me."},"done":false}` + "\n",
		`{"model":"qwen3:8b","created_at":"2025-06-01T10:00:01Z","message":{"role":"assistant","content":"Hi!"},"done":false}` + "\n",
		`{"model":"qwen3:8b","created_at":"2025-06-01T10:00:02Z","message":{"role":"assistant","content":""},"done":true,` +
			`"done_reason":"stop","prompt_eval_count":11,"eval_count":20}` + "\n",
	}
	f := providertest.New(t, providertest.Stream{ContentType: "application/x-ndjson", Chunks: lines}.ServeHTTP)
	got, err := family.NewClient(t, f).ChatStream(t.Context(), provider.ChatRequest{Model: "qwen3:8b"}, nil)
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	if want := (provider.ChatResponse{Content: "Hi!", Model: "qwen3:8b", InputTokens: 11, OutputTokens: 20}); got != want {
		t.Errorf("response = %+v, want %+v", got, want)
	}
}

func TestChatStreamRefusesALineThatIsNotJSON(t *testing.T) {
	f := providertest.New(t, providertest.Stream{ContentType: "application/x-ndjson", Chunks: []string{line("Hi"), "<html>\n", chatLines()[7]}}.ServeHTTP)
	_, err := family.NewClient(t, f).ChatStream(t.Context(), provider.ChatRequest{Model: "llama3.2"}, nil)
	family.WantMalformed(t, err)
}
