package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/open-notebook/open-notebook/internal/apperr"
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
		{method: "POST", path: "/api/search/ask", summary: "Answer a question from the embedded sources and notes, streamed as server-sent events (strategy, answer, final_answer, complete or error)", tag: "search",
			in: askIn{}, out: notebook.AskEvent{}, handle: s.ask},
		{method: "POST", path: "/api/search/ask/simple", summary: "Answer a question from the embedded sources and notes", tag: "search",
			in: askIn{}, out: askSimpleOut{}, handle: s.askSimple},
	}
}

func (s *Server) question(r *http.Request) (notebook.Question, error) {
	var in askIn
	if err := decodeJSON(r, &in); err != nil {
		return notebook.Question{}, err
	}
	var fields []apperr.FieldError
	for name, v := range map[string]*string{"question": in.Question, "strategy_model": in.StrategyModel,
		"answer_model": in.AnswerModel, "final_answer_model": in.FinalAnswerModel} {
		if v == nil {
			fields = append(fields, missing(name))
		}
	}
	if len(fields) > 0 {
		return notebook.Question{}, apperr.InvalidFields(fields...)
	}
	q := notebook.Question{Question: *in.Question, StrategyModel: *in.StrategyModel,
		AnswerModel: *in.AnswerModel, FinalAnswerModel: *in.FinalAnswerModel}
	return q, s.deps.Ask.Check(r.Context(), q)
}

// ask streams the steps of an answer. Everything that can be refused is
// checked first, so a bad request still gets its status; after the stream
// starts, a failure is an error event, as in the original.
func (s *Server) ask(w http.ResponseWriter, r *http.Request) error {
	q, err := s.question(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no") // let reverse proxies pass each event on at once
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_, err = s.deps.Ask.Ask(r.Context(), q, func(e notebook.AskEvent) {
		var buf bytes.Buffer
		buf.WriteString("data: ")
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(e) // ends with the newline; one more ends the event
		buf.WriteString("\n")
		_, _ = w.Write(buf.Bytes())
		_ = rc.Flush()
	})
	if err != nil {
		logger(r).Warn("ask failed", "error", err)
	}
	return nil
}

func (s *Server) askSimple(w http.ResponseWriter, r *http.Request) error {
	q, err := s.question(r)
	if err != nil {
		return err
	}
	answer, err := s.deps.Ask.Ask(r.Context(), q, func(notebook.AskEvent) {})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, askSimpleOut{Answer: answer, Question: q.Question})
	return nil
}
