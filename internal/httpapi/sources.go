package httpapi

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/notebook"
)

type assetOut struct {
	FilePath *string `json:"file_path"`
	URL      *string `json:"url"`
}

type sourceListOut struct {
	ID             string    `json:"id"`
	Title          *string   `json:"title"`
	Topics         []string  `json:"topics"`
	Asset          *assetOut `json:"asset"`
	Embedded       bool      `json:"embedded"`
	EmbeddedChunks int       `json:"embedded_chunks"`
	InsightsCount  int       `json:"insights_count"`
	Created        string    `json:"created"`
	Updated        string    `json:"updated"`
	FileAvailable  bool      `json:"file_available"`
	CommandID      *string   `json:"command_id"`
	Status         string    `json:"status"`
	ProcessingInfo *string   `json:"processing_info"`
}

type sourceOut struct {
	ID             string    `json:"id"`
	Title          *string   `json:"title"`
	Topics         []string  `json:"topics"`
	Asset          *assetOut `json:"asset"`
	FullText       string    `json:"full_text"`
	Embedded       bool      `json:"embedded"`
	EmbeddedChunks int       `json:"embedded_chunks"`
	FileAvailable  bool      `json:"file_available"`
	Created        string    `json:"created"`
	Updated        string    `json:"updated"`
	CommandID      *string   `json:"command_id"`
	Status         string    `json:"status"`
	ProcessingInfo *string   `json:"processing_info"`
	Notebooks      []string  `json:"notebooks"`
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
	return sourceOut{ID: s.ID, Title: optional(s.Title), Topics: s.Topics, Asset: asset(s), FullText: s.FullText,
		Embedded: s.EmbeddedChunks > 0, EmbeddedChunks: s.EmbeddedChunks, FileAvailable: s.FilePath != "", Created: formatTime(s.Created), Updated: formatTime(s.Updated),
		Status: s.Status, ProcessingInfo: optional(s.ProcessingInfo), Notebooks: nbs}
}

type sourceListIn struct {
	NotebookID string `query:"notebook_id"`
	Limit      int    `query:"limit" default:"50" minimum:"1" maximum:"100"`
	Offset     int    `query:"offset" default:"0" minimum:"0"`
	SortBy     string `query:"sort_by" default:"updated" enum:"type,title,created,updated,insights_count,embedded"`
	SortOrder  string `query:"sort_order" default:"desc" enum:"asc,desc"`
}

type sourceJSONIn struct {
	Type            *string  `json:"type" required:"true" enum:"link,upload,text"`
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
	Type            string `formData:"type" required:"true" enum:"link,upload,text"`
	NotebookID      string `formData:"notebook_id"`
	Notebooks       string `formData:"notebooks" description:"JSON array of notebook ids"`
	URL             string `formData:"url"`
	Content         string `formData:"content"`
	Title           string `formData:"title"`
	FilePath        string `formData:"file_path"`
	Transformations string `formData:"transformations"`
	Embed           string `formData:"embed"`
	AsyncProcessing string `formData:"async_processing"`
	File            any    `formData:"file" format:"binary"`
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
	Status         string  `json:"status"`
	Message        string  `json:"message"`
	ProcessingInfo *string `json:"processing_info"`
	CommandID      *string `json:"command_id"`
}

type linkIn struct {
	NotebookID string `path:"notebook_id"`
	SourceID   string `path:"source_id"`
}

type deletePreviewOut struct {
	NotebookID           string `json:"notebook_id"`
	NotebookName         string `json:"notebook_name"`
	NoteCount            int    `json:"note_count"`
	ExclusiveSourceCount int    `json:"exclusive_source_count"`
	SharedSourceCount    int    `json:"shared_source_count"`
}

