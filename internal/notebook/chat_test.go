package notebook_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/notebook"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

func newChats(t *testing.T, db *store.DB, chat *scriptedChat) *notebook.Chats {
	return notebook.NewChats(notebook.ChatsDeps{Store: db, Books: db, Sources: db, Insights: db, Notes: db, Model: chat, Now: time.Now})
}

// A notebook chat keeps its conversation, gives the model the notebook's
// context and the history, streams the answer without the model's
// reasoning, and keeps the person's message when the model fails.
func TestNotebookChatTurns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		chat := &scriptedChat{}
		c := newContent(t, db, nil, chat)
		chats := newChats(t, db, chat)
		nbs := notebook.NewService(db, notebook.NewDir(t.TempDir()), time.Now)
		nb, err := nbs.Create(ctx, "Coral", "Reef ecology")
		if err != nil {
			t.Fatal(err)
		}
		src, err := c.sources.Add(ctx, notebook.NewSource{Kind: notebook.KindText, Notebooks: []string{nb.ID}, Transformations: []string{},
			Content: "Coral polyps host algae that feed them."})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.notes.Add(ctx, notebook.NewNote{NotebookID: nb.ID, Title: "Plan", Content: "Read about bleaching."}); err != nil {
			t.Fatal(err)
		}

		sess, err := chats.CreateNotebookSession(ctx, nb.ID, notebook.SessionInput{})
		if err != nil || sess.Title != "New chat" {
			t.Fatalf("session %+v %v", sess, err)
		}
		var events []string
		var streamed strings.Builder
		reply, err := chats.Send(ctx, sess, notebook.Turn{Message: "What feeds coral?"}, func(e notebook.ChatEvent) {
			events = append(events, e.Type)
			if e.Type == "ai_message" {
				streamed.WriteString(e.Content)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(compact(events), ","); got != "user_message,ai_message,context_indicators,complete" {
			t.Fatalf("events %s", got)
		}
		if reply.Content != "You asked: What feeds coral?" || streamed.String() != reply.Content {
			t.Fatalf("reply %q, streamed %q", reply.Content, streamed.String())
		}
		system := chat.prompts["model:chat"]
		if len(system) != 1 {
			t.Fatalf("%d calls", len(system))
		}
		got, msgs, err := chats.Session(ctx, sess.ID)
		if err != nil || len(msgs) != 2 || got.Title != "What feeds coral?" || got.MessageCount != 2 ||
			got.Indicators == nil || len(got.Indicators.Sources) != 1 || got.Indicators.Sources[0] != src.ID {
			t.Fatalf("stored %+v %+v %v", got, msgs, err)
		}

		// A failing model keeps the person's message; the next turn works
		// and carries the history.
		chat.mu.Lock()
		chat.fail = "model:chat"
		chat.mu.Unlock()
		if _, err := chats.Send(ctx, got, notebook.Turn{Message: "And why?"}, func(notebook.ChatEvent) {}); err == nil {
			t.Fatal("a failing model must fail the turn")
		}
		chat.mu.Lock()
		chat.fail = ""
		chat.mu.Unlock()
		if _, msgs, _ := chats.Session(ctx, sess.ID); len(msgs) != 3 || msgs[2].Content != "And why?" {
			t.Fatalf("after a failure: %+v", msgs)
		}
		if _, err := chats.Send(ctx, got, notebook.Turn{Message: "Try again"}, func(notebook.ChatEvent) {}); err != nil {
			t.Fatal(err)
		}

		// Refusals come before anything is stored.
		if _, err := chats.Prepare(ctx, got, notebook.Turn{Message: "  "}); err == nil || !strings.Contains(err.Error(), "Message content is required") {
			t.Fatalf("empty message: %v", err)
		}
		if _, err := chats.Prepare(ctx, got, notebook.Turn{Message: "x", ModelOverride: "nope"}); !apperr.IsNotFound(err) {
			t.Fatalf("unknown model: %v", err)
		}

		// Deleting the notebook deletes its sessions.
		d, err := nbs.Delete(ctx, nb.ID, false)
		if err != nil || d.ChatSessions != 1 {
			t.Fatalf("delete %+v %v", d, err)
		}
		if _, _, err := chats.Session(ctx, sess.ID); !apperr.IsNotFound(err) {
			t.Fatalf("session after its notebook: %v", err)
		}
	})
}

