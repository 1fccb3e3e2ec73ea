package httpapi

import (
	"context"
	"net/http"
	"reflect"
	"slices"
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

// optional renders "" as null, as the original shows unset fields.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	// A copy, not &s: taking the parameter's address would put it on the
	// heap on every call, set or not.
	p := new(string)
	*p = s
	return p
}

func toCredentialOut(c *credential.Credential) credentialOut {
	out := credentialOut{
		ID: c.ID, Name: c.Name, Provider: c.Provider, Modalities: c.Modalities,
		BaseURL: optional(c.BaseURL), Endpoint: optional(c.Endpoint), APIVersion: optional(c.APIVersion),
		EndpointLLM: optional(c.EndpointLLM), EndpointEmbedding: optional(c.EndpointEmbedding),
		EndpointSTT: optional(c.EndpointSTT), EndpointTTS: optional(c.EndpointTTS), Project: optional(c.Project),
		Location: optional(c.Location), CredentialsPath: optional(c.CredentialsPath), NumCtx: positive(c.NumCtx),
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

// credentialCreateIn is a new credential: the provider's settings inline,
// and num_ctx, whose absence matters.
type credentialCreateIn struct {
	Name       *string       `json:"name" required:"true" maxLength:"200"`
	Provider   *providerName `json:"provider" required:"true"`
	Modalities []string      `json:"modalities"`
	APIKey     *string       `json:"api_key"`
	NumCtx     *int          `json:"num_ctx" minimum:"1" maximum:"10000000"`
	provider.Settings
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

// settings collects the settings an update sets, by API name: present
// stores the original's `value or None` ("" or null clears), absent keeps.
func (in credentialUpdateIn) settings() map[string]string {
	out := map[string]string{}
	v := reflect.ValueOf(in)
	for i := range v.NumField() {
		o, ok := v.Field(i).Interface().(Opt[string])
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		if ok && o.Set && slices.Contains(provider.SettingNames(), name) {
			out[name] = o.Value
		}
	}
	return out
}

// positive renders 0 as null.
func positive(n int) *int {
	if n == 0 {
		return nil
	}
	p := new(int)
	*p = n
	return p
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

func (*legacyConfigIn) missingBody() error {
	return apperr.New(apperr.Invalid, "Post the legacy provider configuration (the original's "+
		"open_notebook:provider_configs record, {\"credentials\": {...}}) as the request body, or run "+
		"'open-notebook import-provider-config FILE'")
}

// providerOut is the original's provider description plus, additively,
// what a credential form for it needs.
type providerOut struct {
	Name           string           `json:"name"`
	DisplayName    string           `json:"display_name"`
	Modalities     []string         `json:"modalities"`
	DocsURL        *string          `json:"docs_url"`
	EnvConfigured  bool             `json:"env_configured"`
	DefaultBaseURL *string          `json:"default_base_url" description:"Where the provider's API lives when a credential sets no base URL"`
	Key            provider.KeyRule `json:"key" enum:"required,optional" description:"Whether a credential needs an API key"`
	Fields         []provider.Field `json:"fields" description:"The credential form's fields after name and modalities, in order"`
}

func (s *Server) credentialRoutes() []route {
	creds := s.app.Credentials
	list := func(ctx context.Context, providerFilter string) ([]credentialOut, error) {
		cs, err := creds.List(ctx, providerFilter)
		return mapSlice(cs, toCredentialOut), err
	}
	return []route{
		endpoint(op{Method: "GET", Path: "/api/providers", Summary: "The supported providers, in display order", Tag: "credentials", Access: Read},
			func(ctx context.Context, _ struct{}) ([]providerOut, error) {
				out := []providerOut{}
				env := creds.EnvStatus()
				for _, p := range provider.Providers() {
					out = append(out, providerOut{Name: p.Name, DisplayName: p.DisplayName, Modalities: p.Modalities,
						DocsURL: optional(p.DocsURL), EnvConfigured: env[p.Name], DefaultBaseURL: optional(p.DefaultBaseURL),
						Key: p.Key, Fields: p.Fields})
				}
				return out, nil
			}),
		endpoint(op{Method: "GET", Path: "/api/credentials/status", Summary: "Which providers are configured, and from where", Tag: "credentials", Access: Read, Failure: "Failed to fetch credential status"},
			func(ctx context.Context, _ struct{}) (credential.Status, error) { return creds.Status(ctx) }),
		endpoint(op{Method: "GET", Path: "/api/credentials/env-status", Summary: "Which providers are configured by environment variables", Tag: "credentials", Access: Read},
			func(ctx context.Context, _ struct{}) (map[string]bool, error) { return creds.EnvStatus(), nil }),
		endpoint(op{Method: "GET", Path: "/api/credentials", Summary: "List credentials (keys are never returned)", Tag: "credentials", Access: Read, Failure: "Failed to list credentials"},
			func(ctx context.Context, in credentialListIn) ([]credentialOut, error) { return list(ctx, in.Provider) }),
		endpoint(op{Method: "GET", Path: "/api/credentials/by-provider/{provider}", Summary: "List a provider's credentials", Tag: "credentials", Access: Read, Failure: "Failed to list credentials for provider"},
			func(ctx context.Context, in providerPathIn) ([]credentialOut, error) {
				return list(ctx, strings.ToLower(in.Provider))
			}),
		endpoint(op{Method: "POST", Path: "/api/credentials", Summary: "Create a credential; its key is encrypted at rest", Tag: "credentials",
			Access: Write, Audit: "credential.create", Status: http.StatusCreated},
			func(ctx context.Context, in credentialCreateIn) (credentialOut, error) {
				st := in.Settings
				st.NumCtx = deref(in.NumCtx)
				return render(toCredentialOut)(creds.Create(ctx, credential.Input{
					Name: *in.Name, Provider: string(*in.Provider), Modalities: in.Modalities, APIKey: deref(in.APIKey), Settings: st,
				}))
			}),
		endpoint(op{Method: "GET", Path: "/api/credentials/{credential_id}", Summary: "Get a credential", Tag: "credentials", Access: Read},
			func(ctx context.Context, in credentialIDIn) (credentialOut, error) {
				return render(toCredentialOut)(creds.Get(ctx, in.ID))
			}),
		endpoint(op{Method: "PUT", Path: "/api/credentials/{credential_id}", Summary: "Update a credential", Tag: "credentials", Access: Write, Audit: "credential.update"},
			func(ctx context.Context, in credentialUpdateIn) (credentialOut, error) {
				ch := credential.Change{Name: keepOnNull(in.Name), Modalities: keepOnNull(in.Modalities),
					APIKey: keepOnNull(in.APIKey), Settings: in.settings()}
				if in.NumCtx.Set {
					n := in.NumCtx.Value // null decodes to 0: clear
					ch.NumCtx = &n
				}
				return render(toCredentialOut)(creds.Update(ctx, in.ID, ch))
			}),
		endpoint(op{Method: "DELETE", Path: "/api/credentials/{credential_id}", Summary: "Delete a credential and its models, or move them", Tag: "credentials", Access: Write, Audit: "credential.delete"},
			func(ctx context.Context, in credentialDeleteIn) (credentialDeleteOut, error) {
				n, err := creds.Delete(ctx, in.ID, in.MigrateTo)
				return credentialDeleteOut{Message: "Credential deleted successfully", DeletedModels: n}, err
			}),
		endpoint(op{Method: "POST", Path: "/api/credentials/migrate-from-env", Summary: "Store environment-configured providers as credentials", Tag: "credentials",
			Access: Write, Audit: "credential.migrate_env", Failure: "Migration from environment variables failed"},
			func(ctx context.Context, _ struct{}) (*credential.EnvMigration, error) {
				return creds.MigrateFromEnv(ctx)
			}),
		endpoint(op{Method: "POST", Path: "/api/credentials/migrate-from-provider-config", Summary: "Import the original's legacy provider configuration", Tag: "credentials",
			Access: Write, Audit: "credential.migrate_provider_config", Failure: "Migration from provider config failed"},
			func(ctx context.Context, in legacyConfigIn) (*credential.ConfigMigration, error) {
				return creds.MigrateFromProviderConfig(ctx, in.Credentials)
			}),
	}
}
