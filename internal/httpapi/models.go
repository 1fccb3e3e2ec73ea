package httpapi

import (
	"net/http"

	"github.com/open-notebook/open-notebook/internal/apperr"
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

func toModelsOut(ms []model.Model) []modelOut {
	out := make([]modelOut, len(ms))
	for i := range ms {
		out[i] = toModelOut(&ms[i])
	}
	return out
}

type modelListIn struct {
	Type string `query:"type" enum:"language,embedding,speech_to_text,text_to_speech"`
}

type modelCreateIn struct {
	Name       *string `json:"name" required:"true"`
	Provider   *string `json:"provider" required:"true"`
	Type       *string `json:"type" required:"true" enum:"language,embedding,speech_to_text,text_to_speech"`
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

func (s *Server) modelRoutes() []route {
	return []route{
		{method: "GET", path: "/api/models", summary: "List models", tag: "models",
			in: modelListIn{}, out: []modelOut{}, handle: s.listModels},
		{method: "POST", path: "/api/models", summary: "Register a model", tag: "models",
			in: modelCreateIn{}, out: modelOut{}, handle: s.createModel},
		{method: "DELETE", path: "/api/models/{model_id}", summary: "Delete a model (default slots that held it are cleared)", tag: "models",
			in: modelIDIn{}, out: messageOut{}, handle: s.deleteModel},
		{method: "GET", path: "/api/models/defaults", summary: "Default model per role", tag: "models",
			out: defaultModelsDoc{}, handle: s.getDefaults},
		{method: "PUT", path: "/api/models/defaults", summary: "Set default models (absent slots are kept)", tag: "models",
			in: defaultModelsDoc{}, out: defaultModelsDoc{}, handle: s.putDefaults},
		{method: "GET", path: "/api/models/count/{provider}", summary: "Count a provider's models per type", tag: "models",
			in: providerPathIn{}, out: modelCountOut{}, handle: s.countModels},
		{method: "GET", path: "/api/models/by-provider/{provider}", summary: "List a provider's models", tag: "models",
			in: providerPathIn{}, out: []modelOut{}, handle: s.modelsByProvider},
		{method: "POST", path: "/api/models/auto-assign", summary: "Fill empty required defaults with preferred models", tag: "models",
			out: model.AutoAssignment{}, handle: s.autoAssign},
	}
}

func (s *Server) listModels(w http.ResponseWriter, r *http.Request) error {
	typ := r.URL.Query().Get("type")
	ms, err := s.deps.Models.List(r.Context(), typ)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toModelsOut(ms))
	return nil
}

func (s *Server) createModel(w http.ResponseWriter, r *http.Request) error {
	var in modelCreateIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	var fields []apperr.FieldError
	for name, v := range map[string]*string{"name": in.Name, "provider": in.Provider, "type": in.Type} {
		if v == nil {
			fields = append(fields, missing(name))
		}
	}
	if len(fields) > 0 {
		return apperr.InvalidFields(fields...)
	}
	cred := ""
	if in.Credential != nil {
		cred = *in.Credential
	}
	m, err := s.deps.Models.Create(r.Context(), model.NewInput{Name: *in.Name, Provider: *in.Provider, Type: *in.Type, CredentialID: cred})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toModelOut(m))
	return nil
}

func (s *Server) deleteModel(w http.ResponseWriter, r *http.Request) error {
	if err := s.deps.Models.Delete(r.Context(), r.PathValue("model_id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, messageOut{"Model deleted successfully"})
	return nil
}

// writeDefaults writes the slots in the original's field order.
func (s *Server) writeDefaults(w http.ResponseWriter, d map[string]string) {
	writeJSON(w, http.StatusOK, defaultModelsDoc{
		DefaultChatModel:           optional(d["default_chat_model"]),
		DefaultTransformationModel: optional(d["default_transformation_model"]),
		LargeContextModel:          optional(d["large_context_model"]),
		DefaultTextToSpeechModel:   optional(d["default_text_to_speech_model"]),
		DefaultSpeechToTextModel:   optional(d["default_speech_to_text_model"]),
		DefaultEmbeddingModel:      optional(d["default_embedding_model"]),
		DefaultToolsModel:          optional(d["default_tools_model"]),
	})
}

func (s *Server) getDefaults(w http.ResponseWriter, r *http.Request) error {
	d, err := s.deps.Models.Defaults(r.Context())
	if err != nil {
		return err
	}
	s.writeDefaults(w, d)
	return nil
}

func (s *Server) putDefaults(w http.ResponseWriter, r *http.Request) error {
	var in map[string]Opt[string]
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	patch := map[string]string{}
	for _, f := range model.SlotFields() {
		if v, ok := in[f]; ok {
			patch[f] = v.Value // null decodes to "": clear
		}
	}
	d, err := s.deps.Models.UpdateDefaults(r.Context(), patch)
	if err != nil {
		return err
	}
	s.audit(r, "models.defaults", "", "success", map[string]any{"slots": keys(patch)})
	s.writeDefaults(w, d)
	return nil
}

func (s *Server) countModels(w http.ResponseWriter, r *http.Request) error {
	p := r.PathValue("provider")
	counts, total, err := s.deps.Models.Count(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, modelCountOut{Provider: p, Counts: counts, Total: total})
	return nil
}

func (s *Server) modelsByProvider(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.deps.Models.ByProvider(r.Context(), r.PathValue("provider"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toModelsOut(ms))
	return nil
}

func (s *Server) autoAssign(w http.ResponseWriter, r *http.Request) error {
	res, err := s.deps.Models.AutoAssign(r.Context())
	if err != nil {
		return err
	}
	if len(res.Assigned) > 0 {
		s.audit(r, "models.defaults", "", "success", map[string]any{"slots": keys(res.Assigned), "auto_assign": true})
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func keys[V any](m map[string]V) []string {
	var out []string
	for _, f := range model.SlotFields() {
		if _, ok := m[f]; ok {
			out = append(out, f)
		}
	}
	return out
}
