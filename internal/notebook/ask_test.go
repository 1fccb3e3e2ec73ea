package notebook_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/notebook"
	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// scriptedChat answers like three language models would: the strategy
// model with a plan, the answer model with what it was shown, the final
// model with a summary. It records every prompt.
type scriptedChat struct {
	mu      sync.Mutex
	plan    string
	prompts map[string][]string
	fail    string // a model id that fails
	large   string // the large-context model, when one is set apart
}

func (s *scriptedChat) LanguageModel(_ context.Context, id string) (bool, error) {
	return strings.HasPrefix(id, "model:"), nil
}

// DefaultModel names each slot's model after it; the large-context slot
// falls back to the chat model, as the AI layer's does, unless large is
// set.
func (s *scriptedChat) DefaultModel(_ context.Context, slot string) (string, bool, error) {
	if slot == "large_context" {
		if s.large != "" {
			return s.large, true, nil
		}
		slot = "chat"
	}
	return "model:" + slot, true, nil
}

func (s *scriptedChat) ChatWith(_ context.Context, id string, msgs []provider.Message, _ int) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.prompts == nil {
		s.prompts = map[string][]string{}
	}
	last := msgs[len(msgs)-1].Content
	s.prompts[id] = append(s.prompts[id], last)
	switch {
	case id == s.fail:
		return "", apperr.New(apperr.Upstream, "Chat failed: the provider is down")
	case id == "model:strategy":
		return s.plan, nil
	case id == "model:answer":
		// Searches run at once: answer after the search, not the call order.
		if strings.Contains(last, "instr-one") {
			return "answer 1", nil
		}
		return "answer 2", nil
	case id == "model:chat" || id == "model:big":
		return "<think>Let me see.</think>You asked: " + last, nil
	case id == "model:transformation":
		return "<think>hidden</think>Insight about: " + clipWords(msgs[len(msgs)-1].Content, 6), nil
	default:
		return "final: " + strings.ReplaceAll(last[strings.Index(last, "Partial answers:"):], "\n", " "), nil
	}
}

func TestAskPlansSearchesAnswersAndConcludes(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := t.Context()
	emb := &wordsEmbedder{model: "model:embed"}
	content := newContent(t, db, emb)
	whales, err := content.sources.Add(ctx, notebook.NewSource{Kind: notebook.KindText, Embed: true, Transformations: []string{},
		Content: "Humpback whales sing long songs during the breeding season."})
	if err != nil {
		t.Fatal(err)
	}
	chat := &scriptedChat{plan: "Sure! ```json\n{\"reasoning\":\"Look for songs.\",\"searches\":[" +
		"{\"term\":\"whales sing songs\",\"instructions\":\"instr-one\"},{\"term\":\"breeding season\",\"instructions\":\"instr-two\"}]}\n```"}
	asker := notebook.NewAsker(content.search, content.vectors, chat)
	q := notebook.Question{Question: "When do whales sing?", StrategyModel: "model:strategy",
		AnswerModel: "model:answer", FinalAnswerModel: "model:final"}
	if err := asker.Check(ctx, q); err != nil {
		t.Fatal(err)
	}
	var events []notebook.AskEvent
	final, err := asker.Ask(ctx, q, func(e notebook.AskEvent) { events = append(events, e) })
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range events {
		types = append(types, e.Type)
	}
	if strings.Join(types, ",") != "strategy,answer,answer,final_answer,complete" {
		t.Fatalf("events %v", types)
	}
	if events[0].Reasoning != "Look for songs." || len(events[0].Searches) != 2 || events[4].FinalAnswer != final {
		t.Fatalf("events %+v", events)
	}
	if !strings.Contains(chat.prompts["model:answer"][0], "["+whales.ID+"]") {
		t.Fatalf("the answer model was not shown the matching source: %q", chat.prompts["model:answer"][0])
	}
	if final != "final: Partial answers: - answer 1 - answer 2" {
		t.Fatalf("final %q", final)
	}

	t.Run("an unreadable plan becomes one search for the question", func(t *testing.T) {
		chat.plan = "I cannot produce JSON today."
		var events []notebook.AskEvent
		if _, err := asker.Ask(ctx, q, func(e notebook.AskEvent) { events = append(events, e) }); err != nil {
			t.Fatal(err)
		}
		if len(events[0].Searches) != 1 || events[0].Searches[0].Term != q.Question {
			t.Fatalf("strategy %+v", events[0])
		}
	})
	t.Run("a failing model ends with an error event", func(t *testing.T) {
		chat.fail = "model:final"
		var events []notebook.AskEvent
		_, err := asker.Ask(ctx, q, func(e notebook.AskEvent) { events = append(events, e) })
		last := events[len(events)-1]
		if err == nil || last.Type != "error" || last.Message != "Chat failed: the provider is down" {
			t.Fatalf("%v %+v", err, last)
		}
		chat.fail = ""
	})
	t.Run("bad requests are refused before any model is called", func(t *testing.T) {
		cases := []struct {
			q    notebook.Question
			want string
		}{
			{notebook.Question{Question: " ", StrategyModel: "model:s", AnswerModel: "model:a", FinalAnswerModel: "model:f"}, "Question cannot be empty"},
			{notebook.Question{Question: "q", StrategyModel: "nope", AnswerModel: "model:a", FinalAnswerModel: "model:f"}, "Strategy model nope not found"},
			{notebook.Question{Question: "q", StrategyModel: "model:s", AnswerModel: "x", FinalAnswerModel: "model:f"}, "Answer model x not found"},
			{notebook.Question{Question: "q", StrategyModel: "model:s", AnswerModel: "model:a", FinalAnswerModel: "y"}, "Final answer model y not found"},
		}
		for _, tc := range cases {
			if err := asker.Check(ctx, tc.q); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%+v: %v", tc.q, err)
			}
		}
		noEmbed := notebook.NewAsker(newContent(t, db, nil).search, newContent(t, db, nil).vectors, chat)
		err := noEmbed.Check(ctx, q)
		if e, ok := apperr.As(err); !ok || e.Code != apperr.Invalid || !strings.Contains(err.Error(), "Ask feature requires an embedding model") {
			t.Fatalf("%v", err)
		}

	})
}

// ChatStreamWith answers like ChatWith, in pieces of at most five
// characters, each passed to emit as it is "written".
func (s *scriptedChat) ChatStreamWith(ctx context.Context, id string, msgs []provider.Message, max int, emit func(string) error) (string, error) {
	answer, err := s.ChatWith(ctx, id, msgs, max)
	if err != nil {
		return "", err
	}
	for rest := answer; rest != ""; {
		n := min(5, len(rest))
		if err := emit(rest[:n]); err != nil {
			return "", err
		}
		rest = rest[n:]
	}
	return answer, nil
}

func clipWords(s string, n int) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(n, len(f))], " ")
}
