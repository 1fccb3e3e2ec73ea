package voyage

import (
	"context"
	"encoding/json"
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
			input := providertest.Texts(tt.inputs)
			vectors, err := family.NewClient(t, f).Embed(context.Background(), provider.EmbedRequest{Model: "voyage-3", Input: input})
			if err != nil {
				t.Fatal(err)
			}
			providertest.WantVectors(t, vectors, tt.inputs, 0.75)
			providertest.WantBatches(t, f.Requests(), input, tt.wantSizes, func(req providertest.Request, batch []string) {
				texts, _ := json.Marshal(batch)
				providertest.WantJSONRequest(t, req, "POST /embeddings", `{"input": `+string(texts)+`, "model": "voyage-3"}`)
				family.WantAuth(t, req)
			})
		})
	}
}

func TestEmbedRejectsAnIncompleteAnswer(t *testing.T) {
	embed := providertest.Embed("voyage-3", "a", "b")
	family.Malformed(t, []providertest.Unreadable{
		{Name: "a missing vector", Answer: `{"object": "list", "data": [{"object": "embedding", "embedding": [0.1], "index": 0}]}`, Call: embed},
		{Name: "a repeated index", Answer: `{"object": "list", "data": [{"embedding": [0.1], "index": 0}, {"embedding": [0.2], "index": 0}]}`, Call: embed},
	})
}

func TestProbeEmbedsOneWordWithTheCheapestModel(t *testing.T) {
	f := providertest.New(t, embedAnswer)
	probe, err := family.NewClient(t, f).Probe(context.Background())
	if err != nil || probe.Models != nil || probe.ListingUnsupported != 0 {
		t.Fatalf("Probe = %+v, %v; want nothing", probe, err)
	}
	family.WantJSONRequest(t, f, "POST /embeddings", `{"input": ["ping"], "model": "voyage-3-lite"}`)
}

func TestListModelsIsTheCatalogueWithoutACall(t *testing.T) {
	f := providertest.New(t, providertest.Reply(http.StatusInternalServerError, `{}`))
	c := New(provider.Config{Provider: "voyage", Settings: provider.Settings{BaseURL: f.URL}}, f.Client())
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
	family.Failures(t, []providertest.Call{providertest.Probe}, []providertest.Failure{
		{
			Name:   "a 401 is auth_failed with Voyage's detail",
			Answer: providertest.Reply(http.StatusUnauthorized, `{"detail": "Provided API key is invalid."}`),
			Status: provider.StatusAuthFailed, HTTPStatus: 401, Message: "Provided API key is invalid.",
		},
		{
			Name:   "a 403 is forbidden",
			Answer: providertest.Reply(http.StatusForbidden, `{"detail": "Your IP address is not allowed."}`),
			Status: provider.StatusForbidden, HTTPStatus: 403, Message: "not allowed",
		},
		{
			Name:   "a 404 is not_found",
			Answer: providertest.Reply(http.StatusNotFound, `{"detail": "Not Found"}`),
			Status: provider.StatusNotFound, HTTPStatus: 404, Message: "Not Found",
		},
		{
			Name: "a 429 is rate_limited and keeps Retry-After",
			Answer: providertest.Reply(http.StatusTooManyRequests, `{"detail": "You have not yet added your payment method in the billing page and will have reduced rate limits of 3 RPM and 10K TPM."}`,
				"Retry-After", "20"),
			Status: provider.StatusRateLimited, HTTPStatus: 429, Message: "reduced rate limits", RetryAfter: 20 * time.Second,
		},
		{
			Name:   "a 500 is an error",
			Answer: providertest.Reply(http.StatusInternalServerError, `{"detail": "Internal server error"}`),
			Status: provider.StatusError, HTTPStatus: 500, Message: "Internal server error",
		},
		{
			Name:   "a message that echoes the key is redacted",
			Answer: providertest.Reply(http.StatusUnauthorized, `{"detail": "Provided API key `+testKey+` is invalid."}`),
			Status: provider.StatusAuthFailed, HTTPStatus: 401, Message: "Provided API key [REDACTED] is invalid.",
		},
		{
			Name:   "an unreadable 200 is malformed",
			Answer: providertest.Reply(http.StatusOK, `{"data": [`),
			Status: provider.StatusError, Message: "could not be read",
		},
		providertest.SlowAnswer,
	})
}

func TestOnlyEmbeddingsAreSupported(t *testing.T) {
	family.Unsupported(t, providertest.Chat("voyage-3"), providertest.ChatStream("voyage-3"), providertest.Speak("voyage-3"), providertest.Transcribe("voyage-3"))
}
