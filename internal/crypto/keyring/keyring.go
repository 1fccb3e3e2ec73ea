// Package keyring seals and opens the secrets the server stores at rest.
//
// New values are sealed with AES-256-GCM into an envelope that names its key:
//
//	onb1:<kid>:<base64url-no-padding(nonce || ciphertext || tag)>
//
// The caller's associated data (the record id and field) is authenticated
// with the ciphertext, so an envelope copied to another row does not open.
// Keys are stretched from passphrases with Argon2id and a per-deployment salt.
// A Ring holds the current key, used for every Seal, and any previous keys,
// used only to open what they sealed, so a key can be rotated online.
//
// Two older forms are read but never written: Fernet tokens made by the
// original Python server (key = SHA-256 of the same passphrase) and legacy
// plaintext from before encryption existed. A value that looks like ciphertext
// but does not open is always an error, never mistaken for plaintext.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// SaltSize is the size of the salts NewSalt makes and the least New accepts.
const SaltSize = 16

const (
	keySize = 32 // AES-256
	kidSize = 8  // bytes of HMAC output shown as the key id
	// kidLabel separates the key-id MAC from any other use of the key.
	kidLabel = "open-notebook key id"
)

var (
	// ErrNoKey is returned when a value needs a key and no ring is
	// configured (a nil *Ring).
	ErrNoKey = errors.New("encryption key not configured")
	// ErrUndecryptable is wrapped when a value is ciphertext that no
	// configured key can open: a wrong or missing key, tampering, a malformed
	// envelope, or an envelope moved to another record.
	ErrUndecryptable = errors.New("no configured key can open the value")
)

// Kind classifies a stored value.
type Kind int

// The kinds of stored value. The zero Kind is deliberately none of them, so
// an unset Info is never mistaken for plaintext.
const (
	Envelope  Kind = iota + 1 // an onb1 AES-256-GCM envelope
	Fernet                    // a Fernet token written by the original server
	Plaintext                 // legacy plaintext, stored before encryption existed
)

// String returns the kind's lower-case name.
func (k Kind) String() string {
	switch k {
	case Envelope:
		return "envelope"
	case Fernet:
		return "fernet"
	case Plaintext:
		return "plaintext"
	default:
		return fmt.Sprintf("Kind(%d)", int(k))
	}
}

// Info describes a stored value. KID names the ring key involved: the key an
// envelope says it was sealed with or, after a Fernet token opened, the key
// whose passphrase opened it. It is empty for plaintext and for values whose
// key is not known.
type Info struct {
	Kind Kind
	KID  string
}

// KDFParams are the Argon2id parameters that turn a passphrase into a key.
// They are part of the key: the caller stores them next to the salt so that
// the same key is derived on every start and they can be raised later.
type KDFParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8
}

// DefaultKDFParams returns the parameters for new deployments: 64 MiB, three
// passes, two lanes.
func DefaultKDFParams() KDFParams {
	return KDFParams{Memory: 64 * 1024, Time: 3, Threads: 2}
}

// validate refuses parameters argon2 would panic on or silently raise, since
// the key must be derivable from exactly what was recorded.
func (p KDFParams) validate() error {
	switch {
	case p.Time < 1:
		return errors.New("keyring: KDF time must be at least 1")
	case p.Threads < 1:
		return errors.New("keyring: KDF threads must be at least 1")
	case p.Memory < 8*uint32(p.Threads):
		return fmt.Errorf("keyring: KDF memory must be at least %d KiB for %d threads", 8*uint32(p.Threads), p.Threads)
	}
	return nil
}

// NewSalt returns a random salt of SaltSize bytes for a new deployment.
func NewSalt() ([]byte, error) {
	salt := make([]byte, SaltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("keyring: read random salt: %w", err)
	}
	return salt, nil
}

// Ring is the set of keys the server can use. It is immutable after New and
// safe for concurrent use. A nil *Ring stands for "no key configured".
type Ring struct {
	keys   []ringKey // current first, one per distinct passphrase
	params KDFParams
}

// ringKey is everything derived from one passphrase.
type ringKey struct {
	id     string
	aead   cipher.AEAD
	fernet fernetKey
	marked *markedKey // derived on first use
}

