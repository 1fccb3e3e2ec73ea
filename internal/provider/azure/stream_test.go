package azure

import (
	"fmt"
	"testing"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
)

var deltas = []string{"Hi", "!", " How", " can", " I", " help", "?"}

// azureChunk is one chunk as Azure OpenAI streams it: OpenAI's, with the
// content filter's results beside each choice.
func azureChunk(choice, usage string) string {
	return `data: {"choices":[` + choice + `],"created":1741569952,"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",` +
		`"model":"gpt-4o-2024-08-06","object":"chat.completion.chunk","system_fingerprint":"fp_b705f0c291","usage":` + usage + "}\n\n"
}

func azureStream() []string {
	chunks := []string{
		// Before any choice, Azure sends the prompt's filter results in a
		// chunk without choices.
		`data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,` +
			`"content_filter_results":{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},` +
			`"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}}]}` + "\n\n",
		azureChunk(`{"content_filter_results":{},"delta":{"content":"","refusal":null,"role":"assistant"},"finish_reason":null,"index":0,"logprobs":null}`, "null"),
	}
	for _, d := range deltas {
		chunks = append(chunks, azureChunk(fmt.Sprintf(`{"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}},`+
			`"delta":{"content":%q},"finish_reason":null,"index":0,"logprobs":null}`, d), "null"))
	}
	return append(chunks,
		azureChunk(`{"content_filter_results":{},"delta":{},"finish_reason":"stop","index":0,"logprobs":null}`, "null"),
		`data: {"choices":[],"created":1741569952,"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","model":"gpt-4o-2024-08-06",`+
			`"object":"chat.completion.chunk","system_fingerprint":"fp_b705f0c291","usage":{"completion_tokens":7,"prompt_tokens":8,"total_tokens":15}}`+"\n\n",
		"data: [DONE]\n\n")
}

func TestChatStreamReadsTheDeploymentsEventStream(t *testing.T) {
	whole := azureStream()
	family.Streaming(t, providertest.StreamWire{
		Model: "gpt-4o", Request: "POST /openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
		ContentType: "text/event-stream; charset=utf-8", Chunks: whole, Deltas: deltas,
		Want: provider.ChatResponse{Model: "gpt-4o-2024-08-06", InputTokens: 8, OutputTokens: 7},
		Failing: append(whole[:4:4], `data: {"error":{"code":"500","message":"The server had an error processing your request (api-key `+
			testKey+`)."}}`+"\n\n"),
		FailStatus: provider.StatusError, FailMessage: "The server had an error processing your request (api-key [REDACTED])",
	})
}
