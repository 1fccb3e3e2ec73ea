package vertex

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
)

const (
	resourcePath = "/v1/projects/my-project/locations/us-central1"
	modelsPath   = resourcePath + "/publishers/google/models/"
	chatAnswer   = `{"candidates": [{"content": {"role": "model", "parts": [{"text": "Hello!"}]}, "finishReason": "STOP",
		"avgLogprobs": -0.02}], "usageMetadata": {"promptTokenCount": 2, "candidatesTokenCount": 3, "totalTokenCount": 5},
		"modelVersion": "gemini-2.5-flash", "createTime": "2026-03-01T10:00:00.000000Z", "responseId": "x0l2aKq"}`
)

var hi = provider.ChatRequest{Model: "gemini-2.5-flash", Messages: []provider.Message{{Role: "user", Content: "Hi"}}}

func TestChatAuthenticatesWithAServiceAccountToken(t *testing.T) {
	f := newFake(t, providertest.Reply(http.StatusOK, chatAnswer))
	got, err := newClient(t, f.Server).Chat(context.Background(), hi)
	if err != nil {
		t.Fatal(err)
	}
	want := provider.ChatResponse{Content: "Hello!", Model: "gemini-2.5-flash", InputTokens: 2, OutputTokens: 3}
	if got != want {
		t.Errorf("Chat = %+v, want %+v", got, want)
	}
	reqs := f.Requests()
	if len(reqs) != 2 || reqs[0].Path != "/token" {
		t.Fatalf("requests = %+v, want a token request then the chat", reqs)
	}
	tok := reqs[0]
	if tok.Method != http.MethodPost || tok.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("token request = %s with %q", tok.Method, tok.Header.Get("Content-Type"))
	}
	if form := tokenForm(t, tok); form.Get("grant_type") != jwtBearerGrant || form.Get("assertion") == "" {
		t.Errorf("token form = %v", form)
	}
	chat := reqs[1]
	providertest.WantJSONRequest(t, chat, "POST "+modelsPath+"gemini-2.5-flash:generateContent", `{"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}`)
	wantBearer(t, chat)
}

func TestTokensAreReusedUntilTheyNearExpiry(t *testing.T) {
	tests := []struct {
		name       string
		expiresIn  int
		wantGrants int
	}{
		{"an hour-long token serves every call", 3599, 1},
		{"a token about to expire is renewed for each call", 30, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, providertest.Reply(http.StatusOK, chatAnswer))
			f.token = grantTokens(tt.expiresIn)
			c := newClient(t, f.Server)
			for range 3 {
				if _, err := c.Chat(context.Background(), hi); err != nil {
					t.Fatal(err)
				}
			}
			if n := len(tokenRequests(f.Server)); n != tt.wantGrants {
				t.Errorf("%d token requests, want %d", n, tt.wantGrants)
			}
			for _, req := range apiRequests(f.Server) {
				wantBearer(t, req)
			}
		})
	}
}

// predictAnswer answers :predict with one embedding per instance whose
// first value is the number in the instance's content ("t7" → 7).
func predictAnswer(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Instances []struct {
			Content string `json:"content"`
		} `json:"instances"`
	}
	json.NewDecoder(r.Body).Decode(&body)
	var preds []string
	for _, in := range body.Instances {
		preds = append(preds, fmt.Sprintf(`{"embeddings": {"statistics": {"truncated": false, "token_count": 2},
			"values": [%s, -0.25]}}`, strings.TrimPrefix(in.Content, "t")))
	}
	providertest.Reply(http.StatusOK, `{"predictions": [`+strings.Join(preds, ",")+`], "metadata": {"billableCharacterCount": 9}}`)(w, r)
}

func TestEmbed(t *testing.T) {
	tests := []struct {
		name      string
		model     string
		inputs    int
		wantSizes []int
	}{
		{"text-embedding models take texts in batches", "text-embedding-005", 20, []int{16, 4}},
		{"gemini-embedding models take one text per request", "gemini-embedding-001", 3, []int{1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, predictAnswer)
			input := providertest.Texts(tt.inputs)
			vectors, err := newClient(t, f.Server).Embed(context.Background(), provider.EmbedRequest{Model: tt.model, Input: input})
			if err != nil {
				t.Fatal(err)
			}
			providertest.WantVectors(t, vectors, tt.inputs, -0.25)
			providertest.WantBatches(t, apiRequests(f.Server), input, tt.wantSizes, func(req providertest.Request, batch []string) {
				var instances []string
				for _, text := range batch {
					instances = append(instances, `{"content": "`+text+`"}`)
				}
				providertest.WantJSONRequest(t, req, "POST "+modelsPath+tt.model+":predict", `{"instances": [`+strings.Join(instances, ",")+`]}`)
				wantBearer(t, req)
			})
		})
	}
}

