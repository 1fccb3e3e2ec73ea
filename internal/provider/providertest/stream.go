package providertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
)

// waitBound is how long a streaming test waits for something that should
// happen at once. It is an upper bound against a hanging test, never a
// measure of speed.
const waitBound = 10 * time.Second

// ChatStream asks model to answer "Hi" as a stream, discarding the pieces.
func ChatStream(model string) Call {
	return Call{Name: "ChatStream", Do: func(ctx context.Context, c provider.Client) error {
		_, err := c.ChatStream(ctx, provider.ChatRequest{Model: model, Messages: []provider.Message{{Role: "user", Content: "Hi"}}},
			func(provider.Delta) error { return nil })
		return err
	}}
}

// AsksStream reports whether the request asked for a streamed answer: a
// JSON body with "stream": true (OpenAI, Anthropic, Ollama, Cohere), or
// Google's streamGenerateContent method with alt=sse.
func (r Request) AsksStream() bool {
	if strings.HasSuffix(r.Path, ":streamGenerateContent") {
		q, _ := url.ParseQuery(r.Query)
		return q.Get("alt") == "sse"
	}
	var doc struct {
		Stream bool `json:"stream"`
	}
	return json.Unmarshal(r.Body, &doc) == nil && doc.Stream
}

// Pause holds streamed answers at one point until the test releases them or
// their client goes away, so that a test can act while an answer is
// unfinished and see whether the client cancelled its request. A held
// answer goes on by itself after ten seconds, so a broken test cannot hang.
type Pause struct {
	reached, released, gone          chan struct{}
	reachOnce, releaseOnce, goneOnce sync.Once
}

// NewPause returns a pause that holds answers until Release.
func NewPause() *Pause {
	return &Pause{reached: make(chan struct{}), released: make(chan struct{}), gone: make(chan struct{})}
}

// Reached is closed once an answer reaches the pause.
func (p *Pause) Reached() <-chan struct{} { return p.reached }

// Release lets the held answers, and those still to come, go on.
func (p *Pause) Release() { p.releaseOnce.Do(func() { close(p.released) }) }

// ClientGone is closed once a client went away (cancelled its request or
// closed its connection) before its streamed answer ended.
func (p *Pause) ClientGone() <-chan struct{} { return p.gone }

func (p *Pause) clientGone() { p.goneOnce.Do(func() { close(p.gone) }) }

// hold waits at the pause and reports whether the client is still there.
func (p *Pause) hold(ctx context.Context) bool {
	p.reachOnce.Do(func() { close(p.reached) })
	select {
	case <-p.released:
		return true
	case <-ctx.Done():
		p.clientGone()
		return false
	case <-time.After(waitBound):
		return true
	}
}

// Stream answers 200 with a streamed body, the way providers stream: each
// chunk is written and flushed on its own.
type Stream struct {
	ContentType string
	Chunks      []string
	// Pause, when set, holds the answer after PauseAt chunks.
	Pause   *Pause
	PauseAt int
	// Drop ends the answer by breaking the connection instead of ending the
	// body properly.
	Drop bool
}

// ServeHTTP writes the stream.
func (s Stream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", s.ContentType)
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	gone := func() {
		if s.Pause != nil {
			s.Pause.clientGone()
		}
	}
	if rc.Flush() != nil {
		gone()
		return
	}
	for i := 0; i <= len(s.Chunks); i++ {
		if s.Pause != nil && i == s.PauseAt && !s.Pause.hold(r.Context()) {
			return
		}
		if i == len(s.Chunks) {
			break
		}
		if _, err := io.WriteString(w, s.Chunks[i]); err != nil || rc.Flush() != nil {
			gone()
			return
		}
	}
	if s.Drop {
		panic(http.ErrAbortHandler)
	}
}

