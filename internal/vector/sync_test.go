package vector

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeSource keeps the Source contract the way the SQL store will: one
// current state per owner (rows replaced in place), tombstones for removed
// owners, a counter for sequence numbers and purging of old tombstones. It
// records what it was asked.
type fakeSource struct {
	mu     sync.Mutex
	seq    int64
	live   map[string]Change
	tombs  map[string]int64
	purged int64
	asked  []int64 // the after of every call
	fail   error   // returned by every call while set
	// before, when set, runs before the call numbered n (from 0) is
	// answered, as another writer would.
	before func(n int)
}

func newFakeSource() *fakeSource {
	return &fakeSource{live: map[string]Change{}, tombs: map[string]int64{}}
}

func (f *fakeSource) put(owner, kind string, chunks ...Chunk) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	delete(f.tombs, owner)
	f.live[owner] = Change{Seq: f.seq, Owner: owner, Kind: kind, Chunks: chunks}
	return f.seq
}

func (f *fakeSource) remove(owner string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	delete(f.live, owner)
	f.tombs[owner] = f.seq
	return f.seq
}

// purge forgets the tombstones up to seq.
func (f *fakeSource) purge(seq int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, s := range f.tombs {
		if s <= seq {
			delete(f.tombs, id)
		}
	}
	f.purged = max(f.purged, seq)
}

func (f *fakeSource) Changes(ctx context.Context, after int64, limit int) (Batch, error) {
	f.mu.Lock()
	n, before := len(f.asked), f.before
	f.mu.Unlock()
	if before != nil {
		before(n)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, after)
	if f.fail != nil {
		return Batch{}, f.fail
	}
	var all []Change
	for _, c := range f.live {
		if c.Seq > after {
			all = append(all, c)
		}
	}
	for id, s := range f.tombs {
		if s > after {
			all = append(all, Change{Seq: s, Owner: id})
		}
	}
	slices.SortFunc(all, func(a, b Change) int { return int(a.Seq - b.Seq) })
	var out []Change
	chunks := 0
	for _, c := range all {
		if chunks >= limit {
			break
		}
		out = append(out, c)
		chunks += max(len(c.Chunks), 1)
	}
	return Batch{Changes: out, Purged: f.purged}, nil
}

func (f *fakeSource) calls() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.asked)
}

// scripted answers each call with the next of its responses.
type scripted struct {
	responses [][]Change
	asked     []int64
}

func (s *scripted) Changes(ctx context.Context, after int64, limit int) (Batch, error) {
	s.asked = append(s.asked, after)
	if len(s.responses) == 0 {
		return Batch{}, nil
	}
	r := s.responses[0]
	s.responses = s.responses[1:]
	return Batch{Changes: r}, nil
}

func vec(x, y float32) []Chunk { return []Chunk{{Model: "m", Vector: []float32{x, y}}} }

func owners(t *testing.T, ix *Index) []string {
	t.Helper()
	hits := search(t, ix, Query{Model: "m", Vector: []float64{1, 0}, Limit: MaxLimit})
	var ids []string
	for _, h := range hits {
		ids = append(ids, h.Owner)
	}
	slices.Sort(ids)
	return ids
}

func TestSyncFollowsTheSource(t *testing.T) {
	cases := []struct {
		name  string
		steps func(t *testing.T, src *fakeSource, ix *Index)
		want  []string
	}{
		{"the first search loads everything", func(t *testing.T, src *fakeSource, ix *Index) {}, []string{"a", "b", "c"}},
		{"an added owner appears", func(t *testing.T, src *fakeSource, ix *Index) {
			owners(t, ix)
			src.put("d", "note", vec(1, 0)...)
		}, []string{"a", "b", "c", "d"}},
		{"a removed owner disappears", func(t *testing.T, src *fakeSource, ix *Index) {
			owners(t, ix)
			src.remove("b")
		}, []string{"a", "c"}},
		{"an owner removed and added again is there", func(t *testing.T, src *fakeSource, ix *Index) {
			owners(t, ix)
			src.remove("b")
			src.put("b", "source", vec(0, 1)...)
		}, []string{"a", "b", "c"}},
		{"a removal whose tombstone was purged is found by a reload", func(t *testing.T, src *fakeSource, ix *Index) {
			owners(t, ix)
			seq := src.remove("b")
			src.put("e", "source", vec(1, 1)...)
			src.purge(seq)
		}, []string{"a", "c", "e"}},
		{"an owner whose chunks all are invalid disappears", func(t *testing.T, src *fakeSource, ix *Index) {
			owners(t, ix)
			src.put("a", "source", Chunk{Model: "", Vector: []float32{1, 0}})
		}, []string{"b", "c"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := newFakeSource()
			src.put("a", "source", vec(1, 0)...)
			src.put("b", "source", vec(0, 1)...)
			src.put("c", "note", vec(1, 1)...)
			ix := New(src, Options{Batch: 1})
			tc.steps(t, src, ix)
			if got := owners(t, ix); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if got, want := ix.Stats().Applied, src.seq; got != want {
				t.Errorf("applied %d, want %d", got, want)
			}
		})
	}
}

