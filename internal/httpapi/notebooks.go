package httpapi

import (
	"net/http"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/notebook"
)

type notebookOut struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Archived    bool   `json:"archived"`
	Created     string `json:"created"`
	Updated     string `json:"updated"`
	SourceCount int    `json:"source_count"`
	NoteCount   int    `json:"note_count"`
}

func toNotebookOut(n *notebook.Notebook) notebookOut {
	return notebookOut{ID: n.ID, Name: n.Name, Description: n.Description, Archived: n.Archived,
		Created: formatTime(n.Created), Updated: formatTime(n.Updated), SourceCount: n.SourceCount, NoteCount: n.NoteCount}
}

type notebookListIn struct {
	Archived *bool  `query:"archived" description:"Only archived (true) or only active (false) notebooks"`
	OrderBy  string `query:"order_by" default:"updated desc" description:"name, created or updated, optionally followed by asc or desc"`
}

type notebookCreateIn struct {
	Name        *string `json:"name" required:"true"`
	Description string  `json:"description"`
}

type notebookIDIn struct {
	ID string `path:"notebook_id"`
}

type notebookUpdateIn struct {
	ID          string  `path:"notebook_id" json:"-"`
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Archived    *bool   `json:"archived"`
}

type notebookDeleteIn struct {
	ID                     string `path:"notebook_id"`
	DeleteExclusiveSources bool   `query:"delete_exclusive_sources" default:"false"`
}

type notebookDeleteOut struct {
	Message             string `json:"message"`
	DeletedNotes        int    `json:"deleted_notes"`
	DeletedSources      int    `json:"deleted_sources"`
	UnlinkedSources     int    `json:"unlinked_sources"`
	DeletedChatSessions int    `json:"deleted_chat_sessions"`
}

func (s *Server) notebookRoutes() []route {
	return []route{
		{method: "GET", path: "/api/notebooks", summary: "List notebooks", tag: "notebooks",
			in: notebookListIn{}, out: []notebookOut{}, handle: s.listNotebooks},
		{method: "POST", path: "/api/notebooks", summary: "Create a notebook", tag: "notebooks",
			in: notebookCreateIn{}, out: notebookOut{}, handle: s.createNotebook},
		{method: "GET", path: "/api/notebooks/{notebook_id}", summary: "Get a notebook", tag: "notebooks",
			in: notebookIDIn{}, out: notebookOut{}, handle: s.getNotebook},
		{method: "PUT", path: "/api/notebooks/{notebook_id}", summary: "Update a notebook (absent or null fields are kept)", tag: "notebooks",
			in: notebookUpdateIn{}, out: notebookOut{}, handle: s.updateNotebook},
		{method: "DELETE", path: "/api/notebooks/{notebook_id}", summary: "Delete a notebook", tag: "notebooks",
			in: notebookDeleteIn{}, out: notebookDeleteOut{}, handle: s.deleteNotebook},
	}
}

func (s *Server) listNotebooks(w http.ResponseWriter, r *http.Request) error {
	archived, err := queryBool(r, "archived")
	if err != nil {
		return err
	}
	order, err := notebook.ParseOrder(r.URL.Query().Get("order_by"))
	if err != nil {
		return err
	}
	ns, err := s.deps.Notebooks.List(r.Context(), notebook.ListFilter{Archived: archived, Order: order})
	if err != nil {
		return err
	}
	out := make([]notebookOut, len(ns))
	for i := range ns {
		out[i] = toNotebookOut(&ns[i])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createNotebook(w http.ResponseWriter, r *http.Request) error {
	var in notebookCreateIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Name == nil {
		return apperr.InvalidFields(missing("name"))
	}
	n, err := s.deps.Notebooks.Create(r.Context(), *in.Name, in.Description)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toNotebookOut(n))
	return nil
}

func (s *Server) getNotebook(w http.ResponseWriter, r *http.Request) error {
	n, err := s.deps.Notebooks.Get(r.Context(), r.PathValue("notebook_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toNotebookOut(n))
	return nil
}

func (s *Server) updateNotebook(w http.ResponseWriter, r *http.Request) error {
	var in notebookUpdateIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	n, err := s.deps.Notebooks.Update(r.Context(), r.PathValue("notebook_id"),
		notebook.Update{Name: in.Name, Description: in.Description, Archived: in.Archived})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toNotebookOut(n))
	return nil
}

func (s *Server) deleteNotebook(w http.ResponseWriter, r *http.Request) error {
	exclusive, err := queryBool(r, "delete_exclusive_sources")
	if err != nil {
		return err
	}
	d, err := s.deps.Content.DeleteNotebook(r.Context(), r.PathValue("notebook_id"), exclusive != nil && *exclusive)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, notebookDeleteOut{Message: "Notebook deleted successfully",
		DeletedNotes: d.Notes, DeletedSources: d.Sources, UnlinkedSources: d.UnlinkedSource, DeletedChatSessions: d.ChatSessions})
	return nil
}
