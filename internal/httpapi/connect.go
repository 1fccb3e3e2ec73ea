package httpapi

import (
	"context"
	"time"

	"github.com/open-notebook/open-notebook/internal/ai"
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
	svc := s.app.AI
	return []route{
		endpoint(op{Method: "POST", Path: "/api/credentials/{credential_id}/test", Summary: "Test a credential with the provider's cheapest authenticated call", Tag: "credentials",
			Access: Write, Costly: true, Audit: "credential.test"},
			func(ctx context.Context, in credentialIDIn) (connectionTestOut, error) {
				res, err := svc.TestCredential(ctx, in.ID)
				out := connectionTestOut{Provider: res.Provider, Success: res.Success, Message: res.Message, Status: string(res.Status),
					LatencyMS: res.Latency.Milliseconds()}
				if res.RetryAfter > 0 {
					secs := int((res.RetryAfter + time.Second - 1) / time.Second)
					out.RetryAfterSeconds = &secs
				}
				return out, err
			}),
		endpoint(op{Method: "POST", Path: "/api/credentials/{credential_id}/discover", Summary: "List the models the credential's provider offers", Tag: "credentials",
			Access: Write, Costly: true, Audit: "credential.discover"},
			func(ctx context.Context, in credentialIDIn) (credentialDiscoveryOut, error) {
				id, err := credential.NormalizeID(in.ID)
				if err != nil {
					return credentialDiscoveryOut{}, err
				}
				d, err := svc.DiscoverCredential(ctx, id)
				return credentialDiscoveryOut{CredentialID: id, Provider: d.Provider,
					Discovered: toDiscoveredOut(d.Models), Message: optional(d.Note)}, err
			}),
		endpoint(op{Method: "POST", Path: "/api/credentials/{credential_id}/register-models", Summary: "Register models for the credential's provider, linked to it", Tag: "credentials",
			Access: Write, Audit: "credential.register_models"},
			func(ctx context.Context, in registerIn) (registerOut, error) {
				cs := make([]ai.Candidate, len(in.Models))
				for i, m := range in.Models {
					cs[i] = ai.Candidate{Name: *m.Name, Type: *m.ModelType, Provider: deref(m.Provider)}
				}
				reg, err := svc.RegisterModels(ctx, in.ID, cs)
				return registerOut{Created: reg.Created, Existing: reg.Existing, Linked: reg.Linked}, err
			}),
		endpoint(op{Method: "GET", Path: "/api/models/providers", Summary: "Which providers are available, and the model types each serves", Tag: "models",
			Access: Read, Failure: "Error checking provider availability"},
			func(ctx context.Context, _ struct{}) (providersOut, error) {
				a, err := svc.Providers(ctx)
				return providersOut{Available: a.Available, Unavailable: a.Unavailable, SupportedTypes: a.SupportedTypes}, err
			}),
		// A GET, but it calls the provider with a stored key, like the other
		// discovery endpoints.
		endpoint(op{Method: "GET", Path: "/api/models/discover/{provider}", Summary: "List a provider's models with its first credential, else the environment", Tag: "models",
			Access: Write, Costly: true},
			func(ctx context.Context, in providerPathIn) ([]discoveredOut, error) {
				d, err := svc.DiscoverProvider(ctx, in.Provider)
				return toDiscoveredOut(d.Models), err
			}),
		endpoint(op{Method: "POST", Path: "/api/models/sync", Summary: "Discover and register the models of every configured provider, concurrently", Tag: "models",
			Access: Write, Costly: true, Audit: "models.sync", Failure: "Error syncing all models"},
			func(ctx context.Context, _ struct{}) (syncAllOut, error) {
				rep, err := svc.SyncAll(ctx)
				out := syncAllOut{Results: map[string]syncOut{}, TotalDiscovered: rep.TotalDiscovered, TotalNew: rep.TotalNew}
				for _, res := range rep.Results {
					out.Results[res.Provider] = toSyncOut(res)
				}
				return out, err
			}),
		endpoint(op{Method: "POST", Path: "/api/models/sync/{provider}", Summary: "Discover and register a provider's models", Tag: "models",
			Access: Write, Costly: true, Audit: "models.sync", Pattern: "POST /api/models/{model_id}/{action}"},
			func(ctx context.Context, in providerPathIn) (syncOut, error) {
				res, err := svc.SyncProvider(ctx, in.Provider)
				return toSyncOut(res), err
			}),
		endpoint(op{Method: "POST", Path: "/api/models/{model_id}/test", Summary: "Make the smallest real call of the model's type", Tag: "models",
			Access: Write, Costly: true, Pattern: "POST /api/models/{model_id}/{action}"},
			func(ctx context.Context, in modelActionIn) (modelTestOut, error) {
				res, err := svc.TestModel(ctx, in.ID)
				return modelTestOut{Success: res.Success, Message: res.Message, Status: string(res.Status),
					LatencyMS: res.Latency.Milliseconds()}, err
			}),
	}
}

func toDiscoveredOut(ms []provider.Model) []discoveredOut {
	out := make([]discoveredOut, len(ms))
	for i, m := range ms {
		out[i] = discoveredOut{Name: m.Name, Provider: m.Provider, ModelType: m.Type, Description: optional(m.Description)}
	}
	return out
}

func toSyncOut(res ai.SyncResult) syncOut {
	return syncOut{Provider: res.Provider, Discovered: res.Discovered, New: res.New, Existing: res.Existing,
		Status: res.Status, Error: optional(res.Error)}
}
