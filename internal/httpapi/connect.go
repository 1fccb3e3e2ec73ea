package httpapi

import (
	"net/http"
	"time"

	"github.com/open-notebook/open-notebook/internal/ai"
	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/credential"
	"github.com/open-notebook/open-notebook/internal/provider"
)

// connectionTestOut is the compatible {provider, success, message} plus
// the typed status and the latency.
type connectionTestOut struct {
	Provider          string `json:"provider"`
	Success           bool   `json:"success"`
	Message           string `json:"message"`
	Status            string `json:"status" enum:"ok,auth_failed,forbidden,not_found,rate_limited,unreachable,timeout,tls_error,blocked,error"`
	LatencyMS         int64  `json:"latency_ms"`
	RetryAfterSeconds *int   `json:"retry_after_seconds,omitempty" description:"How long a rate-limiting provider asked to wait"`
}

type discoveredOut struct {
	Name        string  `json:"name"`
	Provider    string  `json:"provider"`
	ModelType   string  `json:"model_type" enum:"language,embedding,speech_to_text,text_to_speech"`
	Description *string `json:"description"`
}

type credentialDiscoveryOut struct {
	CredentialID string          `json:"credential_id"`
	Provider     string          `json:"provider"`
	Discovered   []discoveredOut `json:"discovered"`
	Message      *string         `json:"message,omitempty" description:"Why the list is empty or fixed, when that is not a failure"`
}

type registerItemIn struct {
	Name      *string `json:"name" required:"true"`
	Provider  *string `json:"provider" description:"Optional; must be the credential's provider"`
	ModelType *string `json:"model_type" required:"true" enum:"language,embedding,speech_to_text,text_to_speech"`
}

type registerIn struct {
	ID     string           `path:"credential_id" json:"-"`
	Models []registerItemIn `json:"models" required:"true"`
}

type registerOut struct {
	Created  int `json:"created"`
	Existing int `json:"existing"`
	Linked   int `json:"linked" description:"Existing models without a credential that were linked to this one"`
}

type providersOut struct {
	Available      []string            `json:"available"`
	Unavailable    []string            `json:"unavailable"`
	SupportedTypes map[string][]string `json:"supported_types"`
}

type syncOut struct {
	Provider   string  `json:"provider"`
	Discovered int     `json:"discovered"`
	New        int     `json:"new"`
	Existing   int     `json:"existing"`
	Status     string  `json:"status" description:"ok, not_configured, or the failure's connection status"`
	Error      *string `json:"error,omitempty"`
}

type syncAllOut struct {
	Results         map[string]syncOut `json:"results"`
	TotalDiscovered int                `json:"total_discovered"`
	TotalNew        int                `json:"total_new"`
}

type modelTestOut struct {
	Success   bool    `json:"success"`
	Message   string  `json:"message"`
	Details   *string `json:"details"`
	Status    string  `json:"status" enum:"ok,auth_failed,forbidden,not_found,rate_limited,unreachable,timeout,tls_error,blocked,error"`
	LatencyMS int64   `json:"latency_ms"`
}

type modelActionIn struct {
	ID string `path:"model_id"`
}

func (s *Server) connectRoutes() []route {
	return []route{
		{method: "POST", path: "/api/credentials/{credential_id}/test", summary: "Test a credential with the provider's cheapest authenticated call", tag: "credentials",
			in: credentialIDIn{}, out: connectionTestOut{}, handle: s.testCredential},
		{method: "POST", path: "/api/credentials/{credential_id}/discover", summary: "List the models the credential's provider offers", tag: "credentials",
			in: credentialIDIn{}, out: credentialDiscoveryOut{}, handle: s.discoverCredential},
		{method: "POST", path: "/api/credentials/{credential_id}/register-models", summary: "Register models for the credential's provider, linked to it", tag: "credentials",
			in: registerIn{}, out: registerOut{}, handle: s.registerModels},
		{method: "GET", path: "/api/models/providers", summary: "Which providers are available, and the model types each serves", tag: "models",
			out: providersOut{}, handle: s.modelProviders},
		{method: "GET", path: "/api/models/discover/{provider}", summary: "List a provider's models with its first credential, else the environment", tag: "models",
			in: providerPathIn{}, out: []discoveredOut{}, handle: s.discoverProvider},
		{method: "POST", path: "/api/models/sync", summary: "Discover and register the models of every configured provider, concurrently", tag: "models",
			out: syncAllOut{}, handle: s.syncAll},
		// net/http's mux cannot hold both of these (/api/models/sync/test
		// would match either), so one pattern serves them.
		{method: "POST", path: "/api/models/sync/{provider}", pattern: "POST /api/models/{model_id}/{action}",
			summary: "Discover and register a provider's models", tag: "models",
			in: providerPathIn{}, out: syncOut{}, handle: s.modelAction},
		{method: "POST", path: "/api/models/{model_id}/test", pattern: "POST /api/models/{model_id}/{action}",
			summary: "Make the smallest real call of the model's type", tag: "models",
			in: modelActionIn{}, out: modelTestOut{}, handle: s.modelAction},
	}
}

