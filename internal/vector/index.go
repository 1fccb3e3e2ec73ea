// Package vector keeps embedded chunks in memory and ranks them by cosine
// similarity to a query vector.
//
// An Index holds one space per embedding model and dimension, so vectors of
// different models are never compared. Search is exact: every chunk that
// passes the query's filters is scored, first with float32 arithmetic over
// compact vectors and then, for the few chunks that can reach the result,
// in float64 exactly as the notebook package scored them when it read every
// vector from the database. The benchmarks in this package search 100,000
// chunks of 768 dimensions in about a fifth of the product's 50 ms bar on
// two cores, so an approximate index would trade recall and simple updates
// for nothing.
//
// An Index stays in step with a database through a Source that reports
// changes after a sequence number; see Source for the contract.
package vector

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// MaxDimensions bounds the length of a vector (the largest embedding models
// today produce 3,072).
const MaxDimensions = 16384

// MaxLimit bounds how many owners one search may return.
const MaxLimit = 10000

// ErrInvalid marks a change or query the index cannot use.
var ErrInvalid = errors.New("vector: invalid input")

// Chunk is one embedded piece of an owner.
type Chunk struct {
	// Index is the chunk's position within its owner; search reports it
	// so the caller can fetch the chunk's text.
	Index int
	// Model names the embedding model that made Vector.
	Model  string
	Vector []float32
}

// Change is an owner's complete set of chunks as of Seq: it replaces every
// chunk the owner had, in every model. A change with no chunks removes the
// owner.
type Change struct {
	// Seq orders changes of one owner: a change whose Seq is not above the
	// owner's current Seq is ignored, so a change applied twice is applied
	// once. Seq 0 always applies; it is for an index without a Source.
	Seq int64
	// Owner is the source, note or other record the chunks belong to.
	Owner string
	// Kind is the owner's kind ("source", "note"), which a query may filter
	// on.
	Kind   string
	Chunks []Chunk
}

