package httpapi

import (
	"context"

	"github.com/open-notebook/open-notebook/internal/model"
)

type modelOut struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Provider   string  `json:"provider"`
	Type       string  `json:"type"`
	Credential *string `json:"credential"`
	Created    string  `json:"created"`
	Updated    string  `json:"updated"`
}

func toModelOut(m *model.Model) modelOut {
	return modelOut{ID: m.ID, Name: m.Name, Provider: m.Provider, Type: m.Type, Credential: optional(m.CredentialID),
		Created: formatTime(m.Created), Updated: formatTime(m.Updated)}
}

type modelListIn struct {
	Type string `query:"type" enum:"language,embedding,speech_to_text,text_to_speech"`
}

type modelCreateIn struct {
	Name       *string `json:"name" required:"true"`
	Provider   *string `json:"provider" required:"true"`
	Type       *string `json:"type" required:"true" description:"language, embedding, speech_to_text or text_to_speech"`
	Credential *string `json:"credential"`
}

type modelIDIn struct {
	ID string `path:"model_id"`
}

// defaultModelsDoc documents the seven default slots.
type defaultModelsDoc struct {
	DefaultChatModel           *string `json:"default_chat_model"`
	DefaultTransformationModel *string `json:"default_transformation_model"`
	LargeContextModel          *string `json:"large_context_model"`
	DefaultTextToSpeechModel   *string `json:"default_text_to_speech_model"`
	DefaultSpeechToTextModel   *string `json:"default_speech_to_text_model"`
	DefaultEmbeddingModel      *string `json:"default_embedding_model"`
	DefaultToolsModel          *string `json:"default_tools_model"`
}

type modelCountOut struct {
	Provider string         `json:"provider"`
	Counts   map[string]int `json:"counts"`
	Total    int            `json:"total"`
}

// defaultsIn is a partial update of the default slots: an absent slot is
// kept, a null or "" one cleared.
type defaultsIn map[string]Opt[string]

func (s *Server) modelRoutes() []route {
	models := s.app.Models
	defaults := func(d map[string]string, err error) (defaultModelsDoc, error) {
		return defaultModelsDoc{
			DefaultChatModel:           optional(d["default_chat_model"]),
			DefaultTransformationModel: optional(d["default_transformation_model"]),
			LargeContextModel:          optional(d["large_context_model"]),
			DefaultTextToSpeechModel:   optional(d["default_text_to_speech_model"]),
			DefaultSpeechToTextModel:   optional(d["default_speech_to_text_model"]),
			DefaultEmbeddingModel:      optional(d["default_embedding_model"]),
			DefaultToolsModel:          optional(d["default_tools_model"]),
		}, err
	}
	return []route{
		endpoint(op{Method: "GET", Path: "/api/models", Summary: "List models", Tag: "models", Access: Read},
			func(ctx context.Context, in modelListIn) ([]modelOut, error) {
				ms, err := models.List(ctx, in.Type)
				return mapSlice(ms, toModelOut), err
			}),
		endpoint(op{Method: "POST", Path: "/api/models", Summary: "Register a model", Tag: "models", Access: Write, Audit: "model.create"},
			func(ctx context.Context, in modelCreateIn) (modelOut, error) {
				return render(toModelOut)(models.Create(ctx, model.NewInput{Name: *in.Name, Provider: *in.Provider, Type: *in.Type,
					CredentialID: deref(in.Credential)}))
			}),
		endpoint(op{Method: "DELETE", Path: "/api/models/{model_id}", Summary: "Delete a model (default slots that held it are cleared)", Tag: "models", Access: Write, Audit: "model.delete"},
			func(ctx context.Context, in modelIDIn) (messageOut, error) {
				return messageOut{"Model deleted successfully"}, models.Delete(ctx, in.ID)
			}),
		endpoint(op{Method: "GET", Path: "/api/models/defaults", Summary: "Default model per role", Tag: "models", Access: Read},
			func(ctx context.Context, _ struct{}) (defaultModelsDoc, error) { return defaults(models.Defaults(ctx)) }),
		endpoint(op{Method: "PUT", Path: "/api/models/defaults", Summary: "Set default models (absent slots are kept)", Tag: "models", Access: Write, Audit: "models.defaults"},
			func(ctx context.Context, in defaultsIn) (defaultModelsDoc, error) {
				patch := map[string]string{}
				for _, f := range model.SlotFields() {
					if v, ok := in[f]; ok {
						patch[f] = v.Value // null decodes to "": clear
					}
				}
				return defaults(models.UpdateDefaults(ctx, patch))
			}),
		endpoint(op{Method: "GET", Path: "/api/models/count/{provider}", Summary: "Count a provider's models per type", Tag: "models", Access: Read},
			func(ctx context.Context, in providerPathIn) (modelCountOut, error) {
				counts, total, err := models.Count(ctx, in.Provider)
				return modelCountOut{Provider: in.Provider, Counts: counts, Total: total}, err
			}),
		endpoint(op{Method: "GET", Path: "/api/models/by-provider/{provider}", Summary: "List a provider's models", Tag: "models", Access: Read},
			func(ctx context.Context, in providerPathIn) ([]modelOut, error) {
				ms, err := models.ByProvider(ctx, in.Provider)
				return mapSlice(ms, toModelOut), err
			}),
		endpoint(op{Method: "POST", Path: "/api/models/auto-assign", Summary: "Fill empty required defaults with preferred models", Tag: "models", Access: Write, Audit: "models.defaults"},
			func(ctx context.Context, _ struct{}) (*model.AutoAssignment, error) { return models.AutoAssign(ctx) }),
	}
}
