package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/job"
	"github.com/open-notebook/open-notebook/internal/notebook"
	"github.com/open-notebook/open-notebook/internal/podcast"
)

// commandApp is the only app the original's commands belong to.
const commandApp = "open_notebook"

type commandSubmitIn struct {
	Command *string         `json:"command" required:"true"`
	App     *string         `json:"app" required:"true"`
	Input   json.RawMessage `json:"input" required:"true"`
}

type commandSubmitOut struct {
	JobID   string `json:"job_id"`
	Status  string `json:"status"`
	Message string `json:"message"`
}

type jobOut struct {
	JobID        string          `json:"job_id"`
	Command      string          `json:"command"`
	App          string          `json:"app"`
	Status       string          `json:"status" description:"new, queued, running, completed, failed or canceled"`
	Result       json.RawMessage `json:"result"`
	ErrorMessage *string         `json:"error_message"`
	Created      *string         `json:"created"`
	Updated      *string         `json:"updated"`
	Progress     *job.Progress   `json:"progress"`
	Attempt      int             `json:"attempt"`
	MaxAttempts  int             `json:"max_attempts"`
}

func toJobOut(s *job.Status) jobOut {
	out := jobOut{JobID: s.ID, Command: s.Kind, App: commandApp, Status: s.State, Result: s.Result,
		ErrorMessage: optional(s.Error), Created: optionalTime(&s.Created), Updated: optionalTime(&s.Updated),
		Progress: s.Progress, Attempt: s.Attempt, MaxAttempts: s.MaxAttempts}
	if len(out.Result) == 0 {
		out.Result = json.RawMessage("null")
	}
	return out
}

type jobIDIn struct {
	ID string `path:"job_id"`
}

type jobListIn struct {
	Command string `query:"command_filter" description:"only jobs of this command"`
	Status  string `query:"status_filter" enum:"new,queued,running,completed,failed,canceled"`
	Limit   int    `query:"limit" default:"50" minimum:"1" maximum:"1000"`
}

type jobCancelOut struct {
	JobID     string `json:"job_id"`
	Cancelled bool   `json:"cancelled" description:"false when the job had already finished"`
	Status    string `json:"status"`
}

type registryOut struct {
	TotalCommands int                 `json:"total_commands"`
	CommandsByApp map[string][]string `json:"commands_by_app"`
	CommandItems  []registryItem      `json:"command_items"`
}

type registryItem struct {
	AppID  string `json:"app_id"`
	Name   string `json:"name"`
	FullID string `json:"full_id"`
}

// submitters are the commands a client may submit itself, each through the
// service that checks its input (that the source exists, that it has text)
// before anything is queued.
func (s *Server) submitters() map[string]func(ctx context.Context, input json.RawMessage) (string, error) {
	a := s.app
	embed := func(kind, field string) func(context.Context, json.RawMessage) (string, error) {
		return func(ctx context.Context, raw json.RawMessage) (string, error) {
			ids := map[string]*string{}
			var id string
			ids[field] = &id
			if err := decodeInput(raw, ids); err != nil {
				return "", err
			}
			jobID, _, err := a.Embeddings.Request(ctx, kind, id, true)
			return jobID, err
		}
	}
	return map[string]func(context.Context, json.RawMessage) (string, error){
		notebook.EmbedSource{}.Kind():  embed("source", "source_id"),
		notebook.EmbedNote{}.Kind():    embed("note", "note_id"),
		notebook.EmbedInsight{}.Kind(): embed("insight", "insight_id"),
		notebook.ProcessSource{}.Kind(): func(ctx context.Context, raw json.RawMessage) (string, error) {
			var id string
			if err := decodeInput(raw, map[string]*string{"source_id": &id}); err != nil {
				return "", err
			}
			src, err := a.Sources.Retry(ctx, id)
			if err != nil {
				return "", err
			}
			return src.CommandID, nil
		},
		notebook.RunTransformation{}.Kind(): func(ctx context.Context, raw json.RawMessage) (string, error) {
			var src, tr string
			if err := decodeInput(raw, map[string]*string{"source_id": &src, "transformation_id": &tr}); err != nil {
				return "", err
			}
			_, _, id, err := a.Insights.Generate(ctx, src, tr)
			return id, err
		},
		// The original's command: episode profile and name required, the
		// speaker profile taken from the episode profile when absent.
		podcast.Generate{}.Kind(): func(ctx context.Context, raw json.RawMessage) (string, error) {
			var in generateIn
			if err := strictJSON(raw, &in); err != nil {
				return "", err
			}
			switch {
			case in.EpisodeProfile == nil:
				return "", missingInput("episode_profile")
			case in.EpisodeName == nil:
				return "", missingInput("episode_name")
			}
			ep, err := a.Podcasts.Submit(ctx, in.request())
			if err != nil {
				return "", err
			}
			return ep.CommandID, nil
		},
		notebook.RebuildEmbeddings{}.Kind(): func(ctx context.Context, raw json.RawMessage) (string, error) {
			var in rebuildIn
			if err := strictJSON(raw, &in); err != nil {
				return "", err
			}
			if in.Mode == nil {
				return "", missingInput("mode")
			}
			id, _, err := a.Embeddings.StartRebuild(ctx, in.args())
			return id, err
		},
	}
}

