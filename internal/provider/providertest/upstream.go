package providertest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
)

// Keys an Upstream judges. Any other key is rejected the way the family
// rejects a wrong key, and the rejection echoes it, as some providers do, so
// that tests can prove it never reaches a user.
const (
	GoodKey      = "sk-good-LEAKCANARY-7f3e9a1c"
	ForbiddenKey = "sk-forbidden-LEAKCANARY-2b8d"
)

// Failures an Upstream acts out when the first segment of a request's path
// names one: a credential whose base URL is BaseURL(failure) meets it on
// every request.
const (
	FailSlow        = "slow"        // no answer until the client gives up
	FailRateLimited = "ratelimited" // 429 with Retry-After: RetryAfter
	FailServerError = "broken"      // 500 with the family's error body
	FailMalformed   = "malformed"   // 200 with a truncated JSON body
	FailRedirect    = "redirect"    // 302 to the cloud metadata address
)

// RetryAfter is the Retry-After, in seconds, that FailRateLimited sends.
const RetryAfter = 7

// MetadataURL is where FailRedirect sends the client.
const MetadataURL = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"

// Canned answers of every family.
const (
	ChatAnswer    = "Hello! How can I help you today?"
	Transcript    = "Hello from Open Notebook."
	EmbeddingDims = 8
)

// SpeechAudio is the audio every speech endpoint answers with.
var SpeechAudio = []byte("ID3\x04\x00\x00\x00\x00\x00\x00fake-mp3-frames")

// Upstream is a fake of one client family's HTTP API (see provider.Family*).
// It answers like the real API: the listing, chat (streamed when the request
// asks for a stream, see AsksStream), embedding, speech and transcription
// payloads it serves, pagination where the provider pages,
// and the family's own error bodies for a wrong key (GoodKey is the only
// right one), a key without permission (ForbiddenKey) and an unknown path.
// It records every request.
type Upstream struct {
	*Server
	family  string
	api     api
	mux     *http.ServeMux
	delay   time.Duration
	barrier *Barrier
	pause   *Pause
}

// Option configures an Upstream.
type Option func(*Upstream)

// WithDelay makes every answer wait d, as a distant provider would.
func WithDelay(d time.Duration) Option { return func(u *Upstream) { u.delay = d } }

// WithBarrier holds every request at b until b opens.
func WithBarrier(b *Barrier) Option { return func(u *Upstream) { u.barrier = b } }

// Barrier holds requests, from any number of fakes, until n of them are
// waiting at once; then it lets every request through. Callers that make
// their requests one after the other never fill it, so it proves, without
// measuring time, that n requests were in flight together.
type Barrier struct {
	mu      sync.Mutex
	n, seen int
	open    chan struct{}
}

// NewBarrier returns a barrier that opens at n waiting requests.
func NewBarrier(n int) *Barrier { return &Barrier{n: n, open: make(chan struct{})} }

// Opened reports whether n requests were ever waiting at once.
func (b *Barrier) Opened() bool {
	select {
	case <-b.open:
		return true
	default:
		return false
	}
}

func (b *Barrier) wait(r *http.Request) {
	b.mu.Lock()
	if b.seen++; b.seen == b.n {
		close(b.open)
	}
	b.mu.Unlock()
	select {
	case <-b.open:
	case <-r.Context().Done():
	}
}

// WithPause holds every streamed chat answer at p right after its first
// piece of text, until p is released or the client goes away.
func WithPause(p *Pause) Option { return func(u *Upstream) { u.pause = p } }

// NewUpstream starts a fake of family's API.
func NewUpstream(t testing.TB, family string, opts ...Option) *Upstream {
	t.Helper()
	a, ok := apis()[family]
	if !ok {
		t.Fatalf("providertest: no fake for family %q", family)
	}
	u := &Upstream{family: family, api: a, mux: http.NewServeMux()}
	for _, o := range opts {
		o(u)
	}
	a.routes(u.mux)
	u.Server = New(t, u.serve)
	return u
}