// Options tune an Index.
type Options struct {
	// Interval is the least time between two syncs with the Source that a
	// search starts; zero syncs before every search. Sync can always be
	// called directly, e.g. right after a write, for read-your-writes.
	Interval time.Duration
	// Batch is the number of chunks asked of the Source per call
	// (default 4096).
	Batch int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Index is an in-memory set of embedded chunks, safe for concurrent use.
type Index struct {
	src  Source
	opts Options

	mu sync.RWMutex
	st *state

	// syncMu serialises syncs; searches that find a sync running go on
	// with the state they have instead of waiting.
	syncMu   sync.Mutex
	loaded   atomic.Bool
	lastSync atomic.Int64 // Unix nanoseconds
	dropped  atomic.Int64
}

// New returns an empty index. With a non-nil Source, the first search or
// Sync loads everything from it and later ones apply what changed.
func New(src Source, opts Options) *Index {
	if opts.Batch <= 0 {
		opts.Batch = 4096
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Index{src: src, opts: opts, st: newState()}
}

// Apply adds or replaces owners' chunks. It checks every change first and
// applies none when one is invalid. With a Source, changes should come
// through it instead (call Sync after a write).
func (ix *Index) Apply(changes ...Change) error {
	built := make([]*owner, len(changes))
	for i, c := range changes {
		if c.Owner == "" {
			return fmt.Errorf("%w: a change has no owner", ErrInvalid)
		}
		if c.Seq < 0 {
			return fmt.Errorf("%w: owner %q has a negative seq", ErrInvalid, c.Owner)
		}
		for _, ch := range c.Chunks {
			if err := checkChunk(ch); err != nil {
				return fmt.Errorf("%w: owner %q chunk %d: %v", ErrInvalid, c.Owner, ch.Index, err)
			}
		}
		built[i] = buildOwner(c)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for i, c := range changes {
		ix.st.apply(c.Owner, c.Seq, built[i])
	}
	return nil
}

// Remove deletes every chunk of the owners.
func (ix *Index) Remove(owners ...string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, id := range owners {
		ix.st.apply(id, 0, nil)
	}
}

// Stats describes an index.
type Stats struct {
	Owners int
	Chunks int
	// Spaces is the number of (model, dimension) spaces.
	Spaces int
	// Bytes estimates the memory the index holds: vectors and bookkeeping.
	Bytes int64
	// Applied is the highest Source sequence applied.
	Applied int64
	// Dropped counts chunks from the Source that could not be indexed
	// (no model, no or too many dimensions, a component that is not a
	// finite number).
	Dropped int64
	// LastSync is when the last sync with the Source completed.
	LastSync time.Time
}

// Stats reports the index's size and sync position.
func (ix *Index) Stats() Stats {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s := Stats{
		Owners:  len(ix.st.owners),
		Spaces:  len(ix.st.spaces),
		Applied: ix.st.applied,
		Dropped: ix.dropped.Load(),
	}
	if t := ix.lastSync.Load(); t != 0 {
		s.LastSync = time.Unix(0, t)
	}
	for id, o := range ix.st.owners {
		s.Bytes += int64(len(id)) + ownerOverhead
		for _, e := range o.entries {
			s.Chunks += len(e.index)
			s.Bytes += int64(4*len(e.vecs)+4*len(e.inv)+4*len(e.index)) + entryOverhead
		}
	}
	return s
}

// Rough sizes of the structs and map slots around the vectors, for Stats.
const (
	ownerOverhead = 160
	entryOverhead = 120
)

func checkChunk(c Chunk) error {
	switch {
	case c.Model == "":
		return errors.New("no model")
	case len(c.Vector) == 0:
		return errors.New("empty vector")
	case len(c.Vector) > MaxDimensions:
		return fmt.Errorf("%d dimensions (at most %d)", len(c.Vector), MaxDimensions)
	}
	for _, x := range c.Vector {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return errors.New("a component is not a finite number")
		}
	}
	return nil
}

// spaceKey names a space: vectors are comparable only with vectors of the
// same model and length.
type spaceKey struct {
	model string
	dim   int
}

// space holds the entries of one model and dimension in scan order.
type space struct {
	key     spaceKey
	entries []*entry
}

// entry is one owner's chunks in one space, stored contiguously so a scan
// reads memory in order. Its vectors never change after it is built.
type entry struct {
	owner *owner
	pos   int     // index in space.entries
	index []int32 // chunk positions
	vecs  []float32
	// inv is 1/|v| in float32 for the fast pass; 0 marks a zero vector
	// (score 0) and -1 a vector whose norm is too large or too small for
	// float32 arithmetic, scored in float64 only.
	inv []float32
}

// owner is a source or note with its entries (one per space).
type owner struct {
	id      string
	kind    string
	seq     int64
	entries []*entry
	spaces  []spaceKey // parallel to entries
}

// Vector norms within this range keep every float32 product and sum of the
// fast pass clear of overflow and of underflow that would matter.
const (
	minFastNorm = 1e-18
	maxFastNorm = 1e18
)

// buildOwner lays out a change's chunks by space. The vectors are copied,
// so the caller keeps its slices.
func buildOwner(c Change) *owner {
	if len(c.Chunks) == 0 {
		return nil
	}
	o := &owner{id: c.Owner, kind: c.Kind, seq: c.Seq}
	// Size every entry exactly first: append's slack would be a third more
	// memory at 100,000 chunks.
	counts := map[spaceKey]int{}
	for _, ch := range c.Chunks {
		counts[spaceKey{ch.Model, len(ch.Vector)}]++
	}
	byKey := map[spaceKey]*entry{}
	for _, ch := range c.Chunks {
		k := spaceKey{ch.Model, len(ch.Vector)}
		e := byKey[k]
		if e == nil {
			n := counts[k]
			e = &entry{owner: o, index: make([]int32, 0, n), vecs: make([]float32, 0, n*k.dim), inv: make([]float32, 0, n)}
			byKey[k] = e
			o.entries = append(o.entries, e)
			o.spaces = append(o.spaces, k)
		}
		e.index = append(e.index, int32(ch.Index))
		e.vecs = append(e.vecs, ch.Vector...)
		var ss float64
		for _, x := range ch.Vector {
			ss += float64(x) * float64(x)
		}
		n := math.Sqrt(ss)
		switch {
		case n == 0:
			e.inv = append(e.inv, 0)
		case n < minFastNorm || n > maxFastNorm:
			e.inv = append(e.inv, -1)
		default:
			e.inv = append(e.inv, float32(1/n))
		}
	}
	return o
}

// state is everything a search reads.
type state struct {
	owners  map[string]*owner
	spaces  map[spaceKey]*space
	applied int64 // highest Source seq applied
}

func newState() *state {
	return &state{owners: map[string]*owner{}, spaces: map[spaceKey]*space{}}
}

// apply replaces an owner's chunks with o's (nil removes the owner) unless
// the owner already holds a newer or equal seq.
func (s *state) apply(id string, seq int64, o *owner) {
	old := s.owners[id]
	if old != nil {
		if seq > 0 && seq <= old.seq {
			return
		}
		for i, e := range old.entries {
			s.spaces[old.spaces[i]].remove(e)
			if len(s.spaces[old.spaces[i]].entries) == 0 {
				delete(s.spaces, old.spaces[i])
			}
		}
		delete(s.owners, id)
	}
	if o == nil {
		return
	}
	s.owners[id] = o
	for i, e := range o.entries {
		sp := s.spaces[o.spaces[i]]
		if sp == nil {
			sp = &space{key: o.spaces[i]}
			s.spaces[o.spaces[i]] = sp
		}
		e.pos = len(sp.entries)
		sp.entries = append(sp.entries, e)
	}
}

func (sp *space) remove(e *entry) {
	last := len(sp.entries) - 1
	sp.entries[e.pos] = sp.entries[last]
	sp.entries[e.pos].pos = e.pos
	sp.entries[last] = nil
	sp.entries = sp.entries[:last]
}
