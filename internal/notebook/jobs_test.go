package notebook_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/notebook"
	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

func transformationByTitle(t *testing.T, c content, title string) *notebook.Transformation {
	t.Helper()
	list, err := c.transformations.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i := range list {
		if list[i].Title == title {
			return &list[i]
		}
	}
	t.Fatalf("no seeded transformation titled %q", title)
	return nil
}

// A source added in the background is read, embedded and transformed by
// the workers; each insight is embedded in turn, and search finds it.
func TestAsyncSourceIsProcessedTransformedAndEmbedded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		emb := &wordsEmbedder{model: "model:embed"}
		chat := &scriptedChat{}
		c := newContent(t, db, emb, chat)
		summary := transformationByTitle(t, c, "Dense Summary")
		questions := transformationByTitle(t, c, "Reflection Questions")
		s, err := c.sources.Add(ctx, notebook.NewSource{Kind: notebook.KindText, Async: true, Embed: true,
			Content:         "Coral reefs shelter a quarter of marine species in under one percent of the ocean.",
			Transformations: []string{summary.ID, questions.ID, summary.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if s.Status != "new" || s.CommandID == "" || s.Processing == nil || !s.Processing.Async || s.Title != "Processing..." {
			t.Fatalf("queued source: %+v %+v", s, s.Processing)
		}
		c.settle(t)

		got, err := c.sources.Get(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != "completed" || got.EmbeddedChunks != 1 || got.InsightsCount != 2 || got.Processing.CompletedAt == nil ||
			!strings.HasPrefix(got.Title, "Coral reefs") {
			t.Fatalf("processed source: %+v %+v", got, got.Processing)
		}
		st, err := c.queue.Get(ctx, s.CommandID)
		var result struct {
			Queued int `json:"transformations_queued"`
		}
		if err != nil || st.State != "completed" || json.Unmarshal(st.Result, &result) != nil || result.Queued != 2 {
			t.Fatalf("job %+v %v", st, err)
		}
		insights, err := c.insights.List(ctx, s.ID)
		if err != nil || len(insights) != 2 {
			t.Fatalf("insights %+v %v", insights, err)
		}
		for _, in := range insights {
			if strings.Contains(in.Content, "hidden") || !strings.HasPrefix(in.Content, "Insight about: INPUT: Coral reefs") {
				t.Fatalf("insight content %q", in.Content)
			}
		}
		// The model was told the default instructions, then the prompt.
		prompt := chat.prompts["model:transformation"]
		if len(prompt) != 2 {
			t.Fatalf("%d transformation calls", len(prompt))
		}

		// Insights are embedded: vector search finds one, titled after its
		// type and source.
		hits, err := c.search.Vector(ctx, notebook.VectorQuery{Text: "insight about coral reefs", Limit: 10, Sources: true, MinimumScore: 0.1})
		if err != nil {
			t.Fatal(err)
		}
		var insightHit *notebook.SearchHit
		for i := range hits {
			if strings.HasPrefix(hits[i].ID, "source_insight:") {
				insightHit = &hits[i]
			}
		}
		if insightHit == nil || insightHit.ParentID != s.ID || !strings.Contains(insightHit.Title, " - Coral reefs") {
			t.Fatalf("vector hits %+v", hits)
		}
		// Ask plans a search that finds the insight and shows it to the
		// answer model.
		chat.plan = `{"reasoning":"Look at the insights.","searches":[{"term":"insight about coral reefs","instructions":"instr-one"}]}`
		asker := notebook.NewAsker(c.search, c.vectors, chat)
		if _, err := asker.Ask(ctx, notebook.Question{Question: "What do reefs shelter?", StrategyModel: "model:strategy",
			AnswerModel: "model:answer", FinalAnswerModel: "model:final"}, func(notebook.AskEvent) {}); err != nil {
			t.Fatal(err)
		}
		if shown := chat.prompts["model:answer"]; len(shown) != 1 || !strings.Contains(shown[0], insightHit.ID) {
			t.Fatalf("the answer model was not shown the insight %s: %q", insightHit.ID, shown)
		}
		// And text search finds insights too.
		text, err := c.search.Text(ctx, notebook.SearchQuery{Text: "insight", Limit: 10, Sources: true})
		if err != nil || len(text) == 0 {
			t.Fatalf("text hits %+v %v", text, err)
		}

		// Saving an insight as a note makes an embedded AI note.
		note, err := c.insights.SaveAsNote(ctx, insights[0].ID, "")
		if err != nil || note.NoteType != "ai" || !strings.Contains(note.Title, "from source Coral reefs") {
			t.Fatalf("note %+v %v", note, err)
		}
		c.settle(t)

		// Deleting the source takes its insights and their vectors along.
		if err := c.sources.Delete(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := c.insights.Get(ctx, insights[0].ID); !apperr.IsNotFound(err) {
			t.Fatalf("insight of a deleted source: %v", err)
		}
		hits, _ = c.search.Vector(ctx, notebook.VectorQuery{Text: "insight about coral reefs", Limit: 10, Sources: true})
		for _, h := range hits {
			if h.ParentID == s.ID {
				t.Fatalf("vectors of a deleted source remain: %+v", h)
			}
		}
	})
}

// A transformation job retried after a failure makes one insight, not two.
func TestRetriedTransformationMakesOneInsight(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := t.Context()
	chat := &flakyChat{scriptedChat: &scriptedChat{}, failures: 1}
	c := newContent(t, db, &wordsEmbedder{model: "model:embed"}, chat)
	s, err := c.sources.Add(ctx, notebook.NewSource{Kind: notebook.KindText, Content: "Volcanoes build islands.", Transformations: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	_, _, id, err := c.insights.Generate(ctx, s.ID, transformationByTitle(t, c, "Simple Summary").ID)
	if err != nil {
		t.Fatal(err)
	}
	c.settle(t)
	st, _ := c.queue.Get(ctx, id)
	if st.State != "completed" || st.Attempt != 2 {
		t.Fatalf("job %+v", st)
	}
	if list, _ := c.insights.List(ctx, s.ID); len(list) != 1 {
		t.Fatalf("%d insights", len(list))
	}
}

// flakyChat fails its first calls as a provider in trouble would.
type flakyChat struct {
	*scriptedChat
	failures int
}

func (f *flakyChat) ChatWith(ctx context.Context, id string, msgs []provider.Message, max int) (string, error) {
	f.mu.Lock()
	fail := f.failures > 0
	f.failures--
	f.mu.Unlock()
	if fail {
		return "", errors.New("connection reset")
	}
	return f.scriptedChat.ChatWith(ctx, id, msgs, max)
}

// A source whose processing fails for good is marked failed with the
// reason, keeps its row, and can be retried.
func TestFailedSourceIsMarkedAndRetried(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := t.Context()
	c := newContent(t, db, &wordsEmbedder{model: "model:embed"})
	s, err := c.sources.Add(ctx, notebook.NewSource{Kind: notebook.KindUpload, Async: true,
		File: strings.NewReader("   \n  "), FileName: "blank.txt", Transformations: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	c.settle(t)
	got, err := c.sources.Get(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "failed" || got.Processing.Error == "" {
		t.Fatalf("failed source %+v %+v", got, got.Processing)
	}
	st, _ := c.queue.Get(ctx, got.CommandID)
	if st.State != "failed" || st.Attempt != 1 {
		t.Fatalf("a permanent failure is not retried: %+v", st)
	}
	again, err := c.sources.Retry(ctx, s.ID)
	if err != nil || again.Status != "queued" || !again.Processing.Retry || again.CommandID == got.CommandID {
		t.Fatalf("retry %+v %v", again, err)
	}
	if _, err := c.sources.Retry(ctx, s.ID); err == nil || !strings.Contains(err.Error(), "already processing") {
		t.Fatalf("retry while queued: %v", err)
	}
	c.settle(t)
}

// A rebuild embeds everything again with the current model and reports
// its progress item by item.
func TestRebuildEmbedsEverythingWithTheCurrentModel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		c := newContent(t, db, &wordsEmbedder{model: "model:embed"})
		for _, text := range []string{"Glaciers carve valleys.", "Rivers carry silt.", "Wind shapes dunes."} {
			if _, err := c.sources.Add(ctx, notebook.NewSource{Kind: notebook.KindText, Content: text, Embed: true,
				Transformations: []string{}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.notes.Add(ctx, notebook.NewNote{Content: "Erosion is slow."}); err != nil {
			t.Fatal(err)
		}
		c.settle(t)
		// The embedding model changes: only workers that know the new one
		// may run the rebuild.
		if err := c.queue.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		next := newContent(t, db, &wordsEmbedder{model: "model:next"})
		id, total, err := next.vectors.StartRebuild(ctx, notebook.RebuildEmbeddings{Mode: "all", IncludeSources: true,
			IncludeNotes: true, IncludeInsights: true})
		if err != nil || total != 4 {
			t.Fatalf("rebuild %q %d %v", id, total, err)
		}
		st, err := next.queue.Wait(ctx, id)
		if err != nil || st.State != "completed" || st.Progress == nil || st.Progress.Done != 4 || st.Progress.Percent != 100 {
			t.Fatalf("rebuild status %+v %v", st, err)
		}
		// Everything now answers a query embedded with the new model.
		hits, err := next.search.Vector(ctx, notebook.VectorQuery{Text: "glaciers valleys rivers erosion", Limit: 10,
			Sources: true, Notes: true, MinimumScore: 0.01})
		if err != nil || len(hits) != 3 {
			t.Fatalf("hits after rebuild %+v %v", hits, err)
		}
		if _, _, err := next.vectors.StartRebuild(ctx, notebook.RebuildEmbeddings{Mode: "some"}); err == nil {
			t.Fatal("an unknown mode is refused")
		}
	})
}
