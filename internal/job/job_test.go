package job_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/job"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

type countArgs struct {
	Name string `json:"name"`
}

func (countArgs) Kind() string { return "count_test" }

// counter is a job kind whose behaviour the test scripts per name.
type counter struct {
	mu    sync.Mutex
	runs  map[string]int
	fail  map[string]int // fail the first n attempts of a name
	block chan struct{}  // when set, running jobs wait on it
}

func newCounter() *counter { return &counter{runs: map[string]int{}, fail: map[string]int{}} }

func (c *counter) run(ctx context.Context, a countArgs, rep job.Reporter) error {
	c.mu.Lock()
	c.runs[a.Name]++
	n, fail, block := c.runs[a.Name], c.fail[a.Name], c.block
	c.mu.Unlock()
	rep.Progress("counting", 1, 2)
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if a.Name == "permanent" {
		return job.Permanent(errors.New("the input is unusable"))
	}
	if n <= fail {
		return fmt.Errorf("attempt %d of %s failed", n, a.Name)
	}
	rep.Result(map[string]any{"name": a.Name, "attempt": rep.Attempt()})
	return nil
}

func (c *counter) count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runs[name]
}

var fast = job.Policy{MaxAttempts: 3, Base: 10 * time.Millisecond, Max: 20 * time.Millisecond, Timeout: 5 * time.Second}

func newQueue(t *testing.T, db *store.DB, c *counter, workers int) *job.Queue {
	t.Helper()
	reg := job.NewRegistry()
	job.Register(reg, fast, c.run)
	q, err := job.New(db.WritePool(), db.Engine() == store.SQLite, db.TxOf, reg,
		job.Options{Workers: workers, RescueAfter: time.Minute, PollInterval: 20 * time.Millisecond, Logger: storetest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	return q
}

func wait(t *testing.T, q *job.Queue, id string) job.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	s, err := q.Wait(ctx, id)
	if err != nil {
		t.Fatalf("waiting for %s: %v (last status %+v)", id, err, s)
	}
	return s
}

func TestJobsRunOnTheRealQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCounter()
		q := newQueue(t, db, c, 2)
		ctx := t.Context()

		t.Run("a job inserted in a transaction that rolls back never exists", func(t *testing.T) {
			var id string
			err := db.InTx(ctx, func(ctx context.Context) error {
				var err error
				id, err = q.Enqueue(ctx, countArgs{Name: "rolled-back"})
				if err != nil {
					return err
				}
				return errors.New("the change failed")
			})
			if err == nil || id == "" {
				t.Fatalf("id %q, err %v", id, err)
			}
			if _, err := q.Get(ctx, id); err == nil {
				t.Fatal("the job of a rolled-back change exists")
			}
		})
		t.Run("a job inserted with its change runs once it commits", func(t *testing.T) {
			var id string
			if err := db.InTx(ctx, func(ctx context.Context) error {
				var err error
				id, err = q.Enqueue(ctx, countArgs{Name: "committed"})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			s := wait(t, q, id)
			var result struct {
				Name    string `json:"name"`
				Attempt int    `json:"attempt"`
			}
			_ = json.Unmarshal(s.Result, &result)
			if s.State != "completed" || c.count("committed") != 1 || result.Name != "committed" || result.Attempt != 1 {
				t.Fatalf("%+v, runs %d", s, c.count("committed"))
			}
			if s.Progress == nil || s.Progress.Stage != "counting" || s.Progress.Percent != 50 {
				t.Fatalf("progress %+v", s.Progress)
			}
		})
		t.Run("a failing job is retried by its policy", func(t *testing.T) {
			c.fail["flaky"] = 2
			id, _ := q.Enqueue(ctx, countArgs{Name: "flaky"})
			if s := wait(t, q, id); s.State != "completed" || s.Attempt != 3 || c.count("flaky") != 3 {
				t.Fatalf("%+v, runs %d", s, c.count("flaky"))
			}
		})
		t.Run("a job that keeps failing ends failed with its last error", func(t *testing.T) {
			c.fail["broken"] = 10
			id, _ := q.Enqueue(ctx, countArgs{Name: "broken"})
			if s := wait(t, q, id); s.State != "failed" || s.Error != "attempt 3 of broken failed" || c.count("broken") != 3 {
				t.Fatalf("%+v, runs %d", s, c.count("broken"))
			}
		})
		t.Run("a permanent failure is not retried", func(t *testing.T) {
			id, _ := q.Enqueue(ctx, countArgs{Name: "permanent"})
			// The reason reads as the job's own, without the queue's wrapping.
			if s := wait(t, q, id); s.State != "failed" || c.count("permanent") != 1 || s.Error != "the input is unusable" {
				t.Fatalf("%+v, runs %d", s, c.count("permanent"))
			}
		})
		t.Run("listing filters by kind and status", func(t *testing.T) {
			failed, err := q.List(ctx, job.Filter{State: "failed", Limit: 10})
			if err != nil || len(failed) != 2 {
				t.Fatalf("%d failed jobs, %v", len(failed), err)
			}
			all, _ := q.List(ctx, job.Filter{Kind: "count_test", Limit: 100})
			if len(all) != 4 || all[0].ID <= all[3].ID && len(all[0].ID) <= len(all[3].ID) {
				t.Fatalf("jobs %+v", all)
			}
		})
		t.Run("many jobs are read at once, unknown ids left out", func(t *testing.T) {
			all, _ := q.List(ctx, job.Filter{Kind: "count_test", Limit: 100})
			ids := []string{"command:999999", "nonsense"}
			for _, s := range all {
				ids = append(ids, s.ID)
			}
			got, err := q.GetMany(ctx, ids)
			if err != nil || len(got) != len(all) {
				t.Fatalf("%d of %d jobs, %v", len(got), len(all), err)
			}
			for _, s := range all {
				if got[s.ID].State != s.State || got[s.ID].Error != s.Error {
					t.Errorf("%s: %+v, want %+v", s.ID, got[s.ID], s)
				}
			}
		})
		t.Run("an unknown id is not found", func(t *testing.T) {
			for _, id := range []string{"command:999999", "command:x", "x"} {
				if _, err := q.Get(ctx, id); err == nil {
					t.Errorf("%s found", id)
				}
			}
		})
	})
}

