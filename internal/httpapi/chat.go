package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/open-notebook/open-notebook/internal/notebook"
)

type chatSessionOut struct {
	ID            string  `json:"id"`
	Title         string  `json:"title"`
	NotebookID    *string `json:"notebook_id"`
	Created       string  `json:"created"`
	Updated       string  `json:"updated"`
	MessageCount  int     `json:"message_count"`
	ModelOverride *string `json:"model_override"`
}

func toChatSessionOut(s *notebook.ChatSession) chatSessionOut {
	return chatSessionOut{ID: s.ID, Title: s.Title, NotebookID: optional(s.NotebookID), Created: formatTime(s.Created),
		Updated: formatTime(s.Updated), MessageCount: s.MessageCount, ModelOverride: optional(s.ModelOverride)}
}

type chatMessageOut struct {
	ID        string  `json:"id"`
	Type      string  `json:"type" enum:"human,ai"`
	Content   string  `json:"content"`
	Timestamp *string `json:"timestamp"`
}

func toChatMessageOut(m *notebook.ChatMessage) chatMessageOut {
	return chatMessageOut{ID: m.ID, Type: m.Role, Content: m.Content, Timestamp: optionalTime(&m.Created)}
}

type chatSessionWithMessagesOut struct {
	chatSessionOut
	Messages []chatMessageOut `json:"messages"`
}

type chatSessionsIn struct {
	NotebookID string `query:"notebook_id" required:"true"`
}

type chatSessionCreateIn struct {
	NotebookID    *string `json:"notebook_id" required:"true"`
	Title         *string `json:"title" maxLength:"200"`
	ModelOverride *string `json:"model_override" description:"id of the language model this session uses; null: the default chat model"`
}

type chatSessionIDIn struct {
	ID string `path:"session_id"`
}

type chatSessionUpdateIn struct {
	ID            string      `path:"session_id" json:"-"`
	Title         *string     `json:"title" maxLength:"200"`
	ModelOverride Opt[string] `json:"model_override" description:"absent keeps the model; null clears it"`
}

type chatExecuteIn struct {
	SessionID     *string         `json:"session_id" required:"true"`
	Message       *string         `json:"message" required:"true"`
	Context       json.RawMessage `json:"context" required:"true" description:"what the model is given: the context POST /api/chat/context built, or any object"`
	ModelOverride *string         `json:"model_override"`
	Accept        string          `header:"Accept" json:"-" description:"text/event-stream streams the answer as server-sent events"`
}

type chatExecuteOut struct {
	SessionID string           `json:"session_id"`
	Messages  []chatMessageOut `json:"messages"`
	// Trimmed says what was left out to fit the model's budget (new).
	Trimmed *notebook.Trimmed `json:"trimmed,omitempty"`
}

type chatContextIn struct {
	NotebookID    *string `json:"notebook_id" required:"true"`
	ContextConfig *struct {
		Sources map[string]string `json:"sources"`
		Notes   map[string]string `json:"notes"`
	} `json:"context_config" required:"true" description:"per source and note id: \"not in context\", \"insights\" or \"full content\""`
}

type chatContextOut struct {
	Context struct {
		Sources []notebook.SourceContext `json:"sources"`
		Notes   []notebook.NoteContext   `json:"notes"`
	} `json:"context"`
	TokenCount int `json:"token_count"`
	CharCount  int `json:"char_count"`
}

type successOut struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
}

// chatEventOut is one server-sent event of an answer, in the original's
// shape: {"type": ..., "content"|"message"|"data": ...}.
type chatEventOut struct {
	Type      string  `json:"type" enum:"user_message,trimmed,ai_message,context_indicators,complete,error"`
	Content   *string `json:"content,omitempty"`
	Message   *string `json:"message,omitempty"`
	Data      any     `json:"data,omitempty"`
	Timestamp *string `json:"timestamp,omitempty"`
	MessageID *string `json:"message_id,omitempty"`
}

