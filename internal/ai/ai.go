// Package ai is the product's AI layer over the provider clients. It tests
// credentials, discovers, registers and syncs models, reports which
// providers are available, tests registered models, and is the Go API the
// notebook features call to chat, embed, speak and transcribe by model id
// or by default slot.
//
// A call uses the model's own credential, else its provider's first
// credential (by creation) whose key opens, else the provider's environment
// variables, read as values: no key is ever written to the process
// environment.
package ai

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/credential"
	"github.com/open-notebook/open-notebook/internal/model"
	"github.com/open-notebook/open-notebook/internal/provider"
)

// Credentials is what the AI layer needs from the credential service.
type Credentials interface {
	Get(ctx context.Context, id string) (*credential.Credential, error)
	// List returns a provider's credentials by creation, each saying
	// whether its key can be opened.
	List(ctx context.Context, providerName string) ([]credential.Credential, error)
	// ProviderConfig returns a credential's decrypted configuration.
	ProviderConfig(ctx context.Context, id string) (provider.Config, *credential.Record, error)
}

// Models is what the AI layer needs from the model registry.
type Models interface {
	Get(ctx context.Context, id string) (*model.Model, error)
	ResolveDefault(ctx context.Context, slot string) (*model.Model, bool, error)
}

// Store keeps what the AI layer learns.
type Store interface {
	// RecordTest stores the outcome of a credential's last connection test.
	RecordTest(ctx context.Context, credentialID string, at time.Time, status string) error
	// CredentialCounts returns the number of credentials per provider.
	CredentialCounts(ctx context.Context) (map[string]int, error)
	// RegisterModels stores the models not registered yet and links
	// existing unlinked ones to the credential the new ones name.
	RegisterModels(ctx context.Context, ms []model.Model) (created, linked int, err error)
}

// Clients builds the client that serves a provider configuration (in
// production provider/factory, over the egress-guarded HTTP client).
type Clients func(cfg provider.Config) (provider.Client, error)

// Timeouts bound the calls to providers. A zero value selects the default.
type Timeouts struct {
	Test      time.Duration // a connection test: 10 s, the original's
	Discovery time.Duration // one provider's listing, in discovery and in each provider's sync: 30 s
	ModelTest time.Duration // the call of a registered model's test: 60 s
}

// Deps is what a Service is built from.
type Deps struct {
	Credentials Credentials
	Models      Models
	Store       Store
	// Clients builds provider clients.
	Clients Clients
	// StreamClients builds the clients of streamed chats, whose answers
	// may take longer than a whole ordinary call is allowed; nil uses
	// Clients.
	StreamClients Clients
	// Audit records tests, discoveries, registrations and syncs.
	Audit audit.Recorder
	// Env is the process environment, for the providers configured there.
	Env      provider.Env
	Now      func() time.Time
	Timeouts Timeouts
	// Logger records failures that are reported without their cause; nil
	// discards them.
	Logger *slog.Logger
}

// Service is the AI layer. It is safe for concurrent use.
type Service struct {
	creds    Credentials
	models   Models
	store    Store
	clients  Clients
	streams  Clients
	audit    audit.Recorder
	env      provider.Env
	now      func() time.Time
	timeouts Timeouts
	logger   *slog.Logger
}

// New returns a Service.
func New(d Deps) *Service {
	t := d.Timeouts
	t.Test = orDefault(t.Test, 10*time.Second)
	t.Discovery = orDefault(t.Discovery, 30*time.Second)
	t.ModelTest = orDefault(t.ModelTest, 60*time.Second)
	logger := d.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	streams := d.StreamClients
	if streams == nil {
		streams = d.Clients
	}
	return &Service{creds: d.Credentials, models: d.Models, store: d.Store, clients: d.Clients, streams: streams,
		audit: d.Audit, env: d.Env, now: now, timeouts: t, logger: logger}
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// client returns the provider client for cfg.
func (s *Service) client(cfg provider.Config) (provider.Client, error) {
	return s.clients(cfg)
}
