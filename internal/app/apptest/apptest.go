// Package apptest builds the real application for tests: on a fresh
// database of the engine asked for, with key derivation made cheap and,
// unless a test says otherwise, nothing from the process environment.
package apptest

import (
	"context"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/app"
	"github.com/open-notebook/open-notebook/internal/config"
	"github.com/open-notebook/open-notebook/internal/crypto/keyring"
	"github.com/open-notebook/open-notebook/internal/secret"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// CheapKDF keeps Argon2id cheap in tests; production uses the defaults.
var CheapKDF = keyring.KDFParams{Memory: 64, Time: 1, Threads: 1}

// Config returns the default configuration over a fresh database of
// engine, with the encryption key set.
func Config(t testing.TB, engine store.Engine) *config.Config {
	t.Helper()
	cfg, err := config.Load(func(string) (string, bool) { return "", false }, storetest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	url, dir := storetest.URL(t, engine)
	if dir == "" {
		dir = t.TempDir()
	}
	cfg.DatabaseURL, cfg.DataDir = secret.New(url), dir
	cfg.EncryptionKey = secret.New("apptest-passphrase")
	return cfg
}

// Open builds the application on cfg (Config when nil). Options left zero
// get cheap key derivation; the application is closed when the test ends.
func Open(t testing.TB, engine store.Engine, cfg *config.Config, o app.Options) *app.App {
	t.Helper()
	if cfg == nil {
		cfg = Config(t, engine)
	}
	if o.KDF == (keyring.KDFParams{}) {
		o.KDF = CheapKDF
	}
	if o.JobPollInterval == 0 {
		o.JobPollInterval = 20 * time.Millisecond
	}
	a, err := app.Open(t.Context(), cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	// Tests start from a settled key ring (it is derived in the
	// background).
	<-a.Credentials.Vault().Ready()
	// The workers outlive the test's context until Close stops them.
	if err := a.Start(context.WithoutCancel(t.Context())); err != nil {
		t.Fatal(err)
	}
	return a
}
