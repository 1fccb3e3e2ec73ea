package httpapi

import (
	"context"
	"encoding/json"
	"mime"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/blob"
	"github.com/open-notebook/open-notebook/internal/notebook"
)

type assetOut struct {
	FilePath *string `json:"file_path"`
	URL      *string `json:"url"`
}

type sourceListOut struct {
	ID             string         `json:"id"`
	Title          *string        `json:"title"`
	Topics         []string       `json:"topics"`
	Asset          *assetOut      `json:"asset"`
	Embedded       bool           `json:"embedded"`
	EmbeddedChunks int            `json:"embedded_chunks"`
	InsightsCount  int            `json:"insights_count"`
	Created        string         `json:"created"`
	Updated        string         `json:"updated"`
	FileAvailable  bool           `json:"file_available"`
	CommandID      *string        `json:"command_id"`
	Status         *string        `json:"status"`
	ProcessingInfo *processingOut `json:"processing_info"`
}

type sourceOut struct {
	ID             string         `json:"id"`
	Title          *string        `json:"title"`
	Topics         []string       `json:"topics"`
	Asset          *assetOut      `json:"asset"`
	FullText       *string        `json:"full_text"`
	Embedded       bool           `json:"embedded"`
	EmbeddedChunks int            `json:"embedded_chunks"`
	FileAvailable  bool           `json:"file_available"`
	Created        string         `json:"created"`
	Updated        string         `json:"updated"`
	CommandID      *string        `json:"command_id"`
	Status         *string        `json:"status"`
	ProcessingInfo *processingOut `json:"processing_info"`
	Notebooks      []string       `json:"notebooks"`
	InsightsCount  int            `json:"insights_count"`
}

// processingOut is where a source's processing stands. The original's
// fields come first (started_at, completed_at, error; async, queued and
// retry while it waits); progress (0 to 100) and stage say how far a
// running job got, note explains an outcome that is not an error.
type processingOut struct {
	Status      *string         `json:"status,omitempty"`
	StartedAt   *string         `json:"started_at"`
	CompletedAt *string         `json:"completed_at"`
	Error       *string         `json:"error"`
	Result      json.RawMessage `json:"result,omitempty"`
	Async       bool            `json:"async,omitempty"`
	Queued      bool            `json:"queued,omitempty"`
	Retry       bool            `json:"retry,omitempty"`
	Stage       string          `json:"stage,omitempty"`
	Progress    *float64        `json:"progress,omitempty"`
	Note        string          `json:"note,omitempty"`
}

// maxListedError bounds the error a source list shows (the source itself
// shows it whole).
const maxListedError = 200

func toProcessingOut(s *notebook.Source, listed bool) *processingOut {
	p := s.Processing
	if p == nil {
		return nil
	}
	out := &processingOut{StartedAt: optionalTime(p.StartedAt), CompletedAt: optionalTime(p.CompletedAt),
		Async: p.Async, Queued: p.Queued, Retry: p.Retry, Stage: p.Stage, Progress: p.Progress, Note: p.Note}
	if p.Error != "" {
		msg := p.Error
		if listed {
			msg = clipText(msg, maxListedError)
		}
		out.Error = &msg
	}
	if !listed {
		out.Status = optional(s.Status)
	}
	return out
}

func optionalTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	v := formatTime(*t)
	return &v
}

// clipText cuts s to n characters, marking the cut.
func clipText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

func asset(s *notebook.Source) *assetOut {
	if s.URL == "" && s.FilePath == "" {
		return nil
	}
	return &assetOut{FilePath: optional(s.FilePath), URL: optional(s.URL)}
}

func toSourceOut(s *notebook.Source) sourceOut {
	nbs := s.Notebooks
	if nbs == nil {
		nbs = []string{}
	}
	out := sourceOut{ID: s.ID, Title: optional(s.Title), Topics: s.Topics, Asset: asset(s),
		Embedded: s.EmbeddedChunks > 0, EmbeddedChunks: s.EmbeddedChunks, FileAvailable: s.FilePath != "", Created: formatTime(s.Created), Updated: formatTime(s.Updated),
		CommandID: optional(s.CommandID), Status: optional(s.Status), ProcessingInfo: toProcessingOut(s, false), Notebooks: nbs,
		InsightsCount: s.InsightsCount}
	// A source still being read has no text yet: null, as in the original.
	if s.FullText != "" || s.Status == "completed" {
		out.FullText = &s.FullText
	}
	return out
}