func toChatEventOut(e notebook.ChatEvent) chatEventOut {
	out := chatEventOut{Type: e.Type}
	switch e.Type {
	case "user_message", "ai_message":
		out.Content = &e.Content
	case "trimmed":
		out.Data = e.Trimmed
	case "context_indicators":
		out.Data = e.Indicators
	case "complete":
		if e.Reply != nil {
			out.MessageID = &e.Reply.ID
		}
	}
	return out
}

// chatStream streams a prepared turn: each event as it happens, and a
// failure after the stream began as an error event.
func chatStream(ctx context.Context, turn *notebook.PreparedTurn) eventStream {
	return eventStream{run: func(emit func(any)) error {
		_, err := turn.Run(ctx, func(e notebook.ChatEvent) { emit(toChatEventOut(e)) })
		if err != nil {
			msg := notebook.UserMessage(err)
			emit(chatEventOut{Type: "error", Message: &msg})
		}
		return err
	}}
}

// chatReply is a chat answer: the whole conversation as JSON, or the
// answer streamed.
type chatReply struct {
	stream *eventStream
	body   chatExecuteOut
}

func (chatReply) opaque() {}

func (c chatReply) respond(w http.ResponseWriter, r *http.Request, status int) error {
	if c.stream != nil {
		return c.stream.respond(w, r, status)
	}
	writeJSON(w, status, c.body)
	return nil
}

func wantsStream(accept string) bool { return strings.Contains(accept, "text/event-stream") }

func (s *Server) chatRoutes() []route {
	chats := s.app.Chats
	return []route{
		endpoint(op{Method: "GET", Path: "/api/chat/sessions", Summary: "A notebook's chat sessions, last updated first", Tag: "chat", Access: Read, Failure: "Error fetching chat sessions"},
			func(ctx context.Context, in chatSessionsIn) ([]chatSessionOut, error) {
				list, err := chats.NotebookSessions(ctx, in.NotebookID)
				return mapSlice(list, toChatSessionOut), err
			}),
		endpoint(op{Method: "POST", Path: "/api/chat/sessions", Summary: "Start a chat with a notebook", Tag: "chat", Access: Write, Failure: "Error creating chat session"},
			func(ctx context.Context, in chatSessionCreateIn) (chatSessionOut, error) {
				return render(toChatSessionOut)(chats.CreateNotebookSession(ctx, *in.NotebookID,
					notebook.SessionInput{Title: in.Title, ModelOverride: deref(in.ModelOverride)}))
			}),
		endpoint(op{Method: "GET", Path: "/api/chat/sessions/{session_id}", Summary: "A chat session with its messages", Tag: "chat", Access: Read, Failure: "Error fetching session"},
			func(ctx context.Context, in chatSessionIDIn) (chatSessionWithMessagesOut, error) {
				sess, msgs, err := chats.Session(ctx, in.ID)
				if err != nil {
					return chatSessionWithMessagesOut{}, err
				}
				out := chatSessionWithMessagesOut{chatSessionOut: toChatSessionOut(sess), Messages: mapSlice(msgs, toChatMessageOut)}
				out.MessageCount = len(msgs)
				return out, nil
			}),
		endpoint(op{Method: "PUT", Path: "/api/chat/sessions/{session_id}", Summary: "Rename a chat session or change its model", Tag: "chat", Access: Write, Failure: "Error updating session"},
			func(ctx context.Context, in chatSessionUpdateIn) (chatSessionOut, error) {
				sess, _, err := chats.Session(ctx, in.ID)
				if err != nil {
					return chatSessionOut{}, err
				}
				return render(toChatSessionOut)(chats.UpdateSession(ctx, sess, notebook.SessionInput{Title: in.Title,
					ModelOverride: in.ModelOverride.Value, SetModel: in.ModelOverride.Set}))
			}),
		endpoint(op{Method: "DELETE", Path: "/api/chat/sessions/{session_id}", Summary: "Delete a chat session and its messages", Tag: "chat", Access: Write, Failure: "Error deleting session"},
			func(ctx context.Context, in chatSessionIDIn) (successOut, error) {
				sess, _, err := chats.Session(ctx, in.ID)
				if err != nil {
					return successOut{}, err
				}
				return successOut{true, "Session deleted successfully"}, chats.DeleteSession(ctx, sess)
			}),
		endpoint(op{Method: "POST", Path: "/api/chat/execute", Summary: "Send a message to a notebook chat; with Accept: text/event-stream the answer is streamed (user_message, trimmed, ai_message pieces, context_indicators, complete or error)", Tag: "chat", Access: Write, Failure: "Error executing chat", Returns: chatExecuteOut{}},
			func(ctx context.Context, in chatExecuteIn) (chatReply, error) {
				sess, _, err := chats.Session(ctx, *in.SessionID)
				if err != nil {
					return chatReply{}, err
				}
				turn, err := chats.Prepare(ctx, sess, notebook.Turn{Message: *in.Message, Context: in.Context, ModelOverride: deref(in.ModelOverride)})
				if err != nil {
					return chatReply{}, err
				}
				if wantsStream(in.Accept) {
					stream := chatStream(ctx, turn)
					return chatReply{stream: &stream}, nil
				}
				var trimmed *notebook.Trimmed
				if _, err := turn.Run(ctx, func(e notebook.ChatEvent) {
					if e.Type == "trimmed" {
						trimmed = e.Trimmed
					}
				}); err != nil {
					return chatReply{}, err
				}
				_, msgs, err := chats.Session(ctx, sess.ID)
				if err != nil {
					return chatReply{}, err
				}
				return chatReply{body: chatExecuteOut{SessionID: *in.SessionID, Messages: mapSlice(msgs, toChatMessageOut), Trimmed: trimmed}}, nil
			}),
		endpoint(op{Method: "POST", Path: "/api/chat/context", Summary: "Build what a notebook chat is given, with its token and character counts", Tag: "chat", Access: Read, Failure: "Error building context"},
			func(ctx context.Context, in chatContextIn) (chatContextOut, error) {
				cc, err := chats.Context(ctx, *in.NotebookID, notebook.ContextConfig{Sources: in.ContextConfig.Sources, Notes: in.ContextConfig.Notes})
				if err != nil {
					return chatContextOut{}, err
				}
				var out chatContextOut
				out.Context.Sources, out.Context.Notes = cc.Sources, cc.Notes
				out.TokenCount, out.CharCount = cc.TokenCount, cc.CharCount
				return out, nil
			}),
	}
}

