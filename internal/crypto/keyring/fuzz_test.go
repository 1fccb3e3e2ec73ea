package keyring

import (
	"bytes"
	"crypto/aes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// FuzzSealOpen checks the envelope round trip for any plaintext and
// associated data: what is sealed opens to itself under the same aad, and
// under any other aad, or once a byte of it is changed, it does not open.
func FuzzSealOpen(f *testing.F) {
	for _, s := range []struct{ plaintext, aad string }{
		{"sk-proj-abc123", "credential:abc/api_key"},
		{"", ""},
		{"\x00\xff multi\nline ✓", "credential:x/api_key"},
		{strings.Repeat("k", 4096), "credential:long/api_key"},
	} {
		f.Add(s.plaintext, s.aad, uint16(7))
	}
	r := newRing(f, "fuzz current", "fuzz previous")
	f.Fuzz(func(t *testing.T, plaintext, aad string, flip uint16) {
		sealed, err := r.Seal(plaintext, aad)
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if info := Inspect(sealed); info.Kind != Envelope || info.KID != r.CurrentKID() {
			t.Fatalf("Inspect(sealed) = %+v", info)
		}
		got, _, err := r.Open(sealed, aad)
		if err != nil || got != plaintext {
			t.Fatalf("Open(Seal(%q)) = %q, %v", plaintext, got, err)
		}
		if _, _, err := r.Open(sealed, aad+"x"); !errors.Is(err, ErrUndecryptable) {
			t.Fatalf("Open with another aad = %v, want ErrUndecryptable", err)
		}
		// Change one character of the payload to another of its alphabet.
		i := len(envelopePrefix) + 2*kidSize + 1 + int(flip)%(len(sealed)-len(envelopePrefix)-2*kidSize-1)
		altered := sealed[:i] + flipChar(sealed[i]) + sealed[i+1:]
		if got, _, err := r.Open(altered, aad); err == nil && altered != sealed {
			t.Fatalf("an altered envelope opened to %q", got)
		}
	})
}

// FuzzFernetSignedTokens gives the Fernet reader correctly signed tokens
// around arbitrary blocks, so the fuzzer reaches what a forged MAC never
// does: the version check and the padding. The reader must agree with
// PKCS#7 exactly and never panic.
func FuzzFernetSignedTokens(f *testing.F) {
	f.Add(byte(0x80), []byte("sk-0123456789\x03\x03\x03"))
	f.Add(byte(0x80), bytes.Repeat([]byte{16}, 16))
	f.Add(byte(0x80), append([]byte("sk-012345678901"), 0))
	f.Add(byte(0x80), append([]byte("sk-012345678901"), 17))
	f.Add(byte(0x81), []byte("sk-0123456789\x03\x03\x03"))
	f.Add(byte(0x80), []byte{})
	const pass = "fuzz fernet passphrase"
	r := newRing(f, pass)
	f.Fuzz(func(t *testing.T, version byte, padded []byte) {
		padded = padded[:len(padded)/aes.BlockSize*aes.BlockSize]
		if len(padded) == 0 {
			padded = make([]byte, aes.BlockSize)
		}
		token := signedToken(pass, version, padded)
		got, info, err := r.Open(token, "aad")
		if info.Kind != Fernet {
			t.Fatalf("a signed Fernet token is classified as %v", info.Kind)
		}
		want, ok := referenceUnpad(padded)
		ok = ok && version == fernetVersion
		if !ok {
			if !errors.Is(err, ErrUndecryptable) || got != "" {
				t.Fatalf("Open(invalid token) = %q, %v", got, err)
			}
			return
		}
		if err != nil || got != string(want) {
			t.Fatalf("Open = %q, %v; want %q", got, err, want)
		}
	})
}

// referenceUnpad is PKCS#7 unpadding as the cryptography package does it.
func referenceUnpad(b []byte) ([]byte, bool) {
	n := int(b[len(b)-1])
	if n < 1 || n > aes.BlockSize || n > len(b) {
		return nil, false
	}
	if !bytes.Equal(b[len(b)-n:], bytes.Repeat([]byte{byte(n)}, n)) {
		return nil, false
	}
	return b[:len(b)-n], true
}

// FuzzDecodePythonBase64 checks the Python-compatible decoder: canonical
// base64 of either alphabet decodes to its bytes, and any input decodes to
// at most three bytes per four characters without panicking.
func FuzzDecodePythonBase64(f *testing.F) {
	f.Add([]byte("gAAAAABl"), "gAAAAABl==")
	f.Add([]byte{0xfb, 0xff}, "+/-_=a=b")
	f.Add([]byte{}, "=====")
	f.Add([]byte("x"), "eA=\x00=junk")
	f.Add([]byte("é"), "w6k=é")
	f.Fuzz(func(t *testing.T, data []byte, junk string) {
		for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.StdEncoding} {
			s := enc.EncodeToString(data)
			got, ok := decodePythonBase64(s)
			if !ok || !bytes.Equal(got, data) {
				t.Fatalf("decode(%q) = %x, %v; want %x", s, got, ok, data)
			}
		}
		got, ok := decodePythonBase64(junk)
		if ok && len(got) > len(junk)/4*3 {
			t.Fatalf("decode(%q) gave %d bytes from %d characters", junk, len(got), len(junk))
		}
		if LooksLikeFernet(junk) && !ok {
			t.Fatalf("LooksLikeFernet(%q) for a value that does not decode", junk)
		}
	})
}
