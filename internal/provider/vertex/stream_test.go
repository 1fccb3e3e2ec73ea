package vertex

import (
	"testing"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
)

// vertexChunk is one event of Vertex AI's streamGenerateContent?alt=sse.
func vertexChunk(doc string) string { return "data: " + doc + "\r\n\r\n" }

func TestChatStreamReadsStreamGenerateContentWithAToken(t *testing.T) {
	whole := []string{
		vertexChunk(`{"candidates": [{"content": {"role": "model", "parts": [{"text": "Hello"}]}}],` +
			`"usageMetadata": {"trafficType": "ON_DEMAND"}, "modelVersion": "gemini-2.5-flash",` +
			`"createTime": "2026-03-01T10:00:00.000000Z", "responseId": "x0l2aKq"}`),
		vertexChunk(`{"candidates": [{"content": {"role": "model", "parts": [{"text": " from Vertex."}]}}],` +
			`"usageMetadata": {"trafficType": "ON_DEMAND"}, "modelVersion": "gemini-2.5-flash",` +
			`"createTime": "2026-03-01T10:00:00.000000Z", "responseId": "x0l2aKq"}`),
		vertexChunk(`{"candidates": [{"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "STOP"}],` +
			`"usageMetadata": {"promptTokenCount": 2, "candidatesTokenCount": 4, "totalTokenCount": 6, "trafficType": "ON_DEMAND",` +
			`"promptTokensDetails": [{"modality": "TEXT", "tokenCount": 2}], "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": 4}]},` +
			`"modelVersion": "gemini-2.5-flash", "createTime": "2026-03-01T10:00:00.000000Z", "responseId": "x0l2aKq"}`),
	}
	family.Streaming(t, providertest.StreamWire{
		Model: "gemini-2.5-flash", Request: "POST " + modelsPath + "gemini-2.5-flash:streamGenerateContent?alt=sse",
		ContentType: "text/event-stream", Chunks: whole, Deltas: []string{"Hello", " from Vertex."},
		Want: provider.ChatResponse{Model: "gemini-2.5-flash", InputTokens: 2, OutputTokens: 4},
		Failing: append(whole[:1:1], vertexChunk(`{"error": {"code": 500, "message": "Internal error for token `+accessToken+`.",`+
			`"status": "INTERNAL"}}`)),
		FailStatus: provider.StatusError, FailMessage: "Internal error for token [REDACTED].",
	})
}
