package voyage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
)

// embedAnswer answers /embeddings like Voyage, but with the data in reverse
// order, so the test proves the client orders vectors by index. A vector's
// first value is the number in its text ("t7" → 7), else 0.
func embedAnswer(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Input []string `json:"input"`
		Model string   `json:"model"`
	}
	json.NewDecoder(r.Body).Decode(&body)
	var data []string
	for i := len(body.Input) - 1; i >= 0; i-- {
		n, _ := strconv.Atoi(strings.TrimPrefix(body.Input[i], "t"))
		data = append(data, fmt.Sprintf(`{"object": "embedding", "embedding": [%d, 0.75], "index": %d}`, n, i))
	}
	providertest.Reply(http.StatusOK, `{"object": "list", "data": [`+strings.Join(data, ",")+`], "model": "`+body.Model+`",
		"usage": {"total_tokens": `+fmt.Sprint(len(body.Input))+`}}`)(w, r)
}

func TestEmbed(t *testing.T) {
	tests := []struct {
		name      string
		inputs    int
		wantSizes []int
	}{
		{"a few texts go in one request and come back in input order", 3, []int{3}},
		{"more texts than a batch holds are split", 70, []int{64, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, embedAnswer)
			var input []string
			for i := range tt.inputs {
				input = append(input, fmt.Sprintf("t%d", i))
			}
			vectors, err := newClient(f).Embed(context.Background(), provider.EmbedRequest{Model: "voyage-3", Input: input})
			if err != nil {
				t.Fatal(err)
			}
			if len(vectors) != tt.inputs {
				t.Fatalf("%d vectors for %d inputs", len(vectors), tt.inputs)
			}
			for i, v := range vectors {
				if len(v) != 2 || v[0] != float64(i) || v[1] != 0.75 {
					t.Fatalf("vector %d = %v", i, v)
				}
			}
			reqs := f.Requests()
			if len(reqs) != len(tt.wantSizes) {
				t.Fatalf("%d requests, want %d", len(reqs), len(tt.wantSizes))
			}
			first := 0
			for i, req := range reqs {
				if req.Method != http.MethodPost || req.Path != "/embeddings" {
					t.Errorf("request %d = %s %s", i, req.Method, req.Path)
				}
				wantAuth(t, req)
				texts, _ := json.Marshal(input[first : first+tt.wantSizes[i]])
				providertest.WantJSON(t, req.Body, `{"input": `+string(texts)+`, "model": "voyage-3"}`)
				first += tt.wantSizes[i]
			}
		})
	}
}

