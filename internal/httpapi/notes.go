package httpapi

import (
	"context"

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
		Created: formatTime(n.Created), Updated: formatTime(n.Updated), CommandID: optional(n.CommandID)}
}

type noteListIn struct {
	NotebookID string `query:"notebook_id"`
}

type noteCreateIn struct {
	Title      *string `json:"title"`
	Content    *string `json:"content" required:"true"`
	NoteType   *string `json:"note_type" default:"human" description:"human or ai"`
	NotebookID *string `json:"notebook_id"`
}

type noteIDIn struct {
	ID string `path:"note_id"`
}

type noteUpdateIn struct {
	ID       string  `path:"note_id" json:"-"`
	Title    *string `json:"title"`
	Content  *string `json:"content"`
	NoteType *string `json:"note_type" description:"human or ai"`
}

func (s *Server) noteRoutes() []route {
	notes := s.app.Notes
	return []route{
		endpoint(op{Method: "GET", Path: "/api/notes", Summary: "List notes, newest first", Tag: "notes", Access: Read},
			func(ctx context.Context, in noteListIn) ([]noteOut, error) {
				ns, err := notes.List(ctx, in.NotebookID)
				return mapSlice(ns, toNoteOut), err
			}),
		endpoint(op{Method: "POST", Path: "/api/notes", Summary: "Create a note", Tag: "notes", Access: Write},
			func(ctx context.Context, in noteCreateIn) (noteOut, error) {
				return render(toNoteOut)(notes.Add(ctx, notebook.NewNote{Title: deref(in.Title), Content: *in.Content,
					NoteType: deref(in.NoteType), NotebookID: deref(in.NotebookID)}))
			}),
		endpoint(op{Method: "GET", Path: "/api/notes/{note_id}", Summary: "Get a note", Tag: "notes", Access: Read},
			func(ctx context.Context, in noteIDIn) (noteOut, error) {
				return render(toNoteOut)(notes.Get(ctx, in.ID))
			}),
		endpoint(op{Method: "PUT", Path: "/api/notes/{note_id}", Summary: "Update a note (absent or null fields are kept)", Tag: "notes", Access: Write},
			func(ctx context.Context, in noteUpdateIn) (noteOut, error) {
				return render(toNoteOut)(notes.Update(ctx, in.ID, notebook.NoteUpdate{Title: in.Title, Content: in.Content, NoteType: in.NoteType}))
			}),
		endpoint(op{Method: "DELETE", Path: "/api/notes/{note_id}", Summary: "Delete a note", Tag: "notes", Access: Write},
			func(ctx context.Context, in noteIDIn) (messageOut, error) {
				return messageOut{"Note deleted successfully"}, notes.Delete(ctx, in.ID)
			}),
	}
}

// deref is a pointer's value, or the zero value for nil.
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
