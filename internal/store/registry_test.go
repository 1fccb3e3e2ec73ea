package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/credential"
	"github.com/open-notebook/open-notebook/internal/model"
	"github.com/open-notebook/open-notebook/internal/record"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

func TestRegisterModels(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
		for _, id := range []string{"credential:a", "credential:b"} {
			if err := db.CreateCredential(ctx, &credential.Record{ID: id, Name: id, Provider: "openai",
				Modalities: []string{}, Created: at, Updated: at}); err != nil {
				t.Fatal(err)
			}
		}
		existing := []model.Model{
			{ID: "model:unlinked", Name: "gpt-4o", Provider: "openai", Type: "language", Created: at, Updated: at},
			{ID: "model:theirs", Name: "gpt-4o-mini", Provider: "openai", Type: "language", CredentialID: "credential:b",
				Created: at, Updated: at},
		}
		for i := range existing {
			if err := db.CreateModel(ctx, &existing[i]); err != nil {
				t.Fatal(err)
			}
		}
		later := at.Add(time.Hour)
		candidate := func(name, typ string) model.Model {
			return model.Model{ID: record.NewID(model.Table), Name: name, Provider: "openai", Type: typ,
				CredentialID: "credential:a", Created: later, Updated: later}
		}

		created, linked, err := db.RegisterModels(ctx, []model.Model{
			candidate("GPT-4O", "language"),      // the unlinked model, in other case: linked to a
			candidate("gpt-4o-mini", "language"), // linked to b: left alone
			candidate("gpt-4o", "embedding"),     // same name, other type: a new model
			candidate("o3", "language"),          // new
			candidate("O3", "language"),          // a repeat within the request
			candidate("text-embedding-3-small", "embedding"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if created != 3 || linked != 1 {
			t.Fatalf("created %d, linked %d; want 3 and 1", created, linked)
		}
		ms, err := db.ModelsByProvider(ctx, "openai")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, m := range ms {
			got[m.Name+"/"+m.Type] = m.CredentialID
		}
		want := map[string]string{
			"gpt-4o/language": "credential:a", "gpt-4o-mini/language": "credential:b", "gpt-4o/embedding": "credential:a",
			"o3/language": "credential:a", "text-embedding-3-small/embedding": "credential:a",
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("models = %v\nwant %v", got, want)
		}
		linkedModel, err := db.Model(ctx, "model:unlinked")
		if err != nil {
			t.Fatal(err)
		}
		if !linkedModel.Updated.Equal(later) || !linkedModel.Created.Equal(at) {
			t.Errorf("a linked model keeps its creation time and takes the update's: %+v", linkedModel)
		}

		t.Run("models without a credential are added but never link anything", func(t *testing.T) {
			if err := db.CreateModel(ctx, &model.Model{ID: "model:loose", Name: "whisper-1", Provider: "openai",
				Type: "speech_to_text", Created: at, Updated: at}); err != nil {
				t.Fatal(err)
			}
			created, linked, err := db.RegisterModels(ctx, []model.Model{
				{ID: record.NewID(model.Table), Name: "whisper-1", Provider: "OpenAI", Type: "speech_to_text", Created: later, Updated: later},
				{ID: record.NewID(model.Table), Name: "tts-1", Provider: "openai", Type: "text_to_speech", Created: later, Updated: later},
			})
			if err != nil || created != 1 || linked != 0 {
				t.Fatalf("created %d, linked %d, err %v; want 1, 0", created, linked, err)
			}
			if m, _ := db.Model(ctx, "model:loose"); m.CredentialID != "" {
				t.Fatalf("the model was linked: %+v", m)
			}
		})
		t.Run("a credential that does not exist is not found and nothing is stored", func(t *testing.T) {
			m := candidate("gpt-5", "language")
			m.CredentialID = "credential:gone"
			_, _, err := db.RegisterModels(ctx, []model.Model{candidate("gpt-4.1", "language"), m})
			if apperr.CodeOf(err) != apperr.NotFound {
				t.Fatalf("err = %v", err)
			}
			ms, _ := db.ModelsByProvider(ctx, "openai")
			for _, m := range ms {
				if m.Name == "gpt-4.1" {
					t.Fatal("the transaction was not rolled back")
				}
			}
		})
	})
}

func TestRegisterModelsConcurrentlyNeverDuplicates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		at := time.Now().UTC()
		names := []string{"llama-3.3-70b", "llama-3.1-8b", "whisper-large-v3"}
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		for range 8 {
			wg.Go(func() {
				var ms []model.Model
				for _, n := range names {
					ms = append(ms, model.Model{ID: record.NewID(model.Table), Name: n, Provider: "groq", Type: "language",
						Created: at, Updated: at})
				}
				created, _, err := db.RegisterModels(ctx, ms)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				total += created
				mu.Unlock()
			})
		}
		wg.Wait()
		ms, err := db.ModelsByProvider(ctx, "groq")
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != len(names) || total != len(names) {
			t.Fatalf("%d rows, %d reported created; want %d", len(ms), total, len(names))
		}
	})
}