func TestProbeReadsTheProjectsModelsInTheLocation(t *testing.T) {
	f := newFake(t, providertest.Reply(http.StatusOK, `{}`))
	probe, err := newClient(t, f.Server).Probe(context.Background())
	if err != nil || probe.Models != nil || probe.ListingUnsupported != 0 {
		t.Fatalf("Probe = %+v, %v; want nothing", probe, err)
	}
	reqs := apiRequests(f.Server)
	if len(reqs) != 1 {
		t.Fatalf("%d requests to Vertex AI, want 1", len(reqs))
	}
	providertest.WantRequest(t, reqs[0], "GET "+resourcePath+"/models?pageSize=1")
	wantBearer(t, reqs[0])
}

func TestListModelsIsTheStaticListWithoutACall(t *testing.T) {
	f := newFake(t, providertest.Reply(http.StatusInternalServerError, `{}`))
	models, err := New(provider.Config{Provider: "vertex"}, f.Client()).ListModels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []provider.Model{
		{Name: "gemini-3.5-flash", Provider: "vertex", Type: provider.TypeLanguage},
		{Name: "gemini-2.5-flash", Provider: "vertex", Type: provider.TypeLanguage},
		{Name: "gemini-2.5-flash-lite", Provider: "vertex", Type: provider.TypeLanguage},
		{Name: "text-embedding-005", Provider: "vertex", Type: provider.TypeEmbedding},
	}
	if !reflect.DeepEqual(models, want) {
		t.Errorf("models = %+v\nwant %+v", models, want)
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("%d requests were sent", n)
	}
}

func TestAnIncompleteConfigurationFailsBeforeAnyCall(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*provider.Config)
		message string
	}{
		{"a missing project", func(c *provider.Config) { c.Project = " " }, "no Google Cloud project is configured"},
		{"a missing location", func(c *provider.Config) { c.Location = "" }, "no Vertex AI location is configured"},
		{"a location that is not a region name", func(c *provider.Config) { c.Location = "evil.example/x#" },
			"must be a Vertex AI region name"},
		{"no credentials file", func(c *provider.Config) { c.CredentialsPath = "" }, "no service-account credentials file is configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, providertest.Reply(http.StatusOK, `{}`))
			cfg := provider.Config{Provider: "vertex", Settings: provider.Settings{Project: "my-project", Location: "us-central1", BaseURL: f.URL, CredentialsPath: writeKeyFile(t, f.URL+"/token")}}
			tt.change(&cfg)
			c := New(cfg, f.Client())
			_, err := c.Probe(context.Background())
			family.WantError(t, err, provider.StatusError, 0, tt.message)
			_, err = c.Chat(context.Background(), hi)
			family.WantError(t, err, provider.StatusError, 0, tt.message)
			_, err = c.ChatStream(context.Background(), hi, nil)
			family.WantError(t, err, provider.StatusError, 0, tt.message)
			if n := len(f.Requests()); n != 0 {
				t.Errorf("%d requests were sent", n)
			}
		})
	}
}