type sourceListIn struct {
	NotebookID string `query:"notebook_id"`
	Limit      int    `query:"limit" default:"50" minimum:"1" maximum:"100"`
	Offset     int    `query:"offset" default:"0" minimum:"0"`
	SortBy     string `query:"sort_by" default:"updated" description:"type, title, created, updated, insights_count or embedded"`
	SortOrder  string `query:"sort_order" default:"desc" description:"asc or desc"`
}

type sourceJSONIn struct {
	Type            *string  `json:"type" required:"true" description:"link, upload or text"`
	NotebookID      *string  `json:"notebook_id"`
	Notebooks       []string `json:"notebooks"`
	URL             *string  `json:"url"`
	Content         *string  `json:"content"`
	Title           *string  `json:"title"`
	FilePath        *string  `json:"file_path"`
	Transformations []string `json:"transformations"`
	Embed           bool     `json:"embed"`
	DeleteSource    bool     `json:"delete_source"`
	AsyncProcessing bool     `json:"async_processing"`
}

type sourceFormIn struct {
	Type            string                `formData:"type" required:"true" description:"link, upload or text"`
	NotebookID      string                `formData:"notebook_id"`
	Notebooks       string                `formData:"notebooks" description:"JSON array of notebook ids"`
	URL             string                `formData:"url"`
	Content         string                `formData:"content"`
	Title           string                `formData:"title"`
	FilePath        string                `formData:"file_path"`
	Transformations string                `formData:"transformations" description:"JSON array of transformation ids"`
	Embed           string                `formData:"embed"`
	DeleteSource    string                `formData:"delete_source"`
	AsyncProcessing string                `formData:"async_processing"`
	File            *multipart.FileHeader `formData:"file"`
}

// sourceUploadIn is the upload the original's security guide shows
// (curl -F "file=@document.pdf" …/api/sources/upload): a file, optionally
// for a notebook, read in the background.
type sourceUploadIn struct {
	File            *multipart.FileHeader `formData:"file" required:"true"`
	NotebookID      string                `formData:"notebook_id"`
	Title           string                `formData:"title"`
	Transformations string                `formData:"transformations" description:"JSON array of transformation ids"`
	Embed           string                `formData:"embed"`
	DeleteSource    string                `formData:"delete_source"`
}

type sourceIDIn struct {
	ID string `path:"source_id"`
}

type sourceUpdateIn struct {
	ID     string    `path:"source_id" json:"-"`
	Title  *string   `json:"title"`
	Topics *[]string `json:"topics"`
}

type sourceStatusOut struct {
	Status         *string        `json:"status"`
	Message        string         `json:"message"`
	ProcessingInfo *processingOut `json:"processing_info"`
	CommandID      *string        `json:"command_id"`
}

// statusMessage is the original's sentence for each processing status.
func statusMessage(s *notebook.Source) string {
	switch s.Status {
	case "":
		return "Legacy source (completed before async processing)"
	case "completed":
		return "Source processing completed successfully"
	case "failed":
		return "Source processing failed"
	case "running":
		return "Source processing in progress"
	case "queued", "new":
		return "Source processing queued"
	}
	return "Source processing status: " + s.Status
}

type linkIn struct {
	NotebookID string `path:"notebook_id"`
	SourceID   string `path:"source_id"`
}

