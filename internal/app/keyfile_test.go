package app_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-notebook/open-notebook/internal/app"
	"github.com/open-notebook/open-notebook/internal/app/apptest"
	"github.com/open-notebook/open-notebook/internal/config"
	"github.com/open-notebook/open-notebook/internal/secret"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

func TestTheKeyFileIsOnlyMadeForTheEmbeddedDatabase(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine store.Engine) {
		cfg := apptest.Config(t, engine)
		cfg.EncryptionKey = secret.String{}
		a := apptest.Open(t, engine, cfg, app.Options{})
		st, err := a.Credentials.Status(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		_, statErr := os.Stat(filepath.Join(cfg.DataDir, app.KeyFileName))
		switch engine {
		case store.SQLite:
			if st.EncryptionKeySource != app.KeyFromFile || statErr != nil {
				t.Fatalf("SQLite should generate and use a key file: %+v %v", st, statErr)
			}
		default:
			// Replicas must share one key: a file on one machine would
			// seal keys the others cannot read.
			if st.EncryptionKeySource != app.KeyNone || st.EncryptionConfigured || !os.IsNotExist(statErr) {
				t.Fatalf("PostgreSQL must not generate a key: %+v %v", st, statErr)
			}
		}
	})
}

func TestAnEmptyKeyFileStopsTheStart(t *testing.T) {
	cfg := apptest.Config(t, store.SQLite)
	cfg.EncryptionKey = secret.String{}
	if err := os.WriteFile(filepath.Join(cfg.DataDir, app.KeyFileName), []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := app.Open(t.Context(), cfg, app.Options{KDF: apptest.CheapKDF, Logger: storetest.Logger()})
	var ce *config.Error
	if err == nil || !errors.As(err, &ce) {
		t.Fatalf("an empty key file must stop the start with a configuration error, got %v", err)
	}
}