func TestEveryBadCredentialsFileGivesTheSameMessageWithoutThePath(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
	}{
		{"a missing file", filepath.Join(dir, "secret-dir", "missing.json")},
		{"a directory", dir},
		{"invalid JSON", writeFile(t, "bad.json", `{"type": "service_account",`)},
		{"a JSON array", writeFile(t, "array.json", `[1, 2]`)},
		{"user credentials instead of a service account", writeFile(t, "user.json",
			`{"type": "authorized_user", "client_id": "x.apps.googleusercontent.com", "client_secret": "s", "refresh_token": "r"}`)},
		{"a service account without its key", writeFile(t, "nokey.json",
			`{"type": "service_account", "client_email": "a@b.iam.gserviceaccount.com", "private_key": ""}`)},
		{"a key that is not PEM", writeFile(t, "garbage.json",
			`{"type": "service_account", "client_email": "a@b.iam.gserviceaccount.com", "private_key": "MIIEvAIBADANBg"}`)},
		{"a token_uri that is not a URL", writeFile(t, "uri.json", strings.Replace(
			mustRead(t, writeKeyFile(t, "https://oauth2.googleapis.com/token")), "https://oauth2.googleapis.com/token", "file:///etc/passwd", 1))},
	}
	var messages []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, providertest.Reply(http.StatusOK, `{}`))
			c := New(provider.Config{Provider: "vertex", Settings: provider.Settings{Project: "my-project", Location: "us-central1", BaseURL: f.URL, CredentialsPath: tt.path}}, f.Client())
			_, err := c.Probe(context.Background())
			pe := family.WantError(t, err, provider.StatusError, 0, credentialsFileMessage)
			if pe.Message != "Invalid or inaccessible credentials file" {
				t.Errorf("message = %q", pe.Message)
			}
			if !errors.Is(err, ErrCredentialsFile) {
				t.Error("the error does not wrap ErrCredentialsFile")
			}
			for e := error(err); e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), dir) || strings.Contains(e.Error(), filepath.Base(tt.path)) {
					t.Errorf("the error chain names the path: %q", e.Error())
				}
			}
			if n := len(f.Requests()); n != 0 {
				t.Errorf("%d requests were sent", n)
			}
			messages = append(messages, err.Error())
		})
	}
	for _, m := range messages[1:] {
		if m != messages[0] {
			t.Errorf("errors differ: %q and %q", m, messages[0])
		}
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTokenEndpointFailuresAreNotFileErrors(t *testing.T) {
	tests := []struct {
		name       string
		token      http.HandlerFunc
		status     provider.Status
		httpStatus int
		message    string
		retryAfter time.Duration
	}{
		{
			name:   "a revoked key is auth_failed",
			token:  providertest.Reply(http.StatusBadRequest, `{"error": "invalid_grant", "error_description": "Invalid JWT Signature."}`),
			status: provider.StatusAuthFailed, httpStatus: 400, message: "refused the service account: invalid_grant: Invalid JWT Signature.",
		},
		{
			name:   "a throttled token endpoint is rate_limited",
			token:  providertest.Reply(http.StatusTooManyRequests, `{"error": "rate_limit_exceeded", "error_description": "Rate limit exceeded."}`, "Retry-After", "3"),
			status: provider.StatusRateLimited, httpStatus: 429, message: "Rate limit exceeded.", retryAfter: 3 * time.Second,
		},
		{
			name:   "a failing token endpoint is an error",
			token:  providertest.Reply(http.StatusInternalServerError, `{"error": "internal_failure", "error_description": "Backend Error"}`),
			status: provider.StatusError, httpStatus: 500, message: "internal_failure: Backend Error",
		},
		{
			name:   "a token answer without a token is malformed",
			token:  providertest.Reply(http.StatusOK, `{"token_type": "Bearer"}`),
			status: provider.StatusError, message: "could not be read",
		},
		{
			name:   "a slow token endpoint is a timeout",
			token:  providertest.Stall,
			status: provider.StatusTimeout, message: "did not answer in time",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, providertest.Reply(http.StatusOK, `{}`))
			f.token = tt.token
			ctx, cancel := context.WithTimeout(context.Background(), providertest.Deadline(tt.status))
			defer cancel()
			_, err := newClient(t, f.Server).Probe(ctx)
			pe := family.WantError(t, err, tt.status, tt.httpStatus, tt.message)
			if pe.RetryAfter != tt.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", pe.RetryAfter, tt.retryAfter)
			}
			if errors.Is(err, ErrCredentialsFile) {
				t.Error("a token endpoint failure was reported as a file error")
			}
			if n := len(apiRequests(f.Server)); n != 0 {
				t.Errorf("%d requests reached Vertex AI without a token", n)
			}
		})
	}
}

func TestAnUnreachableTokenEndpointIsUnreachable(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	f := newFake(t, providertest.Reply(http.StatusOK, `{}`))
	c := New(provider.Config{Provider: "vertex", Settings: provider.Settings{Project: "my-project", Location: "us-central1", BaseURL: f.URL, CredentialsPath: writeKeyFile(t, down.URL+"/token")}}, f.Client())
	_, err := c.Probe(context.Background())
	family.WantError(t, err, provider.StatusUnreachable, 0, "could not connect")
	if errors.Is(err, ErrCredentialsFile) {
		t.Error("a network failure was reported as a file error")
	}
}

