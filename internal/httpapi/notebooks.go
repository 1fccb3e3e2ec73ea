package httpapi

import (
	"context"

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

type deletePreviewOut struct {
	NotebookID           string `json:"notebook_id"`
	NotebookName         string `json:"notebook_name"`
	NoteCount            int    `json:"note_count"`
	ExclusiveSourceCount int    `json:"exclusive_source_count"`
	SharedSourceCount    int    `json:"shared_source_count"`
}

func (s *Server) notebookRoutes() []route {
	nb := s.app.Notebooks
	return []route{
		endpoint(op{Method: "GET", Path: "/api/recently-viewed", Summary: "Notebooks and sources opened last, newest first", Tag: "notebooks", Access: Read, Failure: "Error fetching recently viewed items"},
			func(ctx context.Context, in recentIn) ([]recentOut, error) {
				list, err := s.app.Notebooks.RecentlyViewed(ctx, in.Limit)
				return mapSlice(list, toRecentOut), err
			}),
		endpoint(op{Method: "GET", Path: "/api/notebooks", Summary: "List notebooks", Tag: "notebooks", Access: Read},
			func(ctx context.Context, in notebookListIn) ([]notebookOut, error) {
				order, err := notebook.ParseOrder(in.OrderBy)
				if err != nil {
					return nil, err
				}
				ns, err := nb.List(ctx, notebook.ListFilter{Archived: in.Archived, Order: order})
				return mapSlice(ns, toNotebookOut), err
			}),
		endpoint(op{Method: "POST", Path: "/api/notebooks", Summary: "Create a notebook", Tag: "notebooks", Access: Write},
			func(ctx context.Context, in notebookCreateIn) (notebookOut, error) {
				return render(toNotebookOut)(nb.Create(ctx, *in.Name, in.Description))
			}),
		endpoint(op{Method: "GET", Path: "/api/notebooks/{notebook_id}", Summary: "Get a notebook", Tag: "notebooks", Access: Read},
			func(ctx context.Context, in notebookIDIn) (notebookOut, error) {
				return render(toNotebookOut)(nb.Get(ctx, in.ID))
			}),
		endpoint(op{Method: "PUT", Path: "/api/notebooks/{notebook_id}", Summary: "Update a notebook (absent or null fields are kept)", Tag: "notebooks", Access: Write},
			func(ctx context.Context, in notebookUpdateIn) (notebookOut, error) {
				return render(toNotebookOut)(nb.Update(ctx, in.ID, notebook.Update{Name: in.Name, Description: in.Description, Archived: in.Archived}))
			}),
		endpoint(op{Method: "DELETE", Path: "/api/notebooks/{notebook_id}", Summary: "Delete a notebook", Tag: "notebooks", Access: Write},
			func(ctx context.Context, in notebookDeleteIn) (notebookDeleteOut, error) {
				d, err := nb.Delete(ctx, in.ID, in.DeleteExclusiveSources)
				return notebookDeleteOut{Message: "Notebook deleted successfully", DeletedNotes: d.Notes, DeletedSources: d.Sources,
					UnlinkedSources: d.UnlinkedSource, DeletedChatSessions: d.ChatSessions}, err
			}),
		endpoint(op{Method: "GET", Path: "/api/notebooks/{notebook_id}/delete-preview", Summary: "What deleting a notebook would remove", Tag: "notebooks", Access: Read},
			func(ctx context.Context, in notebookIDIn) (deletePreviewOut, error) {
				p, err := nb.DeletePreview(ctx, in.ID)
				return deletePreviewOut{NotebookID: p.NotebookID, NotebookName: p.NotebookName, NoteCount: p.NoteCount,
					ExclusiveSourceCount: p.ExclusiveSourceCount, SharedSourceCount: p.SharedSourceCount}, err
			}),
	}
}

// mapSlice renders a list of domain values (never null in JSON).
func mapSlice[T, O any](in []T, f func(*T) O) []O {
	out := make([]O, len(in))
	for i := range in {
		out[i] = f(&in[i])
	}
	return out
}

// render turns the result of a service call that returns one value into
// its response: render(toX)(svc.Get(ctx, id)).
func render[T, O any](f func(*T) O) func(v *T, err error) (O, error) {
	return func(v *T, err error) (O, error) {
		if err != nil {
			var zero O
			return zero, err
		}
		return f(v), nil
	}
}

type recentIn struct {
	Limit int `query:"limit" default:"12" minimum:"1" maximum:"50"`
}

type recentOut struct {
	Type         string `json:"type" enum:"notebook,source"`
	ID           string `json:"id"`
	Title        string `json:"title"`
	LastViewedAt string `json:"last_viewed_at"`
}

func toRecentOut(v *notebook.Viewed) recentOut {
	return recentOut{Type: v.Type, ID: v.ID, Title: v.Title, LastViewedAt: formatTime(v.At)}
}