// compact folds runs of one event type into one.
func compact(events []string) []string {
	var out []string
	for _, e := range events {
		if len(out) == 0 || out[len(out)-1] != e {
			out = append(out, e)
		}
	}
	return out
}

// A conversation longer than the model's budget leaves out its oldest
// messages, and context beyond it is dropped item by item; the turn says
// what was left out.
func TestChatStaysWithinTheBudget(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := t.Context()
	chat := &scriptedChat{}
	c := newContent(t, db, nil, chat)
	chats := newChats(t, db, chat)
	nb, err := notebook.NewService(db, notebook.NewDir(t.TempDir()), time.Now).Create(ctx, "Long", "")
	if err != nil {
		t.Fatal(err)
	}
	// About 19,000 tokens per message and 33,000 per source: the three
	// sources alone are over the budget.
	long := strings.Repeat("Sediment layers record the history of the river basin. ", 1700)
	longer := strings.Repeat("Sediment layers record the history of the river basin. ", 3000)
	var sources []string
	for i := range 3 {
		s, err := c.sources.Add(ctx, notebook.NewSource{Kind: notebook.KindText, Notebooks: []string{nb.ID}, Transformations: []string{},
			Title: "Survey " + string(rune('A'+i)), Content: longer})
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, s.ID)
	}
	sess, err := chats.CreateNotebookSession(ctx, nb.ID, notebook.SessionInput{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := chats.Send(ctx, sess, notebook.Turn{Message: long + string(rune('0'+i)), Context: []byte(`{"sources":[],"notes":[]}`)},
			func(notebook.ChatEvent) {}); err != nil {
			t.Fatal(err)
		}
	}
	// The context asks for all three sources in full: with the history, far
	// over the budget.
	cc, err := chats.Context(ctx, nb.ID, notebook.ContextConfig{Sources: map[string]string{
		sources[0]: "full content", sources[1]: "full content", sources[2]: "full content"}})
	if err != nil || len(cc.Sources) != 3 || cc.TokenCount < 60_000 {
		t.Fatalf("context %d sources, %d tokens, %v", len(cc.Sources), cc.TokenCount, err)
	}
	raw := contextJSON(t, cc)
	var trimmed *notebook.Trimmed
	if _, err := chats.Send(ctx, sess, notebook.Turn{Message: "Summarise", Context: raw}, func(e notebook.ChatEvent) {
		if e.Type == "trimmed" {
			trimmed = e.Trimmed
		}
	}); err != nil {
		t.Fatal(err)
	}
	if trimmed == nil || trimmed.Messages == 0 || len(trimmed.Sources) == 0 || trimmed.Tokens > trimmed.Budget {
		t.Fatalf("trimmed %+v", trimmed)
	}
	calls := chat.prompts["model:chat"]
	if len(calls) != 4 || calls[3] != "Summarise" {
		t.Fatalf("the last call's message: %q", calls[len(calls)-1][:40])
	}

	// With a large-context model set apart, it takes the turn instead and
	// nothing is left out.
	chat.mu.Lock()
	chat.large = "model:big"
	chat.mu.Unlock()
	trimmed = nil
	reply, err := chats.Send(ctx, sess, notebook.Turn{Message: "Summarise again", Context: raw}, func(e notebook.ChatEvent) {
		if e.Type == "trimmed" {
			trimmed = e.Trimmed
		}
	})
	if err != nil || trimmed != nil || reply.ModelID != "model:big" {
		t.Fatalf("large-context turn: %+v %+v %v", reply, trimmed, err)
	}
}

func contextJSON(t *testing.T, cc *notebook.ChatContext) []byte {
	t.Helper()
	b, err := json.Marshal(cc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
