package notebook_test

import (
	"context"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/job"
	"github.com/open-notebook/open-notebook/internal/notebook"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
	"github.com/open-notebook/open-notebook/internal/vector"
)

// content is the notebook services over db, embedding with emb (nil: no
// embedding model) and writing with chat (nil: no language model), their
// jobs run by a real queue with two workers.
type content struct {
	sources         *notebook.Sources
	notes           *notebook.Notes
	search          *notebook.Search
	vectors         *notebook.Embeddings
	transformations *notebook.Transformations
	insights        *notebook.Insights
	queue           *job.Queue
}

func newContent(t *testing.T, db *store.DB, emb *wordsEmbedder, chat ...notebook.Chatter) content {
	t.Helper()
	var e notebook.Embedder
	if emb != nil {
		e = emb
	}
	var writer notebook.Chatter = &scriptedChat{}
	if len(chat) > 0 {
		writer = chat[0]
	}
	var q *job.Queue
	jobs := queueRef{&q}
	vectors := notebook.NewEmbeddings(db, e, db, jobs)
	index := vector.New(db, vector.Options{})
	vectors.SetIndex(index)
	notes := notebook.NewNotes(db, db, vectors, jobs, db, time.Now)
	tr := notebook.NewTransformations(notebook.TransformationsDeps{Store: db, Sources: db, Insights: db, Chat: writer,
		Jobs: jobs, Tx: db, Vectors: vectors, Now: time.Now})
	sources := notebook.NewSources(notebook.SourcesDeps{Store: db, Books: db, Fetch: noFetch{}, Files: notebook.NewDir(t.TempDir()),
		Vectors: vectors, Jobs: jobs, Tx: db, Transformations: db, Now: time.Now})
	reg := job.NewRegistry()
	fast := job.Policy{MaxAttempts: 3, Base: 10 * time.Millisecond, Max: 50 * time.Millisecond, Timeout: time.Minute}
	job.Register(reg, fast, adapt(sources.Process))
	job.Register(reg, fast, adapt(tr.Run))
	job.Register(reg, fast, adapt(vectors.EmbedSourceJob))
	job.Register(reg, fast, adapt(vectors.EmbedNoteJob))
	job.Register(reg, fast, adapt(vectors.EmbedInsightJob))
	job.Register(reg, job.Policy{MaxAttempts: 1, Timeout: time.Minute}, adapt(vectors.Rebuild))
	var err error
	q, err = job.New(db.WritePool(), db.Engine() == store.SQLite, db.TxOf, reg,
		job.Options{Workers: 2, RescueAfter: time.Hour, PollInterval: 20 * time.Millisecond, Logger: storetest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.WithoutCancel(t.Context())); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
	return content{sources: sources, notes: notes, search: notebook.NewSearch(db, vectors, index), vectors: vectors,
		transformations: tr, insights: notebook.NewInsights(db, db, db, notes, jobs), queue: q}
}

// settle waits until no job is waiting or running.
func (c content) settle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	// A job may move between the states while they are listed one after
	// the other (running to queued for a retry): idle must be seen twice.
	idle := 0
	for time.Now().Before(deadline) {
		busy := 0
		for _, state := range []string{"new", "queued", "running"} {
			list, err := c.queue.List(t.Context(), job.Filter{State: state, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			busy += len(list)
		}
		if busy == 0 {
			if idle++; idle == 2 {
				return
			}
		} else {
			idle = 0
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("jobs still running after 30s")
}

type queueRef struct{ q **job.Queue }

func (r queueRef) Enqueue(ctx context.Context, args notebook.JobArgs) (string, error) {
	return (*r.q).Enqueue(ctx, args)
}

func adapt[T job.Args](run func(context.Context, T, notebook.Reporter) error) func(context.Context, T, job.Reporter) error {
	return func(ctx context.Context, args T, rep job.Reporter) error {
		err := run(ctx, args, rep)
		if notebook.IsPermanent(err) {
			return job.Permanent(err)
		}
		return err
	}
}
