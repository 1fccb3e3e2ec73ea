// Package credential owns AI-provider credentials: their validation, the
// vault that seals their keys, and the service behind the credentials API
// (CRUD, status, and migrations from environment variables and from the
// original's legacy provider configuration).
package credential

import (
	"context"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
)

// Table is the id prefix of credentials.
const Table = "credential"

// Record is a credential as stored. APIKey holds the sealed value (a key
// ring envelope, a Fernet token from the original, or legacy plaintext);
// empty means no key. Empty strings are stored and shown as null.
type Record struct {
	ID         string
	Name       string
	Provider   string
	Modalities []string
	APIKey     string
	APIKeyHint string
	provider.Settings
	Extra          map[string]any // the original's config bag, minus num_ctx, kept for keys newer versions write
	LastTestedAt   *time.Time
	LastTestStatus string
	Created        time.Time
	Updated        time.Time

	ModelCount int // read only: models linked to the credential
}

// Credential is what the API shows: the record without its key, plus
// whether the key can be opened.
type Credential struct {
	Record
	HasAPIKey       bool
	DecryptionError string // set when no configured key opens the stored key
}

// Sealed is one stored secret, for key-ring status and rotation.
type Sealed struct {
	ID    string
	Value string
}

// Store persists credentials. Methods return an apperr NotFound error for a
// missing id.
type Store interface {
	CreateCredential(ctx context.Context, r *Record) error
	// CreateCredentialLinking creates r and links every model of its
	// provider that has no credential, in one transaction. It returns the
	// number of models linked.
	CreateCredentialLinking(ctx context.Context, r *Record) (int, error)
	Credential(ctx context.Context, id string) (*Record, error)
	// ListCredentials returns every credential ordered by provider and
	// creation, or those of one provider (case-insensitively) by creation.
	ListCredentials(ctx context.Context, provider string) ([]Record, error)
	UpdateCredential(ctx context.Context, r *Record) error
	// DeleteCredential deletes id in one transaction: its models move to
	// migrateTo when given, else they are deleted (and default slots that
	// held them are cleared). It returns the number of models deleted.
	DeleteCredential(ctx context.Context, id, migrateTo string) (int, error)
	// CredentialCounts returns the number of credentials per provider.
	CredentialCounts(ctx context.Context) (map[string]int, error)
	// SealedKeys returns every stored key, for status and rotation.
	SealedKeys(ctx context.Context) ([]Sealed, error)
	// ReplaceKey swaps a stored key only if it still holds old
	// (compare-and-set), reporting whether it did.
	ReplaceKey(ctx context.Context, id, old, new string) (bool, error)
	RecordTest(ctx context.Context, id string, at time.Time, status string) error
}