// SSE returns server-sent events of (event name, data) pairs, one chunk
// each; an empty name sends the data alone, as OpenAI and Gemini do.
func SSE(pairs ...string) []string {
	chunks := make([]string, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		var b strings.Builder
		if pairs[i] != "" {
			b.WriteString("event: " + pairs[i] + "\n")
		}
		b.WriteString("data: " + pairs[i+1] + "\n\n")
		chunks = append(chunks, b.String())
	}
	return chunks
}

// StreamWire is how a family streams a chat answer, for Family.Streaming.
type StreamWire struct {
	// Model is the model the tests ask for; Request is the request line
	// that asks it for a streamed answer, as in WantRequest.
	Model, Request string
	ContentType    string
	// Chunks is a whole answer as the provider streams it: chunks that
	// carry Deltas, in order, then a last chunk that only ends the answer.
	Chunks []string
	Deltas []string
	// Want is the response to Chunks; its Content is Deltas joined.
	Want provider.ChatResponse
	// Failing is an answer that carries at least one delta and then the
	// provider's report of an error, which echoes a secret. FailStatus and
	// FailMessage are what the error must say.
	Failing     []string
	FailStatus  provider.Status
	FailMessage string
}

// Streaming checks, a subtest each, how the family's ChatStream reads
// wire: deltas passed on as they arrive, the whole answer and its usage,
// an error reported midway, an answer that ends early, a line over the
// bound, and that cancelling the call, or an error from emit, cancels the
// upstream request at once.
func (f Family[C]) Streaming(t *testing.T, wire StreamWire) {
	t.Helper()
	last := len(wire.Chunks) - 1
	whole := strings.Join(wire.Deltas, "")
	req := provider.ChatRequest{Model: wire.Model, Messages: []provider.Message{{Role: "user", Content: "Hi"}}}
	type result struct {
		resp provider.ChatResponse
		err  error
	}
	// start calls ChatStream in the background with emit, recording the
	// deltas, which the result's channel makes safe to read.
	start := func(t *testing.T, ctx context.Context, s *Server, emit func(provider.Delta) error) (<-chan result, *[]string) {
		t.Helper()
		var deltas []string
		done := make(chan result, 1)
		c := f.NewClient(t, s)
		go func() {
			resp, err := c.ChatStream(ctx, req, func(d provider.Delta) error {
				deltas = append(deltas, d.Text)
				return emit(d)
			})
			done <- result{resp, err}
		}()
		return done, &deltas
	}
	finish := func(t *testing.T, done <-chan result) result {
		t.Helper()
		select {
		case r := <-done:
			return r
		case <-time.After(waitBound):
			t.Fatal("ChatStream did not return")
			return result{}
		}
	}
	wait := func(t *testing.T, ch <-chan struct{}, what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(waitBound):
			t.Fatal(what)
		}
	}

	t.Run("every delta is passed on before the answer ends and the response is the whole answer", func(t *testing.T) {
		pause := NewPause()
		s := f.serve(t, Stream{ContentType: wire.ContentType, Chunks: wire.Chunks, Pause: pause, PauseAt: last}.ServeHTTP)
		first := make(chan struct{})
		var once sync.Once
		done, deltas := start(t, t.Context(), s, func(provider.Delta) error {
			once.Do(func() { close(first) })
			return nil
		})
		wait(t, first, "no delta was passed on while the provider held back the end of its answer")
		pause.Release()
		r := finish(t, done)
		if r.err != nil {
			t.Fatalf("err = %v", r.err)
		}
		if got := strings.Join(*deltas, "\x00"); got != strings.Join(wire.Deltas, "\x00") {
			t.Errorf("deltas = %q, want %q", *deltas, wire.Deltas)
		}
		want := wire.Want
		want.Content = whole
		if r.resp != want {
			t.Errorf("response = %+v, want %+v", r.resp, want)
		}
		reqs := s.Requests()
		sent := reqs[len(reqs)-1]
		WantRequest(t, sent, wire.Request)
		if !sent.AsksStream() {
			t.Errorf("the request did not ask for a stream: %s", sent.Body)
		}
		f.received(t, s)
	})

	t.Run("an error the provider reports midway is a provider error without secrets", func(t *testing.T) {
		s := f.serve(t, Stream{ContentType: wire.ContentType, Chunks: wire.Failing}.ServeHTTP)
		done, deltas := start(t, t.Context(), s, func(provider.Delta) error { return nil })
		r := finish(t, done)
		f.WantError(t, r.err, wire.FailStatus, 0, wire.FailMessage)
		if len(*deltas) == 0 || r.resp.Content != strings.Join(*deltas, "") {
			t.Errorf("content = %q after deltas %q, want what arrived before the error", r.resp.Content, *deltas)
		}
	})

	for _, drop := range []bool{false, true} {
		name := "an answer that ends before its terminator is an early close"
		if drop {
			name = "a connection broken midway is an early close"
		}
		t.Run(name, func(t *testing.T) {
			s := f.serve(t, Stream{ContentType: wire.ContentType, Chunks: wire.Chunks[:last], Drop: drop}.ServeHTTP)
			done, _ := start(t, t.Context(), s, func(provider.Delta) error { return nil })
			r := finish(t, done)
			f.WantError(t, r.err, provider.StatusError, 0, "closed the stream early")
			if r.resp.Content != whole {
				t.Errorf("content = %q, want what arrived: %q", r.resp.Content, whole)
			}
		})
	}

	t.Run("a line longer than the bound is refused", func(t *testing.T) {
		chunks := []string{wire.Chunks[0], strings.Repeat("x", provider.MaxStreamLine+1) + "\n\n", wire.Chunks[last]}
		s := f.serve(t, Stream{ContentType: wire.ContentType, Chunks: chunks}.ServeHTTP)
		done, _ := start(t, t.Context(), s, func(provider.Delta) error { return nil })
		f.WantError(t, finish(t, done).err, provider.StatusError, 0, "longer than")
	})

	// stop runs an answer held before its end whose first delta makes
	// halt stop the call, and checks that the provider saw its client go.
	stop := func(t *testing.T, halt func() error) error {
		t.Helper()
		pause := NewPause()
		s := f.serve(t, Stream{ContentType: wire.ContentType, Chunks: wire.Chunks, Pause: pause, PauseAt: last}.ServeHTTP)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var once sync.Once
		done, _ := start(t, ctx, s, func(provider.Delta) error {
			var err error
			once.Do(func() {
				select {
				case <-pause.Reached():
				case <-time.After(waitBound):
				}
				err = halt()
				if err == nil {
					cancel()
				}
			})
			return err
		})
		r := finish(t, done)
		wait(t, pause.ClientGone(), "the provider did not see its client go away")
		return r.err
	}

	t.Run("cancelling the call cancels the upstream request at once", func(t *testing.T) {
		err := stop(t, func() error { return nil })
		f.WantError(t, err, provider.StatusError, 0, "cancelled")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want it to wrap context.Canceled", err)
		}
	})

	t.Run("an error from emit stops the stream and cancels the upstream request", func(t *testing.T) {
		errGone := errors.New("the browser went away")
		if err := stop(t, func() error { return errGone }); !errors.Is(err, errGone) {
			t.Errorf("err = %v, want emit's own error", err)
		}
	})
}

