package vector

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

func newIndex(t testing.TB, changes ...Change) *Index {
	t.Helper()
	ix := New(nil, Options{})
	if err := ix.Apply(changes...); err != nil {
		t.Fatal(err)
	}
	return ix
}

func search(t testing.TB, ix *Index, q Query) []Hit {
	t.Helper()
	hits, err := ix.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// sameHits fails unless got is want exactly: same owners and chunks in the
// same order with bit-identical scores.
func sameHits(t testing.TB, got, want []Hit) {
	t.Helper()
	if !slices.Equal(got, want) {
		n := max(len(got), len(want))
		for i := range n {
			var g, w Hit
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Errorf("hit %d: got %+v, want %+v", i, g, w)
			}
		}
		t.FailNow()
	}
}

func ownersOf(changes []Change) []string {
	var ids []string
	for _, c := range changes {
		ids = append(ids, c.Owner)
	}
	return ids
}

// nearTies is a corpus built to make float32 rounding matter: many chunks
// that differ from one another only in the last bits.
func nearTies(d int) dataset {
	r := rand.New(rand.NewPCG(5, 5))
	base := unit(r, d)
	changes := makeOwners(r, 400, func(int) []float32 {
		v := make([]float32, d)
		for i, x := range base {
			v[i] = float32(x * (1 + 1e-7*r.NormFloat64()))
		}
		return v
	})
	return dataset{changes: changes, query: func(r *rand.Rand) []float64 {
		q := slices.Clone(base)
		q[r.IntN(d)] += 1e-6
		return q
	}}
}

// exactPath is a corpus whose vectors are too long or too short for the
// float32 pass, with zero vectors among them.
func exactPath(d int) dataset {
	r := rand.New(rand.NewPCG(6, 6))
	scales := []float64{1e-30, 1e25, 0, 1}
	changes := makeOwners(r, 200, func(i int) []float32 {
		v := unit(r, d)
		for j := range v {
			v[j] *= scales[i%len(scales)]
		}
		return to32(v)
	})
	return dataset{changes: changes, query: func(r *rand.Rand) []float64 { return unit(r, d) }}
}

func TestSearchReturnsWhatBruteForceReturns(t *testing.T) {
	datasets := []struct {
		name string
		ds   dataset
	}{
		{"random vectors", randomData(3000, 48, 1)},
		{"clustered vectors", clusteredData(3000, 64, 2)},
		{"vectors that differ only in the last bits", nearTies(32)},
		{"vectors too long, too short or zero for float32", exactPath(16)},
		{"enough chunks to share the scan among cores", clusteredData(3*minParallel, 8, 4)},
	}
	// Four cores' worth of parts even on a smaller machine.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	r := rand.New(rand.NewPCG(7, 7))
	for _, d := range datasets {
		t.Run(d.name, func(t *testing.T) {
			ix := newIndex(t, d.ds.changes...)
			owners := ownersOf(d.ds.changes)
			notebook := owners[:len(owners)/10]
			queries := []struct {
				name string
				q    Query
			}{
				{"the ten best owners", Query{Limit: 10}},
				{"the single best owner", Query{Limit: 1}},
				{"more owners than there are", Query{Limit: MaxLimit}},
				{"owners above a minimum score", Query{Limit: 50, MinScore: 0.3}},
				{"a minimum score no chunk reaches", Query{Limit: 10, MinScore: 1.5}},
				{"only notes", Query{Limit: 20, Kinds: []string{"note"}}},
				{"only the owners of one notebook", Query{Limit: 10, Owners: notebook}},
				{"notes of one notebook above a score", Query{Limit: 10, Owners: notebook, Kinds: []string{"note"}, MinScore: 0.1}},
			}
			for _, tc := range queries {
				t.Run(tc.name, func(t *testing.T) {
					for range 5 {
						q := tc.q
						q.Model, q.Vector = "m", d.ds.query(r)
						sameHits(t, search(t, ix, q), bruteForce(d.ds.changes, q))
					}
				})
			}
		})
	}
}

