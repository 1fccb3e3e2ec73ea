package vector

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/blas/gonum"
)

// Query is a similarity search in one model's space.
type Query struct {
	// Model and the length of Vector choose the space searched.
	Model  string
	Vector []float64
	// Limit is how many owners to return, 1 to MaxLimit.
	Limit int
	// MinScore drops chunks that score below it.
	MinScore float64
	// Kinds keeps only owners of these kinds; nil keeps every kind.
	Kinds []string
	// Owners keeps only these owners (e.g. the sources and notes of a
	// notebook); nil keeps every owner, and an empty non-nil slice keeps
	// none.
	Owners []string
}

// Hit is an owner's best chunk.
type Hit struct {
	Owner string
	Kind  string
	// Chunk is the chunk's Index and Seq its owner's sequence, so the
	// caller can fetch that very chunk's text.
	Chunk int
	Seq   int64
	// Score is the cosine similarity, computed in float64 as the exact
	// scan of stored vectors did before this index (see entry.cosine).
	Score float64
}

// Search returns the owners whose best chunk scores highest against the
// query, best first (ties by owner), one hit per owner. With a Source, it
// first applies the Source's changes when the last sync is older than
// Options.Interval.
func (ix *Index) Search(ctx context.Context, q Query) ([]Hit, error) {
	if err := checkQuery(q); err != nil {
		return nil, err
	}
	if err := ix.maybeSync(ctx); err != nil {
		return nil, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	sp := ix.st.spaces[spaceKey{q.Model, len(q.Vector)}]
	if sp == nil {
		return []Hit{}, nil
	}
	return ix.st.search(sp, q), nil
}

func checkQuery(q Query) error {
	switch {
	case q.Limit < 1 || q.Limit > MaxLimit:
		return fmt.Errorf("%w: limit %d is outside 1 to %d", ErrInvalid, q.Limit, MaxLimit)
	case len(q.Vector) == 0 || len(q.Vector) > MaxDimensions:
		return fmt.Errorf("%w: the query vector has %d dimensions (1 to %d)", ErrInvalid, len(q.Vector), MaxDimensions)
	case math.IsNaN(q.MinScore):
		return fmt.Errorf("%w: the minimum score is not a number", ErrInvalid)
	}
	for _, x := range q.Vector {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%w: a query component is not a finite number", ErrInvalid)
		}
	}
	return nil
}

// candidate is an owner whose best fast-pass score may reach the result.
type candidate struct {
	e    *entry
	fast float32
}

// search scores in two passes. The fast pass computes every chunk's score
// in float32 with the query normalised; its error is at most eps (see
// fastError), so any owner of the true top Limit has a fast score within
// 2*eps of the Limit-th best fast score. The exact pass rescores only those
// owners' chunks in float64, so the result is the exact result. A large
// fast pass is shared among the cores.
func (s *state) search(sp *space, q Query) []Hit {
	entries := s.filter(sp, q)
	var qn float64
	for _, x := range q.Vector {
		qn += x * x
	}
	qn = math.Sqrt(qn)
	if qn < minFastNorm || qn > maxFastNorm {
		// A zero or extreme query: float64 all the way.
		return exactAll(entries, q)
	}
	q32 := make([]float32, len(q.Vector))
	for i, x := range q.Vector {
		q32[i] = float32(x / qn)
	}
	eps := fastError(len(q.Vector))
	parts := split(entries, runtime.GOMAXPROCS(0))
	scans := make([]fastScan, len(parts))
	var wg sync.WaitGroup
	for i := 1; i < len(parts); i++ {
		wg.Go(func() { scans[i] = scan(parts[i], q32, q, eps) })
	}
	scans[0] = scan(parts[0], q32, q, eps)
	wg.Wait()

	// The Limit-th best of the parts' bests is the Limit-th best overall.
	var top []float32
	var cands []candidate
	for _, sc := range scans {
		top = append(top, sc.top...)
		cands = append(cands, sc.cands...)
	}
	cutoff := q.MinScore - eps
	if len(top) >= q.Limit {
		slices.Sort(top)
		cutoff = max(cutoff, float64(top[len(top)-q.Limit])-2*eps)
	}
	var hits []Hit
	scores := make([]float32, 0, 64)
	for _, c := range cands {
		if float64(c.fast) < cutoff {
			continue
		}
		scores = fastScores(c.e, q32, q.Vector, scores[:0])
		h := Hit{Owner: c.e.owner.id, Kind: c.e.owner.kind, Seq: c.e.owner.seq, Score: math.Inf(-1)}
		for j, f := range scores {
			if float64(f) < cutoff {
				continue
			}
			if sc := c.e.cosine(j, q.Vector); sc > h.Score || sc == h.Score && int(c.e.index[j]) < h.Chunk {
				h.Score, h.Chunk = sc, int(c.e.index[j])
			}
		}
		if h.Score >= q.MinScore {
			hits = append(hits, h)
		}
	}
	return rank(hits, q.Limit)
}

// minParallel is the number of chunks below which one core scans alone:
// starting goroutines costs more than it saves.
const minParallel = 16384

