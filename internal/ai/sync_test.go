package ai_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/ai"
	"github.com/open-notebook/open-notebook/internal/credential"
	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// upstreamDelay is how long every fake provider takes to answer in the
// sync benchmark: syncing 22 providers one after the other would take over
// 6 s.
const upstreamDelay = 300 * time.Millisecond

// concurrentListings is how many model listings must be in flight at once
// before any is answered in the concurrency test: more than half of the 22
// providers (a few answer from a fixed list and call nothing).
const concurrentListings = 12

// configureAll gives every one of the 22 providers a credential pointing at
// a fake of its family (configured by opts); hung names providers whose
// fake never answers.
func configureAll(t testing.TB, h *harness, opts []providertest.Option, hung ...string) {
	t.Helper()
	ups := map[string]*providertest.Upstream{}
	for _, spec := range provider.Providers() {
		up, ok := ups[spec.Family]
		if !ok {
			up = providertest.NewUpstream(t, spec.Family, opts...)
			ups[spec.Family] = up
		}
		failure := ""
		for _, p := range hung {
			if p == spec.Name {
				failure = providertest.FailSlow
			}
		}
		in := credential.Input{Provider: spec.Name, APIKey: providertest.GoodKey, Settings: provider.Settings{BaseURL: up.BaseURL(failure)}}
		if spec.Name == "vertex" {
			in.Project, in.Location = "my-project", "us-central1"
			in.CredentialsPath = up.ServiceAccountFile(t, providertest.GoodAccount)
		}
		h.credential(in)
	}
}

func TestSyncAllRunsProvidersConcurrently(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// Every listing is held until concurrentListings of them wait at
		// once: a sync that called providers one after the other would
		// never get there, and every listing would time out.
		barrier := providertest.NewBarrier(concurrentListings)
		h := newHarness(t, db.Engine(), ai.Timeouts{Discovery: 20 * time.Second})
		configureAll(t, h, []providertest.Option{providertest.WithBarrier(barrier)})
		rep, err := h.ai.SyncAll(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if !barrier.Opened() {
			t.Errorf("fewer than %d listings were ever in flight together: providers are not synced concurrently", concurrentListings)
		}
		if len(rep.Results) != 22 {
			t.Fatalf("%d results", len(rep.Results))
		}
		for _, r := range rep.Results {
			if r.Status != ai.SyncOK || r.Discovered == 0 || r.New != r.Discovered || r.Existing != 0 {
				t.Errorf("%s: %+v", r.Provider, r)
			}
		}
		again, err := h.ai.SyncAll(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if again.TotalNew != 0 || again.TotalDiscovered != rep.TotalDiscovered {
			t.Errorf("a second sync registers nothing new: %+v", again)
		}
		all, err := h.models.List(t.Context(), "")
		if err != nil {
			t.Fatal(err)
		}
		registered := map[string]string{}
		for _, m := range all {
			registered[m.Provider+" "+m.Name] = m.Type
			if m.CredentialID != "" {
				t.Errorf("a synced model follows its provider's first credential, it is not linked: %+v", m)
			}
		}
		for name, typ := range map[string]string{
			"openai whisper-1": "speech_to_text", "openai tts-1": "text_to_speech",
			"openai text-embedding-3-small": "embedding", "openai gpt-4o-mini": "language",
			"openrouter microsoft/mai-voice-2": "text_to_speech", "openrouter openai/whisper-1": "speech_to_text",
			"google gemini-2.5-flash-preview-tts": "text_to_speech", "google text-embedding-004": "embedding",
			"cohere embed-v4.0": "embedding", "cohere command-a-03-2025": "language",
			"ollama nomic-embed-text:latest": "embedding", "azure text-embedding-3-small": "embedding",
			"anthropic claude-haiku-4-5-20251001": "language", "deepgram aura-2-thalia-en": "text_to_speech",
			"elevenlabs scribe_v1": "speech_to_text", "vertex text-embedding-005": "embedding",
			"voyage voyage-3-lite": "embedding",
		} {
			if registered[name] != typ {
				t.Errorf("%s is registered as %q, want %s", name, registered[name], typ)
			}
		}
		if _, ok := registered["cohere rerank-v3.5"]; ok {
			t.Error("a rerank model serves no feature and is not registered")
		}
	})
}

func TestSyncAllDoesNotWaitForAHungProvider(t *testing.T) {
	// The other listings are held until a dozen wait together, which they
	// can only do while the hung one is still hanging: nothing waits for it.
	barrier := providertest.NewBarrier(concurrentListings)
	h := newHarness(t, store.SQLite, ai.Timeouts{Discovery: 2 * time.Second})
	configureAll(t, h, []providertest.Option{providertest.WithBarrier(barrier)}, "groq")
	rep, err := h.ai.SyncAll(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		switch {
		case r.Provider == "groq":
			if r.Status != string(provider.StatusTimeout) || r.Discovered != 0 ||
				r.Error != "Model discovery failed: Groq did not answer in time" {
				t.Errorf("the hung provider: %+v", r)
			}
		case r.Status != ai.SyncOK || r.New == 0:
			t.Errorf("%s was held up: %+v", r.Provider, r)
		}
	}
}

func TestSyncAllSkipsProvidersNothingConfigures(t *testing.T) {
	h := newHarness(t, store.SQLite, ai.Timeouts{})
	up := providertest.NewUpstream(t, provider.FamilyOpenAI)
	h.env["GROQ_API_KEY"] = providertest.GoodKey
	h.env["GROQ_API_BASE"] = up.BaseURL("")
	rep, err := h.ai.SyncAll(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		want := ai.SyncNotConfigured
		if r.Provider == "groq" {
			want = ai.SyncOK
		}
		if r.Status != want {
			t.Errorf("%s: %+v, want %s", r.Provider, r, want)
		}
	}
	if got := fmt.Sprint(rep.TotalDiscovered, rep.TotalNew); got != "4 4" {
		t.Errorf("totals %s, want the four models of the environment-configured provider", got)
	}
	if n := len(up.Requests()); n != 1 {
		t.Errorf("%d requests, want one listing", n)
	}
}

func BenchmarkSyncAll(b *testing.B) {
	h := newHarness(b, store.SQLite, ai.Timeouts{})
	configureAll(b, h, []providertest.Option{providertest.WithDelay(upstreamDelay)})
	b.ResetTimer()
	for b.Loop() {
		if _, err := h.ai.SyncAll(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
