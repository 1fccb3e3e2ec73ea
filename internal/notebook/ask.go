package notebook

import (
	"context"
	"sync"

	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/token"
)

// Chatter asks language models by id (the AI layer implements it).
type Chatter interface {
	// DefaultModel returns the id of a slot's default model ("chat",
	// "transformation", ...); ok is false when none is configured.
	DefaultModel(ctx context.Context, slot string) (id string, ok bool, err error)
	// LanguageModel reports whether id names a registered language model.
	LanguageModel(ctx context.Context, id string) (bool, error)
	ChatWith(ctx context.Context, modelID string, messages []provider.Message, maxTokens int) (string, error)
}

// Asker answers questions from the embedded sources and notes: a strategy
// model plans searches, an answer model answers each from what the search
// found, and a final model writes the answer.
type Asker struct {
	search  *Search
	vectors *Embeddings
	chat    Chatter
}

// NewAsker returns an Asker that searches with search.
func NewAsker(search *Search, vectors *Embeddings, chat Chatter) *Asker {
	return &Asker{search: search, vectors: vectors, chat: chat}
}

// Question is a question and the models that answer it.
type Question struct {
	Question         string
	StrategyModel    string
	AnswerModel      string
	FinalAnswerModel string
}

// AskSearch is one search the strategy model planned.
type AskSearch struct {
	Term         string `json:"term"`
	Instructions string `json:"instructions"`
}

// AskEvent is one step of an answer, as the original streams them.
type AskEvent struct {
	Type        string      `json:"type"` // strategy, answer, final_answer, complete or error
	Reasoning   string      `json:"reasoning,omitempty"`
	Searches    []AskSearch `json:"searches,omitempty"`
	Content     string      `json:"content,omitempty"`
	FinalAnswer string      `json:"final_answer,omitempty"`
	Message     string      `json:"message,omitempty"`
}

// Limits of one answer: how many searches the plan may hold, how many
// excerpts each search gives the answer model, and the models' output.
const (
	maxSearches      = 5
	excerptsPerTerm  = 5
	strategyTokens   = 800
	answerTokens     = 800
	finalTokens      = 1500
	askMinimumScore  = 0.2
	askParallel      = 3 // searches and answers at once: bounded, to spare the provider's rate limits
	noAskEmbedding   = "Ask feature requires an embedding model. Please configure one in the Models section."
	askQuestionEmpty = "Question cannot be empty"
)

// Check validates a question before any model is called, so a request can
// be refused with a status before a stream starts.
func (a *Asker) Check(ctx context.Context, q Question) error {
	if strings.TrimSpace(q.Question) == "" {
		return apperr.New(apperr.Invalid, askQuestionEmpty)
	}
	for _, m := range []struct{ label, id string }{
		{"Strategy", q.StrategyModel}, {"Answer", q.AnswerModel}, {"Final answer", q.FinalAnswerModel},
	} {
		ok, err := a.chat.LanguageModel(ctx, m.id)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.Newf(apperr.Invalid, "%s model %s not found", m.label, m.id)
		}
	}
	if ok, err := a.vectors.Available(ctx); err != nil {
		return err
	} else if !ok {
		return apperr.New(apperr.Invalid, noAskEmbedding)
	}
	return nil
}

// Ask answers q, calling emit with each step, and returns the final
// answer. A failure after the first step is emitted as an error event and
// returned.
func (a *Asker) Ask(ctx context.Context, q Question, emit func(AskEvent)) (string, error) {
	final, err := a.ask(ctx, q, emit)
	if err != nil {
		emit(AskEvent{Type: "error", Message: userMessage(err)})
		return "", err
	}
	emit(AskEvent{Type: "complete", FinalAnswer: final})
	return final, nil
}

