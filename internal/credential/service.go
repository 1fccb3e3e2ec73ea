package credential

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/record"
	"github.com/open-notebook/open-notebook/internal/secret"
)

// URLValidator checks a user-supplied URL before it is stored (the
// product's egress guard).
type URLValidator interface {
	ValidateURL(ctx context.Context, raw string) error
}

// Service implements the credentials API.
type Service struct {
	store Store
	vault *Vault
	urls  URLValidator
	env   provider.Env
	audit audit.Recorder
	now   func() time.Time
}

// NewService returns a Service. env is the process environment (for the
// environment fallback and its migration); every change is recorded with
// rec; now is the clock.
func NewService(store Store, vault *Vault, urls URLValidator, env provider.Env, rec audit.Recorder, now func() time.Time) *Service {
	return &Service{store: store, vault: vault, urls: urls, env: env, audit: rec, now: now}
}

// Vault returns the service's vault.
func (s *Service) Vault() *Vault { return s.vault }

var errNotFound = apperr.New(apperr.NotFound, "Credential not found")

// NormalizeID returns id in full form, or a NotFound error.
func NormalizeID(id string) (string, error) {
	full, ok := record.Normalize(Table, id)
	if !ok {
		return "", errNotFound
	}
	return full, nil
}

// Input creates a credential. A zero NumCtx is none.
type Input struct {
	Name       string
	Provider   string
	Modalities []string
	APIKey     string
	provider.Settings
}

// Change updates a credential. A nil field is kept. Settings maps a
// setting's API name to its new value, "" clearing it; NumCtx pointing at
// 0 clears it (the original's `value or None`).
type Change struct {
	Name       *string
	Modalities *[]string
	APIKey     *string
	Settings   map[string]string
	NumCtx     *int
}

// Fields lists the names of the fields a change sets, for the audit log.
func (c Change) Fields() []string {
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	add(c.Name != nil, "name")
	add(c.Modalities != nil, "modalities")
	add(c.APIKey != nil, "api_key")
	for _, name := range provider.SettingNames() {
		_, ok := c.Settings[name]
		add(ok, name)
	}
	add(c.NumCtx != nil, "num_ctx")
	return out
}

func (s *Service) validateURLs(ctx context.Context, st *provider.Settings) error {
	for _, name := range provider.URLSettings() {
		v := st.Get(name)
		if strings.TrimSpace(v) == "" {
			continue
		}
		if err := s.urls.ValidateURL(ctx, v); err != nil {
			return apperr.Wrap(apperr.Invalid, truncate(err.Error(), 200), err)
		}
	}
	return nil
}

// requirements checks what the provider's spec insists on (only
// anthropic_compatible insists on anything, as in the original).
func requirements(providerName string, st *provider.Settings, hasKey bool) string {
	spec, _ := provider.Lookup(providerName)
	for _, r := range spec.Requires {
		if r.Field == "api_key" && !hasKey || r.Field != "api_key" && strings.TrimSpace(st.Get(r.Field)) == "" {
			return r.Message
		}
	}
	return ""
}

