package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
)

// Newer versions of the original server mark their values "pbkdf2v1:" and
// derive the Fernet key with PBKDF2-HMAC-SHA256 (600,000 iterations, a fixed
// application salt) instead of a bare SHA-256.
const (
	pbkdf2Marker     = "pbkdf2v1:"
	pbkdf2Iterations = 600_000
	pbkdf2Salt       = "open-notebook-credential-v1"
)

// A Fernet token is 0x80 || timestamp(8) || IV(16) || AES-128-CBC ciphertext
// (PKCS7, at least one block) || HMAC-SHA256(32) over everything before it.
const (
	fernetVersion  = 0x80
	fernetIVStart  = 1 + 8
	fernetCTStart  = fernetIVStart + aes.BlockSize
	fernetOverhead = fernetCTStart + sha256.Size // 57
	fernetMinSize  = fernetOverhead + aes.BlockSize
	// fernetMinChars is the original's length floor: 73 bytes encode to 100
	// padded base64 characters.
	fernetMinChars = 100
)

// fernetKey is the original server's key for one passphrase:
// SHA-256(passphrase), split into an HMAC key and an AES-128 key.
type fernetKey struct {
	signing [16]byte
	block   cipher.Block
}

func newFernetKey(passphrase string) (fernetKey, error) {
	sum := sha256.Sum256([]byte(passphrase))
	defer clear(sum[:])
	return fernetKeyFrom(sum[:])
}

// fernetKeyFrom splits a 32-byte Fernet key into its two halves.
func fernetKeyFrom(sum []byte) (fernetKey, error) {
	block, err := aes.NewCipher(sum[16:])
	if err != nil {
		return fernetKey{}, fmt.Errorf("keyring: new Fernet cipher: %w", err)
	}
	k := fernetKey{block: block}
	copy(k.signing[:], sum[:16])
	return k, nil
}

// open verifies and decrypts a decoded token, ignoring its timestamp as the
// original does (no TTL).
func (k *fernetKey) open(token []byte) ([]byte, bool) {
	if len(token) < fernetMinSize || (len(token)-fernetOverhead)%aes.BlockSize != 0 || token[0] != fernetVersion {
		return nil, false
	}
	signed, tag := token[:len(token)-sha256.Size], token[len(token)-sha256.Size:]
	mac := hmac.New(sha256.New, k.signing[:])
	mac.Write(signed)
	if !hmac.Equal(mac.Sum(nil), tag) {
		return nil, false
	}
	ciphertext := signed[fernetCTStart:]
	plaintext := make([]byte, len(ciphertext))
	cipher.NewCBCDecrypter(k.block, signed[fernetIVStart:fernetCTStart]).CryptBlocks(plaintext, ciphertext)
	return unpadPKCS7(plaintext)
}

// unpadPKCS7 strips the padding. It runs only after the MAC has been
// verified, so its timing reveals nothing an attacker could exploit.
func unpadPKCS7(b []byte) ([]byte, bool) {
	n := int(b[len(b)-1])
	if n == 0 || n > aes.BlockSize {
		return nil, false
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, false
		}
	}
	return b[:len(b)-n], true
}

// markedKey derives the PBKDF2 Fernet key of a passphrase. It is slow by
// design (about a third of a second), so it runs only when a marked value
// is first met, once per passphrase.
type markedKey struct {
	once       sync.Once
	passphrase string
	key        fernetKey
	err        error
}

func (m *markedKey) get() (*fernetKey, error) {
	m.once.Do(func() {
		dk, err := pbkdf2.Key(sha256.New, m.passphrase, []byte(pbkdf2Salt), pbkdf2Iterations, 32)
		if err != nil {
			m.err = fmt.Errorf("keyring: derive PBKDF2 Fernet key: %w", err)
			return
		}
		defer clear(dk)
		m.key, m.err = fernetKeyFrom(dk)
	})
	return &m.key, m.err
}

func (r *Ring) openFernet(value string) (plaintext, kid string, err error) {
	marked := strings.HasPrefix(value, pbkdf2Marker)
	token, ok := decodePythonBase64(strings.TrimPrefix(value, pbkdf2Marker))
	if ok {
		for i := range r.keys {
			k := &r.keys[i].fernet
			if marked {
				if k, err = r.keys[i].marked.get(); err != nil {
					return "", "", err
				}
			}
			if pt, ok := k.open(token); ok {
				return string(pt), r.keys[i].id, nil
			}
		}
	}
	return "", "", fmt.Errorf("keyring: value looks like a Fernet token but no configured passphrase opens it: %w", ErrUndecryptable)
}

// LooksLikeFernet reports whether s has the shape of a Fernet token, by the
// original server's rule (looks_like_fernet_token): at least 100 characters,
// decodable as url-safe base64 the way Python decodes it, and decoding to at
// least 73 bytes of which all but the 57 bytes of fixed overhead form whole
// AES blocks. Such a value is never treated as plaintext.
func LooksLikeFernet(s string) bool {
	if len(s) < fernetMinChars {
		return false
	}
	token, ok := decodePythonBase64(s)
	if !ok || len(token) < fernetMinSize {
		return false
	}
	n := len(token) - fernetOverhead
	return n > 0 && n%aes.BlockSize == 0
}

// decodePythonBase64 decodes s as Python's base64.urlsafe_b64decode does
// (CPython 3.11/3.12 binascii.a2b_base64, non-strict), because both the
// original's Fernet reader and its plaintext rule use that decoder: both
// alphabets are accepted, other ASCII bytes are skipped, stray '=' before a
// quantum's second character are skipped, a complete padding ends the input,
// and a missing padding is an error. Non-ASCII input is an error, as Python
// refuses to encode such a str as ASCII.
func decodePythonBase64(s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return nil, false
		}
	}
	out := make([]byte, 0, len(s)/4*3+3)
	var quad, pads int
	var left byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '=' {
			if quad >= 2 {
				pads++
				if quad+pads >= 4 {
					return out, true
				}
			}
			continue
		}
		v, ok := base64Value(c)
		if !ok {
			continue
		}
		pads = 0
		switch quad {
		case 0:
			left = v
		case 1:
			out = append(out, left<<2|v>>4)
			left = v & 0x0f
		case 2:
			out = append(out, left<<4|v>>2)
			left = v & 0x03
		case 3:
			out = append(out, left<<6|v)
		}
		quad = (quad + 1) % 4
	}
	return out, quad == 0
}

// base64Value returns the 6-bit value of c in either base64 alphabet.
func base64Value(c byte) (byte, bool) {
	switch {
	case 'A' <= c && c <= 'Z':
		return c - 'A', true
	case 'a' <= c && c <= 'z':
		return c - 'a' + 26, true
	case '0' <= c && c <= '9':
		return c - '0' + 52, true
	case c == '+' || c == '-':
		return 62, true
	case c == '/' || c == '_':
		return 63, true
	}
	return 0, false
}
