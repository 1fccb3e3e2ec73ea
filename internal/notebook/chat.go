package notebook

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/record"
	"github.com/open-notebook/open-notebook/internal/token"
)

// ChatSessionTable is the id prefix of chat sessions.
const ChatSessionTable = "chat_session"

// ChatSession is a conversation about a notebook (NotebookID set) or about
// one source (SourceID set).
type ChatSession struct {
	ID            string
	Title         string
	NotebookID    string
	SourceID      string
	ModelOverride string // "" uses the default chat model
	// Indicators are the items the last answer was given.
	Indicators   *ContextIndicators
	Created      time.Time
	Updated      time.Time
	MessageCount int
}

// ChatMessage is one message of a conversation.
type ChatMessage struct {
	ID        string
	SessionID string
	Role      string // "human" or "ai"
	Content   string
	ModelID   string // the model that wrote an answer
	Created   time.Time
}

// ContextIndicators name the items a model was given.
type ContextIndicators struct {
	Sources  []string `json:"sources"`
	Insights []string `json:"insights"`
	Notes    []string `json:"notes"`
}

// ChatSessionFilter selects the sessions of a notebook or of a source.
type ChatSessionFilter struct {
	NotebookID string
	SourceID   string
}

// ChatStore persists sessions and their messages. A missing id is an
// apperr NotFound error.
type ChatStore interface {
	CreateChatSession(ctx context.Context, s *ChatSession) error
	ChatSession(ctx context.Context, id string) (*ChatSession, error)
	// ListChatSessions returns a notebook's sessions, last updated first,
	// or a source's, newest first.
	ListChatSessions(ctx context.Context, f ChatSessionFilter) ([]ChatSession, error)
	UpdateChatSession(ctx context.Context, s *ChatSession) error
	DeleteChatSession(ctx context.Context, id string) error
	// AppendChatMessage stores a message after the session's last one.
	AppendChatMessage(ctx context.Context, m *ChatMessage) error
	ChatMessages(ctx context.Context, sessionID string) ([]ChatMessage, error)
}

// Streamer writes answers with language models, streamed.
type Streamer interface {
	Chatter
	// ChatStreamWith calls modelID with messages and passes the answer's
	// text to emit as it arrives; it returns the whole answer.
	ChatStreamWith(ctx context.Context, modelID string, messages []provider.Message, maxTokens int, emit func(string) error) (string, error)
}

// Chats holds conversations with a notebook's sources and notes, or with
// one source, and writes their answers.
type Chats struct {
	store    ChatStore
	books    NotebookReader
	sources  SourceStore
	insights InsightStore
	notes    NoteStore
	model    Streamer
	now      func() time.Time
}

// ChatsDeps are what the chat service works with.
type ChatsDeps struct {
	Store    ChatStore
	Books    NotebookReader
	Sources  SourceStore
	Insights InsightStore
	Notes    NoteStore
	Model    Streamer
	Now      func() time.Time
}

// NewChats returns the chat service.
func NewChats(d ChatsDeps) *Chats {
	return &Chats{store: d.Store, books: d.Books, sources: d.Sources, insights: d.Insights, notes: d.Notes,
		model: d.Model, now: d.Now}
}

// Chat limits. The budget is what one call may send: above it the default
// large-context model is used when one is set, else the oldest messages,
// then the least important context, are left out (and the answer says so).
const (
	chatAnswerTokens   = 8192
	chatBudget         = 105_000
	largeContextBudget = 900_000
	maxChatMessage     = 100_000 // characters
	maxChatTitle       = 200
	// sourceChatContextTokens bounds what source chat sends of its source.
	sourceChatContextTokens = 50_000
)

var (
	errSessionNotFound       = apperr.New(apperr.NotFound, "Session not found")
	errSourceSessionNotFound = apperr.New(apperr.NotFound, "Session not found for this source")
)

// ErrChatSessionNotFound is returned by stores for a missing session.
func ErrChatSessionNotFound() error { return errSessionNotFound }

// SessionInput creates or changes a session. For a change, nil fields are
// kept; ModelOverride is applied when SetModel is true ("" clears it).
type SessionInput struct {
	Title         *string
	ModelOverride string
	SetModel      bool
}

func (c *Chats) checkSession(ctx context.Context, in SessionInput) (string, error) {
	if in.Title != nil && utf8.RuneCountInString(*in.Title) > maxChatTitle {
		return "", apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", "title"}, Type: "string_too_long",
			Msg: "String should have at most 200 characters"})
	}
	if !in.SetModel || in.ModelOverride == "" {
		return "", nil
	}
	ok, err := c.model.LanguageModel(ctx, in.ModelOverride)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", apperr.Newf(apperr.NotFound, "Model %s not found", in.ModelOverride)
	}
	return in.ModelOverride, nil
}

