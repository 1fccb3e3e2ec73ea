package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/notebook"
	"github.com/open-notebook/open-notebook/internal/settings"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

func TestMigrationsAreIdempotent(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			url, dir := storetest.URL(t, e)
			for range 2 {
				db, err := store.Open(t.Context(), url, dir, storetest.Logger())
				if err != nil {
					t.Fatal(err)
				}
				if err := db.Ping(t.Context()); err != nil {
					t.Fatal(err)
				}
				if err := db.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestNotebooks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		base := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
		mk := func(id, name string, offset time.Duration, archived bool) {
			t.Helper()
			n := &notebook.Notebook{ID: id, Name: name, Description: "d-" + name, Archived: archived,
				Created: base.Add(offset), Updated: base.Add(offset)}
			if err := db.CreateNotebook(ctx, n); err != nil {
				t.Fatal(err)
			}
		}
		mk("notebook:a", "beta", 0, false)
		mk("notebook:b", "Alpha", time.Second, true)
		mk("notebook:c", "gamma", 2*time.Second, false)

		t.Run("a duplicate id is a conflict", func(t *testing.T) {
			err := db.CreateNotebook(ctx, &notebook.Notebook{ID: "notebook:a", Name: "x", Created: base, Updated: base})
			if apperr.CodeOf(err) != apperr.Conflict {
				t.Fatalf("err = %v", err)
			}
		})
		t.Run("a notebook reads back exactly, times to the microsecond", func(t *testing.T) {
			n, err := db.Notebook(ctx, "notebook:a")
			if err != nil {
				t.Fatal(err)
			}
			if n.Name != "beta" || n.Description != "d-beta" || n.Archived || !n.Created.Equal(base) || n.LastViewedAt != nil {
				t.Fatalf("got %+v", n)
			}
		})
		t.Run("a missing notebook is not found", func(t *testing.T) {
			_, err := db.Notebook(ctx, "notebook:zzz")
			if !apperr.IsNotFound(err) {
				t.Fatalf("err = %v", err)
			}
			if err := db.TouchNotebook(ctx, "notebook:zzz", base); !apperr.IsNotFound(err) {
				t.Fatalf("touch err = %v", err)
			}
			if _, _, err := db.DeleteNotebookContent(ctx, "notebook:zzz", true); !apperr.IsNotFound(err) {
				t.Fatalf("delete err = %v", err)
			}
		})
		list := func(f notebook.ListFilter) []string {
			t.Helper()
			ns, err := db.ListNotebooks(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			ids := []string{}
			for _, n := range ns {
				ids = append(ids, n.ID)
			}
			return ids
		}
		yes, no := true, false
		cases := []struct {
			name string
			f    notebook.ListFilter
			want string
		}{
			{"newest updated first by default", notebook.ListFilter{Order: notebook.Order{Field: "updated", Desc: true}}, "[notebook:c notebook:b notebook:a]"},
			{"names sort case-insensitively", notebook.ListFilter{Order: notebook.Order{Field: "name"}}, "[notebook:b notebook:a notebook:c]"},
			{"created ascending", notebook.ListFilter{Order: notebook.Order{Field: "created"}}, "[notebook:a notebook:b notebook:c]"},
			{"only archived", notebook.ListFilter{Archived: &yes, Order: notebook.Order{Field: "name"}}, "[notebook:b]"},
			{"only active", notebook.ListFilter{Archived: &no, Order: notebook.Order{Field: "name"}}, "[notebook:a notebook:c]"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if got := fmt.Sprint(list(tc.f)); got != tc.want {
					t.Fatalf("got %s, want %s", got, tc.want)
				}
			})
		}
		t.Run("update and touch persist", func(t *testing.T) {
			n, _ := db.Notebook(ctx, "notebook:a")
			n.Name, n.Archived, n.Updated = "renamed", true, base.Add(time.Hour)
			if err := db.UpdateNotebook(ctx, n); err != nil {
				t.Fatal(err)
			}
			viewed := base.Add(2 * time.Hour)
			if err := db.TouchNotebook(ctx, n.ID, viewed); err != nil {
				t.Fatal(err)
			}
			got, _ := db.Notebook(ctx, n.ID)
			if got.Name != "renamed" || !got.Archived || !got.Updated.Equal(base.Add(time.Hour)) || got.LastViewedAt == nil || !got.LastViewedAt.Equal(viewed) {
				t.Fatalf("got %+v", got)
			}
		})
		t.Run("delete removes", func(t *testing.T) {
			if _, _, err := db.DeleteNotebookContent(ctx, "notebook:c", false); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Notebook(ctx, "notebook:c"); !apperr.IsNotFound(err) {
				t.Fatalf("err = %v", err)
			}
		})
	})
}

func TestContentSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		if _, ok, err := db.ContentSettings(ctx); ok || err != nil {
			t.Fatalf("fresh database has settings: %v %v", ok, err)
		}
		c := settings.Defaults()
		never := "never"
		c.DefaultEmbeddingOption = &never
		for range 2 { // the second save is an upsert
			if err := db.SaveContentSettings(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		got, ok, err := db.ContentSettings(ctx)
		if err != nil || !ok || *got.DefaultEmbeddingOption != "never" || len(got.YoutubePreferredLanguages) != 10 {
			t.Fatalf("got %+v %v %v", got, ok, err)
		}
	})
}

func TestConcurrentWritersNeverSeeBusy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 25 {
					now := time.Now()
					id := fmt.Sprintf("notebook:w%d-%d", w, i)
					if err := db.CreateNotebook(ctx, &notebook.Notebook{ID: id, Name: id, Created: now, Updated: now}); err != nil {
						errs <- err
						return
					}
					if _, err := db.ListNotebooks(ctx, notebook.ListFilter{}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		ns, _ := db.ListNotebooks(ctx, notebook.ListFilter{})
		if len(ns) != 200 {
			t.Fatalf("got %d notebooks", len(ns))
		}
	})
}