// BaseURL is the base URL a credential of this family uses to reach the
// fake: the server's URL, the first path segment naming a failure when
// failure is not "", and the path the family's base URL ends with.
func (u *Upstream) BaseURL(failure string) string {
	base := u.URL
	if failure != "" {
		base += "/" + failure
	}
	return base + u.api.basePath
}

func (u *Upstream) serve(w http.ResponseWriter, r *http.Request) {
	if u.barrier != nil {
		u.barrier.wait(r)
	}
	if u.delay > 0 {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(u.delay):
		}
	}
	failure, rest := splitFailure(r.URL.Path)
	switch failure {
	case FailSlow:
		Stall(w, r)
		return
	case FailRedirect:
		http.Redirect(w, r, MetadataURL, http.StatusFound)
		return
	case FailRateLimited:
		w.Header().Set("Retry-After", fmt.Sprint(RetryAfter))
		u.fail(w, http.StatusTooManyRequests, "Rate limit reached for requests")
		return
	case FailServerError:
		u.fail(w, http.StatusInternalServerError, "The server had an error while processing your request")
		return
	case FailMalformed:
		Reply(http.StatusOK, `{"data": [{"id": "gpt-4o"`)(w, r)
		return
	}
	r.URL.Path, r.URL.RawPath = rest, ""
	if u.pause != nil {
		r = r.WithContext(context.WithValue(r.Context(), pauseKey{}, u.pause))
	}
	if u.family == provider.FamilyVertex && rest == "/token" {
		grantToken(w, r)
		return
	}
	switch key := u.api.credential(r); {
	case key == ForbiddenKey:
		u.fail(w, http.StatusForbidden, "The API key lacks the permissions this operation needs")
		return
	case key != GoodKey && !(key == "" && u.api.keyOptional):
		u.api.reject(w, key)
		return
	}
	if _, pattern := u.mux.Handler(r); pattern == "" {
		u.fail(w, http.StatusNotFound, "Unknown request URL: "+r.Method+" "+rest)
		return
	}
	u.mux.ServeHTTP(w, r)
}

func (u *Upstream) fail(w http.ResponseWriter, status int, message string) {
	Reply(status, u.api.errorBody(status, message))(w, nil)
}

// splitFailure separates a failure's path segment from the rest of path.
func splitFailure(path string) (failure, rest string) {
	first, tail, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	switch first {
	case FailSlow, FailRateLimited, FailServerError, FailMalformed, FailRedirect:
		return first, "/" + tail
	}
	return "", path
}

// api is what differs between the families' APIs.
type api struct {
	basePath    string
	credential  func(r *http.Request) string
	keyOptional bool // Ollama itself has no keys; only a proxy in front checks one
	errorBody   func(status int, message string) string
	reject      func(w http.ResponseWriter, key string)
	routes      func(mux *http.ServeMux)
}

func bearer(prefix string) func(r *http.Request) string {
	return func(r *http.Request) string {
		return strings.TrimPrefix(r.Header.Get("Authorization"), prefix)
	}
}

func header(name string) func(r *http.Request) string {
	return func(r *http.Request) string { return r.Header.Get(name) }
}

// js quotes s as a JSON string.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// rejectWith answers a wrong key with 401 and the family's error body,
// echoing the key.
func rejectWith(errorBody func(int, string) string) func(http.ResponseWriter, string) {
	return func(w http.ResponseWriter, key string) {
		Reply(http.StatusUnauthorized, errorBody(http.StatusUnauthorized, "Incorrect API key provided: "+key))(w, nil)
	}
}

