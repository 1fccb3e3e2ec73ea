package ai_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/ai"
	"github.com/open-notebook/open-notebook/internal/credential"
	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/store"
)

func TestAListingsNamesAreCheckedBeforeAnythingIsStored(t *testing.T) {
	names := []string{
		"gpt-4o",                    // fine
		"",                          // blank
		"   ",                       // blank
		"bad\x00name",               // NUL
		"line\nbreak",               // control character
		"evil\u202egnp.exe",         // bidi override, invisible
		strings.Repeat("m", 201),    // over the name limit
		"mistral/ministral-8b-2410", // fine
		"text-embedding-3-small",    // fine
	}
	var data []map[string]string
	for _, n := range names {
		data = append(data, map[string]string{"id": n, "object": "model"})
	}
	body, err := json.Marshal(map[string]any{"object": "list", "data": data})
	if err != nil {
		t.Fatal(err)
	}
	f := providertest.New(t, providertest.Reply(http.StatusOK, string(body)))
	h := newHarness(t, store.SQLite, ai.Timeouts{})
	id := h.credential(credential.Input{Provider: "openai", APIKey: providertest.GoodKey, Settings: provider.Settings{BaseURL: f.URL}})

	d, err := h.ai.DiscoverCredential(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range d.Models {
		got = append(got, m.Name)
	}
	want := []string{"gpt-4o", "mistral/ministral-8b-2410", "text-embedding-3-small"}
	if !slices.Equal(got, want) {
		t.Fatalf("discovered %q, want %q", got, want)
	}
	if _, err := h.ai.SyncProvider(t.Context(), "openai"); err != nil {
		t.Fatal(err)
	}
	all, err := h.models.List(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(want) {
		t.Fatalf("stored %d models, want %d: %+v", len(all), len(want), all)
	}
}