func (s *Server) sourceRoutes() []route {
	return []route{
		{method: "GET", path: "/api/sources", summary: "List sources", tag: "sources",
			in: sourceListIn{}, out: []sourceListOut{}, handle: s.listSources},
		{method: "POST", path: "/api/sources", summary: "Add a source (multipart form; upload a file in `file`)", tag: "sources",
			in: sourceFormIn{}, out: sourceOut{}, handle: s.createSourceForm},
		{method: "POST", path: "/api/sources/json", summary: "Add a source (JSON)", tag: "sources",
			in: sourceJSONIn{}, out: sourceOut{}, handle: s.createSourceJSON},
		{method: "GET", path: "/api/sources/{source_id}", summary: "Get a source with its text", tag: "sources",
			in: sourceIDIn{}, out: sourceOut{}, handle: s.getSource},
		{method: "PUT", path: "/api/sources/{source_id}", summary: "Update a source's title or topics", tag: "sources",
			in: sourceUpdateIn{}, out: sourceOut{}, handle: s.updateSource},
		{method: "DELETE", path: "/api/sources/{source_id}", summary: "Delete a source and its file", tag: "sources",
			in: sourceIDIn{}, out: messageOut{}, handle: s.deleteSource},
		{method: "GET", path: "/api/sources/{source_id}/status", summary: "Processing status of a source", tag: "sources",
			in: sourceIDIn{}, out: sourceStatusOut{}, handle: s.sourceStatus},
		{method: "GET", path: "/api/sources/{source_id}/download", summary: "Download a source's uploaded file", tag: "sources",
			in: sourceIDIn{}, handle: s.downloadSource},
		{method: "POST", path: "/api/notebooks/{notebook_id}/sources/{source_id}", summary: "Add a source to a notebook", tag: "notebooks",
			in: linkIn{}, out: messageOut{}, handle: s.linkSource},
		{method: "DELETE", path: "/api/notebooks/{notebook_id}/sources/{source_id}", summary: "Remove a source from a notebook", tag: "notebooks",
			in: linkIn{}, out: messageOut{}, handle: s.unlinkSource},
		{method: "GET", path: "/api/notebooks/{notebook_id}/delete-preview", summary: "What deleting a notebook would remove", tag: "notebooks",
			in: notebookIDIn{}, out: deletePreviewOut{}, handle: s.deletePreview},
	}
}

func (s *Server) listSources(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := notebook.SourceFilter{NotebookID: q.Get("notebook_id"), Limit: 50, SortBy: "updated", Desc: true}
	var fields []apperr.FieldError
	intParam := func(name string, dst *int, min, max int) {
		v := q.Get(name)
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			fields = append(fields, apperr.FieldError{Loc: []any{"query", name}, Type: "int_parsing",
				Msg: "Input should be a valid integer, unable to parse string as an integer", Input: v})
		case n < min:
			fields = append(fields, apperr.FieldError{Loc: []any{"query", name}, Type: "greater_than_equal",
				Msg: "Input should be greater than or equal to " + strconv.Itoa(min), Input: v})
		case max > 0 && n > max:
			fields = append(fields, apperr.FieldError{Loc: []any{"query", name}, Type: "less_than_equal",
				Msg: "Input should be less than or equal to " + strconv.Itoa(max), Input: v})
		default:
			*dst = n
		}
	}
	intParam("limit", &f.Limit, 1, 100)
	intParam("offset", &f.Offset, 0, 0)
	if len(fields) > 0 {
		return apperr.InvalidFields(fields...)
	}
	if v := q.Get("sort_by"); v != "" {
		if !slices.Contains(notebook.ValidSortBy(), v) {
			return apperr.New(apperr.Invalid, "sort_by must be one of: "+strings.Join(notebook.ValidSortBy(), ", "))
		}
		f.SortBy = v
	}
	switch q.Get("sort_order") {
	case "", "desc":
	case "asc":
		f.Desc = false
	default:
		return apperr.New(apperr.Invalid, "sort_order must be 'asc' or 'desc'")
	}
	srcs, err := s.deps.Content.ListSources(r.Context(), f)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			return apperr.Wrap(apperr.Internal, "Error fetching sources", err)
		}
		return err
	}
	out := make([]sourceListOut, len(srcs))
	for i := range srcs {
		src := &srcs[i]
		out[i] = sourceListOut{ID: src.ID, Title: optional(src.Title), Topics: src.Topics, Asset: asset(src),
			Embedded: src.EmbeddedChunks > 0, EmbeddedChunks: src.EmbeddedChunks,
			Created: formatTime(src.Created), Updated: formatTime(src.Updated), FileAvailable: src.FilePath != "",
			Status: src.Status, ProcessingInfo: optional(src.ProcessingInfo)}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createSourceJSON(w http.ResponseWriter, r *http.Request) error {
	var in sourceJSONIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Type == nil {
		return apperr.InvalidFields(missing("type"))
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	nbs := in.Notebooks
	if in.NotebookID != nil && *in.NotebookID != "" {
		nbs = append([]string{*in.NotebookID}, nbs...)
	}
	return s.addSource(w, r, notebook.NewSource{Kind: *in.Type, Notebooks: nbs, URL: str(in.URL), Content: str(in.Content),
		Title: str(in.Title), FilePath: str(in.FilePath), Embed: in.Embed})
}

// maxFormMemory is how much of a multipart form is held in memory; larger
// files spill to temporary files.
const maxFormMemory = 8 << 20

func (s *Server) createSourceForm(w http.ResponseWriter, r *http.Request) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" && ct != "application/x-www-form-urlencoded" {
		return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body"}, Type: "missing",
			Msg: "Field required: send a multipart/form-data form (or use POST /api/sources/json)"})
	}
	if err := r.ParseMultipartForm(maxFormMemory); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return err
		}
		return apperr.Wrap(apperr.Invalid, "File upload failed", err)
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	typ := r.FormValue("type")
	if typ == "" {
		return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", "type"}, Type: "missing", Msg: "Field required"})
	}
	var nbs []string
	if raw := strings.TrimSpace(r.FormValue("notebooks")); raw != "" {
		if err := json.Unmarshal([]byte(raw), &nbs); err != nil {
			return apperr.New(apperr.Unprocessable, "Invalid JSON in notebooks field")
		}
	}
	if id := r.FormValue("notebook_id"); id != "" {
		nbs = append([]string{id}, nbs...)
	}
	in := notebook.NewSource{Kind: typ, Notebooks: nbs, URL: r.FormValue("url"), Content: r.FormValue("content"),
		Title: r.FormValue("title"), FilePath: r.FormValue("file_path"), Embed: formBool(r.FormValue("embed"))}
	if file, header, err := r.FormFile("file"); err == nil {
		defer file.Close()
		in.File, in.FileName = file, header.Filename
	}
	return s.addSource(w, r, in)
}

