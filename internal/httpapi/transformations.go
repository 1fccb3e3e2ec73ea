package httpapi

import (
	"context"

	"github.com/open-notebook/open-notebook/internal/notebook"
)

type transformationOut struct {
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	Title        string  `json:"title"`
	Description  string  `json:"description"`
	Prompt       string  `json:"prompt"`
	ApplyDefault bool    `json:"apply_default"`
	ModelID      *string `json:"model_id"`
	Created      string  `json:"created"`
	Updated      string  `json:"updated"`
}

func toTransformationOut(t *notebook.Transformation) transformationOut {
	return transformationOut{ID: t.ID, Name: t.Name, Title: t.Title, Description: t.Description, Prompt: t.Prompt,
		ApplyDefault: t.ApplyDefault, ModelID: optional(t.ModelID), Created: formatTime(t.Created), Updated: formatTime(t.Updated)}
}

type transformationCreateIn struct {
	Name         *string `json:"name" required:"true" minLength:"1"`
	Title        *string `json:"title" required:"true" minLength:"1"`
	Description  *string `json:"description" required:"true"`
	Prompt       *string `json:"prompt" required:"true" minLength:"1"`
	ApplyDefault bool    `json:"apply_default" description:"pre-selected when a source is added"`
	ModelID      *string `json:"model_id" description:"null uses the default transformation model"`
}

type transformationUpdateIn struct {
	ID           string      `path:"transformation_id" json:"-"`
	Name         *string     `json:"name"`
	Title        *string     `json:"title"`
	Description  *string     `json:"description"`
	Prompt       *string     `json:"prompt"`
	ApplyDefault *bool       `json:"apply_default"`
	ModelID      Opt[string] `json:"model_id" description:"absent keeps the model; null clears it"`
}

type transformationIDIn struct {
	ID string `path:"transformation_id"`
}

type executeIn struct {
	TransformationID *string `json:"transformation_id" required:"true"`
	InputText        *string `json:"input_text" required:"true"`
	ModelID          *string `json:"model_id"`
}

type executeOut struct {
	Output           string  `json:"output"`
	TransformationID string  `json:"transformation_id"`
	ModelID          *string `json:"model_id"`
}

type defaultPromptOut struct {
	TransformationInstructions string `json:"transformation_instructions"`
}

type defaultPromptIn struct {
	TransformationInstructions *string `json:"transformation_instructions" required:"true" maxLength:"50000"`
}

func (s *Server) transformationRoutes() []route {
	tr := s.app.Transformations
	return []route{
		endpoint(op{Method: "GET", Path: "/api/transformations", Summary: "List transformations by name", Tag: "transformations", Access: Read, Failure: "Error fetching transformations"},
			func(ctx context.Context, _ struct{}) ([]transformationOut, error) {
				list, err := tr.List(ctx)
				return mapSlice(list, toTransformationOut), err
			}),
		endpoint(op{Method: "POST", Path: "/api/transformations", Summary: "Create a transformation", Tag: "transformations", Access: Write, Failure: "Error creating transformation"},
			func(ctx context.Context, in transformationCreateIn) (transformationOut, error) {
				apply := in.ApplyDefault
				return render(toTransformationOut)(tr.Create(ctx, notebook.TransformationInput{Name: in.Name, Title: in.Title,
					Description: in.Description, Prompt: in.Prompt, ApplyDefault: &apply, ModelID: deref(in.ModelID), SetModel: true}))
			}),
		endpoint(op{Method: "POST", Path: "/api/transformations/execute", Summary: "Run a transformation on any text (nothing is stored)", Tag: "transformations", Access: Write, Failure: "Error executing transformation"},
			func(ctx context.Context, in executeIn) (executeOut, error) {
				out, err := tr.Execute(ctx, *in.TransformationID, *in.InputText, deref(in.ModelID))
				if err != nil {
					return executeOut{}, err
				}
				return executeOut{Output: out.Text, TransformationID: *in.TransformationID, ModelID: optional(out.ModelID)}, nil
			}),
		endpoint(op{Method: "GET", Path: "/api/transformations/default-prompt", Summary: "Instructions given before every transformation's prompt", Tag: "transformations", Access: Read, Failure: "Error fetching default prompt"},
			func(ctx context.Context, _ struct{}) (defaultPromptOut, error) {
				v, err := tr.DefaultPrompt(ctx)
				return defaultPromptOut{v}, err
			}),
		endpoint(op{Method: "PUT", Path: "/api/transformations/default-prompt", Summary: "Change the instructions given before every transformation's prompt", Tag: "transformations", Access: Write, Failure: "Error updating default prompt"},
			func(ctx context.Context, in defaultPromptIn) (defaultPromptOut, error) {
				v, err := tr.SetDefaultPrompt(ctx, *in.TransformationInstructions)
				return defaultPromptOut{v}, err
			}),
		endpoint(op{Method: "GET", Path: "/api/transformations/{transformation_id}", Summary: "Get a transformation", Tag: "transformations", Access: Read, Failure: "Error fetching transformation"},
			func(ctx context.Context, in transformationIDIn) (transformationOut, error) {
				return render(toTransformationOut)(tr.Get(ctx, in.ID))
			}),
		endpoint(op{Method: "PUT", Path: "/api/transformations/{transformation_id}", Summary: "Change a transformation (absent fields are kept)", Tag: "transformations", Access: Write, Failure: "Error updating transformation"},
			func(ctx context.Context, in transformationUpdateIn) (transformationOut, error) {
				return render(toTransformationOut)(tr.Update(ctx, in.ID, notebook.TransformationInput{Name: in.Name, Title: in.Title,
					Description: in.Description, Prompt: in.Prompt, ApplyDefault: in.ApplyDefault,
					ModelID: in.ModelID.Value, SetModel: in.ModelID.Set}))
			}),
		endpoint(op{Method: "DELETE", Path: "/api/transformations/{transformation_id}", Summary: "Delete a transformation (its insights stay)", Tag: "transformations", Access: Write, Failure: "Error deleting transformation"},
			func(ctx context.Context, in transformationIDIn) (messageOut, error) {
				return messageOut{"Transformation deleted successfully"}, tr.Delete(ctx, in.ID)
			}),
	}
}