// ChatDeltas are the pieces in which the Upstream fakes stream ChatAnswer.
var ChatDeltas = strings.SplitAfter(ChatAnswer, " ")

// pauseKey carries an Upstream's Pause to the handler that streams.
type pauseKey struct{}

// streamAnswer streams chunks, holding at the Upstream's pause, if any,
// right after chunks[first], the first to carry text.
func streamAnswer(w http.ResponseWriter, r *http.Request, contentType string, chunks []string, first int) {
	pause, _ := r.Context().Value(pauseKey{}).(*Pause)
	Stream{ContentType: contentType, Chunks: chunks, Pause: pause, PauseAt: first + 1}.ServeHTTP(w, r)
}

// openAIChunks streams ChatAnswer as OpenAI does, with the usage chunk
// when it was asked for.
func openAIChunks(model string, usage bool) (chunks []string, first int) {
	chunk := func(choices, usage string) string {
		return `data: {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,` +
			`"model":` + js(model) + `,"system_fingerprint":"fp_06737a9306","choices":` + choices + `,"usage":` + usage + "}\n\n"
	}
	chunks = []string{chunk(`[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]`, "null")}
	for _, d := range ChatDeltas {
		chunks = append(chunks, chunk(`[{"index":0,"delta":{"content":`+js(d)+`},"logprobs":null,"finish_reason":null}]`, "null"))
	}
	chunks = append(chunks, chunk(`[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]`, "null"))
	if usage {
		chunks = append(chunks, chunk(`[]`, `{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18}`))
	}
	return append(chunks, "data: [DONE]\n\n"), 1
}

