package credential

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/secret"
)

// LegacyCredential is one entry of the original's legacy provider
// configuration (the open_notebook:provider_configs record). Its api_key is
// a Fernet token made with the same passphrase, or legacy plaintext.
type LegacyCredential struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Provider  string `json:"provider"`
	IsDefault bool   `json:"is_default"`
	APIKey    string `json:"api_key"`
	Model     string `json:"model"`
	Created   string `json:"created"`
	Updated   string `json:"updated"`
	provider.Settings
}

// ConfigMigration reports an import of the legacy provider configuration.
type ConfigMigration struct {
	Message  string   `json:"message"`
	Migrated []string `json:"migrated"`
	Skipped  []string `json:"skipped"`
	Errors   []string `json:"errors"`
}

// MigrateFromProviderConfig imports the legacy configuration: one
// credential per entry, skipping entries whose name already exists for
// their provider, linking the provider's unlinked models to the first one
// created. Unlike the original, entries it cannot use (an unknown provider,
// a key no configured passphrase opens) are reported, not dropped.
// Importing the same document again changes nothing.
func (s *Service) MigrateFromProviderConfig(ctx context.Context, doc map[string][]LegacyCredential) (*ConfigMigration, error) {
	if err := s.vault.CheckWritable(); err != nil {
		return nil, err
	}
	existing, err := s.store.ListCredentials(ctx, "")
	if err != nil {
		return nil, err
	}
	names := map[string]bool{} // "provider/name" already stored
	for _, r := range existing {
		names[strings.ToLower(r.Provider)+"/"+r.Name] = true
	}
	res := &ConfigMigration{Migrated: []string{}, Skipped: []string{}, Errors: []string{}}
	for _, p := range legacyOrder(doc) {
		for _, lc := range doc[p] {
			label := p + "/" + lc.Name
			spec, ok := provider.Lookup(strings.ToLower(p))
			switch {
			case !ok:
				res.Errors = append(res.Errors, label+": unknown provider")
				continue
			case strings.TrimSpace(lc.Name) == "":
				res.Errors = append(res.Errors, label+": name is empty")
				continue
			case names[spec.Name+"/"+lc.Name]:
				res.Skipped = append(res.Skipped, label)
				continue
			}
			cfg := provider.Config{Provider: spec.Name, Settings: lc.Settings}
			if lc.APIKey != "" {
				// The id is irrelevant for Fernet tokens and plaintext, the
				// only forms the original wrote.
				key, err := s.vault.Open("", lc.APIKey)
				if err != nil {
					res.Errors = append(res.Errors, label+": "+decryptionMessage)
					continue
				}
				cfg.APIKey = secret.New(key)
			}
			if err := s.createFrom(ctx, "credential.migrate_provider_config", lc.Name, spec, cfg); err != nil {
				res.Errors = append(res.Errors, label+": "+userMessage(err))
				continue
			}
			names[spec.Name+"/"+lc.Name] = true
			res.Migrated = append(res.Migrated, label)
		}
	}
	res.Message = fmt.Sprintf("Migration complete. Migrated %d credentials.", len(res.Migrated))
	return res, nil
}

// legacyOrder walks providers in registry order, then any unknown names
// alphabetically, so reports are deterministic.
func legacyOrder(doc map[string][]LegacyCredential) []string {
	var known, unknown []string
	for _, name := range provider.Names() {
		if _, ok := doc[name]; ok {
			known = append(known, name)
		}
	}
	for name := range doc {
		if !slices.Contains(known, name) {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	return append(known, unknown...)
}
