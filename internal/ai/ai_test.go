package ai_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/ai"
	"github.com/open-notebook/open-notebook/internal/app"
	"github.com/open-notebook/open-notebook/internal/app/apptest"
	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/credential"
	"github.com/open-notebook/open-notebook/internal/model"
	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/store"
)

// harness is the AI layer over a real database, a real vault and the
// guarded client, with an environment the test controls.
type harness struct {
	t      testing.TB
	db     *store.DB
	creds  *credential.Service
	models *model.Service
	ai     *ai.Service
	env    map[string]string
}

func newHarness(t testing.TB, engine store.Engine, timeouts ai.Timeouts) *harness {
	t.Helper()
	h := &harness{t: t, env: map[string]string{}}
	lookup := func(k string) (string, bool) { v, ok := h.env[k]; return v, ok }
	a := apptest.Open(t, engine, nil, app.Options{Env: lookup, AITimeouts: timeouts})
	h.db, h.creds, h.models, h.ai = a.DB, a.Credentials, a.Models, a.AI
	return h
}

// credential stores a credential and returns its id.
func (h *harness) credential(in credential.Input) string {
	h.t.Helper()
	if in.Name == "" {
		in.Name = in.Provider + " test"
	}
	c, err := h.creds.Create(h.t.Context(), in)
	if err != nil {
		h.t.Fatalf("create %s credential: %v", in.Provider, err)
	}
	return c.ID
}

func (h *harness) model(name, providerName, typ, credentialID string) string {
	h.t.Helper()
	m, err := h.models.Create(h.t.Context(), model.NewInput{Name: name, Provider: providerName, Type: typ, CredentialID: credentialID})
	if err != nil {
		h.t.Fatal(err)
	}
	return m.ID
}

func TestCallsUseTheModelsCredentialThenTheProvidersFirstThenTheEnvironment(t *testing.T) {
	h := newHarness(t, store.SQLite, ai.Timeouts{})
	ctx := t.Context()
	// One fake per source, so the request shows which configuration was used.
	upFirst := providertest.NewUpstream(t, provider.FamilyOpenAI)
	upSecond := providertest.NewUpstream(t, provider.FamilyOpenAI)
	upEnv := providertest.NewUpstream(t, provider.FamilyOpenAI)
	first := h.credential(credential.Input{Provider: "openai", APIKey: providertest.GoodKey, Settings: provider.Settings{BaseURL: upFirst.BaseURL("")}})
	second := h.credential(credential.Input{Provider: "openai", APIKey: providertest.GoodKey, Settings: provider.Settings{BaseURL: upSecond.BaseURL("")}})
	linked := h.model("gpt-4o-mini", "openai", provider.TypeLanguage, second)
	unlinked := h.model("gpt-4o", "openai", provider.TypeLanguage, "")

	// reached chats with the model and returns the fake that answered.
	reached := func(t *testing.T, id string) (*providertest.Upstream, error) {
		t.Helper()
		for _, up := range []*providertest.Upstream{upFirst, upSecond, upEnv} {
			up.Reset()
		}
		resp, err := h.ai.Chat(ctx, ai.ModelID(id), provider.ChatRequest{Messages: []provider.Message{{Role: "user", Content: "Hi"}}})
		if err != nil {
			return nil, err
		}
		if resp.Content != providertest.ChatAnswer {
			t.Fatalf("answer %q", resp.Content)
		}
		for _, up := range []*providertest.Upstream{upFirst, upSecond, upEnv} {
			if reqs := up.Requests(); len(reqs) > 0 {
				if got := reqs[0].Header.Get("Authorization"); got != "Bearer "+providertest.GoodKey {
					t.Fatalf("Authorization = %q", got)
				}
				return up, nil
			}
		}
		t.Fatal("no fake was called")
		return nil, nil
	}

	if up, err := reached(t, linked); err != nil || up != upSecond {
		t.Fatalf("a linked model uses its own credential: %v", err)
	}
	if up, err := reached(t, unlinked); err != nil || up != upFirst {
		t.Fatalf("an unlinked model uses the provider's first credential: %v", err)
	}
	t.Run("a credential no key opens is skipped", func(t *testing.T) {
		// The first credential now holds a key sealed under a key this
		// deployment does not have.
		if _, err := h.db.ReplaceKey(ctx, first, mustSealed(t, h, first), "onb1:k-elsewhere:AAAA"); err != nil {
			t.Fatal(err)
		}
		if up, err := reached(t, unlinked); err != nil || up != upSecond {
			t.Fatalf("%v", err)
		}
		_, err := reached(t, h.model("o3", "openai", provider.TypeLanguage, first))
		if e, ok := apperr.As(err); !ok || e.Code != apperr.Locked {
			t.Fatalf("a model linked to it is refused rather than served with another key: %v", err)
		}
	})
	t.Run("with no usable credential the environment configures the provider", func(t *testing.T) {
		if _, err := h.creds.Delete(ctx, second, ""); err != nil {
			t.Fatal(err)
		}
		_, err := reached(t, unlinked)
		if e, ok := apperr.As(err); !ok || e.Code != apperr.Locked {
			t.Fatalf("with only an undecryptable credential, its error is reported: %v", err)
		}
		if _, err := h.creds.Delete(ctx, first, ""); err != nil {
			t.Fatal(err)
		}
		_, err = reached(t, unlinked)
		if e, ok := apperr.As(err); !ok || e.Code != apperr.Unprocessable ||
			e.Message != "No credential is configured for OpenAI: add one in Settings -> API Keys, or set OPENAI_API_KEY." {
			t.Fatalf("with nothing configured: %v", err)
		}
		h.env["OPENAI_API_KEY"] = providertest.GoodKey
		h.env["OPENAI_API_BASE"] = upEnv.BaseURL("")
		if up, err := reached(t, unlinked); err != nil || up != upEnv {
			t.Fatalf("%v", err)
		}
		for _, kv := range os.Environ() {
			if strings.Contains(kv, providertest.GoodKey) {
				t.Fatalf("a provider key was written to the process environment: %s", kv)
			}
		}
	})
}