func apis() map[string]api {
	openAIError := func(status int, msg string) string {
		code := map[int]string{401: `"invalid_api_key"`, 429: `"rate_limit_exceeded"`}[status]
		if code == "" {
			code = "null"
		}
		return `{"error":{"message":` + js(msg) + `,"type":"invalid_request_error","param":null,"code":` + code + `}}`
	}
	anthropicError := func(status int, msg string) string {
		typ := map[int]string{401: "authentication_error", 403: "permission_error", 404: "not_found_error",
			429: "rate_limit_error"}[status]
		if typ == "" {
			typ = "api_error"
		}
		return `{"type":"error","error":{"type":"` + typ + `","message":` + js(msg) + `}}`
	}
	googleError := func(status int, msg string) string {
		st := map[int]string{401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
			429: "RESOURCE_EXHAUSTED"}[status]
		if st == "" {
			st = "INTERNAL"
		}
		return fmt.Sprintf(`{"error":{"code":%d,"message":%s,"status":"%s"}}`, status, js(msg), st)
	}
	azureError := func(status int, msg string) string {
		return fmt.Sprintf(`{"error":{"code":"%d","message":%s}}`, status, js(msg))
	}
	ollamaError := func(_ int, msg string) string { return `{"error":` + js(msg) + `}` }
	cohereError := func(_ int, msg string) string {
		return `{"id":"5b1c0e2a-9d6f-4e1b-8c3a-2f7d9e0b1a4c","message":` + js(msg) + `}`
	}
	voyageError := func(_ int, msg string) string { return `{"detail":` + js(msg) + `}` }
	elevenLabsError := func(status int, msg string) string {
		st := map[int]string{401: "invalid_api_key", 403: "missing_permissions", 404: "not_found",
			429: "too_many_concurrent_requests"}[status]
		if st == "" {
			st = "internal_error"
		}
		return `{"detail":{"status":"` + st + `","message":` + js(msg) + `}}`
	}
	deepgramError := func(status int, msg string) string {
		code := map[int]string{401: "INVALID_AUTH", 403: "FORBIDDEN", 404: "NOT_FOUND", 429: "TOO_MANY_REQUESTS"}[status]
		if code == "" {
			code = "INTERNAL_SERVER_ERROR"
		}
		return `{"err_code":"` + code + `","err_msg":` + js(msg) + `,"request_id":"a1b2c3d4-0000-4000-8000-123456789abc"}`
	}
	return map[string]api{
		provider.FamilyOpenAI: {
			basePath: "/v1", credential: bearer("Bearer "), errorBody: openAIError,
			reject: rejectWith(openAIError), routes: openAIRoutes("/v1"),
		},
		provider.FamilyAzure: {
			credential: header("api-key"), errorBody: azureError, reject: rejectWith(azureError),
			routes: azureRoutes,
		},
		provider.FamilyAnthropic: {
			credential: header("x-api-key"), errorBody: anthropicError, reject: rejectWith(anthropicError),
			routes: anthropicRoutes,
		},
		provider.FamilyGoogle: {
			credential: header("x-goog-api-key"), errorBody: googleError, routes: googleRoutes,
			// Google answers a wrong key with 400 INVALID_ARGUMENT and says
			// so only in the details.
			reject: func(w http.ResponseWriter, _ string) {
				Reply(http.StatusBadRequest, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.",`+
					`"status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo",`+
					`"reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}}]}}`)(w, nil)
			},
		},
		provider.FamilyVertex: {
			credential: bearer("Bearer "), errorBody: googleError, routes: vertexRoutes,
			reject: func(w http.ResponseWriter, _ string) {
				Reply(http.StatusUnauthorized, googleError(http.StatusUnauthorized, "Request had invalid authentication "+
					"credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential."))(w, nil)
			},
		},
		provider.FamilyOllama: {
			credential: bearer("Bearer "), keyOptional: true, errorBody: ollamaError,
			reject: rejectWith(ollamaError), routes: ollamaRoutes,
		},
		provider.FamilyCohere: {
			credential: bearer("Bearer "), errorBody: cohereError, reject: rejectWith(cohereError),
			routes: cohereRoutes,
		},
		provider.FamilyVoyage: {
			basePath: "/v1", credential: bearer("Bearer "), errorBody: voyageError,
			reject: rejectWith(voyageError), routes: voyageRoutes,
		},
		provider.FamilyElevenLabs: {
			credential: header("xi-api-key"), errorBody: elevenLabsError, reject: rejectWith(elevenLabsError),
			routes: elevenLabsRoutes,
		},
		provider.FamilyDeepgram: {
			credential: bearer("Token "), errorBody: deepgramError, reject: rejectWith(deepgramError),
			routes: deepgramRoutes,
		},
	}
}

