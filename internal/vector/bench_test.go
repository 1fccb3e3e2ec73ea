package vector

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// The benchmarks measure the product's bar: 100,000 chunks of 768
// dimensions searched with p50 under 50 ms and recall@10 at least 0.95
// against exact search, filtered by notebook. They build their data
// themselves, so `go test` (which runs no benchmark) stays fast.
//
//	go test -run '^$' -bench . -benchtime 100x -count 3 ./internal/vector/

const benchDims = 768

var benchSizes = []int{10_000, 100_000}

type benchCorpus struct {
	ds dataset
	ix *Index
	// notebook is a random tenth of the owners, as a notebook filter.
	notebook []string
	// heap is the memory the index added, measured after a GC.
	heap uint64
}

var (
	corpusMu sync.Mutex
	corpora  = map[string]*benchCorpus{}
)

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// corpus builds (once per process) the data set and its index.
func corpus(b *testing.B, kind string, n int) *benchCorpus {
	corpusMu.Lock()
	defer corpusMu.Unlock()
	key := fmt.Sprint(kind, n)
	if c := corpora[key]; c != nil {
		return c
	}
	b.StopTimer()
	defer b.StartTimer()
	c := &benchCorpus{}
	if kind == "random" {
		c.ds = randomData(n, benchDims, 1)
	} else {
		c.ds = clusteredData(n, benchDims, 1)
	}
	before := heapInUse()
	c.ix = New(nil, Options{})
	if err := c.ix.Apply(c.ds.changes...); err != nil {
		b.Fatal(err)
	}
	c.heap = heapInUse() - before
	r := rand.New(rand.NewPCG(2, 2))
	for _, ch := range c.ds.changes {
		if r.IntN(10) == 0 {
			c.notebook = append(c.notebook, ch.Owner)
		}
	}
	corpora[key] = c
	return c
}

func BenchmarkSearch(b *testing.B) {
	for _, n := range benchSizes {
		for _, kind := range []string{"random", "clustered"} {
			for _, filter := range []string{"all", "notebook10pct"} {
				b.Run(fmt.Sprintf("n=%d/%s/%s", n, kind, filter), func(b *testing.B) {
					c := corpus(b, kind, n)
					var owners []string
					if filter != "all" {
						owners = c.notebook
					}
					benchSearch(b, c, owners, nil)
				})
			}
		}
	}
}

// BenchmarkSearchDuringWrites searches while another goroutine replaces an
// owner's chunks every millisecond, far more often than embedding jobs
// can.
func BenchmarkSearchDuringWrites(b *testing.B) {
	for _, filter := range []string{"all", "notebook10pct"} {
		b.Run(fmt.Sprintf("n=100000/clustered/%s", filter), func(b *testing.B) {
			c := corpus(b, "clustered", 100_000)
			var owners []string
			if filter != "all" {
				owners = c.notebook
			}
			stop := make(chan struct{})
			var writes int
			var wg sync.WaitGroup
			wg.Go(func() {
				r := rand.New(rand.NewPCG(4, 4))
				tick := time.NewTicker(time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
					}
					ch := c.ds.changes[r.IntN(len(c.ds.changes))]
					if err := c.ix.Apply(ch); err != nil {
						panic(err)
					}
					writes++
				}
			})
			start := time.Now()
			benchSearch(b, c, owners, func() {
				close(stop)
				wg.Wait()
				b.ReportMetric(float64(writes)/time.Since(start).Seconds(), "writes/s")
			})
		})
	}
}

// benchSearch times searches for the ten best owners and reports their
// p50 and p95 latency and their recall@10 against exact float64 search.
func benchSearch(b *testing.B, c *benchCorpus, owners []string, done func()) {
	r := rand.New(rand.NewPCG(3, 3))
	queries := make([]Query, 16)
	for i := range queries {
		queries[i] = Query{Model: "m", Vector: c.ds.query(r), Limit: 10, Owners: owners}
	}
	ctx := context.Background()
	var lat []time.Duration
	i := 0
	for b.Loop() {
		start := time.Now()
		if _, err := c.ix.Search(ctx, queries[i%len(queries)]); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		i++
	}
	if done != nil {
		done()
	}
	b.StopTimer()
	var recall float64
	for _, q := range queries {
		got, err := c.ix.Search(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		want := bruteForce(c.ds.changes, q)
		found := 0
		for _, w := range want {
			if slices.ContainsFunc(got, func(h Hit) bool { return h.Owner == w.Owner }) {
				found++
			}
		}
		recall += float64(found) / float64(len(want))
	}
	slices.Sort(lat)
	ms := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.95), "p95-ms")
	b.ReportMetric(recall/float64(len(queries)), "recall@10")
	b.ReportMetric(float64(c.heap)/float64(c.ix.Stats().Chunks), "heap-B/vector")
	b.ReportMetric(0, "ns/op") // the percentiles say more than the mean
}

// BenchmarkBuild times loading every chunk into an empty index.
func BenchmarkBuild(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			c := corpus(b, "clustered", n)
			for b.Loop() {
				ix := New(nil, Options{})
				if err := ix.Apply(c.ds.changes...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(c.heap)/(1<<20), "heap-MB")
			b.ReportMetric(float64(c.ix.Stats().Bytes)/(1<<20), "stats-MB")
		})
	}
}
