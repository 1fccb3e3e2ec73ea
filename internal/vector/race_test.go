package vector

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// versioned is the vector of an owner's chunk at a seq, so that a reader
// can tell from a hit alone whether it saw one whole version of the owner.
func versioned(owner int, seq int64, chunk int) []float32 {
	r := rand.New(rand.NewPCG(uint64(owner), uint64(seq)<<8|uint64(chunk)))
	return to32(unit(r, 8))
}

func TestSearchesRunWhileTheIndexChanges(t *testing.T) {
	const owners = 20
	src := newFakeSource()
	ix := New(src, Options{Batch: 7})
	put := func(r *rand.Rand) {
		i := r.IntN(owners)
		src.mu.Lock()
		seq := src.seq + 1
		src.mu.Unlock()
		var chunks []Chunk
		for j := range r.IntN(5) + 1 {
			chunks = append(chunks, Chunk{Index: j, Model: "m", Vector: versioned(i, seq, j)})
		}
		src.put(fmt.Sprint(i), "source", chunks...)
	}
	r := rand.New(rand.NewPCG(1, 1))
	for range owners {
		put(r)
	}

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	wg.Go(func() { // the writer: the database changes and this replica syncs
		r := rand.New(rand.NewPCG(2, 2))
		for n := range 300 {
			if n%5 == 4 {
				src.remove(fmt.Sprint(r.IntN(owners)))
			} else {
				put(r)
			}
			if n%3 == 0 {
				if err := ix.Sync(context.Background()); err != nil {
					errs <- err
					return
				}
			}
			if n%50 == 49 { // forget tombstones: a reload follows
				src.mu.Lock()
				seq := src.seq
				src.mu.Unlock()
				src.purge(seq)
			}
		}
	})
	for w := range 3 {
		wg.Go(func() { // readers: every search syncs too (Interval 0)
			r := rand.New(rand.NewPCG(3, uint64(w)))
			for range 200 {
				q := unit(r, 8)
				hits, err := ix.Search(context.Background(), Query{Model: "m", Vector: q, Limit: 5})
				if err != nil {
					errs <- err
					return
				}
				if err := checkHits(hits, q); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// checkHits verifies that hits are ranked, name each owner once and score
// what the owner's chunk held at the hit's seq.
func checkHits(hits []Hit, q []float64) error {
	seen := map[string]bool{}
	for i, h := range hits {
		if seen[h.Owner] {
			return fmt.Errorf("owner %s returned twice", h.Owner)
		}
		seen[h.Owner] = true
		if i > 0 && hits[i-1].Score < h.Score {
			return fmt.Errorf("hits out of order: %v", hits)
		}
		var owner int
		fmt.Sscan(h.Owner, &owner)
		v := versioned(owner, h.Seq, h.Chunk)
		want := make([]float64, len(v))
		for i, x := range v {
			want[i] = float64(x)
		}
		if s := referenceCosine(q, want); s != h.Score {
			return fmt.Errorf("owner %s seq %d chunk %d scored %v, its vector scores %v", h.Owner, h.Seq, h.Chunk, h.Score, s)
		}
	}
	return nil
}
