package httpapi

import (
	"net/http"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/notebook"
)

type noteOut struct {
	ID        string  `json:"id"`
	Title     *string `json:"title"`
	Content   string  `json:"content"`
	NoteType  string  `json:"note_type"`
	Created   string  `json:"created"`
	Updated   string  `json:"updated"`
	CommandID *string `json:"command_id"`
}

func toNoteOut(n *notebook.Note) noteOut {
	return noteOut{ID: n.ID, Title: optional(n.Title), Content: n.Content, NoteType: n.NoteType,
		Created: formatTime(n.Created), Updated: formatTime(n.Updated)}
}

type noteListIn struct {
	NotebookID string `query:"notebook_id"`
}

type noteCreateIn struct {
	Title      *string `json:"title"`
	Content    *string `json:"content" required:"true"`
	NoteType   *string `json:"note_type" default:"human" enum:"human,ai"`
	NotebookID *string `json:"notebook_id"`
}

type noteIDIn struct {
	ID string `path:"note_id"`
}

type noteUpdateIn struct {
	ID       string  `path:"note_id" json:"-"`
	Title    *string `json:"title"`
	Content  *string `json:"content"`
	NoteType *string `json:"note_type" enum:"human,ai"`
}

func (s *Server) noteRoutes() []route {
	return []route{
		{method: "GET", path: "/api/notes", summary: "List notes, newest first", tag: "notes",
			in: noteListIn{}, out: []noteOut{}, handle: s.listNotes},
		{method: "POST", path: "/api/notes", summary: "Create a note", tag: "notes",
			in: noteCreateIn{}, out: noteOut{}, handle: s.createNote},
		{method: "GET", path: "/api/notes/{note_id}", summary: "Get a note", tag: "notes",
			in: noteIDIn{}, out: noteOut{}, handle: s.getNote},
		{method: "PUT", path: "/api/notes/{note_id}", summary: "Update a note (absent or null fields are kept)", tag: "notes",
			in: noteUpdateIn{}, out: noteOut{}, handle: s.updateNote},
		{method: "DELETE", path: "/api/notes/{note_id}", summary: "Delete a note", tag: "notes",
			in: noteIDIn{}, out: messageOut{}, handle: s.deleteNote},
	}
}

func (s *Server) listNotes(w http.ResponseWriter, r *http.Request) error {
	ns, err := s.deps.Content.ListNotes(r.Context(), r.URL.Query().Get("notebook_id"))
	if err != nil {
		return err
	}
	out := make([]noteOut, len(ns))
	for i := range ns {
		out[i] = toNoteOut(&ns[i])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createNote(w http.ResponseWriter, r *http.Request) error {
	var in noteCreateIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Content == nil {
		return apperr.InvalidFields(missing("content"))
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	n, err := s.deps.Content.AddNote(r.Context(), notebook.NewNote{Title: str(in.Title), Content: *in.Content,
		NoteType: str(in.NoteType), NotebookID: str(in.NotebookID)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toNoteOut(n))
	return nil
}

func (s *Server) getNote(w http.ResponseWriter, r *http.Request) error {
	n, err := s.deps.Content.GetNote(r.Context(), r.PathValue("note_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toNoteOut(n))
	return nil
}

func (s *Server) updateNote(w http.ResponseWriter, r *http.Request) error {
	var in noteUpdateIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	n, err := s.deps.Content.UpdateNote(r.Context(), r.PathValue("note_id"),
		notebook.NoteUpdate{Title: in.Title, Content: in.Content, NoteType: in.NoteType})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toNoteOut(n))
	return nil
}

func (s *Server) deleteNote(w http.ResponseWriter, r *http.Request) error {
	if err := s.deps.Content.DeleteNote(r.Context(), r.PathValue("note_id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, messageOut{"Note deleted successfully"})
	return nil
}