// mustSealed returns the sealed key stored for a credential.
func mustSealed(t *testing.T, h *harness, id string) string {
	t.Helper()
	sealed, err := h.db.SealedKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sealed {
		if s.ID == id {
			return s.Value
		}
	}
	t.Fatalf("no key stored for %s", id)
	return ""
}

func TestCallsByDefaultSlot(t *testing.T) {
	h := newHarness(t, store.SQLite, ai.Timeouts{})
	up := providertest.NewUpstream(t, provider.FamilyOpenAI)
	ctx := t.Context()
	cred := h.credential(credential.Input{Provider: "openai", APIKey: providertest.GoodKey, Settings: provider.Settings{BaseURL: up.BaseURL("")}})
	chatModel := h.model("gpt-4o-mini", "openai", provider.TypeLanguage, cred)
	embedModel := h.model("text-embedding-3-small", "openai", provider.TypeEmbedding, cred)
	if _, err := h.models.UpdateDefaults(ctx, map[string]string{
		"default_chat_model": chatModel, "default_embedding_model": embedModel}); err != nil {
		t.Fatal(err)
	}

	for _, slot := range []string{"chat", "transformation", "tools", "large_context", "default_tools_model"} {
		up.Reset()
		if _, err := h.ai.Chat(ctx, ai.Slot(slot), provider.ChatRequest{Messages: []provider.Message{{Role: "user", Content: "Hi"}}}); err != nil {
			t.Fatalf("%s: %v", slot, err)
		}
		if body := string(up.Only(t).Body); !strings.Contains(body, `"model":"gpt-4o-mini"`) {
			t.Fatalf("%s falls back to the chat model: %s", slot, body)
		}
	}
	if m, err := h.ai.Model(ctx, ai.Slot("tools"), provider.TypeLanguage); err != nil || m.ID != chatModel {
		t.Fatalf("the tools slot resolves to the chat model: %v, %v", m, err)
	}
	vectors, err := h.ai.Embed(ctx, ai.Slot("embedding"), []string{"a", "b"})
	if err != nil || len(vectors) != 2 || len(vectors[0]) != providertest.EmbeddingDims {
		t.Fatalf("embed: %v, %v", vectors, err)
	}

	refusals := []struct {
		name string
		call func() error
		want string
	}{
		{"an empty slot without a fallback", func() error {
			_, err := h.ai.Speak(ctx, ai.Slot("text_to_speech"), provider.SpeechRequest{Text: "hi"})
			return err
		}, "No model configured for text_to_speech. Please go to Settings → Models and configure a default model for 'text_to_speech'."},
		{"a model of the wrong type", func() error {
			_, err := h.ai.Embed(ctx, ai.Slot("chat"), []string{"x"})
			return err
		}, "is a language model, not a embedding model"},
		{"a model that does not exist", func() error {
			_, err := h.ai.Transcribe(ctx, ai.ModelID("model:gone"), provider.TranscriptionRequest{Audio: []byte("x")})
			return err
		}, "Model with ID model:gone not found"},
	}
	for _, tc := range refusals {
		t.Run(tc.name+" is unprocessable", func(t *testing.T) {
			err := tc.call()
			if e, ok := apperr.As(err); !ok || e.Code != apperr.Unprocessable || !strings.Contains(e.Message, tc.want) {
				t.Fatalf("err = %v, want Unprocessable containing %q", err, tc.want)
			}
		})
	}
}

