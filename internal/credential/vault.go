package credential

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/crypto/keyring"
)

// KeyringState is the key ring's per-deployment data kept in the database.
type KeyringState struct {
	Salt     []byte
	Params   keyring.KDFParams
	CheckKID string // id of the key the stored secrets are sealed with; "" until a key is first used
}

// VaultStore persists the key ring's state.
type VaultStore interface {
	// InitKeyring stores st if no state exists yet and returns the state
	// that is stored, so concurrent replicas agree on one salt.
	InitKeyring(ctx context.Context, st KeyringState) (KeyringState, error)
	SetCheckKID(ctx context.Context, kid string) error
	SealedKeys(ctx context.Context) ([]Sealed, error)
	ReplaceKey(ctx context.Context, id, old, new string) (bool, error)
}

// Messages the API shows for key-ring conditions.
const (
	noKeyMessage      = "Encryption key not configured. Set OPEN_NOTEBOOK_ENCRYPTION_KEY to enable storing API keys."
	decryptionMessage = "Failed to decrypt API key. The encryption key may have changed."
)

// Vault seals and opens credential keys with the key ring. It knows whether
// the configured key matches the stored data; when it does not, it opens
// what it can but refuses to seal anything new (a locked vault), so keys
// are never mixed under a key that cannot read the rest.
type Vault struct {
	// keys is the key ring, derived in the background (Argon2id takes most
	// of a second): whatever needs it waits for it, nothing else does.
	keys       *keyring.Ring // nil: no key configured, or its derivation failed
	ready      chan struct{} // closed once keys and the checks below are settled
	configured bool
	store      VaultStore
	// source says where the key comes from ("environment", "file" or
	// "none"), and file is the generated key file's path.
	source, file string

	mu       sync.RWMutex // guards checkKID and matches, which a rotation moves
	checkKID string
	matches  bool
}

// OpenVault loads (or creates) the ring's state and starts deriving the
// configured keys; once derived they are checked against the stored key
// check value. It returns at once: what needs the keys waits for them
// (Ready). current may be empty (no key configured). onDerived, when not
// nil, runs once the keys are ready (the application logs a mismatch and
// gives Argon2id's memory back).
func OpenVault(ctx context.Context, store VaultStore, current string, previous []string, params keyring.KDFParams, onDerived ...func(v *Vault, err error)) (*Vault, error) {
	salt, err := keyring.NewSalt()
	if err != nil {
		return nil, err
	}
	st, err := store.InitKeyring(ctx, KeyringState{Salt: salt, Params: params})
	if err != nil {
		return nil, fmt.Errorf("key ring state: %w", err)
	}
	v := &Vault{store: store, checkKID: st.CheckKID, configured: current != "", ready: make(chan struct{})}
	sealed, err := store.SealedKeys(ctx)
	if err != nil {
		return nil, err
	}
	if current == "" {
		v.matches = len(sealed) == 0
		close(v.ready)
		for _, f := range onDerived {
			f(v, nil)
		}
		return v, nil
	}
	go func() {
		err := v.derive(current, previous, st, sealed)
		close(v.ready)
		for _, f := range onDerived {
			f(v, err)
		}
	}()
	return v, nil
}

// derive builds the key ring and settles whether it matches the stored
// data; a ring that matches nothing sealed adopts the check value.
func (v *Vault) derive(current string, previous []string, st KeyringState, sealed []Sealed) error {
	ring, err := keyring.New(current, previous, st.Salt, st.Params)
	if err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.keys = ring
	switch {
	case slices.Contains(ring.KIDs(), st.CheckKID):
		v.matches = true
	case st.CheckKID == "" || !anyEnvelope(sealed):
		// Nothing is sealed under another key: adopt the configured one.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := v.store.SetCheckKID(ctx, ring.CurrentKID()); err != nil {
			return err
		}
		v.checkKID, v.matches = ring.CurrentKID(), true
	}
	return nil
}

// ring waits for the key ring and returns it (nil without a key).
func (v *Vault) ring() *keyring.Ring {
	<-v.ready
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.keys
}