// CreateNotebookSession starts a conversation about a notebook.
func (c *Chats) CreateNotebookSession(ctx context.Context, notebookID string, in SessionInput) (*ChatSession, error) {
	id, ok := record.Normalize(Table, notebookID)
	if ok {
		_, err := c.books.Notebook(ctx, id)
		if err != nil && !apperr.IsNotFound(err) {
			return nil, err
		}
		ok = err == nil
	}
	if !ok {
		return nil, apperr.New(apperr.NotFound, "Notebook not found")
	}
	return c.create(ctx, &ChatSession{NotebookID: id}, in, "New chat")
}

// CreateSourceSession starts a conversation about one source.
func (c *Chats) CreateSourceSession(ctx context.Context, sourceID string, in SessionInput) (*ChatSession, error) {
	src, err := c.source(ctx, sourceID)
	if err != nil {
		return nil, err
	}
	return c.create(ctx, &ChatSession{SourceID: src.ID}, in, "Source chat")
}

func (c *Chats) create(ctx context.Context, s *ChatSession, in SessionInput, title string) (*ChatSession, error) {
	in.SetModel = true
	model, err := c.checkSession(ctx, in)
	if err != nil {
		return nil, err
	}
	if in.Title != nil && strings.TrimSpace(*in.Title) != "" {
		title = strings.TrimSpace(*in.Title)
	}
	now := c.now().UTC()
	s.ID, s.Title, s.ModelOverride, s.Created, s.Updated = record.NewID(ChatSessionTable), title, model, now, now
	if err := c.store.CreateChatSession(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}

func (c *Chats) source(ctx context.Context, id string) (*Source, error) {
	full, ok := record.Normalize(SourceTable, id)
	if !ok {
		return nil, apperr.New(apperr.NotFound, "Source not found")
	}
	s, err := c.sources.Source(ctx, full)
	if apperr.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "Source not found")
	}
	return s, err
}

// NotebookSessions lists a notebook's conversations, last updated first.
func (c *Chats) NotebookSessions(ctx context.Context, notebookID string) ([]ChatSession, error) {
	id, ok := record.Normalize(Table, notebookID)
	if ok {
		_, err := c.books.Notebook(ctx, id)
		if err != nil && !apperr.IsNotFound(err) {
			return nil, err
		}
		ok = err == nil
	}
	if !ok {
		return nil, apperr.New(apperr.NotFound, "Notebook not found")
	}
	return c.store.ListChatSessions(ctx, ChatSessionFilter{NotebookID: id})
}

// SourceSessions lists a source's conversations, newest first.
func (c *Chats) SourceSessions(ctx context.Context, sourceID string) ([]ChatSession, error) {
	src, err := c.source(ctx, sourceID)
	if err != nil {
		return nil, err
	}
	return c.store.ListChatSessions(ctx, ChatSessionFilter{SourceID: src.ID})
}

// Session returns a session with its messages.
func (c *Chats) Session(ctx context.Context, id string) (*ChatSession, []ChatMessage, error) {
	full, ok := record.Normalize(ChatSessionTable, id)
	if !ok {
		return nil, nil, errSessionNotFound
	}
	s, err := c.store.ChatSession(ctx, full)
	if err != nil {
		return nil, nil, err
	}
	msgs, err := c.store.ChatMessages(ctx, s.ID)
	return s, msgs, err
}

// SourceSession returns a session of a source with its messages; a session
// of another source or notebook is not found.
func (c *Chats) SourceSession(ctx context.Context, sourceID, id string) (*ChatSession, []ChatMessage, error) {
	src, err := c.source(ctx, sourceID)
	if err != nil {
		return nil, nil, err
	}
	s, msgs, err := c.Session(ctx, id)
	if apperr.IsNotFound(err) || (err == nil && s.SourceID != src.ID) {
		return nil, nil, errSourceSessionNotFound
	}
	return s, msgs, err
}