// decodeInput reads a command's input: an object whose fields are the
// given string ids, all required, and nothing else.
func decodeInput(raw json.RawMessage, fields map[string]*string) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", "input"}, Type: "dict_type", Msg: "Input should be a valid dictionary"})
	}
	for k := range m {
		if _, ok := fields[k]; !ok {
			return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", "input", k}, Type: "extra_forbidden", Msg: "Extra inputs are not permitted"})
		}
	}
	for name, dst := range fields {
		v, ok := m[name]
		if !ok {
			return missingInput(name)
		}
		if err := json.Unmarshal(v, dst); err != nil || strings.TrimSpace(*dst) == "" {
			return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", "input", name}, Type: "string_type", Msg: "Input should be a valid string"})
		}
	}
	return nil
}

func strictJSON(raw json.RawMessage, into any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", "input"}, Type: "value_error", Msg: "Invalid input: " + err.Error()})
	}
	return nil
}

func missingInput(name string) error {
	return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", "input", name}, Type: "missing", Msg: "Field required"})
}

func (s *Server) commandRoutes() []route {
	q := s.app.Jobs
	submit := s.submitters()
	return []route{
		endpoint(op{Method: "POST", Path: "/api/commands/jobs", Summary: "Submit a background job", Tag: "commands", Access: Write, Failure: "Failed to submit command"},
			func(ctx context.Context, in commandSubmitIn) (commandSubmitOut, error) {
				name := *in.Command
				run, ok := submit[name]
				if !ok || *in.App != commandApp {
					return commandSubmitOut{}, apperr.Newf(apperr.Invalid, "Command not found: %s.%s", *in.App, name)
				}
				id, err := run(ctx, in.Input)
				if err != nil {
					return commandSubmitOut{}, err
				}
				return commandSubmitOut{JobID: id, Status: "submitted", Message: "Command '" + name + "' submitted successfully"}, nil
			}),
		endpoint(op{Method: "GET", Path: "/api/commands/jobs", Summary: "List background jobs, newest first", Tag: "commands", Access: Read, Failure: "Failed to list command jobs"},
			func(ctx context.Context, in jobListIn) ([]jobOut, error) {
				list, err := q.List(ctx, job.Filter{Kind: in.Command, State: in.Status, Limit: in.Limit})
				return mapSlice(list, toJobOut), err
			}),
		endpoint(op{Method: "GET", Path: "/api/commands/jobs/{job_id}", Summary: "A background job's status, progress and result", Tag: "commands", Access: Read, Failure: "Failed to fetch job status"},
			func(ctx context.Context, in jobIDIn) (jobOut, error) {
				st, err := q.Get(ctx, in.ID)
				if err != nil {
					return jobOut{}, err
				}
				return toJobOut(&st), nil
			}),
		endpoint(op{Method: "DELETE", Path: "/api/commands/jobs/{job_id}", Summary: "Cancel a background job (a running one is stopped)", Tag: "commands", Access: Write, Failure: "Failed to cancel job"},
			func(ctx context.Context, in jobIDIn) (jobCancelOut, error) {
				before, err := q.Get(ctx, in.ID)
				if err != nil {
					return jobCancelOut{}, err
				}
				if before.Done() {
					return jobCancelOut{JobID: before.ID, Cancelled: false, Status: before.State}, nil
				}
				st, err := q.Cancel(ctx, in.ID)
				if err != nil {
					return jobCancelOut{}, err
				}
				return jobCancelOut{JobID: st.ID, Cancelled: true, Status: st.State}, nil
			}),
		endpoint(op{Method: "GET", Path: "/api/commands/registry/debug", Summary: "The commands the workers run", Tag: "commands", Access: Read},
			func(ctx context.Context, _ struct{}) (registryOut, error) {
				kinds := q.Kinds()
				slices.Sort(kinds)
				out := registryOut{TotalCommands: len(kinds), CommandsByApp: map[string][]string{commandApp: kinds}, CommandItems: []registryItem{}}
				for _, k := range kinds {
					out.CommandItems = append(out.CommandItems, registryItem{AppID: commandApp, Name: k, FullID: commandApp + "." + k})
				}
				return out, nil
			}),
	}
}