// Describe records where the key comes from, for the status to show.
func (v *Vault) Describe(source, file string) { v.source, v.file = source, file }

// Source returns where the key comes from ("environment", "file" or
// "none") and the key file's path, when the key is, or should be, in the
// data directory.
func (v *Vault) Source() (source string, file *string) {
	source = v.source
	if source == "" {
		source = "none"
		if v.configured {
			source = "environment"
		}
	}
	if v.file != "" {
		f := v.file
		file = &f
	}
	return source, file
}

// Ready is closed once the configured keys are derived and checked.
func (v *Vault) Ready() <-chan struct{} { return v.ready }

func anyEnvelope(sealed []Sealed) bool {
	for _, s := range sealed {
		if keyring.Inspect(s.Value).Kind == keyring.Envelope {
			return true
		}
	}
	return false
}

// Configured reports whether an encryption key is configured.
func (v *Vault) Configured() bool { return v.configured }

// Matches reports whether the configured key can read the stored data
// (waiting for the keys).
func (v *Vault) Matches() bool {
	<-v.ready
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.matches
}

func (v *Vault) check() (kid string, matches bool) {
	<-v.ready
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.checkKID, v.matches
}

func aad(credentialID string) string { return credentialID + "/api_key" }

// Seal encrypts a key for the credential id. It refuses with the
// original's 400 when no key is configured and with a 409 when the vault is
// locked.
func (v *Vault) Seal(credentialID, plaintext string) (string, error) {
	if err := v.CheckWritable(); err != nil {
		return "", err
	}
	return v.ring().Seal(plaintext, aad(credentialID))
}

// CheckWritable returns the error Seal would return, so a request that
// needs to seal can be refused before anything else happens.
func (v *Vault) CheckWritable() error {
	if v.ring() == nil {
		return apperr.New(apperr.Invalid, noKeyMessage)
	}
	checkKID, matches := v.check()
	if !matches {
		return apperr.Newf(apperr.Locked, "The configured OPEN_NOTEBOOK_ENCRYPTION_KEY does not match the key that "+
			"encrypted the stored credentials (key id %s). Restore that key, or set it in "+
			"OPEN_NOTEBOOK_ENCRYPTION_KEY_PREVIOUS and run 'open-notebook rotate-key'. New keys are not stored "+
			"until then, so keys are never mixed.", checkKID)
	}
	return nil
}

// Open decrypts the stored key of a credential. Legacy plaintext is
// returned as is; anything that does not open is an error, never mistaken
// for plaintext.
func (v *Vault) Open(credentialID, sealed string) (string, error) {
	pt, _, err := v.ring().Open(sealed, aad(credentialID))
	if err != nil {
		return "", apperr.Wrap(apperr.Locked, decryptionMessage, err)
	}
	return pt, nil
}

// Readable reports whether a stored key can be opened, without producing
// the plaintext for the common case: an envelope is readable when the ring
// holds the key it names.
func (v *Vault) Readable(credentialID, sealed string) bool {
	info := keyring.Inspect(sealed)
	switch info.Kind {
	case keyring.Plaintext:
		return true
	case keyring.Envelope:
		return v.ring() != nil && slices.Contains(v.ring().KIDs(), info.KID)
	}
	_, err := v.Open(credentialID, sealed)
	return err == nil
}

// EncryptionStatus describes the stored secrets by how they are sealed.
type EncryptionStatus struct {
	Configured        bool           `json:"configured"`
	KeyMatches        bool           `json:"key_matches"`
	CurrentKeyID      *string        `json:"current_key_id"`
	KeyIDs            []string       `json:"key_ids"`
	CheckKeyID        *string        `json:"check_key_id"`
	Total             int            `json:"total"`
	ByKeyID           map[string]int `json:"rows_by_key_id"`
	Fernet            int            `json:"fernet_rows"`
	Plaintext         int            `json:"plaintext_rows"`
	Undecryptable     int            `json:"undecryptable_rows"`
	NeedingRotation   int            `json:"rows_needing_rotation"`
	RotationAvailable bool           `json:"rotation_available"`
	// KeySource says where the key comes from: "environment", "file" (the
	// key file generated in the data directory, KeyFile) or "none".
	KeySource string  `json:"key_source"`
	KeyFile   *string `json:"key_file"`
}