// anthropicEvents streams ChatAnswer as the Messages API does.
func anthropicEvents(model string) (chunks []string, first int) {
	pairs := []string{
		"message_start", `{"type":"message_start","message":{"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","type":"message","role":"assistant",` +
			`"content":[],"model":` + js(model) + `,"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":9,"output_tokens":1}}}`,
		"content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
	}
	for i, d := range ChatDeltas {
		pairs = append(pairs, "content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":`+js(d)+`}}`)
		if i == 0 {
			pairs = append(pairs, "ping", `{"type":"ping"}`)
		}
	}
	pairs = append(pairs,
		"content_block_stop", `{"type":"content_block_stop","index":0}`,
		"message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":12}}`,
		"message_stop", `{"type":"message_stop"}`)
	return SSE(pairs...), 2
}

// geminiEvents streams ChatAnswer as streamGenerateContent?alt=sse does.
func geminiEvents(model string) (chunks []string, first int) {
	chunk := func(text, finish string, out int) string {
		return "data: " + `{"candidates":[{"content":{"parts":[{"text":` + js(text) + `}],"role":"model"}` + finish + `,"index":0}],` +
			`"usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":` + fmt.Sprint(out) + `,"totalTokenCount":` + fmt.Sprint(out+2) + `},` +
			`"modelVersion":` + js(model) + `,"responseId":"mG5xaN3Kb"}` + "\r\n\r\n"
	}
	for i, d := range ChatDeltas {
		chunks = append(chunks, chunk(d, "", i+1))
	}
	return append(chunks, chunk("", `,"finishReason":"STOP"`, 9)), 0
}

// ollamaLines streams ChatAnswer as Ollama's /api/chat does.
func ollamaLines(model string) (lines []string, first int) {
	line := func(content, end string) string {
		return `{"model":` + js(model) + `,"created_at":"2025-05-04T17:40:00.000000Z","message":{"role":"assistant","content":` +
			js(content) + `},` + end + "}\n"
	}
	for _, d := range ChatDeltas {
		lines = append(lines, line(d, `"done":false`))
	}
	return append(lines, line("", `"done_reason":"stop","done":true,"total_duration":4883583458,"prompt_eval_count":26,"eval_count":10`)), 0
}

// cohereEvents streams ChatAnswer as Cohere's v2 chat does.
func cohereEvents() (chunks []string, first int) {
	pairs := []string{
		"message-start", `{"id":"c14c80c3-18eb-4519-9460-6c92edd8cfb4","type":"message-start","delta":{"message":{"role":"assistant",` +
			`"content":[],"tool_plan":"","tool_calls":[],"citations":[]}}}`,
		"content-start", `{"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":""}}}}`,
	}
	for _, d := range ChatDeltas {
		pairs = append(pairs, "content-delta", `{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":`+js(d)+`}}}}`)
	}
	return SSE(append(pairs,
		"content-end", `{"type":"content-end","index":0}`,
		"message-end", `{"type":"message-end","delta":{"finish_reason":"COMPLETE","usage":{"billed_units":{"input_tokens":5,"output_tokens":9},`+
			`"tokens":{"input_tokens":71,"output_tokens":9}}}}`)...), 2
}