type sourceChatSessionOut struct {
	ID            string  `json:"id"`
	Title         string  `json:"title"`
	SourceID      string  `json:"source_id"`
	ModelOverride *string `json:"model_override"`
	Created       string  `json:"created"`
	Updated       string  `json:"updated"`
	MessageCount  int     `json:"message_count"`
}

func sourceSessionOut(sourceID string) func(*notebook.ChatSession) sourceChatSessionOut {
	return func(s *notebook.ChatSession) sourceChatSessionOut {
		return sourceChatSessionOut{ID: s.ID, Title: s.Title, SourceID: sourceID, ModelOverride: optional(s.ModelOverride),
			Created: formatTime(s.Created), Updated: formatTime(s.Updated), MessageCount: s.MessageCount}
	}
}

type sourceChatSessionWithMessagesOut struct {
	sourceChatSessionOut
	Messages          []chatMessageOut            `json:"messages"`
	ContextIndicators *notebook.ContextIndicators `json:"context_indicators"`
}

type sourceChatCreateIn struct {
	SourceID      string  `path:"source_id" json:"-"`
	BodySourceID  *string `json:"source_id" description:"accepted for compatibility; the path's source is used"`
	Title         *string `json:"title" maxLength:"200"`
	ModelOverride *string `json:"model_override"`
}

type sourceChatIDIn struct {
	SourceID  string `path:"source_id"`
	SessionID string `path:"session_id"`
}

type sourceChatUpdateIn struct {
	SourceID      string  `path:"source_id" json:"-"`
	SessionID     string  `path:"session_id" json:"-"`
	Title         *string `json:"title" maxLength:"200"`
	ModelOverride *string `json:"model_override" description:"a model id; null keeps the current one"`
}