func TestProviderFailuresDuringCallsAreNeverTheAppsOwnStatuses(t *testing.T) {
	h := newHarness(t, store.SQLite, ai.Timeouts{})
	up := providertest.NewUpstream(t, provider.FamilyOpenAI)
	const badKey = "sk-revoked-LEAKCANARY-0000"
	cases := []struct {
		name, key, base string
		code            apperr.Code
		want            string
		retryAfter      time.Duration
	}{
		{"a rejected key is a bad gateway, not a 401", badKey, up.BaseURL(""), apperr.Upstream,
			"Chat failed: OpenAI rejected the API key (HTTP 401): Incorrect API key provided: [REDACTED]", 0},
		{"a key without permission is a bad gateway, not a 403", providertest.ForbiddenKey, up.BaseURL(""), apperr.Upstream,
			"Chat failed: OpenAI refused access: the API key lacks a permission (HTTP 403)", 0},
		{"a rate limit keeps the provider's Retry-After", providertest.GoodKey, up.BaseURL(providertest.FailRateLimited),
			apperr.RateLimited, "Chat failed: OpenAI is rate limiting requests (HTTP 429)", providertest.RetryAfter * time.Second},
		{"a provider error is a bad gateway", providertest.GoodKey, up.BaseURL(providertest.FailServerError), apperr.Upstream,
			"OpenAI failed (HTTP 500): The server had an error", 0},
		{"a redirect to the metadata address is blocked", providertest.GoodKey, up.BaseURL(providertest.FailRedirect),
			apperr.Upstream, "OpenAI is at an address the egress policy blocks", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cred := h.credential(credential.Input{Name: tc.name, Provider: "openai", APIKey: tc.key, Settings: provider.Settings{BaseURL: tc.base}})
			id := h.model("gpt-4o-"+strings.ReplaceAll(tc.name, " ", "-"), "openai", provider.TypeLanguage, cred)
			_, err := h.ai.Chat(t.Context(), ai.ModelID(id), provider.ChatRequest{Messages: []provider.Message{{Role: "user", Content: "Hi"}}})
			e, ok := apperr.As(err)
			if !ok || e.Code != tc.code || !strings.Contains(e.Message, tc.want) || e.RetryAfter != tc.retryAfter {
				t.Fatalf("err = %#v, want code %d containing %q, retry after %s", err, tc.code, tc.want, tc.retryAfter)
			}
			if strings.Contains(err.Error(), tc.key) {
				t.Fatalf("the key leaked: %v", err)
			}
			var pe *provider.Error
			if !errors.As(err, &pe) {
				t.Fatalf("the provider error is kept as the cause: %v", err)
			}
		})
	}
}