func (a *Asker) ask(ctx context.Context, q Question, emit func(AskEvent)) (string, error) {
	plan, err := a.chat.ChatWith(ctx, q.StrategyModel, []provider.Message{
		{Role: "system", Content: strategyPrompt},
		{Role: "user", Content: q.Question},
	}, strategyTokens)
	if err != nil {
		return "", err
	}
	reasoning, searches := parsePlan(plan, q.Question)
	emit(AskEvent{Type: "strategy", Reasoning: reasoning, Searches: searches})

	// The searches and their answers run at once, at most askParallel at a
	// time; answers are emitted as they arrive and kept in plan order for
	// the final answer.
	answers := make([]string, len(searches))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(askParallel)
	var mu sync.Mutex
	for i, s := range searches {
		g.Go(func() error {
			hits, err := a.search.Vector(gctx, VectorQuery{Text: s.Term, Limit: excerptsPerTerm,
				Sources: true, Notes: true, MinimumScore: askMinimumScore})
			if errors.Is(err, errNoEmbeddingModel) {
				return apperr.New(apperr.Invalid, noAskEmbedding)
			}
			if err != nil {
				return err
			}
			answer, err := a.chat.ChatWith(gctx, q.AnswerModel, []provider.Message{
				{Role: "system", Content: answerPrompt},
				{Role: "user", Content: fmt.Sprintf("Question: %s\nSearch: %s\nInstructions: %s\n\nExcerpts:\n%s",
					q.Question, s.Term, s.Instructions, excerpts(hits))},
			}, answerTokens)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			answers[i] = answer
			emit(AskEvent{Type: "answer", Content: answer})
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return "", err
	}

	final, err := a.chat.ChatWith(ctx, q.FinalAnswerModel, []provider.Message{
		{Role: "system", Content: finalPrompt},
		{Role: "user", Content: "Question: " + q.Question + "\n\nPartial answers:\n- " + strings.Join(answers, "\n- ")},
	}, finalTokens)
	if err != nil {
		return "", err
	}
	emit(AskEvent{Type: "final_answer", Content: final})
	return final, nil
}

const strategyPrompt = `You plan how to answer a question from a user's research notebook.
Reply with JSON only: {"reasoning": "<one or two sentences>", "searches": [{"term": "<search words>", "instructions": "<what to look for>"}]}
Plan between 1 and 5 searches.`

const answerPrompt = `Answer from the excerpts only. Cite the ids in square brackets, e.g. [source:abc]. If the excerpts do not answer, say so.`

const finalPrompt = `Write the final answer to the question from the partial answers. Keep their citations. Do not invent facts.`

// parsePlan reads the strategy model's JSON plan, tolerating text around
// it. A plan that cannot be read becomes one search for the question.
func parsePlan(text, question string) (string, []AskSearch) {
	var plan struct {
		Reasoning string      `json:"reasoning"`
		Searches  []AskSearch `json:"searches"`
	}
	if i, j := strings.Index(text, "{"), strings.LastIndex(text, "}"); i >= 0 && j > i {
		_ = json.Unmarshal([]byte(text[i:j+1]), &plan)
	}
	var searches []AskSearch
	for _, s := range plan.Searches {
		if s.Term = strings.TrimSpace(s.Term); s.Term != "" && len(searches) < maxSearches {
			searches = append(searches, s)
		}
	}
	if len(searches) == 0 {
		return strings.TrimSpace(text), []AskSearch{{Term: question, Instructions: "Find what answers the question."}}
	}
	return plan.Reasoning, searches
}

// excerptTokens bounds what one search gives its answer model, counted
// in tokens: the best hits come first, and a hit that no longer fits is
// cut.
const excerptTokens = 12_000

func excerpts(hits []SearchHit) string {
	if len(hits) == 0 {
		return "(nothing relevant was found)"
	}
	var b strings.Builder
	left := excerptTokens
	for _, h := range hits {
		line := fmt.Sprintf("[%s] %s: %s\n", h.ID, h.Title, strings.Join(h.Matches, " "))
		n := token.Count(line)
		if n > left {
			if left > 200 {
				b.WriteString(token.Truncate(line, left) + "…\n")
			}
			break
		}
		left -= n
		b.WriteString(line)
	}
	return b.String()
}

// userMessage is an error's text when it is meant for users.
// UserMessage is what a person is told of a failure: its message when it
// is meant for them, else a plain sentence (the cause stays in the logs).
func UserMessage(err error) string { return userMessage(err) }

func userMessage(err error) string {
	if e, ok := apperr.As(err); ok && e.Code != apperr.Internal {
		return e.Message
	}
	return "The answer could not be completed."
}
