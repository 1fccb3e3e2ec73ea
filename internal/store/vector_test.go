package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/notebook"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
	"github.com/open-notebook/open-notebook/internal/vector"
)

// newNote stores a note to hang chunks on.
func newNote(t testing.TB, db *store.DB, id string) {
	t.Helper()
	now := time.Now()
	if err := db.CreateNote(context.Background(), &notebook.Note{ID: id, Content: id, NoteType: "human", Created: now, Updated: now}); err != nil {
		t.Fatal(err)
	}
}

// chunks makes n chunks of a note with vectors derived from seed.
func chunks(owner string, n int, seed float64) []notebook.Chunk {
	out := make([]notebook.Chunk, n)
	for i := range out {
		out[i] = notebook.Chunk{OwnerID: owner, Kind: "note", Index: i, Content: fmt.Sprintf("%s #%d", owner, i),
			Vector: []float64{seed, float64(i + 1), 1}, ModelID: "model:e"}
	}
	return out
}

func changes(t *testing.T, db *store.DB, after int64, limit int) vector.Batch {
	t.Helper()
	b, err := db.Changes(t.Context(), after, limit)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// summary renders changes as "owner:chunks" for comparison.
func summary(b vector.Batch) []string {
	var out []string
	for _, c := range b.Changes {
		out = append(out, fmt.Sprintf("%s:%d", c.Owner, len(c.Chunks)))
	}
	return out
}

func TestEmbeddingChangesFollowWritesAndRemovals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		if b := changes(t, db, 0, 10); len(b.Changes) != 0 || b.Purged != 0 {
			t.Fatalf("a new database has changes: %+v", b)
		}
		for _, id := range []string{"note:a", "note:b", "note:c"} {
			newNote(t, db, id)
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(db.ReplaceEmbeddings(ctx, "note:a", chunks("note:a", 3, 1)))
		must(db.ReplaceEmbeddings(ctx, "note:b", chunks("note:b", 1, 2)))
		all := changes(t, db, 0, 100)
		if got := summary(all); !slices.Equal(got, []string{"note:a:3", "note:b:1"}) || all.Changes[0].Seq >= all.Changes[1].Seq {
			t.Fatalf("changes %v %+v", got, all.Changes)
		}
		c := all.Changes[0].Chunks[2]
		if c.Index != 2 || c.Model != "model:e" || !slices.Equal(c.Vector, []float32{1, 3, 1}) || all.Changes[0].Kind != "note" {
			t.Fatalf("chunk %+v", c)
		}
		// A limit below a change's size still returns the change whole.
		if got := summary(changes(t, db, 0, 1)); !slices.Equal(got, []string{"note:a:3"}) {
			t.Fatalf("limit 1: %v", got)
		}
		last := all.Changes[1].Seq
		if b := changes(t, db, last, 100); len(b.Changes) != 0 {
			t.Fatalf("nothing new, yet %v", summary(b))
		}

		// Re-embedding moves the owner past the others; removing one
		// leaves a tombstone (no chunks).
		must(db.ReplaceEmbeddings(ctx, "note:a", chunks("note:a", 2, 5)))
		must(db.DeleteNote(ctx, "note:b"))
		must(db.DeleteNote(ctx, "note:c")) // never embedded: no tombstone
		b := changes(t, db, last, 100)
		if got := summary(b); !slices.Equal(got, []string{"note:a:2", "note:b:0"}) {
			t.Fatalf("after rewrite and removal: %v", got)
		}
		if got := summary(changes(t, db, 0, 100)); !slices.Equal(got, []string{"note:a:2", "note:b:0"}) {
			t.Fatalf("from the start: %v", got)
		}

		// An index over the store holds what the database holds.
		ix := vector.New(db, vector.Options{})
		must(ix.Sync(ctx))
		if st := ix.Stats(); st.Owners != 1 || st.Chunks != 2 || st.Applied != b.Changes[1].Seq {
			t.Fatalf("index %+v", st)
		}
		// Embedding the removed owner again clears its tombstone.
		newNote(t, db, "note:d")
		must(db.ReplaceEmbeddings(ctx, "note:d", chunks("note:d", 1, 7)))
		must(db.ReplaceEmbeddings(ctx, "note:d", nil))
		must(db.ReplaceEmbeddings(ctx, "note:d", chunks("note:d", 4, 7)))
		if got := summary(changes(t, db, 0, 100)); !slices.Equal(got, []string{"note:a:2", "note:b:0", "note:d:4"}) {
			t.Fatalf("re-embedded after removal: %v", got)
		}
		must(ix.Sync(ctx))
		if st := ix.Stats(); st.Owners != 2 || st.Chunks != 6 {
			t.Fatalf("index %+v", st)
		}

		// A day-old tombstone is forgotten at the next removal, and an
		// index that had not seen it reloads instead of keeping the owner.
		stale := vector.New(db, vector.Options{})
		must(stale.Sync(ctx))
		newNote(t, db, "note:e")
		must(db.ReplaceEmbeddings(ctx, "note:e", chunks("note:e", 1, 9)))
		must(db.DeleteNote(ctx, "note:e"))
		if _, err := db.WritePool().ExecContext(ctx, `UPDATE embedding_tombstones SET deleted = 0`); err != nil {
			t.Fatal(err)
		}
		must(db.DeleteNote(ctx, "note:d"))
		b = changes(t, db, 0, 100)
		if got := summary(b); !slices.Equal(got, []string{"note:a:2", "note:d:0"}) || b.Purged <= 0 {
			t.Fatalf("after the purge: %v purged %d", got, b.Purged)
		}
		must(stale.Sync(ctx))
		if st := stale.Stats(); st.Owners != 1 || st.Chunks != 2 {
			t.Fatalf("an index behind the purge must reload: %+v", st)
		}
	})
}

