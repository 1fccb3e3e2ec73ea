package app_test

import (
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/app"
	"github.com/open-notebook/open-notebook/internal/app/apptest"
	"github.com/open-notebook/open-notebook/internal/notebook"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// TestVectorIndexLoadsInTheBackgroundAtStart stores chunks through one
// application, then starts another on the same database as serve does:
// its index fills from the database in the background.
func TestVectorIndexLoadsInTheBackgroundAtStart(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			cfg := apptest.Config(t, engine)
			first := apptest.Open(t, engine, cfg, app.Options{})
			ctx := t.Context()
			now := time.Now()
			for _, id := range []string{"note:a", "note:b"} {
				if err := first.DB.CreateNote(ctx, &notebook.Note{ID: id, Content: id, NoteType: "human", Created: now, Updated: now}); err != nil {
					t.Fatal(err)
				}
				chunks := []notebook.Chunk{{OwnerID: id, Kind: "note", Content: id, Vector: []float64{1, 2, 3}, ModelID: "model:e"},
					{OwnerID: id, Kind: "note", Index: 1, Content: id, Vector: []float64{3, 2, 1}, ModelID: "model:e"}}
				if err := first.DB.ReplaceEmbeddings(ctx, id, chunks); err != nil {
					t.Fatal(err)
				}
			}
			second := apptest.Open(t, engine, cfg, app.Options{})
			second.LoadVectors(ctx)
			deadline := time.Now().Add(10 * time.Second)
			for second.Vectors.Stats().Chunks != 4 {
				if time.Now().After(deadline) {
					t.Fatalf("the index never loaded: %+v", second.Vectors.Stats())
				}
				time.Sleep(10 * time.Millisecond)
			}
			if st := second.Vectors.Stats(); st.Owners != 2 || st.Spaces != 1 {
				t.Fatalf("index %+v", st)
			}
		})
	}
}