func TestVertexErrorsAreClassified(t *testing.T) {
	calls := []providertest.Call{providertest.Probe, providertest.Chat("gemini-2.5-flash"), providertest.ChatStream("gemini-2.5-flash"),
		providertest.Embed("text-embedding-005", "x")}
	family.Failures(t, calls, []providertest.Failure{
		{
			Name: "a 401 is auth_failed",
			Answer: providertest.Reply(http.StatusUnauthorized, `{"error": {"code": 401, "message": "Request had invalid authentication credentials. Expected OAuth 2 access token.",
				"status": "UNAUTHENTICATED"}}`),
			Status: provider.StatusAuthFailed, HTTPStatus: 401, Message: "invalid authentication credentials",
		},
		{
			Name: "a disabled API is forbidden",
			Answer: providertest.Reply(http.StatusForbidden, `{"error": {"code": 403, "message": "Vertex AI API has not been used in project my-project before or it is disabled.",
				"status": "PERMISSION_DENIED", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED"}]}}`),
			Status: provider.StatusForbidden, HTTPStatus: 403, Message: "has not been used in project my-project",
		},
		{
			Name: "a 404 is not_found",
			Answer: providertest.Reply(http.StatusNotFound, `{"error": {"code": 404, "message": "Publisher Model was not found or your project does not have access to it.",
				"status": "NOT_FOUND"}}`),
			Status: provider.StatusNotFound, HTTPStatus: 404, Message: "Publisher Model was not found",
		},
		{
			Name: "a 429 is rate_limited and keeps Retry-After",
			Answer: providertest.Reply(http.StatusTooManyRequests, `{"error": {"code": 429, "message": "Resource exhausted. Please try again later.",
				"status": "RESOURCE_EXHAUSTED"}}`, "Retry-After", "30"),
			Status: provider.StatusRateLimited, HTTPStatus: 429, Message: "Resource exhausted", RetryAfter: 30 * time.Second,
		},
		{
			Name:   "a 500 is an error",
			Answer: providertest.Reply(http.StatusInternalServerError, `{"error": {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL"}}`),
			Status: provider.StatusError, HTTPStatus: 500, Message: "Internal error encountered.",
		},
		{
			Name:   "a message that echoes the token is redacted",
			Answer: providertest.Reply(http.StatusBadRequest, `{"error": {"code": 400, "message": "bad token `+accessToken+`", "status": "INVALID_ARGUMENT"}}`),
			Status: provider.StatusError, HTTPStatus: 400, Message: "bad token [REDACTED]",
		},
		{
			Name:   "an unreadable 200 is malformed",
			Answer: providertest.Reply(http.StatusOK, `{"predictions": [`),
			Status: provider.StatusError, Message: "could not be read",
		},
		providertest.SlowAnswer,
	})
}

func TestSpeakUsesGeminiTTSAndTranscribeIsUnsupported(t *testing.T) {
	f := newFake(t, providertest.Reply(http.StatusOK, `{"candidates": [{"content": {"role": "model", "parts": [{"inlineData": {
		"mimeType": "audio/L16;codec=pcm;rate=24000", "data": "AAEAAQ=="}}]}}]}`))
	c := newClient(t, f.Server)
	speech, err := c.Speak(context.Background(), provider.SpeechRequest{Model: "gemini-2.5-flash-preview-tts", Text: "Hi"})
	if err != nil {
		t.Fatal(err)
	}
	if speech.ContentType != "audio/wav" || len(speech.Audio) != 44+4 {
		t.Errorf("speech = %s, %d bytes", speech.ContentType, len(speech.Audio))
	}
	reqs := apiRequests(f.Server)
	if len(reqs) != 1 || reqs[0].Path != modelsPath+"gemini-2.5-flash-preview-tts:generateContent" {
		t.Fatalf("requests = %+v", reqs)
	}
	providertest.WantJSON(t, reqs[0].Body, `{"contents": [{"role": "user", "parts": [{"text": "Hi"}]}], "generationConfig": {
		"responseModalities": ["AUDIO"], "speechConfig": {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Kore"}}}}}`)
	if _, err := c.Transcribe(context.Background(), provider.TranscriptionRequest{Model: "x"}); !errors.Is(err, provider.ErrUnsupported) {
		t.Errorf("Transcribe err = %v, want ErrUnsupported", err)
	}
}

func TestRegionalEndpoints(t *testing.T) {
	tests := []struct {
		name     string
		location string
		want     string
	}{
		{"a region has its own host", "europe-west4", "https://europe-west4-aiplatform.googleapis.com/v1/projects/p/locations/europe-west4"},
		{"the global location has the bare host", "global", "https://aiplatform.googleapis.com/v1/projects/p/locations/global"},
		{"a location typed in capitals is lowered", " US-East5 ", "https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := New(provider.Config{Settings: provider.Settings{Project: "p", Location: tt.location}}, http.DefaultClient).resource; got != tt.want {
				t.Errorf("resource = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestConcurrentFirstCallsShareOneToken(t *testing.T) {
	f := newFake(t, providertest.Reply(http.StatusOK, chatAnswer))
	c := newClient(t, f.Server)
	errs := make(chan error, 8)
	for range cap(errs) {
		go func() {
			_, err := c.Chat(context.Background(), hi)
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := len(tokenRequests(f.Server)); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
}