// New derives a ring from the current passphrase and any previous ones. Each
// key is derived once here, never per operation, so New is slow by design
// (Argon2id). Duplicate passphrases are ignored; current must not be empty.
func New(current string, previous []string, salt []byte, p KDFParams) (*Ring, error) {
	if current == "" {
		return nil, errors.New("keyring: current passphrase is empty")
	}
	if len(salt) < SaltSize {
		return nil, fmt.Errorf("keyring: salt is %d bytes, need at least %d", len(salt), SaltSize)
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	r := &Ring{params: p}
	seen := make(map[string]bool, 1+len(previous))
	for i, pass := range append([]string{current}, previous...) {
		if pass == "" {
			return nil, fmt.Errorf("keyring: previous passphrase %d is empty", i)
		}
		if seen[pass] {
			continue
		}
		seen[pass] = true
		k, err := deriveKey(pass, salt, p)
		if err != nil {
			return nil, err
		}
		r.keys = append(r.keys, k)
	}
	return r, nil
}

func deriveKey(passphrase string, salt []byte, p KDFParams) (ringKey, error) {
	dk := argon2.IDKey([]byte(passphrase), salt, p.Time, p.Memory, p.Threads, keySize)
	defer clear(dk)
	block, err := aes.NewCipher(dk)
	if err != nil {
		return ringKey{}, fmt.Errorf("keyring: new AES cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return ringKey{}, fmt.Errorf("keyring: new GCM: %w", err)
	}
	fk, err := newFernetKey(passphrase)
	if err != nil {
		return ringKey{}, err
	}
	return ringKey{id: keyID(dk), aead: aead, fernet: fk, marked: &markedKey{passphrase: passphrase}}, nil
}

// keyID names a derived key without revealing it: a MAC under the key itself,
// so it also serves as the key check value stored with the data.
func keyID(key []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(kidLabel))
	return hex.EncodeToString(mac.Sum(nil)[:kidSize])
}

// CurrentKID returns the id of the key Seal uses, or "" for a nil ring.
// Stored next to the data, it detects at start a configured key that does not
// match the one that sealed the data.
func (r *Ring) CurrentKID() string {
	if r == nil {
		return ""
	}
	return r.keys[0].id
}

// KIDs returns the ids of every key in the ring, current first; nil for a nil
// ring.
func (r *Ring) KIDs() []string {
	if r == nil {
		return nil
	}
	ids := make([]string, len(r.keys))
	for i, k := range r.keys {
		ids[i] = k.id
	}
	return ids
}

// Params returns the KDF parameters the ring's keys were derived with; the
// zero KDFParams for a nil ring.
func (r *Ring) Params() KDFParams {
	if r == nil {
		return KDFParams{}
	}
	return r.params
}

func (r *Ring) key(kid string) *ringKey {
	for i := range r.keys {
		if r.keys[i].id == kid {
			return &r.keys[i]
		}
	}
	return nil
}

// Seal encrypts plaintext under the current key, bound to aad (for example
// "credential:abc123/api_key"); Open must be given the same aad.
func (r *Ring) Seal(plaintext, aad string) (string, error) {
	if r == nil {
		return "", fmt.Errorf("keyring: seal: %w", ErrNoKey)
	}
	return r.keys[0].seal(plaintext, aad), nil
}

// Open returns the plaintext of a stored value and what kind of value it was.
// Envelopes open with the key they name, Fernet tokens with any passphrase in
// the ring, and anything that is neither is legacy plaintext returned as is
// (the one case a nil ring can open). On error, info still classifies the
// value as Inspect does; errors wrap ErrUndecryptable or ErrNoKey and never
// contain the value or any key.
func (r *Ring) Open(value, aad string) (plaintext string, info Info, err error) {
	info = Inspect(value)
	if info.Kind == Plaintext {
		return value, info, nil
	}
	if r == nil {
		return "", info, fmt.Errorf("keyring: open %s: %w", info.Kind, ErrNoKey)
	}
	if info.Kind == Envelope {
		plaintext, err = r.openEnvelope(value, aad)
		return plaintext, info, err
	}
	plaintext, info.KID, err = r.openFernet(value)
	return plaintext, info, err
}

// Inspect classifies a value without any key: an envelope (with the key id it
// names, if well formed), something that looks like a Fernet token, or
// legacy plaintext. Open treats values exactly as Inspect classifies them.
func Inspect(value string) Info {
	if kid, _, ok := splitEnvelope(value); ok {
		if !validKID(kid) {
			kid = ""
		}
		return Info{Kind: Envelope, KID: kid}
	}
	if strings.HasPrefix(value, pbkdf2Marker) || LooksLikeFernet(value) {
		return Info{Kind: Fernet}
	}
	return Info{Kind: Plaintext}
}