type sourceChatMessageIn struct {
	SourceID      string  `path:"source_id" json:"-"`
	SessionID     string  `path:"session_id" json:"-"`
	Message       *string `json:"message" required:"true"`
	ModelOverride *string `json:"model_override"`
}

func (s *Server) sourceChatRoutes() []route {
	chats := s.app.Chats
	const base = "/api/sources/{source_id}/chat/sessions"
	return []route{
		endpoint(op{Method: "POST", Path: base, Summary: "Start a chat with one source", Tag: "source-chat", Access: Write, Failure: "Error creating source chat session"},
			func(ctx context.Context, in sourceChatCreateIn) (sourceChatSessionOut, error) {
				return render(sourceSessionOut(in.SourceID))(chats.CreateSourceSession(ctx, in.SourceID,
					notebook.SessionInput{Title: in.Title, ModelOverride: deref(in.ModelOverride)}))
			}),
		endpoint(op{Method: "GET", Path: base, Summary: "A source's chat sessions, newest first", Tag: "source-chat", Access: Read, Failure: "Error fetching source chat sessions"},
			func(ctx context.Context, in sourceIDIn) ([]sourceChatSessionOut, error) {
				list, err := chats.SourceSessions(ctx, in.ID)
				return mapSlice(list, sourceSessionOut(in.ID)), err
			}),
		endpoint(op{Method: "GET", Path: base + "/{session_id}", Summary: "A source chat session with its messages and what the last answer was given", Tag: "source-chat", Access: Read, Failure: "Error fetching source chat session"},
			func(ctx context.Context, in sourceChatIDIn) (sourceChatSessionWithMessagesOut, error) {
				sess, msgs, err := chats.SourceSession(ctx, in.SourceID, in.SessionID)
				if err != nil {
					return sourceChatSessionWithMessagesOut{}, err
				}
				out := sourceChatSessionWithMessagesOut{sourceChatSessionOut: sourceSessionOut(in.SourceID)(sess),
					Messages: mapSlice(msgs, toChatMessageOut), ContextIndicators: sess.Indicators}
				out.MessageCount = len(msgs)
				return out, nil
			}),
		endpoint(op{Method: "PUT", Path: base + "/{session_id}", Summary: "Rename a source chat session or change its model", Tag: "source-chat", Access: Write, Failure: "Error updating source chat session"},
			func(ctx context.Context, in sourceChatUpdateIn) (sourceChatSessionOut, error) {
				sess, _, err := chats.SourceSession(ctx, in.SourceID, in.SessionID)
				if err != nil {
					return sourceChatSessionOut{}, err
				}
				return render(sourceSessionOut(in.SourceID))(chats.UpdateSession(ctx, sess, notebook.SessionInput{Title: in.Title,
					ModelOverride: deref(in.ModelOverride), SetModel: deref(in.ModelOverride) != ""}))
			}),
		endpoint(op{Method: "DELETE", Path: base + "/{session_id}", Summary: "Delete a source chat session", Tag: "source-chat", Access: Write, Failure: "Error deleting source chat session"},
			func(ctx context.Context, in sourceChatIDIn) (successOut, error) {
				sess, _, err := chats.SourceSession(ctx, in.SourceID, in.SessionID)
				if err != nil {
					return successOut{}, err
				}
				return successOut{true, "Source chat session deleted successfully"}, chats.DeleteSession(ctx, sess)
			}),
		endpoint(op{Method: "POST", Path: base + "/{session_id}/messages", Summary: "Send a message to a source chat; the answer is streamed as server-sent events (user_message, trimmed, ai_message pieces, context_indicators, complete or error)", Tag: "source-chat", Access: Write, Failure: "Error sending message", Returns: chatEventOut{}},
			func(ctx context.Context, in sourceChatMessageIn) (eventStream, error) {
				sess, _, err := chats.SourceSession(ctx, in.SourceID, in.SessionID)
				if err != nil {
					return eventStream{}, err
				}
				turn, err := chats.Prepare(ctx, sess, notebook.Turn{Message: *in.Message, ModelOverride: deref(in.ModelOverride)})
				if err != nil {
					return eventStream{}, err
				}
				return chatStream(ctx, turn), nil
			}),
	}
}
