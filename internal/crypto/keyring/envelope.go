package keyring

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

const (
	envelopePrefix = "onb1:"
	nonceSize      = 12 // the GCM standard nonce; random nonces stay safe for 2^32 seals per key
)

var envelopeEncoding = base64.RawURLEncoding.Strict()

func (k *ringKey) seal(plaintext, aad string) string {
	nonce := make([]byte, nonceSize, nonceSize+len(plaintext)+k.aead.Overhead())
	// crypto/rand.Read never fails; it crashes the program instead.
	rand.Read(nonce)
	sealed := k.aead.Seal(nonce, nonce, []byte(plaintext), []byte(aad))
	return envelopePrefix + k.id + ":" + envelopeEncoding.EncodeToString(sealed)
}

// splitEnvelope reports whether value is an envelope and, if so, splits it
// into its key id and payload fields without checking either.
func splitEnvelope(value string) (kid, payload string, ok bool) {
	rest, ok := strings.CutPrefix(value, envelopePrefix)
	if !ok {
		return "", "", false
	}
	kid, payload, _ = strings.Cut(rest, ":")
	return kid, payload, true
}

// validKID reports whether s has the shape of a key id. Only ids of this
// shape appear in error messages, so a corrupted value never leaks into one.
func validKID(s string) bool {
	if len(s) != 2*kidSize {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func (r *Ring) openEnvelope(value, aad string) (string, error) {
	kid, payload, _ := splitEnvelope(value)
	if !validKID(kid) {
		return "", fmt.Errorf("keyring: malformed envelope: bad key id: %w", ErrUndecryptable)
	}
	k := r.key(kid)
	if k == nil {
		return "", fmt.Errorf("keyring: envelope key id %s is not in the ring: %w", kid, ErrUndecryptable)
	}
	sealed, err := envelopeEncoding.DecodeString(payload)
	if err != nil {
		return "", fmt.Errorf("keyring: malformed envelope with key id %s: payload is not base64url: %w", kid, ErrUndecryptable)
	}
	if len(sealed) < nonceSize+k.aead.Overhead() {
		return "", fmt.Errorf("keyring: malformed envelope with key id %s: payload too short: %w", kid, ErrUndecryptable)
	}
	plaintext, err := k.aead.Open(nil, sealed[:nonceSize], sealed[nonceSize:], []byte(aad))
	if err != nil {
		return "", fmt.Errorf("keyring: envelope with key id %s failed authentication (tampered, or sealed for another record): %w", kid, ErrUndecryptable)
	}
	return string(plaintext), nil
}
