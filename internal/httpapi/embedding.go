package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/notebook"
)

type embedIn struct {
	ItemID          *string `json:"item_id" required:"true"`
	ItemType        *string `json:"item_type" required:"true" description:"source, note or insight"`
	AsyncProcessing bool    `json:"async_processing" description:"queue the work and return at once"`
}

type embedOut struct {
	Success       bool    `json:"success"`
	Message       string  `json:"message"`
	ItemID        string  `json:"item_id"`
	ItemType      string  `json:"item_type"`
	CommandID     *string `json:"command_id"`
	ChunksCreated *int    `json:"chunks_created,omitempty"`
}

type rebuildIn struct {
	Mode            *string `json:"mode" required:"true" enum:"existing,all"`
	IncludeSources  *bool   `json:"include_sources" default:"true"`
	IncludeNotes    *bool   `json:"include_notes" default:"true"`
	IncludeInsights *bool   `json:"include_insights" default:"true"`
}

func (in rebuildIn) args() notebook.RebuildEmbeddings {
	on := func(b *bool) bool { return b == nil || *b }
	return notebook.RebuildEmbeddings{Mode: deref(in.Mode), IncludeSources: on(in.IncludeSources),
		IncludeNotes: on(in.IncludeNotes), IncludeInsights: on(in.IncludeInsights)}
}

type rebuildOut struct {
	CommandID  string `json:"command_id"`
	TotalItems int    `json:"total_items"`
	Message    string `json:"message"`
}

type rebuildStatusIn struct {
	ID string `path:"command_id"`
}

type rebuildProgressOut struct {
	Processed  int     `json:"processed"`
	Total      int     `json:"total"`
	Percentage float64 `json:"percentage"`
}

type rebuildStatsOut struct {
	Sources  int `json:"sources"`
	Notes    int `json:"notes"`
	Insights int `json:"insights"`
	Failed   int `json:"failed"`
}

type rebuildStatusOut struct {
	CommandID    string              `json:"command_id"`
	Status       string              `json:"status"`
	Progress     *rebuildProgressOut `json:"progress,omitempty"`
	Stats        *rebuildStatsOut    `json:"stats,omitempty"`
	StartedAt    *string             `json:"started_at,omitempty"`
	CompletedAt  *string             `json:"completed_at,omitempty"`
	ErrorMessage *string             `json:"error_message,omitempty"`
}

func (s *Server) embeddingRoutes() []route {
	vectors, q := s.app.Embeddings, s.app.Jobs
	return []route{
		endpoint(op{Method: "POST", Path: "/api/embed", Summary: "Embed a source, note or insight for vector search", Tag: "embedding", Access: Write, Failure: "Error embedding content"},
			func(ctx context.Context, in embedIn) (embedOut, error) {
				kind := strings.ToLower(strings.TrimSpace(*in.ItemType))
				id, chunks, err := vectors.Request(ctx, kind, *in.ItemID, in.AsyncProcessing)
				if err != nil {
					return embedOut{}, err
				}
				out := embedOut{Success: true, ItemID: *in.ItemID, ItemType: kind, CommandID: optional(id)}
				if in.AsyncProcessing {
					out.Message = "Embedding queued for background processing"
				} else {
					out.Message = fmt.Sprintf("%s embedded", strings.ToUpper(kind[:1])+kind[1:])
					out.ChunksCreated = &chunks
				}
				return out, nil
			}),
		endpoint(op{Method: "POST", Path: "/api/embeddings/rebuild", Summary: "Embed everything again with the current embedding model", Tag: "embedding", Access: Write, Failure: "Failed to start rebuild operation"},
			func(ctx context.Context, in rebuildIn) (rebuildOut, error) {
				id, total, err := vectors.StartRebuild(ctx, in.args())
				if err != nil {
					return rebuildOut{}, err
				}
				return rebuildOut{CommandID: id, TotalItems: total,
					Message: fmt.Sprintf("Rebuild operation started. Estimated %d items to process.", total)}, nil
			}),
		endpoint(op{Method: "GET", Path: "/api/embeddings/rebuild/{command_id}/status", Summary: "How far a rebuild got", Tag: "embedding", Access: Read, Failure: "Failed to get rebuild status"},
			func(ctx context.Context, in rebuildStatusIn) (rebuildStatusOut, error) {
				st, err := q.Get(ctx, in.ID)
				if apperr.IsNotFound(err) || (err == nil && st.Kind != (notebook.RebuildEmbeddings{}).Kind()) {
					return rebuildStatusOut{}, apperr.New(apperr.NotFound, "Rebuild command not found")
				}
				if err != nil {
					return rebuildStatusOut{}, err
				}
				out := rebuildStatusOut{CommandID: st.ID, Status: st.State, StartedAt: optionalTime(st.Started), CompletedAt: optionalTime(st.Finished)}
				if p := st.Progress; p != nil {
					out.Progress = &rebuildProgressOut{Processed: p.Done, Total: p.Total, Percentage: math.Round(p.Percent*100) / 100}
				}
				var res struct {
					Sources  int `json:"sources"`
					Notes    int `json:"notes"`
					Insights int `json:"insights"`
					Failed   int `json:"failed_items"`
				}
				if len(st.Result) > 0 && jsonObject(st.Result, &res) {
					out.Stats = &rebuildStatsOut{Sources: res.Sources, Notes: res.Notes, Insights: res.Insights, Failed: res.Failed}
				}
				if st.State == "failed" {
					msg := st.Error
					if msg == "" {
						msg = "Unknown error"
					}
					out.ErrorMessage = &msg
				}
				return out, nil
			}),
	}
}

// jsonObject decodes a JSON object, reporting whether raw held one.
func jsonObject(raw []byte, into any) bool {
	return len(raw) > 0 && raw[0] == '{' && json.Unmarshal(raw, into) == nil
}