func TestACancelledJobStops(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCounter()
		c.block = make(chan struct{})
		q := newQueue(t, db, c, 1)
		id, err := q.Enqueue(t.Context(), countArgs{Name: "long"})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for c.count("long") == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if _, err := q.Cancel(t.Context(), id); err != nil {
			t.Fatal(err)
		}
		if s := wait(t, q, id); s.State != "canceled" {
			t.Fatalf("%+v", s)
		}
	})
}

// TestTwoReplicasRunEachJobExactlyOnce shares one PostgreSQL database
// between two queues, as two replicas would.
func TestTwoReplicasRunEachJobExactlyOnce(t *testing.T) {
	url, dir := storetest.URL(t, store.Postgres)
	open := func() *store.DB {
		db, err := store.Open(t.Context(), url, dir, storetest.Logger())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := newCounter(), newCounter()
	qa := newQueue(t, open(), a, 4)
	qb := newQueue(t, open(), b, 4)
	var ids []string
	for i := range 50 {
		q := qa
		if i%2 == 1 {
			q = qb
		}
		id, err := q.Enqueue(t.Context(), countArgs{Name: fmt.Sprint("job-", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		wait(t, qa, id)
	}
	var byA, byB atomic.Int64
	for i := range 50 {
		name := fmt.Sprint("job-", i)
		na, nb := a.count(name), b.count(name)
		if na+nb != 1 {
			t.Errorf("%s ran %d times on A and %d on B", name, na, nb)
		}
		byA.Add(int64(na))
		byB.Add(int64(nb))
	}
	t.Logf("replica A ran %d jobs, replica B %d", byA.Load(), byB.Load())
}

type shortArgs struct {
	Overrun bool `json:"overrun"` // the first attempt ignores its budget until cancelled
}

func (shortArgs) Kind() string { return "short_test" }

type longArgs struct{}

func (longArgs) Kind() string { return "long_test" }

// A job left running by a process that died is run again once its own
// kind's timeout (and a tenth more) has passed, not after the longest
// timeout of all kinds; a job of a longer kind is left alone until its own
// time. An attempt that runs too long has its context cancelled at its
// policy's timeout.
func TestStuckJobsAreRescuedAfterTheirOwnKindsTimeout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		var longRuns atomic.Int32
		var overran atomic.Int64 // how long an attempt that ignores its budget ran
		reg := job.NewRegistry()
		job.Register(reg, job.Policy{MaxAttempts: 3, Base: 10 * time.Millisecond, Max: 10 * time.Millisecond, Timeout: time.Second},
			func(ctx context.Context, a shortArgs, rep job.Reporter) error {
				if a.Overrun && rep.Attempt() == 1 {
					start := time.Now()
					<-ctx.Done()
					overran.Store(int64(time.Since(start)))
					return ctx.Err()
				}
				return nil
			})
		job.Register(reg, job.Policy{MaxAttempts: 3, Timeout: time.Hour}, func(context.Context, longArgs, job.Reporter) error {
			longRuns.Add(1)
			return nil
		})
		q, err := job.New(db.WritePool(), db.Engine() == store.SQLite, db.TxOf, reg,
			job.Options{Workers: 2, PollInterval: 20 * time.Millisecond, Logger: storetest.Logger()})
		if err != nil {
			t.Fatal(err)
		}

		// The first attempt of a fresh job overruns its one-second budget.
		fresh, err := q.Enqueue(ctx, shortArgs{Overrun: true})
		if err != nil {
			t.Fatal(err)
		}
		// Two jobs a dead process was running five seconds ago.
		before := time.Now().Add(-5 * time.Second)
		short, err := job.InsertStuck(ctx, q, shortArgs{}, before)
		if err != nil {
			t.Fatal(err)
		}
		long, err := job.InsertStuck(ctx, q, longArgs{}, before)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			stop, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			q.Stop(stop)
		})

		if s := wait(t, q, short); s.State != "completed" {
			t.Fatalf("the stuck short job: %+v", s)
		}
		if s := wait(t, q, fresh); s.State != "completed" || s.Attempt != 2 {
			t.Fatalf("the overrunning job: %+v", s)
		}
		if d := time.Duration(overran.Load()); d < 900*time.Millisecond || d > 1800*time.Millisecond {
			t.Errorf("an attempt with a one-second budget was cancelled after %v", d)
		}
		s, err := q.Get(ctx, long)
		if err != nil {
			t.Fatal(err)
		}
		if s.State != "running" || longRuns.Load() != 0 {
			t.Fatalf("the stuck job of the hour-long kind was rescued before its time: %+v, %d runs", s, longRuns.Load())
		}
	})
}