func (s *Server) testCredential(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("credential_id")
	res, err := s.deps.AI.TestCredential(r.Context(), id)
	if err != nil {
		return err
	}
	outcome := "success"
	if !res.Success {
		outcome = "failure"
	}
	s.audit(r, "credential.test", id, outcome, map[string]any{"provider": res.Provider, "status": string(res.Status)})
	out := connectionTestOut{Provider: res.Provider, Success: res.Success, Message: res.Message, Status: string(res.Status),
		LatencyMS: res.Latency.Milliseconds()}
	if res.RetryAfter > 0 {
		secs := int((res.RetryAfter + time.Second - 1) / time.Second)
		out.RetryAfterSeconds = &secs
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func toDiscoveredOut(ms []provider.Model) []discoveredOut {
	out := make([]discoveredOut, len(ms))
	for i, m := range ms {
		out[i] = discoveredOut{Name: m.Name, Provider: m.Provider, ModelType: m.Type, Description: optional(m.Description)}
	}
	return out
}

func (s *Server) discoverCredential(w http.ResponseWriter, r *http.Request) error {
	id, err := credential.NormalizeID(r.PathValue("credential_id"))
	if err != nil {
		return err
	}
	d, err := s.deps.AI.DiscoverCredential(r.Context(), id)
	if err != nil {
		if !apperr.IsNotFound(err) {
			s.audit(r, "credential.discover", id, "failure", nil)
		}
		return err
	}
	s.audit(r, "credential.discover", id, "success", map[string]any{"provider": d.Provider, "count": len(d.Models)})
	writeJSON(w, http.StatusOK, credentialDiscoveryOut{CredentialID: id, Provider: d.Provider,
		Discovered: toDiscoveredOut(d.Models), Message: optional(d.Note)})
	return nil
}

func (s *Server) registerModels(w http.ResponseWriter, r *http.Request) error {
	var in registerIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Models == nil {
		return apperr.InvalidFields(missing("models"))
	}
	var fields []apperr.FieldError
	cs := make([]ai.Candidate, len(in.Models))
	for i, m := range in.Models {
		if m.Name == nil {
			fields = append(fields, apperr.FieldError{Loc: []any{"body", "models", i, "name"}, Type: "missing", Msg: "Field required"})
		}
		if m.ModelType == nil {
			fields = append(fields, apperr.FieldError{Loc: []any{"body", "models", i, "model_type"}, Type: "missing", Msg: "Field required"})
		}
		if len(fields) > 0 {
			continue
		}
		cs[i] = ai.Candidate{Name: *m.Name, Type: *m.ModelType}
		if m.Provider != nil {
			cs[i].Provider = *m.Provider
		}
	}
	if len(fields) > 0 {
		return apperr.InvalidFields(fields...)
	}
	id := r.PathValue("credential_id")
	reg, err := s.deps.AI.RegisterModels(r.Context(), id, cs)
	if err != nil {
		return err
	}
	s.audit(r, "credential.register_models", id, "success",
		map[string]any{"created": reg.Created, "existing": reg.Existing, "linked": reg.Linked})
	writeJSON(w, http.StatusOK, registerOut{Created: reg.Created, Existing: reg.Existing, Linked: reg.Linked})
	return nil
}

func (s *Server) modelProviders(w http.ResponseWriter, r *http.Request) error {
	a, err := s.deps.AI.Providers(r.Context())
	if err != nil {
		return apperr.Wrap(apperr.Internal, "Error checking provider availability", err)
	}
	writeJSON(w, http.StatusOK, providersOut{Available: a.Available, Unavailable: a.Unavailable, SupportedTypes: a.SupportedTypes})
	return nil
}

func (s *Server) discoverProvider(w http.ResponseWriter, r *http.Request) error {
	d, err := s.deps.AI.DiscoverProvider(r.Context(), r.PathValue("provider"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toDiscoveredOut(d.Models))
	return nil
}

func toSyncOut(res ai.SyncResult) syncOut {
	return syncOut{Provider: res.Provider, Discovered: res.Discovered, New: res.New, Existing: res.Existing,
		Status: res.Status, Error: optional(res.Error)}
}

func (s *Server) syncAll(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.deps.AI.SyncAll(r.Context())
	if err != nil {
		return apperr.Wrap(apperr.Internal, "Error syncing all models", err)
	}
	out := syncAllOut{Results: map[string]syncOut{}, TotalDiscovered: rep.TotalDiscovered, TotalNew: rep.TotalNew}
	for _, res := range rep.Results {
		out.Results[res.Provider] = toSyncOut(res)
	}
	s.audit(r, "models.sync", "", "success", map[string]any{"discovered": rep.TotalDiscovered, "new": rep.TotalNew})
	writeJSON(w, http.StatusOK, out)
	return nil
}

// modelAction serves POST /api/models/sync/{provider} and
// POST /api/models/{model_id}/test.
func (s *Server) modelAction(w http.ResponseWriter, r *http.Request) error {
	first, action := r.PathValue("model_id"), r.PathValue("action")
	switch {
	case first == "sync":
		return s.syncProvider(w, r, action)
	case action == "test":
		return s.testModel(w, r, first)
	}
	return apperr.New(apperr.NotFound, "Not Found")
}

func (s *Server) syncProvider(w http.ResponseWriter, r *http.Request, name string) error {
	res, err := s.deps.AI.SyncProvider(r.Context(), name)
	if err != nil {
		return err
	}
	s.audit(r, "models.sync", res.Provider, "success", map[string]any{"discovered": res.Discovered, "new": res.New})
	writeJSON(w, http.StatusOK, toSyncOut(res))
	return nil
}

func (s *Server) testModel(w http.ResponseWriter, r *http.Request, id string) error {
	res, err := s.deps.AI.TestModel(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, modelTestOut{Success: res.Success, Message: res.Message, Status: string(res.Status),
		LatencyMS: res.Latency.Milliseconds()})
	return nil
}