// Create validates and stores a new credential.
func (s *Service) Create(ctx context.Context, in Input) (*Credential, error) {
	var fe fieldErrors
	fe.apiKey(in.APIKey)
	in.APIKey = strings.TrimSpace(in.APIKey)
	fe.name(in.Name)
	fe.provider(in.Provider)
	fe.modalities(in.Modalities)
	fe.numCtx(in.NumCtx)
	if msg := requirements(in.Provider, &in.Settings, in.APIKey != ""); msg != "" {
		fe.add([]any{}, "value_error", "Value error, "+msg, nil)
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	if !s.vault.Configured() {
		return nil, apperr.New(apperr.Invalid, noKeyMessage)
	}
	now := s.now().UTC()
	r := &Record{
		ID: record.NewID(Table), Name: in.Name, Provider: strings.ToLower(in.Provider), Modalities: nonNil(in.Modalities),
		Settings: in.Settings, Created: now, Updated: now,
	}
	if err := s.validateURLs(ctx, &r.Settings); err != nil {
		return nil, err
	}
	if err := s.setKey(r, in.APIKey); err != nil {
		return nil, err
	}
	err := s.audit.Within(ctx, func(ctx context.Context) (audit.Event, error) {
		return audit.Event{Action: "credential.create", Target: r.ID, Details: map[string]any{"provider": r.Provider}},
			s.store.CreateCredential(ctx, r)
	})
	if err != nil {
		return nil, err
	}
	return s.view(r), nil
}

// setKey seals key into r ("" clears it).
func (s *Service) setKey(r *Record, key string) error {
	if key == "" {
		r.APIKey, r.APIKeyHint = "", ""
		return nil
	}
	sealed, err := s.vault.Seal(r.ID, key)
	if err != nil {
		return err
	}
	r.APIKey, r.APIKeyHint = sealed, keyHint(key)
	return nil
}

// view hides the key and reports whether it can be opened.
func (s *Service) view(r *Record) *Credential {
	c := &Credential{Record: *r, HasAPIKey: r.APIKey != ""}
	if c.HasAPIKey && !s.vault.Readable(r.ID, r.APIKey) {
		c.DecryptionError = decryptionMessage
	}
	c.APIKey = ""
	return c
}

// Get returns one credential.
func (s *Service) Get(ctx context.Context, id string) (*Credential, error) {
	id, err := NormalizeID(id)
	if err != nil {
		return nil, err
	}
	r, err := s.store.Credential(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.view(r), nil
}

// List returns every credential, or those of one provider. Unlike the
// original, credentials whose key cannot be opened are listed (with their
// decryption error) in both cases, so a filtered list never hides one.
func (s *Service) List(ctx context.Context, providerName string) ([]Credential, error) {
	rs, err := s.store.ListCredentials(ctx, providerName)
	if err != nil {
		return nil, err
	}
	out := make([]Credential, len(rs))
	for i := range rs {
		out[i] = *s.view(&rs[i])
	}
	return out, nil
}

// Update applies a change. Like the original it needs a configured key
// even when the key itself does not change.
func (s *Service) Update(ctx context.Context, id string, ch Change) (*Credential, error) {
	var fe fieldErrors
	if ch.Name != nil {
		fe.name(*ch.Name)
	}
	if ch.Modalities != nil {
		fe.modalities(*ch.Modalities)
	}
	if ch.NumCtx != nil {
		fe.numCtx(*ch.NumCtx)
	}
	if ch.APIKey != nil {
		fe.apiKey(*ch.APIKey)
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	if !s.vault.Configured() {
		return nil, apperr.New(apperr.Invalid, noKeyMessage)
	}
	var probe provider.Settings
	for name, v := range ch.Settings {
		if !probe.Set(name, v) {
			return nil, apperr.Newf(apperr.Invalid, "Unknown field %s", name)
		}
	}
	if err := s.validateURLs(ctx, &probe); err != nil {
		return nil, err
	}
	id, err := NormalizeID(id)
	if err != nil {
		return nil, err
	}
	r, err := s.store.Credential(ctx, id)
	if err != nil {
		return nil, err
	}
	if ch.Name != nil {
		r.Name = *ch.Name
	}
	if ch.Modalities != nil {
		r.Modalities = nonNil(*ch.Modalities)
	}
	for name, v := range ch.Settings {
		r.Set(name, v)
	}
	if ch.NumCtx != nil {
		r.NumCtx = *ch.NumCtx
	}
	hasKey := r.APIKey != ""
	if ch.APIKey != nil {
		hasKey = strings.TrimSpace(*ch.APIKey) != ""
	}
	if msg := requirements(r.Provider, &r.Settings, hasKey); msg != "" {
		return nil, apperr.New(apperr.Invalid, msg)
	}
	if ch.APIKey != nil {
		if err := s.setKey(r, strings.TrimSpace(*ch.APIKey)); err != nil {
			return nil, err
		}
	}
	r.Updated = s.now().UTC()
	err = s.audit.Within(ctx, func(ctx context.Context) (audit.Event, error) {
		return audit.Event{Action: "credential.update", Target: r.ID, Details: map[string]any{"fields": ch.Fields()}},
			s.store.UpdateCredential(ctx, r)
	})
	if err != nil {
		return nil, err
	}
	return s.view(r), nil
}

// Delete removes a credential. With migrateTo its models move to that
// credential, which must exist, be another credential and serve the same
// provider; without it they are deleted. It returns the models deleted.
func (s *Service) Delete(ctx context.Context, id, migrateTo string) (int, error) {
	id, err := NormalizeID(id)
	if err != nil {
		return 0, err
	}
	cred, err := s.store.Credential(ctx, id)
	if err != nil {
		return 0, err
	}
	if migrateTo != "" {
		target, ok := record.Normalize(Table, migrateTo)
		if !ok {
			return 0, apperr.Newf(apperr.Invalid, "Target credential %s not found", migrateTo)
		}
		if target == id {
			return 0, apperr.New(apperr.Invalid, "Cannot migrate models to the credential being deleted")
		}
		t, err := s.store.Credential(ctx, target)
		if apperr.IsNotFound(err) {
			return 0, apperr.Newf(apperr.Invalid, "Target credential %s not found", migrateTo)
		}
		if err != nil {
			return 0, err
		}
		if !strings.EqualFold(t.Provider, cred.Provider) {
			return 0, apperr.Newf(apperr.Invalid, "Target credential %s is for provider '%s', not '%s'", target, t.Provider, cred.Provider)
		}
		migrateTo = target
	}
	var deleted int
	err = s.audit.Within(ctx, func(ctx context.Context) (audit.Event, error) {
		var err error
		deleted, err = s.store.DeleteCredential(ctx, id, migrateTo)
		details := map[string]any{"deleted_models": deleted}
		if migrateTo != "" {
			details["migrated_to"] = migrateTo
		}
		return audit.Event{Action: "credential.delete", Target: id, Details: details}, err
	})
	return deleted, err
}

// Status is the compatible credentials status, plus whether the
// configured key matches the stored data.
type Status struct {
	Configured           map[string]bool   `json:"configured"`
	Source               map[string]string `json:"source"`
	EncryptionConfigured bool              `json:"encryption_configured"`
	EncryptionKeyMatches bool              `json:"encryption_key_matches"`
	// EncryptionKeySource says where the key comes from: "environment",
	// "file" (generated in the data directory) or "none".
	// EncryptionKeyFile is the key file's path when the key is, or should
	// be (a missing file), in the data directory.
	EncryptionKeySource string  `json:"encryption_key_source"`
	EncryptionKeyFile   *string `json:"encryption_key_file"`
}

// Status reports, per provider, whether it is configured and from where,
// with one query whatever the number of credentials or providers.
func (s *Service) Status(ctx context.Context) (Status, error) {
	counts, err := s.store.CredentialCounts(ctx)
	if err != nil {
		return Status{}, err
	}
	st := Status{Configured: map[string]bool{}, Source: map[string]string{},
		EncryptionConfigured: s.vault.Configured(), EncryptionKeyMatches: s.vault.Matches()}
	st.EncryptionKeySource, st.EncryptionKeyFile = s.vault.Source()
	for _, p := range provider.Names() {
		db, env := counts[p] > 0, provider.EnvConfigured(p, s.env)
		st.Configured[p] = db || env
		switch {
		case db:
			st.Source[p] = "database"
		case env:
			st.Source[p] = "environment"
		default:
			st.Source[p] = "none"
		}
	}
	return st, nil
}

// EnvStatus reports which providers are configured through the
// environment.
func (s *Service) EnvStatus() map[string]bool {
	out := map[string]bool{}
	for _, p := range provider.Names() {
		out[p] = provider.EnvConfigured(p, s.env)
	}
	return out
}

// EnvMigration reports a migration from environment variables.
type EnvMigration struct {
	Message       string   `json:"message"`
	Migrated      []string `json:"migrated"`
	Skipped       []string `json:"skipped"`
	NotConfigured []string `json:"not_configured"`
	Errors        []string `json:"errors"`
}

// MigrateFromEnv creates one credential per provider configured in the
// environment that has none in the database, linking that provider's
// unlinked models to it. Running it again changes nothing.
func (s *Service) MigrateFromEnv(ctx context.Context) (*EnvMigration, error) {
	if err := s.vault.CheckWritable(); err != nil {
		return nil, err
	}
	counts, err := s.store.CredentialCounts(ctx)
	if err != nil {
		return nil, err
	}
	res := &EnvMigration{Migrated: []string{}, Skipped: []string{}, NotConfigured: []string{}, Errors: []string{}}
	for _, spec := range provider.Providers() {
		p := spec.Name
		cfg, ok := provider.EnvConfig(p, s.env)
		switch {
		case !ok:
			res.NotConfigured = append(res.NotConfigured, p)
		case counts[p] > 0:
			res.Skipped = append(res.Skipped, p)
		default:
			if err := s.createFrom(ctx, "credential.migrate_env", "Default (Migrated from env)", spec, cfg); err != nil {
				res.Errors = append(res.Errors, p+": "+userMessage(err))
				continue
			}
			res.Migrated = append(res.Migrated, p)
		}
	}
	res.Message = fmt.Sprintf("Migration complete. Migrated %d providers.", len(res.Migrated))
	return res, nil
}

// createFrom stores a credential built from a provider config and links
// the provider's unlinked models to it, recorded as action, in one
// transaction.
func (s *Service) createFrom(ctx context.Context, action, name string, spec provider.Spec, cfg provider.Config) error {
	now := s.now().UTC()
	r := &Record{
		ID: record.NewID(Table), Name: name, Provider: spec.Name, Modalities: slices.Clone(spec.Modalities),
		Settings: cfg.Settings, Created: now, Updated: now,
	}
	if err := s.validateURLs(ctx, &r.Settings); err != nil {
		return err
	}
	if err := s.setKey(r, strings.TrimSpace(cfg.APIKey.Reveal())); err != nil {
		return err
	}
	return s.audit.Within(ctx, func(ctx context.Context) (audit.Event, error) {
		linked, err := s.store.CreateCredentialLinking(ctx, r)
		return audit.Event{Action: action, Target: r.ID, Details: map[string]any{"provider": r.Provider, "linked_models": linked}}, err
	})
}

// userMessage is an error's text when it is meant for users, else a
// generic one: migration reports must not carry internal details.
func userMessage(err error) string {
	if e, ok := apperr.As(err); ok && e.Code != apperr.Internal {
		return e.Message
	}
	return "could not be saved"
}

// ProviderConfig returns the decrypted configuration of a credential, for
// calling its provider. The plaintext key lives only in the returned value.
func (s *Service) ProviderConfig(ctx context.Context, id string) (provider.Config, *Record, error) {
	id, err := NormalizeID(id)
	if err != nil {
		return provider.Config{}, nil, err
	}
	r, err := s.store.Credential(ctx, id)
	if err != nil {
		return provider.Config{}, nil, err
	}
	cfg, err := s.config(r)
	return cfg, r, err
}

func (s *Service) config(r *Record) (provider.Config, error) {
	cfg := provider.Config{Provider: r.Provider, Settings: r.Settings}
	if r.APIKey != "" {
		key, err := s.vault.Open(r.ID, r.APIKey)
		if err != nil {
			return provider.Config{}, err
		}
		cfg.APIKey = secret.New(key)
	}
	return cfg, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// RotateKey re-seals every stored secret under the current key (see
// the vault's rotate) and records the rotation. Each row is re-sealed in its own
// transaction, so a rotation can be interrupted and resumed; the audit
// entry, written when it ends, counts what it did. progress may be nil.
func (s *Service) RotateKey(ctx context.Context, progress func(done, total int)) (RotateResult, error) {
	res, err := s.vault.rotate(ctx, progress)
	if err != nil {
		return res, err
	}
	return res, s.audit.Record(ctx, audit.Event{Action: "keyring.rotate",
		Details: map[string]any{"resealed": res.Resealed, "undecryptable": res.Undecryptable}})
}