// TestChangeNumbersCommitInOrder holds a transaction that wrote chunks
// open: a second writer waits for it, and a reader sees neither change
// until the first commits, so an index can never read a later number
// before an earlier one (PostgreSQL sequences would allow that).
func TestChangeNumbersCommitInOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		newNote(t, db, "note:first")
		newNote(t, db, "note:second")
		wrote, release := make(chan struct{}), make(chan struct{})
		first := make(chan error, 1)
		go func() {
			first <- db.InTx(ctx, func(ctx context.Context) error {
				if err := db.ReplaceEmbeddings(ctx, "note:first", chunks("note:first", 2, 1)); err != nil {
					return err
				}
				close(wrote)
				<-release
				return nil
			})
		}()
		<-wrote
		second := make(chan error, 1)
		go func() { second <- db.ReplaceEmbeddings(ctx, "note:second", chunks("note:second", 1, 2)) }()
		select {
		case err := <-second:
			t.Fatalf("the second writer did not wait for the first: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
		if b := changes(t, db, 0, 100); len(b.Changes) != 0 {
			t.Fatalf("uncommitted changes are visible: %v", summary(b))
		}
		close(release)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		if err := <-second; err != nil {
			t.Fatal(err)
		}
		if got := summary(changes(t, db, 0, 100)); !slices.Equal(got, []string{"note:first:2", "note:second:1"}) {
			t.Fatalf("order %v", got)
		}
	})
}

// TestIndexConvergesUnderConcurrentWriters has writers embed and remove
// owners concurrently while an index follows the database; at the end the
// index holds exactly what the database holds.
func TestIndexConvergesUnderConcurrentWriters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		const owners = 12
		for i := range owners {
			newNote(t, db, fmt.Sprintf("note:%02d", i))
		}
		ix := vector.New(db, vector.Options{Batch: 5})
		stop := make(chan struct{})
		var follow sync.WaitGroup
		follow.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := ix.Sync(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		})
		var (
			writers sync.WaitGroup
			stored  atomic.Int64
		)
		for w := range 4 {
			writers.Go(func() {
				r := rand.New(rand.NewPCG(uint64(w), 1))
				for range 40 {
					id := fmt.Sprintf("note:%02d", r.IntN(owners))
					var cs []notebook.Chunk
					if r.IntN(4) > 0 {
						cs = chunks(id, 1+r.IntN(3), float64(r.IntN(100)))
					}
					if err := db.ReplaceEmbeddings(ctx, id, cs); err != nil {
						// Two writers replacing one owner at once may
						// collide on its chunk rows; the loser's write is
						// simply not stored.
						continue
					}
					stored.Add(1)
				}
			})
		}
		writers.Wait()
		if stored.Load() < 80 {
			t.Fatalf("only %d of 160 writes were stored", stored.Load())
		}
		close(stop)
		follow.Wait()
		if err := ix.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		// What the database holds, owner by owner.
		want := map[string]int{}
		rows, err := db.WritePool().QueryContext(ctx, `SELECT owner_id, count(*) FROM embeddings GROUP BY owner_id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				t.Fatal(err)
			}
			want[id] = n
		}
		rows.Close()
		total := 0
		for _, n := range want {
			total += n
		}
		if st := ix.Stats(); st.Owners != len(want) || st.Chunks != total {
			t.Fatalf("index %+v, database %v", st, want)
		}
		hits, err := ix.Search(ctx, vector.Query{Model: "model:e", Vector: []float64{1, 1, 1}, Limit: owners})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			if want[h.Owner] == 0 {
				t.Fatalf("the index still finds %s", h.Owner)
			}
		}
		if len(hits) != len(want) {
			t.Fatalf("%d hits for %d owners", len(hits), len(want))
		}
	})
}