// formBool reads the original's form booleans ("true", "1", "yes", "on").
func formBool(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes", "on":
		return true
	}
	return false
}

func (s *Server) addSource(w http.ResponseWriter, r *http.Request, in notebook.NewSource) error {
	src, err := s.deps.Content.AddSource(r.Context(), in)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			return apperr.Wrap(apperr.Internal, "Error creating source", err)
		}
		return err
	}
	writeJSON(w, http.StatusOK, toSourceOut(src))
	return nil
}

func (s *Server) getSource(w http.ResponseWriter, r *http.Request) error {
	src, err := s.deps.Content.GetSource(r.Context(), r.PathValue("source_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toSourceOut(src))
	return nil
}

func (s *Server) updateSource(w http.ResponseWriter, r *http.Request) error {
	var in sourceUpdateIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	src, err := s.deps.Content.UpdateSource(r.Context(), r.PathValue("source_id"),
		notebook.SourceUpdate{Title: in.Title, Topics: in.Topics})
	if err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			return apperr.Wrap(apperr.Internal, "Error updating source", err)
		}
		return err
	}
	writeJSON(w, http.StatusOK, toSourceOut(src))
	return nil
}

func (s *Server) deleteSource(w http.ResponseWriter, r *http.Request) error {
	if err := s.deps.Content.DeleteSource(r.Context(), r.PathValue("source_id")); err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			return apperr.Wrap(apperr.Internal, "Error deleting source", err)
		}
		return err
	}
	writeJSON(w, http.StatusOK, messageOut{"Source deleted successfully"})
	return nil
}

func (s *Server) sourceStatus(w http.ResponseWriter, r *http.Request) error {
	src, err := s.deps.Content.GetSource(r.Context(), r.PathValue("source_id"))
	if err != nil {
		return err
	}
	msg := "Source processed successfully"
	if src.Status != "completed" {
		msg = "Source processing failed"
	}
	writeJSON(w, http.StatusOK, sourceStatusOut{Status: src.Status, Message: msg, ProcessingInfo: optional(src.ProcessingInfo)})
	return nil
}

func (s *Server) downloadSource(w http.ResponseWriter, r *http.Request) error {
	src, err := s.deps.Content.GetSource(r.Context(), r.PathValue("source_id"))
	if err != nil {
		return err
	}
	f, err := s.deps.Content.OpenUpload(src)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	name := filepath.Base(src.FilePath)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	// Uploaded files are served as downloads, never rendered in the API's origin.
	w.Header().Set("Content-Security-Policy", "sandbox")
	http.ServeContent(w, r, name, info.ModTime(), f)
	return nil
}

func (s *Server) linkSource(w http.ResponseWriter, r *http.Request) error {
	if err := s.deps.Content.Link(r.Context(), r.PathValue("notebook_id"), r.PathValue("source_id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, messageOut{"Source linked to notebook successfully"})
	return nil
}

func (s *Server) unlinkSource(w http.ResponseWriter, r *http.Request) error {
	if err := s.deps.Content.Unlink(r.Context(), r.PathValue("notebook_id"), r.PathValue("source_id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, messageOut{"Source removed from notebook successfully"})
	return nil
}

func (s *Server) deletePreview(w http.ResponseWriter, r *http.Request) error {
	p, err := s.deps.Content.DeletePreview(r.Context(), r.PathValue("notebook_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, deletePreviewOut{NotebookID: p.NotebookID, NotebookName: p.NotebookName,
		NoteCount: p.NoteCount, ExclusiveSourceCount: p.ExclusiveSourceCount, SharedSourceCount: p.SharedSourceCount})
	return nil
}