// decode reads a JSON request body into v, answering 400 when it is not.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		Reply(http.StatusBadRequest, `{"error":{"message":"We could not parse the JSON body of your request."}}`)(w, r)
		return false
	}
	return true
}

// vectors returns n embeddings of EmbeddingDims values.
func vectors(n int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, EmbeddingDims)
		for j := range out[i] {
			out[i][j] = float64(i+1) / float64(j+2)
		}
	}
	return out
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func audio(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "audio/mpeg")
	_, _ = w.Write(SpeechAudio)
}

// transcription answers a multipart upload that carries a file.
func transcription(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, _, err := r.FormFile("file"); err != nil {
			Reply(http.StatusBadRequest, `{"error":{"message":"No file was uploaded."}}`)(w, r)
			return
		}
		Reply(http.StatusOK, body)(w, r)
	}
}

func openAIRoutes(prefix string) func(mux *http.ServeMux) {
	return func(mux *http.ServeMux) {
		mux.HandleFunc("GET "+prefix+"/models", Reply(http.StatusOK, `{"object":"list","data":[
 {"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},
 {"id":"text-embedding-3-small","object":"model","created":1705948997,"owned_by":"system"},
 {"id":"whisper-1","object":"model","created":1677532384,"owned_by":"openai-internal"},
 {"id":"tts-1","object":"model","created":1681940951,"owned_by":"openai-internal"}]}`))
		mux.HandleFunc("POST "+prefix+"/chat/completions", openAIChat)
		mux.HandleFunc("POST "+prefix+"/embeddings", openAIEmbeddings)
		mux.HandleFunc("POST "+prefix+"/audio/speech", func(w http.ResponseWriter, _ *http.Request) { audio(w) })
		mux.HandleFunc("POST "+prefix+"/audio/transcriptions", transcription(`{"text":`+js(Transcript)+`}`))
	}
}

func openAIChat(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model         string           `json:"model"`
		Messages      []map[string]any `json:"messages"`
		Stream        bool             `json:"stream"`
		StreamOptions struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
	}
	if !decode(w, r, &req) {
		return
	}
	if req.Model == "" || len(req.Messages) == 0 {
		Reply(http.StatusBadRequest, `{"error":{"message":"you must provide a model parameter","type":"invalid_request_error"}}`)(w, r)
		return
	}
	if req.Stream {
		chunks, first := openAIChunks(req.Model, req.StreamOptions.IncludeUsage)
		streamAnswer(w, r, "text/event-stream; charset=utf-8", chunks, first)
		return
	}
	Reply(http.StatusOK, `{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,
 "model":`+js(req.Model)+`,"choices":[{"index":0,"message":{"role":"assistant","content":`+js(ChatAnswer)+`,"refusal":null},
 "logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18}}`)(w, r)
}

var openAIEmbeddings = embeddings(map[string]int{"prompt_tokens": 5, "total_tokens": 5})

// embeddings answers an embeddings request in OpenAI's shape, which Voyage
// AI's shares, with usage as the provider reports it.
func embeddings(usage map[string]int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model string   `json:"model"`
			Input []string `json:"input"`
		}
		if !decode(w, r, &req) {
			return
		}
		data := make([]map[string]any, len(req.Input))
		for i, v := range vectors(len(req.Input)) {
			data[i] = map[string]any{"object": "embedding", "index": i, "embedding": v}
		}
		Reply(http.StatusOK, jsonOf(map[string]any{"object": "list", "data": data, "model": req.Model, "usage": usage}))(w, r)
	}
}