func TestSyncAppliesWhatChangedInBatches(t *testing.T) {
	src := newFakeSource()
	for range 5 {
		src.put("a", "source", vec(1, 0)...)
	}
	src.put("b", "source", vec(0, 1)...)
	ix := New(src, Options{Batch: 1})
	if err := ix.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	// a's latest state is seq 5: the load reads a (5), b (6), then nothing.
	if got, want := src.calls(), []int64{0, 5, 6}; !slices.Equal(got, want) {
		t.Errorf("asked after %v, want %v", got, want)
	}
	src.put("c", "source", vec(1, 1)...)
	src.put("d", "source", vec(1, 1)...)
	if err := ix.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := src.calls()[3:], []int64{6, 7, 8}; !slices.Equal(got, want) {
		t.Errorf("asked after %v, want %v", got, want)
	}
}

func TestSyncHandlesAResponseThatBreaksTheContract(t *testing.T) {
	a := func(seq int64) Change { return Change{Seq: seq, Owner: "a", Chunks: vec(1, 0)} }
	b := func(seq int64) Change { return Change{Seq: seq, Owner: "b", Chunks: vec(0, 1)} }
	cases := []struct {
		name      string
		responses [][]Change
		wantErr   bool
		want      []string
		applied   int64
	}{
		{"changes delivered again are ignored", [][]Change{{a(1), b(2)}, {}, {a(3)}, {}}, false, []string{"a", "b"}, 3},
		{"a change older than the owner's is ignored", [][]Change{{b(2), a(5)}, {}, {a(6)}, {}}, false, []string{"a", "b"}, 6},
		{"changes out of order fail the sync and apply nothing", [][]Change{{a(1)}, {}, {b(4), a(3)}}, true, []string{"a"}, 1},
		{"a change at or below the asked sequence fails the sync", [][]Change{{a(2)}, {}, {b(2)}}, true, []string{"a"}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := &scripted{responses: tc.responses}
			ix := New(src, Options{})
			if err := ix.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
			err := ix.Sync(context.Background())
			if (err != nil) != tc.wantErr {
				t.Fatalf("second sync: %v, want error %v", err, tc.wantErr)
			}
			ix.src = nil // read the state as it is
			if got := owners(t, ix); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if got := ix.Stats().Applied; got != tc.applied {
				t.Errorf("applied %d, want %d", got, tc.applied)
			}
		})
	}
}