// Status counts the stored secrets per key id, Fernet tokens, legacy
// plaintext and those no configured key can open.
func (v *Vault) Status(ctx context.Context) (EncryptionStatus, error) {
	sealed, err := v.store.SealedKeys(ctx)
	if err != nil {
		return EncryptionStatus{}, err
	}
	checkKID, matches := v.check()
	st := EncryptionStatus{Configured: v.ring() != nil, KeyMatches: matches, KeyIDs: v.ring().KIDs(),
		Total: len(sealed), ByKeyID: map[string]int{}}
	if st.KeyIDs == nil {
		st.KeyIDs = []string{}
	}
	if v.ring() != nil {
		kid := v.ring().CurrentKID()
		st.CurrentKeyID = &kid
	}
	if checkKID != "" {
		st.CheckKeyID = &checkKID
	}
	for _, s := range sealed {
		info := keyring.Inspect(s.Value)
		switch info.Kind {
		case keyring.Envelope:
			st.ByKeyID[info.KID]++
		case keyring.Fernet:
			st.Fernet++
		case keyring.Plaintext:
			st.Plaintext++
		}
		if !v.Readable(s.ID, s.Value) {
			st.Undecryptable++
		} else if v.ring() != nil && (info.Kind != keyring.Envelope || info.KID != v.ring().CurrentKID()) {
			st.NeedingRotation++
		}
	}
	st.RotationAvailable = v.ring() != nil
	st.KeySource, st.KeyFile = v.Source()
	return st, nil
}

// RotateResult reports what a rotation did.
type RotateResult struct {
	Resealed       int `json:"resealed"`
	AlreadyCurrent int `json:"already_current"`
	Undecryptable  int `json:"undecryptable"`
	Changed        int `json:"changed_concurrently"`
}

// rotate re-seals every stored secret under the current key, one row per
// transaction with compare-and-set, so it is safe while servers run and can
// be interrupted and run again. When every secret is under the current key
// the key check value moves to it. progress is called after each row.
func (v *Vault) rotate(ctx context.Context, progress func(done, total int)) (RotateResult, error) {
	var res RotateResult
	if v.ring() == nil {
		return res, apperr.New(apperr.Invalid, "No encryption key configured: set OPEN_NOTEBOOK_ENCRYPTION_KEY to the new key and OPEN_NOTEBOOK_ENCRYPTION_KEY_PREVIOUS to the old one")
	}
	sealed, err := v.store.SealedKeys(ctx)
	if err != nil {
		return res, err
	}
	current := v.ring().CurrentKID()
	for i, s := range sealed {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		info := keyring.Inspect(s.Value)
		if info.Kind == keyring.Envelope && info.KID == current {
			res.AlreadyCurrent++
		} else if pt, _, err := v.ring().Open(s.Value, aad(s.ID)); err != nil {
			res.Undecryptable++
		} else {
			next, err := v.ring().Seal(pt, aad(s.ID))
			if err != nil {
				return res, err
			}
			ok, err := v.store.ReplaceKey(ctx, s.ID, s.Value, next)
			if err != nil {
				return res, err
			}
			if ok {
				res.Resealed++
			} else {
				res.Changed++ // rewritten meanwhile, by a writer that sealed under the current key
			}
		}
		if progress != nil {
			progress(i+1, len(sealed))
		}
	}
	// Move the key check value only when a fresh look finds every secret
	// under the current key: a replica still running with the old key may
	// have written meanwhile, and then the old key is still needed.
	after, err := v.store.SealedKeys(ctx)
	if err != nil {
		return res, err
	}
	for _, s := range after {
		if info := keyring.Inspect(s.Value); info.Kind != keyring.Envelope || info.KID != current {
			return res, nil
		}
	}
	if err := v.store.SetCheckKID(ctx, current); err != nil {
		return res, err
	}
	v.mu.Lock()
	v.checkKID, v.matches = current, true
	v.mu.Unlock()
	return res, nil
}
