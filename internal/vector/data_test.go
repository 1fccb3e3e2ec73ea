package vector

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// unit is a random direction.
func unit(r *rand.Rand, d int) []float64 {
	v := make([]float64, d)
	var s float64
	for i := range v {
		v[i] = r.NormFloat64()
		s += v[i] * v[i]
	}
	s = math.Sqrt(s)
	for i := range v {
		v[i] /= s
	}
	return v
}

// mix returns the weighted sum of directions, normalised as embedding
// models return them.
func mix(parts [][]float64, w []float64) []float64 {
	out := make([]float64, len(parts[0]))
	for j, p := range parts {
		for i := range out {
			out[i] += w[j] * p[i]
		}
	}
	var s float64
	for _, x := range out {
		s += x * x
	}
	s = math.Sqrt(s)
	for i := range out {
		out[i] /= s
	}
	return out
}

func to32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// dataset is a corpus of owners with chunks, and a way to make queries
// like the corpus.
type dataset struct {
	changes []Change
	query   func(r *rand.Rand) []float64
}

// randomData has chunks pointing anywhere: no structure, every pair of
// chunks about orthogonal.
func randomData(n, d int, seed uint64) dataset {
	r := rand.New(rand.NewPCG(seed, 1))
	return dataset{
		changes: makeOwners(r, n, func(int) []float32 { return to32(unit(r, d)) }),
		query:   func(r *rand.Rand) []float64 { return unit(r, d) },
	}
}

// clusteredData looks more like real embeddings: every chunk mixes a
// direction shared by the whole model, its topic (one of 200), its
// document and its own noise, so unrelated chunks score about 0.25,
// chunks of one topic about 0.45 and chunks of one document about 0.75,
// with many near ties.
func clusteredData(n, d int, seed uint64) dataset {
	r := rand.New(rand.NewPCG(seed, 2))
	g := unit(r, d)
	topics := make([][]float64, 200)
	for i := range topics {
		topics[i] = unit(r, d)
	}
	w := []float64{0.5, 0.447, 0.548, 0.5}
	var docs, docTopics [][]float64
	doc := func(i int) ([]float64, []float64) {
		for len(docs) <= i {
			docs = append(docs, unit(r, d))
			docTopics = append(docTopics, topics[r.IntN(len(topics))])
		}
		return docs[i], docTopics[i]
	}
	changes := makeOwners(r, n, func(i int) []float32 {
		dv, tv := doc(i)
		return to32(mix([][]float64{g, tv, dv, unit(r, d)}, w))
	})
	return dataset{changes: changes, query: func(r *rand.Rand) []float64 {
		i := r.IntN(len(docs))
		return mix([][]float64{g, docTopics[i], docs[i], unit(r, d)}, w)
	}}
}

// makeOwners makes owners of 1 to 39 chunks (20 on average), every fourth
// a note, until there are n chunks; vec makes a chunk of the i-th owner.
func makeOwners(r *rand.Rand, n int, vec func(i int) []float32) []Change {
	var out []Change
	for total := 0; total < n; {
		i := len(out)
		c := Change{Owner: fmt.Sprintf("source:%06d", i), Kind: "source"}
		if i%4 == 3 {
			c.Owner, c.Kind = fmt.Sprintf("note:%06d", i), "note"
		}
		k := min(r.IntN(39)+1, n-total)
		for j := range k {
			c.Chunks = append(c.Chunks, Chunk{Index: j, Model: "m", Vector: vec(i)})
		}
		total += k
		out = append(out, c)
	}
	return out
}

// bruteForce is the exact scan's ranking over every chunk: float64
// cosine, each owner's best chunk (the first of equals), best first and
// ties by owner.
func bruteForce(changes []Change, q Query) []Hit {
	kept := func(c Change) bool {
		if q.Kinds != nil && !slices.Contains(q.Kinds, c.Kind) {
			return false
		}
		return q.Owners == nil || slices.Contains(q.Owners, c.Owner)
	}
	best := map[string]Hit{}
	var v []float64
	for _, c := range changes {
		if !kept(c) {
			continue
		}
		for _, ch := range c.Chunks {
			if ch.Model != q.Model || len(ch.Vector) != len(q.Vector) {
				continue
			}
			v = v[:0]
			for _, x := range ch.Vector {
				v = append(v, float64(x))
			}
			score := referenceCosine(q.Vector, v)
			if score < q.MinScore {
				continue
			}
			if h, ok := best[c.Owner]; !ok || score > h.Score {
				best[c.Owner] = Hit{Owner: c.Owner, Kind: c.Kind, Chunk: ch.Index, Seq: c.Seq, Score: score}
			}
		}
	}
	hits := []Hit{}
	for _, h := range best {
		hits = append(hits, h)
	}
	slices.SortFunc(hits, func(a, b Hit) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Owner, b.Owner)
	})
	return hits[:min(len(hits), q.Limit)]
}

// referenceCosine is the exact scan's cosine.
func referenceCosine(a, b []float64) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += a[i] * b[i]
		na += a[i] * a[i]
		nb += b[i] * b[i]
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / (math.Sqrt(na) * math.Sqrt(nb))
}
