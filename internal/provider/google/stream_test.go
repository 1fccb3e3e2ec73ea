package google

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
)

var deltas = []string{"Hello", "! How can I", " help you today?"}

// geminiChunk is one event of streamGenerateContent?alt=sse, which Gemini
// ends with CRLF pairs.
func geminiChunk(doc string) string { return "data: " + doc + "\r\n\r\n" }

// geminiStream is a whole streamed answer: the usage grows with each chunk,
// and the last chunk carries only the finishReason.
func geminiStream() []string {
	var chunks []string
	for i, d := range deltas {
		chunks = append(chunks, geminiChunk(fmt.Sprintf(`{"candidates": [{"content": {"parts": [{"text": %q}],"role": "model"},"index": 0}],`+
			`"usageMetadata": {"promptTokenCount": 2,"candidatesTokenCount": %d,"totalTokenCount": %d,`+
			`"promptTokensDetails": [{"modality": "TEXT","tokenCount": 2}]},"modelVersion": "gemini-2.5-flash","responseId": "mG5xaN3Kb"}`,
			d, i+1, i+3)))
	}
	return append(chunks, geminiChunk(`{"candidates": [{"content": {"parts": [{"text": ""}],"role": "model"},"finishReason": "STOP","index": 0}],`+
		`"usageMetadata": {"promptTokenCount": 2,"candidatesTokenCount": 9,"totalTokenCount": 31,"thoughtsTokenCount": 20},`+
		`"modelVersion": "gemini-2.5-flash","responseId": "mG5xaN3Kb"}`))
}

func TestChatStreamReadsStreamGenerateContent(t *testing.T) {
	whole := geminiStream()
	family.Streaming(t, providertest.StreamWire{
		Model: "gemini-2.5-flash", Request: "POST /v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
		ContentType: "text/event-stream", Chunks: whole, Deltas: deltas,
		// Thinking tokens are billed as output.
		Want: provider.ChatResponse{Model: "gemini-2.5-flash", InputTokens: 2, OutputTokens: 29},
		Failing: append(whole[:1:1], geminiChunk(`{"error": {"code": 429, "message": "Quota exceeded for key `+testKey+`.",`+
			`"status": "RESOURCE_EXHAUSTED"}}`)),
		FailStatus: provider.StatusRateLimited, FailMessage: "Quota exceeded for key [REDACTED].",
	})
}

func TestChatStreamSendsTheConversationAsChatDoes(t *testing.T) {
	temperature := 0.2
	f := providertest.New(t, providertest.Stream{ContentType: "text/event-stream", Chunks: geminiStream()}.ServeHTTP)
	_, err := family.NewClient(t, f).ChatStream(t.Context(), provider.ChatRequest{Model: "models/gemini-2.5-flash",
		Messages:  []provider.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi"}},
		MaxTokens: 50, Temperature: &temperature}, nil)
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	req := family.WantJSONRequest(t, f, "POST /v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", `{
		"contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
		"systemInstruction": {"parts": [{"text": "Be brief."}]},
		"generationConfig": {"maxOutputTokens": 50, "temperature": 0.2}}`)
	if got := req.Header.Get("Accept"); got != "text/event-stream" {
		t.Errorf("Accept = %q, want text/event-stream", got)
	}
}

func TestChatStreamReadsWhatGeminiAddsAndRefuses(t *testing.T) {
	tests := []struct {
		name    string
		chunks  []string
		want    provider.ChatResponse
		wantErr string
	}{
		{
			name: "thoughts are not the answer and the last chunk may carry text",
			chunks: []string{
				geminiChunk(`{"candidates": [{"content": {"parts": [{"text": "**Greeting** The user says hi.", "thought": true}],"role": "model"},"index": 0}],` +
					`"usageMetadata": {"promptTokenCount": 4,"totalTokenCount": 30,"thoughtsTokenCount": 26},"modelVersion": "gemini-2.5-pro"}`),
				geminiChunk(`{"candidates": [{"content": {"parts": [{"text": "Hi there."}],"role": "model"},"finishReason": "STOP","index": 0}],` +
					`"usageMetadata": {"promptTokenCount": 4,"candidatesTokenCount": 3,"totalTokenCount": 33,"thoughtsTokenCount": 26},"modelVersion": "gemini-2.5-pro"}`),
			},
			want: provider.ChatResponse{Content: "Hi there.", Model: "gemini-2.5-pro", InputTokens: 4, OutputTokens: 29},
		},
		{
			name: "an answer cut short by its token limit is complete",
			chunks: []string{geminiChunk(`{"candidates": [{"content": {"parts": [{"text": "Once upon"}],"role": "model"},"finishReason": "MAX_TOKENS","index": 0}],` +
				`"usageMetadata": {"promptTokenCount": 5,"candidatesTokenCount": 2,"totalTokenCount": 7},"modelVersion": "gemini-2.5-flash"}`)},
			want: provider.ChatResponse{Content: "Once upon", Model: "gemini-2.5-flash", InputTokens: 5, OutputTokens: 2},
		},
		{
			name: "a blocked prompt says why",
			chunks: []string{geminiChunk(`{"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": [` +
				`{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}]},"usageMetadata": {"promptTokenCount": 8,"totalTokenCount": 8}}`)},
			want:    provider.ChatResponse{Model: "gemini-2.5-flash"},
			wantErr: "blocked the prompt (SAFETY)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Stream{ContentType: "text/event-stream", Chunks: tt.chunks}.ServeHTTP)
			got, err := family.NewClient(t, f).ChatStream(t.Context(), provider.ChatRequest{Model: "gemini-2.5-flash"}, nil)
			if tt.wantErr != "" {
				family.WantError(t, err, provider.StatusError, 0, tt.wantErr)
			} else if err != nil {
				t.Fatalf("err = %v", err)
			}
			if got != tt.want {
				t.Errorf("response = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestChatStreamOfAnUnknownModelIsNotFound(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusNotFound, `{"error": {"code": 404,
		"message": "models/gemini-0 is not found for API version v1beta, or is not supported for streamGenerateContent.", "status": "NOT_FOUND"}}`))
	_, err := family.NewClient(t, f).ChatStream(t.Context(), provider.ChatRequest{Model: "gemini-0"}, nil)
	family.WantError(t, err, provider.StatusNotFound, 404, "is not found")
}
