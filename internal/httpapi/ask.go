package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/open-notebook/open-notebook/internal/notebook"
)

type askIn struct {
	Question         *string `json:"question" required:"true"`
	StrategyModel    *string `json:"strategy_model" required:"true" description:"Id of the language model that plans the searches"`
	AnswerModel      *string `json:"answer_model" required:"true" description:"Id of the language model that answers from each search"`
	FinalAnswerModel *string `json:"final_answer_model" required:"true" description:"Id of the language model that writes the final answer"`
}

type askSimpleOut struct {
	Answer   string `json:"answer"`
	Question string `json:"question"`
}

func (s *Server) askRoutes() []route {
	return []route{
		endpoint(op{Method: "POST", Path: "/api/search/ask", Summary: "Answer a question from the embedded sources and notes, streamed as server-sent events (strategy, answer, final_answer, complete or error)", Tag: "search", Access: Read, Returns: notebook.AskEvent{}},
			func(ctx context.Context, in askIn) (eventStream, error) {
				q, err := s.question(ctx, in)
				return eventStream{run: func(emit func(any)) error {
					_, err := s.app.Ask.Ask(ctx, q, func(e notebook.AskEvent) { emit(e) })
					return err
				}}, err
			}),
		endpoint(op{Method: "POST", Path: "/api/search/ask/simple", Summary: "Answer a question from the embedded sources and notes", Tag: "search", Access: Read},
			func(ctx context.Context, in askIn) (askSimpleOut, error) {
				q, err := s.question(ctx, in)
				if err != nil {
					return askSimpleOut{}, err
				}
				answer, err := s.app.Ask.Ask(ctx, q, func(notebook.AskEvent) {})
				return askSimpleOut{Answer: answer, Question: q.Question}, err
			}),
	}
}

// question checks everything about a question that can be refused, so a
// bad request gets its status before any stream starts.
func (s *Server) question(ctx context.Context, in askIn) (notebook.Question, error) {
	q := notebook.Question{Question: *in.Question, StrategyModel: *in.StrategyModel,
		AnswerModel: *in.AnswerModel, FinalAnswerModel: *in.FinalAnswerModel}
	return q, s.app.Ask.Check(ctx, q)
}

// eventStream answers with server-sent events: each value run emits is one
// "data:" event of JSON, flushed at once. A failure after the stream began
// is the stream's own business (an error event); it is only logged here.
type eventStream struct {
	run func(emit func(any)) error
}

func (eventStream) opaque() {}

func (e eventStream) respond(w http.ResponseWriter, r *http.Request, status int) error {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no") // let reverse proxies pass each event on at once
	w.WriteHeader(status)
	rc := http.NewResponseController(w)
	err := e.run(func(v any) {
		var buf bytes.Buffer
		buf.WriteString("data: ")
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v) // ends with the newline; one more ends the event
		buf.WriteString("\n")
		_, _ = w.Write(buf.Bytes())
		_ = rc.Flush()
	})
	if err != nil {
		loggerFrom(r.Context()).Warn("event stream ended with an error", "error", err)
	}
	return nil
}