func azureRoutes(mux *http.ServeMux) {
	inner := http.NewServeMux()
	inner.HandleFunc("GET /openai/models", Reply(http.StatusOK, `{"data":[
 {"id":"gpt-4o","status":"succeeded","object":"model","lifecycle_status":"generally-available",
  "capabilities":{"fine_tune":false,"inference":true,"completion":false,"chat_completion":true,"embeddings":false}},
 {"id":"text-embedding-3-small","status":"succeeded","object":"model","lifecycle_status":"generally-available",
  "capabilities":{"fine_tune":false,"inference":true,"completion":false,"chat_completion":false,"embeddings":true}}],
 "object":"list"}`))
	inner.HandleFunc("POST /openai/deployments/{deployment}/chat/completions", openAIChat)
	inner.HandleFunc("POST /openai/deployments/{deployment}/embeddings", openAIEmbeddings)
	inner.HandleFunc("POST /openai/deployments/{deployment}/audio/speech", func(w http.ResponseWriter, _ *http.Request) { audio(w) })
	inner.HandleFunc("POST /openai/deployments/{deployment}/audio/transcriptions", transcription(`{"text":`+js(Transcript)+`}`))
	// Azure refuses any data-plane call without an api-version.
	mux.Handle("/openai/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("api-version") == "" {
			Reply(http.StatusNotFound, `{"error":{"code":"404","message":"Resource not found"}}`)(w, r)
			return
		}
		if _, pattern := inner.Handler(r); pattern == "" {
			Reply(http.StatusNotFound, `{"error":{"code":"404","message":"Resource not found"}}`)(w, r)
			return
		}
		inner.ServeHTTP(w, r)
	}))
}

func anthropicRoutes(mux *http.ServeMux) {
	pages := map[string]string{
		"": `{"data":[{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"}],
 "has_more":true,"first_id":"claude-sonnet-4-5-20250929","last_id":"claude-sonnet-4-5-20250929"}`,
		"claude-sonnet-4-5-20250929": `{"data":[{"type":"model","id":"claude-haiku-4-5-20251001","display_name":"Claude Haiku 4.5","created_at":"2025-10-01T00:00:00Z"}],
 "has_more":false,"first_id":"claude-haiku-4-5-20251001","last_id":"claude-haiku-4-5-20251001"}`,
	}
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages[r.URL.Query().Get("after_id")]
		if !ok {
			Reply(http.StatusBadRequest, `{"type":"error","error":{"type":"invalid_request_error","message":"after_id: unknown model"}}`)(w, r)
			return
		}
		Reply(http.StatusOK, page)(w, r)
	})
	mux.HandleFunc("POST /v1/messages", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model     string `json:"model"`
			MaxTokens int    `json:"max_tokens"`
			Stream    bool   `json:"stream"`
		}
		if !decode(w, r, &req) {
			return
		}
		if r.Header.Get("anthropic-version") == "" || req.MaxTokens <= 0 {
			Reply(http.StatusBadRequest, `{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}}`)(w, r)
			return
		}
		if req.Stream {
			chunks, first := anthropicEvents(req.Model)
			streamAnswer(w, r, "text/event-stream; charset=utf-8", chunks, first)
			return
		}
		Reply(http.StatusOK, `{"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","type":"message","role":"assistant","model":`+js(req.Model)+`,
 "content":[{"type":"text","text":`+js(ChatAnswer)+`}],"stop_reason":"end_turn","stop_sequence":null,
 "usage":{"input_tokens":9,"output_tokens":12}}`)(w, r)
	})
}

func googleRoutes(mux *http.ServeMux) {
	pages := map[string]string{
		"": `{"models":[{"name":"models/gemini-2.5-flash","version":"001","displayName":"Gemini 2.5 Flash",
 "supportedGenerationMethods":["generateContent","countTokens","createCachedContent","batchGenerateContent"]}],
 "nextPageToken":"Chxtb2RlbHMvZ2VtaW5pLTIuNS1mbGFzaA=="}`,
		"Chxtb2RlbHMvZ2VtaW5pLTIuNS1mbGFzaA==": `{"models":[{"name":"models/gemini-2.5-flash-preview-tts","version":"gemini-2.5-flash-exp-tts-2025-05-19",
 "displayName":"Gemini 2.5 Flash Preview TTS","supportedGenerationMethods":["countTokens","generateContent"]},
 {"name":"models/text-embedding-004","version":"004","displayName":"Text Embedding 004","supportedGenerationMethods":["embedContent"]}]}`,
	}
	mux.HandleFunc("GET /v1beta/models", func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages[r.URL.Query().Get("pageToken")]
		if !ok {
			Reply(http.StatusBadRequest, `{"error":{"code":400,"message":"Invalid page token.","status":"INVALID_ARGUMENT"}}`)(w, r)
			return
		}
		Reply(http.StatusOK, page)(w, r)
	})
	mux.HandleFunc("POST /v1beta/models/{call}", googleCall)
}