func (s *Server) sourceRoutes() []route {
	srcs := s.app.Sources
	return []route{
		endpoint(op{Method: "GET", Path: "/api/sources", Summary: "List sources", Tag: "sources", Access: Read, Failure: "Error fetching sources"},
			func(ctx context.Context, in sourceListIn) ([]sourceListOut, error) {
				if !slices.Contains(notebook.ValidSortBy(), in.SortBy) {
					return nil, apperr.New(apperr.Invalid, "sort_by must be one of: "+strings.Join(notebook.ValidSortBy(), ", "))
				}
				if in.SortOrder != "asc" && in.SortOrder != "desc" {
					return nil, apperr.New(apperr.Invalid, "sort_order must be 'asc' or 'desc'")
				}
				list, err := srcs.List(ctx, notebook.SourceFilter{NotebookID: in.NotebookID, Limit: in.Limit, Offset: in.Offset,
					SortBy: in.SortBy, Desc: in.SortOrder == "desc"})
				return mapSlice(list, toSourceListOut), err
			}),
		endpoint(op{Method: "POST", Path: "/api/sources", Summary: "Add a source (multipart form; upload a file in `file`)", Tag: "sources", Access: Write, Failure: "Error creating source"},
			func(ctx context.Context, in sourceFormIn) (sourceOut, error) {
				var nbs, transformations []string
				if err := formList(in.Notebooks, "notebooks", &nbs); err != nil {
					return sourceOut{}, err
				}
				if err := formList(in.Transformations, "transformations", &transformations); err != nil {
					return sourceOut{}, err
				}
				if in.NotebookID != "" {
					nbs = append([]string{in.NotebookID}, nbs...)
				}
				add := notebook.NewSource{Kind: in.Type, Notebooks: nbs, URL: in.URL, Content: in.Content, Title: in.Title,
					FilePath: in.FilePath, Embed: formBool(in.Embed), Transformations: transformations,
					Async: formBool(in.AsyncProcessing), DeleteSource: formBool(in.DeleteSource)}
				if in.File != nil {
					f, err := in.File.Open()
					if err != nil {
						return sourceOut{}, err
					}
					defer f.Close()
					add.File, add.FileName = f, in.File.Filename
				}
				return render(toSourceOut)(srcs.Add(ctx, add))
			}),
		endpoint(op{Method: "POST", Path: "/api/sources/upload", Summary: "Upload a file as a source, read in the background (multipart `file`, optional `notebook_id`)", Tag: "sources", Access: Write, Failure: "Error creating source"},
			func(ctx context.Context, in sourceUploadIn) (sourceOut, error) {
				var nbs, transformations []string
				if in.NotebookID != "" {
					nbs = []string{in.NotebookID}
				}
				if err := formList(in.Transformations, "transformations", &transformations); err != nil {
					return sourceOut{}, err
				}
				if in.File == nil {
					return sourceOut{}, apperr.New(apperr.Invalid, "File upload or file_path is required for upload type")
				}
				f, err := in.File.Open()
				if err != nil {
					return sourceOut{}, err
				}
				defer f.Close()
				return render(toSourceOut)(srcs.Add(ctx, notebook.NewSource{Kind: notebook.KindUpload, Notebooks: nbs, Title: in.Title,
					File: f, FileName: in.File.Filename, Embed: formBool(in.Embed), Transformations: transformations,
					Async: true, DeleteSource: formBool(in.DeleteSource)}))
			}),
		endpoint(op{Method: "POST", Path: "/api/sources/json", Summary: "Add a source (JSON)", Tag: "sources", Access: Write, Failure: "Error creating source"},
			func(ctx context.Context, in sourceJSONIn) (sourceOut, error) {
				nbs := in.Notebooks
				if id := deref(in.NotebookID); id != "" {
					nbs = append([]string{id}, nbs...)
				}
				return render(toSourceOut)(srcs.Add(ctx, notebook.NewSource{Kind: *in.Type, Notebooks: nbs, URL: deref(in.URL),
					Content: deref(in.Content), Title: deref(in.Title), FilePath: deref(in.FilePath), Embed: in.Embed,
					Transformations: in.Transformations, Async: in.AsyncProcessing, DeleteSource: in.DeleteSource}))
			}),
		endpoint(op{Method: "GET", Path: "/api/sources/{source_id}", Summary: "Get a source with its text", Tag: "sources", Access: Read},
			func(ctx context.Context, in sourceIDIn) (sourceOut, error) {
				src, err := srcs.View(ctx, in.ID)
				if err != nil {
					return sourceOut{}, err
				}
				out := toSourceOut(src)
				if out.ProcessingInfo != nil && src.CommandID != "" {
					if st, err := s.app.Jobs.Get(ctx, src.CommandID); err == nil && len(st.Result) > 0 {
						out.ProcessingInfo.Result = st.Result
					}
				}
				return out, nil
			}),
		endpoint(op{Method: "PUT", Path: "/api/sources/{source_id}", Summary: "Update a source's title or topics", Tag: "sources", Access: Write, Failure: "Error updating source"},
			func(ctx context.Context, in sourceUpdateIn) (sourceOut, error) {
				return render(toSourceOut)(srcs.Update(ctx, in.ID, notebook.SourceUpdate{Title: in.Title, Topics: in.Topics}))
			}),
		endpoint(op{Method: "DELETE", Path: "/api/sources/{source_id}", Summary: "Delete a source and its file", Tag: "sources", Access: Write, Failure: "Error deleting source"},
			func(ctx context.Context, in sourceIDIn) (messageOut, error) {
				return messageOut{"Source deleted successfully"}, srcs.Delete(ctx, in.ID)
			}),
		endpoint(op{Method: "GET", Path: "/api/sources/{source_id}/status", Summary: "Processing status of a source", Tag: "sources", Access: Read},
			func(ctx context.Context, in sourceIDIn) (sourceStatusOut, error) {
				src, err := srcs.Get(ctx, in.ID)
				if err != nil {
					return sourceStatusOut{}, err
				}
				return sourceStatusOut{Status: optional(src.Status), Message: statusMessage(src),
					ProcessingInfo: toProcessingOut(src, false), CommandID: optional(src.CommandID)}, nil
			}),
		endpoint(op{Method: "POST", Path: "/api/sources/{source_id}/retry", Summary: "Process a source again in the background", Tag: "sources", Access: Write, Failure: "Error retrying source processing"},
			func(ctx context.Context, in sourceIDIn) (sourceOut, error) {
				return render(toSourceOut)(srcs.Retry(ctx, in.ID))
			}),
		endpoint(op{Method: "GET", Path: "/api/sources/{source_id}/download", Summary: "Download a source's uploaded file", Tag: "sources", Access: Read},
			func(ctx context.Context, in sourceIDIn) (download, error) {
				src, err := srcs.Get(ctx, in.ID)
				if err != nil {
					return download{}, err
				}
				f, err := srcs.OpenUpload(src)
				return download{f: f, name: filepath.Base(src.FilePath)}, err
			}),
		endpoint(op{Method: "POST", Path: "/api/notebooks/{notebook_id}/sources/{source_id}", Summary: "Add a source to a notebook", Tag: "notebooks", Access: Write},
			func(ctx context.Context, in linkIn) (messageOut, error) {
				return messageOut{"Source linked to notebook successfully"}, srcs.Link(ctx, in.NotebookID, in.SourceID)
			}),
		endpoint(op{Method: "DELETE", Path: "/api/notebooks/{notebook_id}/sources/{source_id}", Summary: "Remove a source from a notebook", Tag: "notebooks", Access: Write},
			func(ctx context.Context, in linkIn) (messageOut, error) {
				return messageOut{"Source removed from notebook successfully"}, srcs.Unlink(ctx, in.NotebookID, in.SourceID)
			}),
	}
}