// UpdateSession renames a session or changes its model.
func (c *Chats) UpdateSession(ctx context.Context, s *ChatSession, in SessionInput) (*ChatSession, error) {
	model, err := c.checkSession(ctx, in)
	if err != nil {
		return nil, err
	}
	if in.Title != nil {
		s.Title = strings.TrimSpace(*in.Title)
	}
	if in.SetModel {
		s.ModelOverride = model
	}
	s.Updated = c.now().UTC()
	if err := c.store.UpdateChatSession(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}

// DeleteSession deletes a session and its messages.
func (c *Chats) DeleteSession(ctx context.Context, s *ChatSession) error {
	return c.store.DeleteChatSession(ctx, s.ID)
}

// ChatEvent is one step of an answer being written: user_message (the
// message was stored), trimmed (what the budget left out), ai_message (a
// piece of the answer), context_indicators (what the model was given),
// complete (the answer was stored) or error.
type ChatEvent struct {
	Type       string
	Content    string
	Message    string
	Indicators *ContextIndicators
	Trimmed    *Trimmed
	Reply      *ChatMessage // on complete
}

// Trimmed says what a turn left out to stay within the model's budget.
type Trimmed struct {
	Messages         int      `json:"messages"` // earlier messages of the conversation
	Sources          []string `json:"sources"`
	Notes            []string `json:"notes"`
	ContextTruncated bool     `json:"context_truncated"`
	Tokens           int      `json:"tokens"` // what was sent
	Budget           int      `json:"budget"`
}

// Turn is one message to a session. Context is what notebook chat is
// given (the object POST /api/chat/context built, or anything the client
// chose); source chat builds its own.
type Turn struct {
	Message       string
	Context       json.RawMessage
	ModelOverride string
}

// Send adds a person's message to a session, has a model answer it, and
// stores the answer: Prepare, then Run.
func (c *Chats) Send(ctx context.Context, s *ChatSession, t Turn, emit func(ChatEvent)) (*ChatMessage, error) {
	p, err := c.Prepare(ctx, s, t)
	if err != nil {
		return nil, err
	}
	return p.Run(ctx, emit)
}

// PreparedTurn is a turn that passed every check and fits the model: all
// that is left is to run it.
type PreparedTurn struct {
	c       *Chats
	session *ChatSession
	message string
	modelID string
	prompt  *chatPrompt
	msgs    []provider.Message
	trimmed *Trimmed
}

// Prepare checks a turn (message, model, session) and builds what the
// model will be sent, within its budget. Nothing is stored yet, so a
// refused turn leaves no trace and can be answered with a status.
func (c *Chats) Prepare(ctx context.Context, s *ChatSession, t Turn) (*PreparedTurn, error) {
	if strings.TrimSpace(t.Message) == "" {
		return nil, apperr.New(apperr.Invalid, "Message content is required")
	}
	if utf8.RuneCountInString(t.Message) > maxChatMessage {
		return nil, apperr.Newf(apperr.Invalid, "A message may have at most %d characters", maxChatMessage)
	}
	modelID, err := c.chooseModel(ctx, s, t.ModelOverride)
	if err != nil {
		return nil, err
	}
	var prompt *chatPrompt
	if s.SourceID != "" {
		prompt, err = c.sourcePrompt(ctx, s.SourceID)
	} else {
		prompt, err = c.notebookPrompt(ctx, s.NotebookID, t.Context)
	}
	if err != nil {
		return nil, err
	}
	history, err := c.store.ChatMessages(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	msgs, trimmed, modelID, err := c.fit(ctx, prompt, history, t.Message, modelID)
	if err != nil {
		return nil, err
	}
	return &PreparedTurn{c: c, session: s, message: t.Message, modelID: modelID, prompt: prompt, msgs: msgs, trimmed: trimmed}, nil
}

// Run stores the person's message, streams the model's answer to emit and
// stores it. The message is stored before the model is called, so a
// failure keeps it; the failure is returned (and the next turn works).
func (p *PreparedTurn) Run(ctx context.Context, emit func(ChatEvent)) (*ChatMessage, error) {
	c, s := p.c, p.session
	now := c.now().UTC()
	human := &ChatMessage{ID: record.NewID("chat_message"), SessionID: s.ID, Role: "human", Content: p.message, Created: now}
	if err := c.store.AppendChatMessage(ctx, human); err != nil {
		return nil, err
	}
	if s.Title == "New chat" || s.Title == "Source chat" {
		s.Title = clip(strings.Join(strings.Fields(p.message), " "), 60)
	}
	s.Updated = now
	if err := c.store.UpdateChatSession(ctx, s); err != nil {
		return nil, err
	}
	emit(ChatEvent{Type: "user_message", Content: p.message})
	if p.trimmed != nil {
		emit(ChatEvent{Type: "trimmed", Trimmed: p.trimmed})
	}
	visible := thinkFilter{}
	answer, err := c.model.ChatStreamWith(ctx, p.modelID, p.msgs, chatAnswerTokens, func(piece string) error {
		if out := visible.add(piece); out != "" {
			emit(ChatEvent{Type: "ai_message", Content: out})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The answer is stored even if the person left meanwhile: it was paid
	// for, and the session shows it next time.
	store := context.WithoutCancel(ctx)
	reply := &ChatMessage{ID: record.NewID("chat_message"), SessionID: s.ID, Role: "ai", Content: stripThinking(answer),
		ModelID: p.modelID, Created: c.now().UTC()}
	if err := c.store.AppendChatMessage(store, reply); err != nil {
		return nil, err
	}
	s.Indicators, s.Updated = p.prompt.indicators(), reply.Created
	if err := c.store.UpdateChatSession(store, s); err != nil {
		return nil, err
	}
	emit(ChatEvent{Type: "context_indicators", Indicators: s.Indicators})
	emit(ChatEvent{Type: "complete", Reply: reply})
	return reply, nil
}

// chooseModel picks the turn's model: the request's override, else the
// session's, else the default chat model.
func (c *Chats) chooseModel(ctx context.Context, s *ChatSession, override string) (string, error) {
	id := strings.TrimSpace(override)
	if id == "" {
		id = s.ModelOverride
	}
	if id != "" {
		ok, err := c.model.LanguageModel(ctx, id)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", apperr.Newf(apperr.NotFound, "Model %s not found", id)
		}
		return id, nil
	}
	id, ok, err := c.model.DefaultModel(ctx, "chat")
	if err != nil {
		return "", err
	}
	if !ok {
		return "", apperr.New(apperr.Invalid, "No model configured for chat. Please go to Settings → Models and configure a default model for 'chat'.")
	}
	return id, nil
}

// fit builds the messages of a call within the model's budget. Over it, the
// default large-context model takes over when one is set apart from the
// chosen model; otherwise the oldest messages are left out, then context
// items from the end, then the context is cut.
func (c *Chats) fit(ctx context.Context, p *chatPrompt, history []ChatMessage, message, modelID string) ([]provider.Message, *Trimmed, string, error) {
	budget := chatBudget - chatAnswerTokens
	// Each part is counted once; the total is kept as parts are left out.
	counts := make([]int, len(history))
	past := 0
	for i, m := range history {
		counts[i] = token.Count(m.Content) + 4 // a message's own framing
		past += counts[i]
	}
	promptTokens := token.Count(p.text())
	fixed := token.Count(message) + 4
	n := promptTokens + past + fixed
	if n > budget {
		if large, ok, err := c.model.DefaultModel(ctx, "large_context"); err != nil {
			return nil, nil, "", err
		} else if ok && large != modelID {
			modelID, budget = large, largeContextBudget-chatAnswerTokens
		}
	}
	var trimmed *Trimmed
	if n > budget {
		trimmed = &Trimmed{Budget: budget + chatAnswerTokens, Sources: []string{}, Notes: []string{}}
		for len(history) > 0 && n > budget {
			n -= counts[0]
			history, counts = history[1:], counts[1:]
			trimmed.Messages++
		}
		for n > budget && p.drop(trimmed) {
			old := promptTokens
			promptTokens = token.Count(p.text())
			n += promptTokens - old
		}
		if n > budget {
			room := budget - (n - token.Count(p.context))
			p.context = token.Truncate(p.context, max(room-32, 0)) + "\n\n[The context was cut here to fit the model.]"
			trimmed.ContextTruncated = true
			old := promptTokens
			promptTokens = token.Count(p.text())
			n += promptTokens - old
		}
		trimmed.Tokens = n
	}
	msgs := []provider.Message{{Role: "system", Content: p.text()}}
	for _, m := range history {
		role := "user"
		if m.Role == "ai" {
			role = "assistant"
		}
		msgs = append(msgs, provider.Message{Role: role, Content: m.Content})
	}
	msgs = append(msgs, provider.Message{Role: "user", Content: message})
	return msgs, trimmed, modelID, nil
}

// thinkFilter passes on the text of a streamed answer without the
// reasoning some models print between <think> tags, holding back a
// possible tag until it is complete.
type thinkFilter struct {
	all  strings.Builder
	sent string
}

func (f *thinkFilter) add(piece string) string {
	f.all.WriteString(piece)
	text := f.all.String()
	var out strings.Builder
	for {
		open := strings.Index(text, "<think>")
		if open < 0 {
			break
		}
		out.WriteString(text[:open])
		end := strings.Index(text[open:], "</think>")
		if end < 0 {
			text = ""
			break
		}
		text = text[open+end+len("</think>"):]
	}
	// Hold back what may be the start of a tag.
	if i := strings.LastIndex(text, "<"); i >= 0 && strings.HasPrefix("<think>", text[i:]) {
		text = text[:i]
	}
	out.WriteString(text)
	vis := out.String()
	if len(vis) <= len(f.sent) || !strings.HasPrefix(vis, f.sent) {
		return ""
	}
	piece = vis[len(f.sent):]
	f.sent = vis
	return piece
}