func TestEmbedRejectsAnIncompleteAnswer(t *testing.T) {
	tests := []struct {
		name   string
		answer string
	}{
		{"a missing vector", `{"object": "list", "data": [{"object": "embedding", "embedding": [0.1], "index": 0}]}`},
		{"a repeated index", `{"object": "list", "data": [{"embedding": [0.1], "index": 0}, {"embedding": [0.2], "index": 0}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, providertest.Reply(http.StatusOK, tt.answer))
			_, err := newClient(f).Embed(context.Background(), provider.EmbedRequest{Model: "voyage-3", Input: []string{"a", "b"}})
			wantProviderError(t, err, provider.StatusError, 0, "could not be read")
		})
	}
}

func TestProbeEmbedsOneWordWithTheCheapestModel(t *testing.T) {
	f := providertest.New(t, embedAnswer)
	models, err := newClient(f).Probe(context.Background())
	if err != nil || models != nil {
		t.Fatalf("Probe = %v, %v; want nil, nil", models, err)
	}
	req := f.Only(t)
	if req.Method != http.MethodPost || req.Path != "/embeddings" {
		t.Errorf("probe = %s %s", req.Method, req.Path)
	}
	wantAuth(t, req)
	providertest.WantJSON(t, req.Body, `{"input": ["ping"], "model": "voyage-3-lite"}`)
}

func TestListModelsIsTheCatalogueWithoutACall(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusInternalServerError, `{}`))
	c := New(provider.Config{Provider: "voyage", BaseURL: f.URL}, f.Client())
	models, err := c.ListModels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var want []provider.Model
	for _, name := range []string{"voyage-3", "voyage-3-lite", "voyage-code-3", "voyage-finance-2", "voyage-law-2", "voyage-multilingual-2"} {
		want = append(want, provider.Model{Name: name, Provider: "voyage", Type: provider.TypeEmbedding})
	}
	if !reflect.DeepEqual(models, want) {
		t.Errorf("models = %+v\nwant %+v", models, want)
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("%d requests were sent", n)
	}
}

func TestErrorsAreClassified(t *testing.T) {
	tests := []struct {
		name       string
		answer     http.HandlerFunc
		status     provider.Status
		httpStatus int
		message    string
		retryAfter time.Duration
	}{
		{
			name:   "a 401 is auth_failed with Voyage's detail",
			answer: providertest.Reply(http.StatusUnauthorized, `{"detail": "Provided API key is invalid."}`),
			status: provider.StatusAuthFailed, httpStatus: 401, message: "Provided API key is invalid.",
		},
		{
			name:   "a 403 is forbidden",
			answer: providertest.Reply(http.StatusForbidden, `{"detail": "Your IP address is not allowed."}`),
			status: provider.StatusForbidden, httpStatus: 403, message: "not allowed",
		},
		{
			name:   "a 404 is not_found",
			answer: providertest.Reply(http.StatusNotFound, `{"detail": "Not Found"}`),
			status: provider.StatusNotFound, httpStatus: 404, message: "Not Found",
		},
		{
			name: "a 429 is rate_limited and keeps Retry-After",
			answer: providertest.Reply(http.StatusTooManyRequests, `{"detail": "You have not yet added your payment method in the billing page and will have reduced rate limits of 3 RPM and 10K TPM."}`,
				"Retry-After", "20"),
			status: provider.StatusRateLimited, httpStatus: 429, message: "reduced rate limits", retryAfter: 20 * time.Second,
		},
		{
			name:   "a 500 is an error",
			answer: providertest.Reply(http.StatusInternalServerError, `{"detail": "Internal server error"}`),
			status: provider.StatusError, httpStatus: 500, message: "Internal server error",
		},
		{
			name:   "a message that echoes the key is redacted",
			answer: providertest.Reply(http.StatusUnauthorized, `{"detail": "Provided API key `+testKey+` is invalid."}`),
			status: provider.StatusAuthFailed, httpStatus: 401, message: "Provided API key [REDACTED] is invalid.",
		},
		{
			name:   "an unreadable 200 is malformed",
			answer: providertest.Reply(http.StatusOK, `{"data": [`),
			status: provider.StatusError, message: "could not be read",
		},
		{
			name:   "an answer slower than the deadline is a timeout",
			answer: providertest.Stall,
			status: provider.StatusTimeout, message: "did not answer in time",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, tt.answer)
			ctx, cancel := context.WithTimeout(context.Background(), providertest.Deadline(tt.status))
			defer cancel()
			_, err := newClient(f).Probe(ctx)
			pe := wantProviderError(t, err, tt.status, tt.httpStatus, tt.message)
			if pe.RetryAfter != tt.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", pe.RetryAfter, tt.retryAfter)
			}
			wantAuth(t, f.Only(t))
		})
	}
}

func TestTheDefaultBaseIsVoyagesV1(t *testing.T) {
	if got := New(provider.Config{}, http.DefaultClient).base; got != "https://api.voyageai.com/v1" {
		t.Errorf("base = %q", got)
	}
}

func TestOnlyEmbeddingsAreSupported(t *testing.T) {
	c := New(provider.Config{Provider: "voyage"}, http.DefaultClient)
	_, chatErr := c.Chat(context.Background(), provider.ChatRequest{})
	_, speakErr := c.Speak(context.Background(), provider.SpeechRequest{})
	_, transcribeErr := c.Transcribe(context.Background(), provider.TranscriptionRequest{})
	for _, err := range []error{chatErr, speakErr, transcribeErr} {
		if !errors.Is(err, provider.ErrUnsupported) {
			t.Errorf("err = %v, want ErrUnsupported", err)
		}
	}
}