func TestSearchFilters(t *testing.T) {
	v := func(x, y float32) []Chunk { return []Chunk{{Model: "m", Vector: []float32{x, y}}} }
	ix := newIndex(t,
		Change{Owner: "source:a", Kind: "source", Chunks: v(1, 0)},
		Change{Owner: "source:b", Kind: "source", Chunks: v(1, 1)},
		Change{Owner: "note:c", Kind: "note", Chunks: v(0, 1)},
	)
	names := func(hits []Hit) []string {
		out := []string{}
		for _, h := range hits {
			out = append(out, h.Owner)
		}
		return out
	}
	cases := []struct {
		name string
		q    Query
		want []string
	}{
		{"no filter keeps every owner", Query{}, []string{"source:a", "source:b", "note:c"}},
		{"a nil owner list keeps every owner", Query{Owners: nil}, []string{"source:a", "source:b", "note:c"}},
		{"an empty owner list keeps none", Query{Owners: []string{}}, []string{}},
		{"an owner list keeps only its owners", Query{Owners: []string{"note:c", "source:a"}}, []string{"source:a", "note:c"}},
		{"an owner named twice is returned once", Query{Owners: []string{"source:a", "source:a"}}, []string{"source:a"}},
		{"an unknown owner is ignored", Query{Owners: []string{"source:zzz", "note:c"}}, []string{"note:c"}},
		{"a kind filter keeps that kind", Query{Kinds: []string{"note"}}, []string{"note:c"}},
		{"an empty kind list keeps none", Query{Kinds: []string{}}, []string{}},
		{"kind and owner filters both apply", Query{Kinds: []string{"source"}, Owners: []string{"note:c", "source:b"}}, []string{"source:b"}},
		{"a minimum score drops weaker owners", Query{MinScore: 0.5}, []string{"source:a", "source:b"}},
		{"another model's space is empty", Query{Model: "other"}, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			if q.Model == "" {
				q.Model = "m"
			}
			q.Vector, q.Limit = []float64{1, 0}, 10
			if got := names(search(t, ix, q)); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSearchScoresLikeTheNotebook(t *testing.T) {
	chunks := []Chunk{
		{Index: 0, Model: "m", Vector: []float32{0.1, 0.2, 0.3}},
		{Index: 1, Model: "m", Vector: []float32{0.3, 0.2, 0.1}},
		{Index: 2, Model: "m", Vector: []float32{0.3, 0.2, 0.1}}, // a tie: the first chunk wins
	}
	ix := newIndex(t, Change{Seq: 4, Owner: "source:a", Kind: "source", Chunks: chunks})
	q := []float64{0.29, 0.21, 0.1}
	want := referenceCosine(q, []float64{float64(float32(0.3)), float64(float32(0.2)), float64(float32(0.1))})
	got := search(t, ix, Query{Model: "m", Vector: q, Limit: 1})
	sameHits(t, got, []Hit{{Owner: "source:a", Kind: "source", Chunk: 1, Seq: 4, Score: want}})
}

func TestModelsNeverMix(t *testing.T) {
	ix := newIndex(t,
		Change{Owner: "source:a", Chunks: []Chunk{{Model: "small", Vector: []float32{1, 0}}}},
		Change{Owner: "source:b", Chunks: []Chunk{{Model: "large", Vector: []float32{1, 0}}}},
		Change{Owner: "source:c", Chunks: []Chunk{{Model: "small", Vector: []float32{1, 0, 0}}}},
		Change{Owner: "source:d", Chunks: []Chunk{
			{Index: 0, Model: "small", Vector: []float32{0, 1}},
			{Index: 1, Model: "large", Vector: []float32{1, 0}},
		}},
	)
	cases := []struct {
		name   string
		model  string
		vector []float64
		want   []Hit
	}{
		{"a model finds only its own vectors", "small", []float64{1, 0}, []Hit{
			{Owner: "source:a", Score: 1},
			{Owner: "source:d", Score: 0},
		}},
		{"the other model finds only its own", "large", []float64{1, 0}, []Hit{
			{Owner: "source:b", Score: 1},
			{Owner: "source:d", Chunk: 1, Score: 1},
		}},
		{"vectors of another length are another space", "small", []float64{1, 0, 0}, []Hit{
			{Owner: "source:c", Score: 1},
		}},
		{"an unknown model finds nothing", "unknown", []float64{1, 0}, []Hit{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sameHits(t, search(t, ix, Query{Model: tc.model, Vector: tc.vector, Limit: 10}), tc.want)
		})
	}
	if s := ix.Stats(); s.Spaces != 3 || s.Owners != 4 || s.Chunks != 5 {
		t.Errorf("stats %+v, want 3 spaces, 4 owners, 5 chunks", s)
	}
}

func TestApplyReplacesAndRemoves(t *testing.T) {
	chunk := func(i int, x float32) Chunk { return Chunk{Index: i, Model: "m", Vector: []float32{x, 1}} }
	q := Query{Model: "m", Vector: []float64{1, 1}, Limit: 10}
	cases := []struct {
		name  string
		steps func(ix *Index) error
		want  []Hit
	}{
		{"an upsert replaces every chunk of the owner", func(ix *Index) error {
			return ix.Apply(Change{Owner: "a", Chunks: []Chunk{chunk(0, 1)}})
		}, []Hit{{Owner: "a", Score: cos2(1, 1, 1, 1)}, {Owner: "b", Chunk: 0, Score: cos2(1, 1, 0, 1)}}},
		{"removing an owner drops all its chunks", func(ix *Index) error {
			ix.Remove("a")
			return nil
		}, []Hit{{Owner: "b", Score: cos2(1, 1, 0, 1)}}},
		{"removing an unknown owner changes nothing", func(ix *Index) error {
			ix.Remove("zzz")
			return nil
		}, []Hit{{Owner: "a", Chunk: 1, Seq: 5, Score: cos2(1, 1, 2, 1)}, {Owner: "b", Score: cos2(1, 1, 0, 1)}}},
		{"a change with no chunks removes the owner", func(ix *Index) error {
			return ix.Apply(Change{Owner: "a", Seq: 6})
		}, []Hit{{Owner: "b", Score: cos2(1, 1, 0, 1)}}},
		{"a change older than the owner's is ignored", func(ix *Index) error {
			return ix.Apply(Change{Owner: "a", Seq: 4, Chunks: []Chunk{chunk(0, 1)}})
		}, []Hit{{Owner: "a", Chunk: 1, Seq: 5, Score: cos2(1, 1, 2, 1)}, {Owner: "b", Score: cos2(1, 1, 0, 1)}}},
		{"a change applied twice is applied once", func(ix *Index) error {
			c := Change{Owner: "a", Seq: 7, Chunks: []Chunk{chunk(0, 1)}}
			return ix.Apply(c, c)
		}, []Hit{{Owner: "a", Seq: 7, Score: cos2(1, 1, 1, 1)}, {Owner: "b", Score: cos2(1, 1, 0, 1)}}},
		{"an invalid change applies nothing of its batch", func(ix *Index) error {
			err := ix.Apply(
				Change{Owner: "a", Chunks: []Chunk{chunk(0, 1)}},
				Change{Owner: "b", Chunks: []Chunk{{Model: "m", Vector: []float32{float32(math.NaN()), 1}}}},
			)
			if !errors.Is(err, ErrInvalid) {
				return fmt.Errorf("got %v, want ErrInvalid", err)
			}
			return nil
		}, []Hit{{Owner: "a", Chunk: 1, Seq: 5, Score: cos2(1, 1, 2, 1)}, {Owner: "b", Score: cos2(1, 1, 0, 1)}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ix := newIndex(t,
				Change{Owner: "a", Seq: 5, Chunks: []Chunk{chunk(0, -1), chunk(1, 2)}},
				Change{Owner: "b", Chunks: []Chunk{chunk(0, 0)}},
			)
			if err := tc.steps(ix); err != nil {
				t.Fatal(err)
			}
			sameHits(t, search(t, ix, q), tc.want)
		})
	}
}

func cos2(a0, a1, b0, b1 float64) float64 {
	return referenceCosine([]float64{a0, a1}, []float64{b0, b1})
}

func TestInvalidInputIsRefused(t *testing.T) {
	ix := newIndex(t, Change{Owner: "a", Chunks: []Chunk{{Model: "m", Vector: []float32{1}}}})
	changes := []struct {
		name string
		c    Change
	}{
		{"a change without an owner", Change{Chunks: []Chunk{{Model: "m", Vector: []float32{1}}}}},
		{"a change with a negative seq", Change{Owner: "a", Seq: -1}},
		{"a chunk without a model", Change{Owner: "a", Chunks: []Chunk{{Vector: []float32{1}}}}},
		{"a chunk without a vector", Change{Owner: "a", Chunks: []Chunk{{Model: "m"}}}},
		{"a chunk with too many dimensions", Change{Owner: "a", Chunks: []Chunk{{Model: "m", Vector: make([]float32, MaxDimensions+1)}}}},
		{"a chunk with an infinite component", Change{Owner: "a", Chunks: []Chunk{{Model: "m", Vector: []float32{float32(math.Inf(1))}}}}},
	}
	for _, tc := range changes {
		t.Run(tc.name, func(t *testing.T) {
			if err := ix.Apply(tc.c); !errors.Is(err, ErrInvalid) {
				t.Errorf("got %v, want ErrInvalid", err)
			}
		})
	}
	queries := []struct {
		name string
		q    Query
	}{
		{"a limit of zero", Query{Model: "m", Vector: []float64{1}}},
		{"a limit above the maximum", Query{Model: "m", Vector: []float64{1}, Limit: MaxLimit + 1}},
		{"an empty query vector", Query{Model: "m", Limit: 1}},
		{"a query vector with too many dimensions", Query{Model: "m", Vector: make([]float64, MaxDimensions+1), Limit: 1}},
		{"a query component that is not a number", Query{Model: "m", Vector: []float64{math.NaN()}, Limit: 1}},
		{"a minimum score that is not a number", Query{Model: "m", Vector: []float64{1}, Limit: 1, MinScore: math.NaN()}},
	}
	for _, tc := range queries {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ix.Search(context.Background(), tc.q); !errors.Is(err, ErrInvalid) {
				t.Errorf("got %v, want ErrInvalid", err)
			}
		})
	}
}

func TestApplyCopiesVectors(t *testing.T) {
	v := []float32{1, 0}
	ix := newIndex(t, Change{Owner: "a", Chunks: []Chunk{{Model: "m", Vector: v}}})
	v[0], v[1] = 0, 1
	sameHits(t, search(t, ix, Query{Model: "m", Vector: []float64{1, 0}, Limit: 1}), []Hit{{Owner: "a", Score: 1}})
}

func TestStatsCountsMemory(t *testing.T) {
	ds := randomData(1000, 64, 3)
	ix := newIndex(t, ds.changes...)
	s := ix.Stats()
	if s.Chunks != 1000 || s.Owners != len(ds.changes) || s.Spaces != 1 {
		t.Fatalf("stats %+v", s)
	}
	if low, high := int64(1000*64*4), int64(1000*64*4*2); s.Bytes < low || s.Bytes > high {
		t.Errorf("bytes %d, want between %d and %d", s.Bytes, low, high)
	}
	ix.Remove(ownersOf(ds.changes)...)
	if s := ix.Stats(); s.Chunks != 0 || s.Owners != 0 || s.Spaces != 0 || s.Bytes != 0 {
		t.Errorf("stats after removing everything %+v", s)
	}
}

func TestSplitSharesChunksEvenly(t *testing.T) {
	sized := func(sizes ...int) []*entry {
		var out []*entry
		for _, n := range sizes {
			out = append(out, &entry{index: make([]int32, n)})
		}
		return out
	}
	cases := []struct {
		name    string
		entries []*entry
		n       int
		want    []int // chunks per part
	}{
		{"a small scan stays on one core", sized(10, 10), 4, []int{20}},
		{"one core gets everything", sized(minParallel, minParallel), 1, []int{2 * minParallel}},
		{"two cores get half each", sized(minParallel/2, minParallel/2, minParallel/2, minParallel/2), 2, []int{minParallel, minParallel}},
		{"no more parts than the chunks justify", sized(minParallel, minParallel/2), 8, []int{minParallel, minParallel / 2}},
		{"a big owner is not cut", sized(3*minParallel, 1, 1), 2, []int{3 * minParallel, 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parts := split(tc.entries, tc.n)
			var got []int
			var all []*entry
			for _, p := range parts {
				n := 0
				for _, e := range p {
					n += len(e.index)
				}
				got = append(got, n)
				all = append(all, p...)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("chunks per part %v, want %v", got, tc.want)
			}
			if !slices.Equal(all, tc.entries) {
				t.Error("the parts do not hold every entry once, in order")
			}
		})
	}
}
