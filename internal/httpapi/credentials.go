package httpapi

import (
	"net/http"
	"strings"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/credential"
	"github.com/open-notebook/open-notebook/internal/provider"
)

// providerName documents the 22 accepted provider names in the OpenAPI
// document.
type providerName string

// Enum implements jsonschema.Enum.
func (providerName) Enum() []any {
	names := provider.Names()
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = n
	}
	return out
}

type credentialOut struct {
	ID                string   `json:"id"`
	Name              string   `json:"name"`
	Provider          string   `json:"provider"`
	Modalities        []string `json:"modalities"`
	BaseURL           *string  `json:"base_url"`
	Endpoint          *string  `json:"endpoint"`
	APIVersion        *string  `json:"api_version"`
	EndpointLLM       *string  `json:"endpoint_llm"`
	EndpointEmbedding *string  `json:"endpoint_embedding"`
	EndpointSTT       *string  `json:"endpoint_stt"`
	EndpointTTS       *string  `json:"endpoint_tts"`
	Project           *string  `json:"project"`
	Location          *string  `json:"location"`
	CredentialsPath   *string  `json:"credentials_path"`
	NumCtx            *int     `json:"num_ctx"`
	HasAPIKey         bool     `json:"has_api_key"`
	APIKeyHint        *string  `json:"api_key_hint" description:"Last 4 characters of the key, for keys of 12 characters or more"`
	Created           string   `json:"created"`
	Updated           string   `json:"updated"`
	ModelCount        int      `json:"model_count"`
	DecryptionError   *string  `json:"decryption_error"`
	LastTestedAt      *string  `json:"last_tested_at"`
	LastTestStatus    *string  `json:"last_test_status"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toCredentialOut(c *credential.Credential) credentialOut {
	out := credentialOut{
		ID: c.ID, Name: c.Name, Provider: c.Provider, Modalities: c.Modalities,
		BaseURL: optional(c.BaseURL), Endpoint: optional(c.Endpoint), APIVersion: optional(c.APIVersion),
		EndpointLLM: optional(c.EndpointLLM), EndpointEmbedding: optional(c.EndpointEmbedding),
		EndpointSTT: optional(c.EndpointSTT), EndpointTTS: optional(c.EndpointTTS), Project: optional(c.Project),
		Location: optional(c.Location), CredentialsPath: optional(c.CredentialsPath), NumCtx: c.NumCtx,
		HasAPIKey: c.HasAPIKey, APIKeyHint: optional(c.APIKeyHint), Created: formatTime(c.Created),
		Updated: formatTime(c.Updated), ModelCount: c.ModelCount, DecryptionError: optional(c.DecryptionError),
		LastTestStatus: optional(c.LastTestStatus),
	}
	if out.Modalities == nil {
		out.Modalities = []string{}
	}
	if c.LastTestedAt != nil {
		t := formatTime(*c.LastTestedAt)
		out.LastTestedAt = &t
	}
	return out
}

type credentialCreateIn struct {
	Name              *string       `json:"name" required:"true" maxLength:"200"`
	Provider          *providerName `json:"provider" required:"true"`
	Modalities        []string      `json:"modalities"`
	APIKey            *string       `json:"api_key"`
	BaseURL           *string       `json:"base_url"`
	Endpoint          *string       `json:"endpoint"`
	APIVersion        *string       `json:"api_version"`
	EndpointLLM       *string       `json:"endpoint_llm"`
	EndpointEmbedding *string       `json:"endpoint_embedding"`
	EndpointSTT       *string       `json:"endpoint_stt"`
	EndpointTTS       *string       `json:"endpoint_tts"`
	Project           *string       `json:"project"`
	Location          *string       `json:"location"`
	CredentialsPath   *string       `json:"credentials_path"`
	NumCtx            *int          `json:"num_ctx" minimum:"1" maximum:"10000000"`
}

type credentialUpdateIn struct {
	ID                string        `path:"credential_id" json:"-"`
	Name              Opt[string]   `json:"name" description:"null keeps the name"`
	Modalities        Opt[[]string] `json:"modalities" description:"null keeps the modalities"`
	APIKey            Opt[string]   `json:"api_key" description:"absent or null keeps the key; \"\" removes it"`
	BaseURL           Opt[string]   `json:"base_url" description:"absent keeps; null or \"\" clears (likewise every field below)"`
	Endpoint          Opt[string]   `json:"endpoint"`
	APIVersion        Opt[string]   `json:"api_version"`
	EndpointLLM       Opt[string]   `json:"endpoint_llm"`
	EndpointEmbedding Opt[string]   `json:"endpoint_embedding"`
	EndpointSTT       Opt[string]   `json:"endpoint_stt"`
	EndpointTTS       Opt[string]   `json:"endpoint_tts"`
	Project           Opt[string]   `json:"project"`
	Location          Opt[string]   `json:"location"`
	CredentialsPath   Opt[string]   `json:"credentials_path"`
	NumCtx            Opt[int]      `json:"num_ctx" description:"absent keeps; null or 0 clears"`
}

// clearable maps an Opt to the original's presence rule: absent keeps
// (nil), present stores `value or None` (a pointer, "" meaning clear).
func clearable(o Opt[string]) *string {
	if !o.Set {
		return nil
	}
	v := o.Value
	return &v
}

// keepOnNull maps an Opt whose null means "keep" (name, modalities, key).
func keepOnNull[T any](o Opt[T]) *T { return o.Ptr() }

type credentialIDIn struct {
	ID string `path:"credential_id"`
}

type credentialListIn struct {
	Provider string `query:"provider"`
}

type credentialDeleteIn struct {
	ID        string `path:"credential_id"`
	MigrateTo string `query:"migrate_to" description:"Move the linked models to this credential (same provider) instead of deleting them"`
}

type credentialDeleteOut struct {
	Message       string `json:"message"`
	DeletedModels int    `json:"deleted_models"`
}

type providerPathIn struct {
	Provider string `path:"provider"`
}

type legacyConfigIn struct {
	Credentials map[string][]credential.LegacyCredential `json:"credentials" required:"true"`
}

type providerOut struct {
	Name          string   `json:"name"`
	DisplayName   string   `json:"display_name"`
	Modalities    []string `json:"modalities"`
	DocsURL       *string  `json:"docs_url"`
	EnvConfigured bool     `json:"env_configured"`
}

func (s *Server) credentialRoutes() []route {
	return []route{
		{method: "GET", path: "/api/providers", summary: "The supported providers, in display order", tag: "credentials",
			out: []providerOut{}, handle: s.listProviders},
		{method: "GET", path: "/api/credentials/status", summary: "Which providers are configured, and from where", tag: "credentials",
			out: credential.Status{}, handle: s.credentialStatus},
		{method: "GET", path: "/api/credentials/env-status", summary: "Which providers are configured by environment variables", tag: "credentials",
			out: map[string]bool{}, handle: s.credentialEnvStatus},
		{method: "GET", path: "/api/credentials", summary: "List credentials (keys are never returned)", tag: "credentials",
			in: credentialListIn{}, out: []credentialOut{}, handle: s.listCredentials},
		{method: "GET", path: "/api/credentials/by-provider/{provider}", summary: "List a provider's credentials", tag: "credentials",
			in: providerPathIn{}, out: []credentialOut{}, handle: s.listCredentialsByProvider},
		{method: "POST", path: "/api/credentials", summary: "Create a credential; its key is encrypted at rest", tag: "credentials",
			in: credentialCreateIn{}, out: credentialOut{}, status: http.StatusCreated, handle: s.createCredential},
		{method: "GET", path: "/api/credentials/{credential_id}", summary: "Get a credential", tag: "credentials",
			in: credentialIDIn{}, out: credentialOut{}, handle: s.getCredential},
		{method: "PUT", path: "/api/credentials/{credential_id}", summary: "Update a credential", tag: "credentials",
			in: credentialUpdateIn{}, out: credentialOut{}, handle: s.updateCredential},
		{method: "DELETE", path: "/api/credentials/{credential_id}", summary: "Delete a credential and its models, or move them", tag: "credentials",
			in: credentialDeleteIn{}, out: credentialDeleteOut{}, handle: s.deleteCredential},
		{method: "POST", path: "/api/credentials/migrate-from-env", summary: "Store environment-configured providers as credentials", tag: "credentials",
			out: credential.EnvMigration{}, handle: s.migrateFromEnv},
		{method: "POST", path: "/api/credentials/migrate-from-provider-config", summary: "Import the original's legacy provider configuration", tag: "credentials",
			in: legacyConfigIn{}, out: credential.ConfigMigration{}, handle: s.migrateFromProviderConfig},
	}
}

func (s *Server) listProviders(w http.ResponseWriter, r *http.Request) error {
	out := []providerOut{}
	env := s.deps.Credentials.EnvStatus()
	for _, p := range provider.Providers() {
		out = append(out, providerOut{Name: p.Name, DisplayName: p.DisplayName, Modalities: p.Modalities,
			DocsURL: optional(p.DocsURL), EnvConfigured: env[p.Name]})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) credentialStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := s.deps.Credentials.Status(r.Context())
	if err != nil {
		return apperr.Wrap(apperr.Internal, "Failed to fetch credential status", err)
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) credentialEnvStatus(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.deps.Credentials.EnvStatus())
	return nil
}

func (s *Server) writeCredentials(w http.ResponseWriter, r *http.Request, providerFilter, failure string) error {
	cs, err := s.deps.Credentials.List(r.Context(), providerFilter)
	if err != nil {
		return apperr.Wrap(apperr.Internal, failure, err)
	}
	out := make([]credentialOut, len(cs))
	for i := range cs {
		out[i] = toCredentialOut(&cs[i])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) listCredentials(w http.ResponseWriter, r *http.Request) error {
	return s.writeCredentials(w, r, r.URL.Query().Get("provider"), "Failed to list credentials")
}

func (s *Server) listCredentialsByProvider(w http.ResponseWriter, r *http.Request) error {
	return s.writeCredentials(w, r, strings.ToLower(r.PathValue("provider")), "Failed to list credentials for provider")
}

func (s *Server) createCredential(w http.ResponseWriter, r *http.Request) error {
	var in credentialCreateIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	var missingFields []apperr.FieldError
	if in.Name == nil {
		missingFields = append(missingFields, missing("name"))
	}
	if in.Provider == nil {
		missingFields = append(missingFields, missing("provider"))
	}
	if len(missingFields) > 0 {
		return apperr.InvalidFields(missingFields...)
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	c, err := s.deps.Credentials.Create(r.Context(), credential.Input{
		Name: *in.Name, Provider: string(*in.Provider), Modalities: in.Modalities, APIKey: str(in.APIKey),
		BaseURL: str(in.BaseURL), Endpoint: str(in.Endpoint), APIVersion: str(in.APIVersion),
		EndpointLLM: str(in.EndpointLLM), EndpointEmbed: str(in.EndpointEmbedding), EndpointSTT: str(in.EndpointSTT),
		EndpointTTS: str(in.EndpointTTS), Project: str(in.Project), Location: str(in.Location),
		CredentialsPath: str(in.CredentialsPath), NumCtx: in.NumCtx,
	})
	if err != nil {
		return err
	}
	s.audit(r, "credential.create", c.ID, "success", map[string]any{"provider": c.Provider})
	writeJSON(w, http.StatusCreated, toCredentialOut(c))
	return nil
}

func (s *Server) getCredential(w http.ResponseWriter, r *http.Request) error {
	c, err := s.deps.Credentials.Get(r.Context(), r.PathValue("credential_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCredentialOut(c))
	return nil
}

func (s *Server) updateCredential(w http.ResponseWriter, r *http.Request) error {
	var in credentialUpdateIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ch := credential.Change{
		Name: keepOnNull(in.Name), Modalities: keepOnNull(in.Modalities), APIKey: keepOnNull(in.APIKey),
		BaseURL: clearable(in.BaseURL), Endpoint: clearable(in.Endpoint), APIVersion: clearable(in.APIVersion),
		EndpointLLM: clearable(in.EndpointLLM), EndpointEmbed: clearable(in.EndpointEmbedding),
		EndpointSTT: clearable(in.EndpointSTT), EndpointTTS: clearable(in.EndpointTTS), Project: clearable(in.Project),
		Location: clearable(in.Location), CredentialsPath: clearable(in.CredentialsPath),
	}
	if in.NumCtx.Set {
		n := in.NumCtx.Value // null decodes to 0: clear
		ch.NumCtx = &n
	}
	c, err := s.deps.Credentials.Update(r.Context(), r.PathValue("credential_id"), ch)
	if err != nil {
		return err
	}
	s.audit(r, "credential.update", c.ID, "success", map[string]any{"fields": ch.Fields()})
	writeJSON(w, http.StatusOK, toCredentialOut(c))
	return nil
}

func (s *Server) deleteCredential(w http.ResponseWriter, r *http.Request) error {
	id, migrateTo := r.PathValue("credential_id"), r.URL.Query().Get("migrate_to")
	n, err := s.deps.Credentials.Delete(r.Context(), id, migrateTo)
	if err != nil {
		return err
	}
	details := map[string]any{"deleted_models": n}
	if migrateTo != "" {
		details["migrated_to"] = migrateTo
	}
	s.audit(r, "credential.delete", id, "success", details)
	writeJSON(w, http.StatusOK, credentialDeleteOut{Message: "Credential deleted successfully", DeletedModels: n})
	return nil
}

func (s *Server) migrateFromEnv(w http.ResponseWriter, r *http.Request) error {
	res, err := s.deps.Credentials.MigrateFromEnv(r.Context())
	if err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			return apperr.Wrap(apperr.Internal, "Migration from environment variables failed", err)
		}
		return err
	}
	s.audit(r, "credential.migrate_env", "", "success", map[string]any{"migrated": res.Migrated, "errors": len(res.Errors)})
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) migrateFromProviderConfig(w http.ResponseWriter, r *http.Request) error {
	var in legacyConfigIn
	if err := decodeJSON(r, &in); err != nil {
		if e, ok := apperr.As(err); ok && len(e.Fields) == 1 && e.Fields[0].Type == "missing" {
			return apperr.New(apperr.Invalid, "Post the legacy provider configuration (the original's "+
				"open_notebook:provider_configs record, {\"credentials\": {...}}) as the request body, or run "+
				"'open-notebook import-provider-config FILE'")
		}
		return err
	}
	if in.Credentials == nil {
		return apperr.InvalidFields(missing("credentials"))
	}
	res, err := s.deps.Credentials.MigrateFromProviderConfig(r.Context(), in.Credentials)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			return apperr.Wrap(apperr.Internal, "Migration from provider config failed", err)
		}
		return err
	}
	s.audit(r, "credential.migrate_provider_config", "", "success", map[string]any{"migrated": res.Migrated, "errors": len(res.Errors)})
	writeJSON(w, http.StatusOK, res)
	return nil
}
