package httpapi

import (
	"context"

	"github.com/open-notebook/open-notebook/internal/notebook"
)

type insightOut struct {
	ID               string  `json:"id"`
	SourceID         string  `json:"source_id"`
	InsightType      string  `json:"insight_type"`
	Content          string  `json:"content"`
	TransformationID *string `json:"transformation_id" description:"null once the transformation is deleted"`
	Created          *string `json:"created"`
	Updated          *string `json:"updated"`
}

func toInsightOut(in *notebook.Insight) insightOut {
	return insightOut{ID: in.ID, SourceID: in.SourceID, InsightType: in.Type, Content: in.Content,
		TransformationID: optional(in.TransformationID), Created: optionalTime(&in.Created), Updated: optionalTime(&in.Updated)}
}

type insightIDIn struct {
	ID string `path:"insight_id"`
}

type generateInsightIn struct {
	SourceID         string  `path:"source_id" json:"-"`
	TransformationID *string `json:"transformation_id" required:"true"`
	ModelID          *string `json:"model_id" description:"accepted for compatibility; the transformation's model is used"`
}

type generateInsightOut struct {
	Status           string `json:"status"`
	Message          string `json:"message"`
	SourceID         string `json:"source_id"`
	TransformationID string `json:"transformation_id"`
	CommandID        string `json:"command_id"`
}

type saveAsNoteIn struct {
	ID         string  `path:"insight_id" json:"-"`
	NotebookID *string `json:"notebook_id"`
}

func (s *Server) insightRoutes() []route {
	ins := s.app.Insights
	return []route{
		endpoint(op{Method: "GET", Path: "/api/sources/{source_id}/insights", Summary: "A source's insights, newest first", Tag: "insights", Access: Read, Failure: "Error fetching insights"},
			func(ctx context.Context, in sourceIDIn) ([]insightOut, error) {
				list, err := ins.List(ctx, in.ID)
				return mapSlice(list, toInsightOut), err
			}),
		endpoint(op{Method: "POST", Path: "/api/sources/{source_id}/insights", Summary: "Run a transformation on a source in the background", Tag: "insights", Access: Write, Status: 202, Failure: "Error starting insight generation"},
			func(ctx context.Context, in generateInsightIn) (generateInsightOut, error) {
				src, tr, id, err := ins.Generate(ctx, in.SourceID, *in.TransformationID)
				if err != nil {
					return generateInsightOut{}, err
				}
				return generateInsightOut{Status: "pending", Message: "Insight generation started", SourceID: src.ID,
					TransformationID: tr.ID, CommandID: id}, nil
			}),
		endpoint(op{Method: "GET", Path: "/api/insights/{insight_id}", Summary: "Get an insight", Tag: "insights", Access: Read, Failure: "Error fetching insight"},
			func(ctx context.Context, in insightIDIn) (insightOut, error) {
				return render(toInsightOut)(ins.Get(ctx, in.ID))
			}),
		endpoint(op{Method: "DELETE", Path: "/api/insights/{insight_id}", Summary: "Delete an insight", Tag: "insights", Access: Write, Failure: "Error deleting insight"},
			func(ctx context.Context, in insightIDIn) (messageOut, error) {
				return messageOut{"Insight deleted successfully"}, ins.Delete(ctx, in.ID)
			}),
		endpoint(op{Method: "POST", Path: "/api/insights/{insight_id}/save-as-note", Summary: "Copy an insight into a note", Tag: "insights", Access: Write, Failure: "Error saving insight as note"},
			func(ctx context.Context, in saveAsNoteIn) (noteOut, error) {
				return render(toNoteOut)(ins.SaveAsNote(ctx, in.ID, deref(in.NotebookID)))
			}),
	}
}