func vertexRoutes(mux *http.ServeMux) {
	const location = "/v1/projects/{project}/locations/{location}"
	mux.HandleFunc("GET "+location+"/models", Reply(http.StatusOK, `{}`))
	mux.HandleFunc("POST "+location+"/publishers/google/models/{call}", googleCall)
}

// googleCall serves {model}:generateContent (chat, speech or
// transcription, by what the request asks), :streamGenerateContent (chat),
// :batchEmbedContents (Gemini) and :predict (Vertex AI embeddings).
func googleCall(w http.ResponseWriter, r *http.Request) {
	model, method, _ := strings.Cut(r.PathValue("call"), ":")
	var req struct {
		Contents []struct {
			Parts []struct {
				InlineData *struct{} `json:"inlineData"`
			} `json:"parts"`
		} `json:"contents"`
		GenerationConfig struct {
			ResponseModalities []string `json:"responseModalities"`
		} `json:"generationConfig"`
		Requests  []json.RawMessage `json:"requests"`
		Instances []json.RawMessage `json:"instances"`
	}
	if !decode(w, r, &req) {
		return
	}
	switch method {
	case "batchEmbedContents":
		var out []map[string]any
		for _, v := range vectors(len(req.Requests)) {
			out = append(out, map[string]any{"values": v})
		}
		Reply(http.StatusOK, jsonOf(map[string]any{"embeddings": out}))(w, r)
		return
	case "predict":
		var out []map[string]any
		for _, v := range vectors(len(req.Instances)) {
			out = append(out, map[string]any{"embeddings": map[string]any{"values": v,
				"statistics": map[string]any{"truncated": false, "token_count": 4}}})
		}
		Reply(http.StatusOK, jsonOf(map[string]any{"predictions": out}))(w, r)
		return
	case "streamGenerateContent":
		if r.URL.Query().Get("alt") == "sse" {
			chunks, first := geminiEvents(model)
			streamAnswer(w, r, "text/event-stream", chunks, first)
			return
		}
		// Without alt=sse the API answers one JSON array, which no client
		// of this product asks for.
		Reply(http.StatusBadRequest, `{"error":{"code":400,"message":"This fake streams only with alt=sse.","status":"INVALID_ARGUMENT"}}`)(w, r)
		return
	case "generateContent":
	default:
		Reply(http.StatusNotFound, `{"error":{"code":404,"message":"Method not found.","status":"NOT_FOUND"}}`)(w, r)
		return
	}
	part := `{"text":` + js(ChatAnswer) + `}`
	if len(req.GenerationConfig.ResponseModalities) > 0 && req.GenerationConfig.ResponseModalities[0] == "AUDIO" {
		part = `{"inlineData":{"mimeType":"audio/L16;codec=pcm;rate=24000","data":"` +
			base64.StdEncoding.EncodeToString(make([]byte, 480)) + `"}}`
	}
	for _, c := range req.Contents {
		for _, p := range c.Parts {
			if p.InlineData != nil {
				part = `{"text":` + js(Transcript) + `}`
			}
		}
	}
	Reply(http.StatusOK, `{"candidates":[{"content":{"parts":[`+part+`],"role":"model"},"finishReason":"STOP","index":0}],
 "usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":9,"totalTokenCount":11},"modelVersion":`+js(model)+`}`)(w, r)
}

func ollamaRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/tags", Reply(http.StatusOK, `{"models":[
 {"name":"llama3.2:latest","model":"llama3.2:latest","modified_at":"2025-05-04T17:37:44.706015396-07:00","size":2019393189,
  "digest":"a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
  "details":{"parent_model":"","format":"gguf","family":"llama","families":["llama"],"parameter_size":"3.2B","quantization_level":"Q4_K_M"}},
 {"name":"nomic-embed-text:latest","model":"nomic-embed-text:latest","modified_at":"2025-05-04T17:37:44.706015396-07:00","size":274302450,
  "digest":"0a109f422b47e3a30ba2b10eca18548e944e8a23073ee3f3e947efcf3c45e59f",
  "details":{"parent_model":"","format":"gguf","family":"nomic-bert","families":["nomic-bert"],"parameter_size":"137M","quantization_level":"F16"}}]}`))
	mux.HandleFunc("POST /api/chat", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model  string `json:"model"`
			Stream *bool  `json:"stream"`
		}
		if !decode(w, r, &req) {
			return
		}
		if req.Stream == nil || *req.Stream { // Ollama streams unless told not to
			chunks, first := ollamaLines(req.Model)
			streamAnswer(w, r, "application/x-ndjson", chunks, first)
			return
		}
		Reply(http.StatusOK, `{"model":`+js(req.Model)+`,"created_at":"2025-05-04T17:40:00.000000Z",
 "message":{"role":"assistant","content":`+js(ChatAnswer)+`},"done_reason":"stop","done":true,
 "total_duration":4883583458,"prompt_eval_count":26,"eval_count":10}`)(w, r)
	})
	mux.HandleFunc("POST /api/embed", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model string   `json:"model"`
			Input []string `json:"input"`
		}
		if !decode(w, r, &req) {
			return
		}
		Reply(http.StatusOK, jsonOf(map[string]any{"model": req.Model, "embeddings": vectors(len(req.Input))}))(w, r)
	})
}

func cohereRoutes(mux *http.ServeMux) {
	pages := map[string]string{
		"": `{"models":[{"name":"command-a-03-2025","endpoints":["generate","chat","summarize"],"finetuned":false,
 "context_length":256000,"tokenizer_url":"https://storage.googleapis.com/cohere-public/tokenizers/command-a-03-2025.json",
 "default_endpoints":["chat"]}],"next_page_token":"CgsKCWVtYmVkLXY0"}`,
		"CgsKCWVtYmVkLXY0": `{"models":[{"name":"embed-v4.0","endpoints":["embed","embed_image"],"finetuned":false,"context_length":128000,
 "default_endpoints":["embed"]},{"name":"rerank-v3.5","endpoints":["rerank"],"finetuned":false,"context_length":4096,
 "default_endpoints":["rerank"]}]}`,
	}
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages[r.URL.Query().Get("page_token")]
		if !ok {
			Reply(http.StatusBadRequest, `{"message":"invalid page token"}`)(w, r)
			return
		}
		Reply(http.StatusOK, page)(w, r)
	})
	mux.HandleFunc("POST /v2/chat", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Stream bool `json:"stream"`
		}
		if !decode(w, r, &req) {
			return
		}
		if req.Stream {
			chunks, first := cohereEvents()
			streamAnswer(w, r, "text/event-stream", chunks, first)
			return
		}
		Reply(http.StatusOK, `{"id":"c14c80c3-18eb-4519-9460-6c92edd8cfb4","finish_reason":"COMPLETE",
 "message":{"role":"assistant","content":[{"type":"text","text":`+js(ChatAnswer)+`}]},
 "usage":{"billed_units":{"input_tokens":5,"output_tokens":9},"tokens":{"input_tokens":71,"output_tokens":9}}}`)(w, r)
	})
	mux.HandleFunc("POST /v2/embed", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Texts []string `json:"texts"`
		}
		if !decode(w, r, &req) {
			return
		}
		Reply(http.StatusOK, jsonOf(map[string]any{"id": "da6e531f-54c6-4a73-bf92-f60566d8d753",
			"embeddings": map[string]any{"float": vectors(len(req.Texts))}, "texts": req.Texts,
			"response_type": "embeddings_by_type"}))(w, r)
	})
}

func voyageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/embeddings", embeddings(map[string]int{"total_tokens": 1}))
}

func elevenLabsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/models", Reply(http.StatusOK, `[
 {"model_id":"eleven_multilingual_v2","name":"Eleven Multilingual v2","can_be_finetuned":true,"can_do_text_to_speech":true,
  "can_do_voice_conversion":false,"description":"Our most life-like, emotionally rich mode in 29 languages."},
 {"model_id":"eleven_english_sts_v2","name":"Eleven English v2","can_be_finetuned":false,"can_do_text_to_speech":false,
  "can_do_voice_conversion":true,"description":"Our state-of-the-art speech to speech model suitable for scenarios where you need maximum control."}]`))
	mux.HandleFunc("POST /v1/text-to-speech/{voice}", func(w http.ResponseWriter, _ *http.Request) { audio(w) })
	mux.HandleFunc("POST /v1/speech-to-text", transcription(`{"language_code":"en","language_probability":0.98,"text":`+
		js(Transcript)+`,"words":[]}`))
}

func deepgramRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/projects", Reply(http.StatusOK,
		`{"projects":[{"project_id":"3c2b8a4e-5f61-4d2a-9b7c-0e1f2a3b4c5d","name":"Open Notebook"}]}`))
	mux.HandleFunc("GET /v1/models", Reply(http.StatusOK, `{"stt":[
 {"name":"nova-3","canonical_name":"nova-3","architecture":"base","languages":["en"],"version":"2024-12-20.0",
  "uuid":"67875a7f-c9c4-48a0-aa55-5bdb8a91c34a","batch":true,"streaming":true,"formatted_output":true}],
 "tts":[{"name":"thalia","canonical_name":"aura-2-thalia-en","architecture":"aura-2","languages":["en"],
  "version":"2025-04-07.0","uuid":"ecb76e9d-f2db-4127-8060-79b05590d22f"}]}`))
	mux.HandleFunc("POST /v1/speak", func(w http.ResponseWriter, _ *http.Request) { audio(w) })
	mux.HandleFunc("POST /v1/listen", Reply(http.StatusOK, `{"metadata":{"request_id":"a1b2c3d4","duration":1.2,"channels":1},
 "results":{"channels":[{"alternatives":[{"transcript":`+js(Transcript)+`,"confidence":0.99,"words":[]}]}]}}`))
}

// Service accounts the Vertex AI fake's token endpoint knows, by the local
// part of their client_email: the good one gets GoodKey as its access token,
// the forbidden one ForbiddenKey; any other is refused with invalid_grant,
// as Google refuses a deleted or disabled key.
const (
	GoodAccount      = "good"
	ForbiddenAccount = "forbidden"
)

// ServiceAccountKey is the private key of the service-account files the
// fakes write. It is generated once per test binary, as generating RSA keys
// is slow.
var ServiceAccountKey = sync.OnceValue(func() *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return key
})

// ServiceAccountFile writes a Google service-account key file for account
// (see GoodAccount) whose token_uri is the fake's token endpoint, and
// returns its path.
func (u *Upstream) ServiceAccountFile(t testing.TB, account string) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(ServiceAccountKey())
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string]string{
		"type": "service_account", "project_id": "my-project", "private_key_id": "5d1c0ffee0123456789abcdef",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": account + "@my-project.iam.gserviceaccount.com", "token_uri": u.URL + "/token",
	}
	path := filepath.Join(t.TempDir(), account+".json")
	if err := os.WriteFile(path, []byte(jsonOf(doc)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// grantToken is the OAuth2 token endpoint's JWT-bearer grant.
func grantToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		Reply(http.StatusBadRequest, `{"error":"unsupported_grant_type","error_description":"Invalid grant_type: "}`)(w, r)
		return
	}
	var claims struct {
		Iss string `json:"iss"`
	}
	parts := strings.Split(r.PostForm.Get("assertion"), ".")
	if len(parts) == 3 {
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		_ = json.Unmarshal(payload, &claims)
	}
	account, _, _ := strings.Cut(claims.Iss, "@")
	token := map[string]string{GoodAccount: GoodKey, ForbiddenAccount: ForbiddenKey}[account]
	if token == "" {
		Reply(http.StatusBadRequest, `{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`)(w, r)
		return
	}
	Reply(http.StatusOK, `{"access_token":`+js(token)+`,"expires_in":3599,"token_type":"Bearer"}`)(w, r)
}