func TestSyncDropsChunksItCannotUse(t *testing.T) {
	src := newFakeSource()
	src.put("a", "source", Chunk{Model: "m", Vector: []float32{1, 0}}, Chunk{Index: 1, Vector: []float32{1, 0}})
	src.put("", "source", vec(1, 0)...)
	src.put("b", "source", vec(0, 1)...)
	ix := New(src, Options{})
	if got, want := owners(t, ix), []string{"a", "b"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if s := ix.Stats(); s.Dropped != 2 || s.Chunks != 2 {
		t.Errorf("stats %+v, want 2 dropped and 2 chunks", s)
	}
}

func TestSearchSyncsAtMostEveryInterval(t *testing.T) {
	src := newFakeSource()
	src.put("a", "source", vec(1, 0)...)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ix := New(src, Options{Interval: time.Second, Now: func() time.Time { return now }})
	owners(t, ix) // loads: asks after 0, then after 1
	src.put("b", "source", vec(1, 0)...)
	now = now.Add(999 * time.Millisecond)
	if got, want := owners(t, ix), []string{"a"}; !slices.Equal(got, want) {
		t.Errorf("before the interval: got %v, want %v", got, want)
	}
	now = now.Add(time.Millisecond)
	if got, want := owners(t, ix), []string{"a", "b"}; !slices.Equal(got, want) {
		t.Errorf("after the interval: got %v, want %v", got, want)
	}
	if got, want := src.calls(), []int64{0, 1, 1, 2}; !slices.Equal(got, want) {
		t.Errorf("asked after %v, want %v", got, want)
	}
	if got := ix.Stats().LastSync; !got.Equal(now) {
		t.Errorf("last sync %v, want %v", got, now)
	}
}

func TestSearchReportsASourceThatFails(t *testing.T) {
	src := newFakeSource()
	src.put("a", "source", vec(1, 0)...)
	src.fail = errors.New("database is down")
	ix := New(src, Options{})
	_, err := ix.Search(context.Background(), Query{Model: "m", Vector: []float64{1, 0}, Limit: 1})
	if err == nil || !errors.Is(err, src.fail) {
		t.Fatalf("got %v, want the source's error", err)
	}
	src.fail = nil
	if got, want := owners(t, ix), []string{"a"}; !slices.Equal(got, want) {
		t.Errorf("after the source recovered: got %v, want %v", got, want)
	}
}

func TestAReloadKeepsOwnersItAlreadyHas(t *testing.T) {
	src := newFakeSource()
	src.put("a", "source", vec(1, 0)...)
	seq := src.put("b", "source", vec(0, 1)...)
	ix := New(src, Options{})
	owners(t, ix)
	ix.mu.RLock()
	before := ix.st.owners["a"]
	ix.mu.RUnlock()
	src.remove("b")
	src.purge(seq + 1)
	if got, want := owners(t, ix), []string{"a"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	ix.mu.RLock()
	after := ix.st.owners["a"]
	ix.mu.RUnlock()
	if before != after {
		t.Error("the reload rebuilt an owner it already held at the same seq")
	}
}

func TestAReloadStartsOverWhenTombstonesArePurgedMeanwhile(t *testing.T) {
	src := newFakeSource()
	src.put("a", "source", vec(1, 0)...)
	src.put("b", "source", vec(0, 1)...)
	src.put("c", "source", vec(1, 1)...)
	ix := New(src, Options{Batch: 1})
	owners(t, ix) // calls 0-3
	src.purge(src.remove("b"))
	src.before = func(n int) {
		if n == 6 { // the reload has read a and goes on
			src.purge(src.remove("a"))
		}
	}
	if got, want := owners(t, ix), []string{"c"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestAnIndexPastThePurgeMarkDoesNotReloadAgain(t *testing.T) {
	src := newFakeSource()
	src.put("a", "source", vec(1, 0)...)
	src.purge(src.remove("a"))
	ix := New(src, Options{})
	for range 2 {
		if err := ix.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := src.calls(), []int64{0, 2}; !slices.Equal(got, want) {
		t.Errorf("asked after %v, want %v", got, want)
	}
}

// TestASearchWaitsForTheFirstLoad starts the load in the background, as
// the server does at start, and searches while it runs: the search waits
// for the load and sees everything, rather than finding nothing.
func TestASearchWaitsForTheFirstLoad(t *testing.T) {
	src := newFakeSource()
	src.put("a", "source", vec(1, 0)...)
	src.put("b", "source", vec(0, 1)...)
	started, release := make(chan struct{}), make(chan struct{})
	src.before = func(n int) {
		if n == 0 {
			close(started)
			<-release
		}
	}
	ix := New(src, Options{})
	loaded := make(chan error, 1)
	go func() { loaded <- ix.Sync(context.Background()) }()
	<-started
	type result struct {
		hits []Hit
		err  error
	}
	searched := make(chan result, 1)
	go func() {
		hits, err := ix.Search(context.Background(), Query{Model: "m", Vector: []float64{1, 1}, Limit: 10})
		searched <- result{hits, err}
	}()
	select {
	case got := <-searched:
		t.Fatalf("the search did not wait for the load: %+v", got)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-loaded; err != nil {
		t.Fatal(err)
	}
	if got := <-searched; got.err != nil || len(got.hits) != 2 {
		t.Fatalf("got %+v", got)
	}
}

// TestRefreshLeavesTheFirstLoadToSearches: a writer's refresh before any
// search loads nothing; once loaded, it applies what changed.
func TestRefreshLeavesTheFirstLoadToSearches(t *testing.T) {
	src := newFakeSource()
	src.put("a", "source", vec(1, 0)...)
	ix := New(src, Options{})
	if err := ix.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls := src.calls(); len(calls) != 0 || ix.Stats().Owners != 0 {
		t.Fatalf("a refresh before the load asked %v and holds %+v", calls, ix.Stats())
	}
	if err := ix.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	src.put("b", "source", vec(0, 1)...)
	if err := ix.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := ix.Stats(); st.Owners != 2 {
		t.Fatalf("a refresh after the load did not apply the change: %+v", st)
	}
}
