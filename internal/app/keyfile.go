package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/open-notebook/open-notebook/internal/config"
	"github.com/open-notebook/open-notebook/internal/credential"
	"github.com/open-notebook/open-notebook/internal/crypto/keyring"
	"github.com/open-notebook/open-notebook/internal/secret"
	"github.com/open-notebook/open-notebook/internal/store"
)

// KeyFileName is the file, in the data directory, that holds the
// encryption key the server generates when none is configured.
const KeyFileName = "encryption.key"

// Where the encryption key comes from.
const (
	KeyFromEnvironment = "environment" // OPEN_NOTEBOOK_ENCRYPTION_KEY[_FILE]
	KeyFromFile        = "file"        // the generated key file in the data directory
	KeyNone            = "none"
)

// resolveKey settles the encryption key. An explicit key always wins.
// Without one, on the embedded database, the key file in the data
// directory is used, and made on first start: a key kept apart from the
// database means a copy of the database alone does not reveal the
// provider keys. A missing file is never replaced by a new key while
// secrets are stored: that would only lock them (the server says how to
// restore it instead). With PostgreSQL every replica must share one key,
// so none is generated.
func resolveKey(ctx context.Context, cfg *config.Config, db *store.DB, logger *slog.Logger) (source, path string, err error) {
	if !cfg.EncryptionKey.Empty() {
		return KeyFromEnvironment, "", nil
	}
	if db.Engine() != store.SQLite {
		logger.Warn("OPEN_NOTEBOOK_ENCRYPTION_KEY not set: provider keys cannot be stored until it is. With PostgreSQL, " +
			"set the same key on every replica.")
		return KeyNone, "", nil
	}
	path = filepath.Join(cfg.DataDir, KeyFileName)
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		key := strings.TrimSpace(string(raw))
		if key == "" {
			return KeyNone, path, &config.Error{Var: "OPEN_NOTEBOOK_ENCRYPTION_KEY", Msg: "the key file " + path + " is empty: restore it from a backup, or remove it if no provider key was ever stored"}
		}
		cfg.EncryptionKey = secret.New(key)
		return KeyFromFile, path, nil
	case !errors.Is(err, fs.ErrNotExist):
		return KeyNone, path, fmt.Errorf("reading the encryption key file: %w", err)
	}
	sealed, err := db.SealedKeys(ctx)
	if err != nil {
		return KeyNone, path, err
	}
	if anyEncrypted(sealed) {
		logger.Error("stored provider keys are encrypted, but no OPEN_NOTEBOOK_ENCRYPTION_KEY is set and the key file is missing: "+
			"restore the key file from a backup (or set the key) to use them; no new key was generated", "key_file", path)
		return KeyNone, path, nil
	}
	key, err := newKeyFile(path)
	if err != nil {
		return KeyNone, path, fmt.Errorf("creating the encryption key file: %w", err)
	}
	cfg.EncryptionKey = secret.New(key)
	logger.Warn("generated an encryption key for stored provider keys; keep it (and back it up) apart from the database, "+
		"which cannot be read without it, or set OPEN_NOTEBOOK_ENCRYPTION_KEY to use your own", "key_file", path)
	return KeyFromFile, path, nil
}

// newKeyFile writes a new random key to path, readable by the owner only,
// failing if the file appeared meanwhile (another process made it).
func newKeyFile(path string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	key := base64.RawURLEncoding.EncodeToString(b)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		raw, rerr := os.ReadFile(path)
		if rerr != nil {
			return "", rerr
		}
		return strings.TrimSpace(string(raw)), nil
	}
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	return key, f.Close()
}

// anyEncrypted reports whether a stored key is sealed (legacy plaintext
// keys need no key to read).
func anyEncrypted(sealed []credential.Sealed) bool {
	for _, s := range sealed {
		if keyring.Inspect(s.Value).Kind != keyring.Plaintext {
			return true
		}
	}
	return false
}