func toSourceListOut(src *notebook.Source) sourceListOut {
	return sourceListOut{ID: src.ID, Title: optional(src.Title), Topics: src.Topics, Asset: asset(src),
		Embedded: src.EmbeddedChunks > 0, EmbeddedChunks: src.EmbeddedChunks,
		Created: formatTime(src.Created), Updated: formatTime(src.Updated), FileAvailable: src.FilePath != "",
		CommandID: optional(src.CommandID), Status: optional(src.Status), ProcessingInfo: toProcessingOut(src, true),
		InsightsCount: src.InsightsCount}
}

// formList reads a form field holding a JSON array of ids; an absent
// field is nil.
func formList(raw, field string, into *[]string) error {
	if raw = strings.TrimSpace(raw); raw == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(raw), into); err != nil {
		return apperr.Newf(apperr.Unprocessable, "Invalid JSON in %s field", field)
	}
	return nil
}

// formBool reads the original's form booleans ("true", "1", "yes", "on").
func formBool(v string) bool {
	b, ok := parseBool(v)
	return ok && b
}

// download serves a source's file as an attachment, never rendered in
// the API's origin.
type download struct {
	f    blob.File
	name string
}

func (download) opaque() {}

func (d download) respond(w http.ResponseWriter, r *http.Request, _ int) error {
	defer d.f.Close()
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.name}))
	w.Header().Set("Content-Security-Policy", "sandbox")
	http.ServeContent(w, r, d.name, d.f.ModTime(), d.f)
	return nil
}