// split cuts entries into at most n runs of about equal chunk counts.
func split(entries []*entry, n int) [][]*entry {
	total := 0
	for _, e := range entries {
		total += len(e.index)
	}
	n = min(n, total/minParallel+1)
	if n <= 1 {
		return [][]*entry{entries}
	}
	per := (total + n - 1) / n
	var parts [][]*entry
	start, acc := 0, 0
	for i, e := range entries {
		acc += len(e.index)
		if acc >= per && len(parts) < n-1 {
			parts = append(parts, entries[start:i+1])
			start, acc = i+1, 0
		}
	}
	return append(parts, entries[start:])
}

// fastScan is what the fast pass found in a run of entries: the best fast
// scores (up to Limit of them) and the owners that may reach the result.
type fastScan struct {
	top   minHeap
	cands []candidate
}

func scan(entries []*entry, q32 []float32, q Query, eps float64) fastScan {
	floor := float32(q.MinScore - eps)
	sc := fastScan{top: make(minHeap, 0, q.Limit)}
	scores := make([]float32, 0, 64)
	for _, e := range entries {
		scores = fastScores(e, q32, q.Vector, scores[:0])
		best := slices.Max(scores)
		if best < floor {
			continue
		}
		if len(sc.top) == q.Limit {
			if float64(best) < float64(sc.top[0])-2*eps {
				continue
			}
			if best > sc.top[0] {
				sc.top.replaceMin(best)
			}
		} else {
			sc.top.push(best)
		}
		sc.cands = append(sc.cands, candidate{e, best})
	}
	return sc
}

// filter returns the space's entries that the query's owner and kind
// filters keep.
func (s *state) filter(sp *space, q Query) []*entry {
	var entries []*entry
	if q.Owners == nil {
		entries = sp.entries
	} else {
		pos := make([]int, 0, len(q.Owners))
		for _, id := range q.Owners {
			o := s.owners[id]
			if o == nil {
				continue
			}
			for i, k := range o.spaces {
				if k == sp.key {
					pos = append(pos, o.entries[i].pos)
				}
			}
		}
		// Sorting removes duplicate owners and scans in memory order.
		slices.Sort(pos)
		pos = slices.Compact(pos)
		entries = make([]*entry, len(pos))
		for i, p := range pos {
			entries[i] = sp.entries[p]
		}
	}
	if q.Kinds == nil {
		return entries
	}
	kept := make([]*entry, 0, len(entries))
	for _, e := range entries {
		if slices.Contains(q.Kinds, e.owner.kind) {
			kept = append(kept, e)
		}
	}
	return kept
}

var blas gonum.Implementation

// fastScores appends the fast-pass score of each of e's chunks. Chunks
// outside the fast range get their exact score, which has no error.
func fastScores(e *entry, q32 []float32, q []float64, out []float32) []float32 {
	d := len(q32)
	for j, inv := range e.inv {
		switch {
		case inv > 0:
			out = append(out, blas.Sdot(d, q32, 1, e.vecs[j*d:(j+1)*d], 1)*inv)
		case inv == 0:
			out = append(out, 0)
		default:
			out = append(out, float32(e.cosine(j, q)))
		}
	}
	return out
}

// fastError bounds the difference between a fast-pass score and the exact
// cosine for d dimensions: the float32 dot product of a d-long vector is
// within d units of roundoff (u = 2^-24) of the exact one relative to
// |q|·|v|, rounding the normalised query and the inverse norm and the
// final product add a few more, and the constant covers products that
// underflow. Doubled for safety, it is still far below any difference in
// score that matters (9e-5 at 768 dimensions).
func fastError(d int) float64 {
	return 2*float64(d+8)*0x1p-24 + 1e-20
}

// cosine is chunk j's exact score, computed exactly as vector search did
// when it scanned every vector read from the database, so scores stay
// identical (internal/notebook's vector_test.go compares them).
func (e *entry) cosine(j int, a []float64) float64 {
	b := e.vecs[j*len(a) : (j+1)*len(a)]
	var dot, na, nb float64
	for i := range a {
		x := float64(b[i])
		dot += a[i] * x
		na += a[i] * a[i]
		nb += x * x
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / (math.Sqrt(na) * math.Sqrt(nb))
}

// exactAll scores every chunk in float64.
func exactAll(entries []*entry, q Query) []Hit {
	var hits []Hit
	for _, e := range entries {
		h := Hit{Owner: e.owner.id, Kind: e.owner.kind, Seq: e.owner.seq, Score: math.Inf(-1)}
		for j := range e.index {
			if sc := e.cosine(j, q.Vector); sc > h.Score || sc == h.Score && int(e.index[j]) < h.Chunk {
				h.Score, h.Chunk = sc, int(e.index[j])
			}
		}
		if h.Score >= q.MinScore {
			hits = append(hits, h)
		}
	}
	return rank(hits, q.Limit)
}

// rank orders hits best first, ties by owner, and keeps limit of them.
func rank(hits []Hit, limit int) []Hit {
	slices.SortFunc(hits, func(a, b Hit) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Owner, b.Owner)
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	if hits == nil {
		hits = []Hit{}
	}
	return hits
}

// minHeap keeps the best fast scores seen; its root is the smallest.
type minHeap []float32

func (h *minHeap) push(x float32) {
	*h = append(*h, x)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if s[p] <= s[i] {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h minHeap) replaceMin(x float32) {
	h[0] = x
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < len(h) && h[l] < h[m] {
			m = l
		}
		if r := l + 1; r < len(h) && h[r] < h[m] {
			m = r
		}
		if m == i {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
