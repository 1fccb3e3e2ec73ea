package keyring

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

// vectors mirrors testdata/fernet-vectors.json, made by Python cryptography
// the way the original server encrypts.
type vectors struct {
	Open []struct {
		Passphrase string `json:"passphrase"`
		FernetKey  string `json:"fernet_key"`
		Token      string `json:"token"`
		Plaintext  string `json:"plaintext"`
	} `json:"open"`
	WrongKey struct {
		Passphrase string `json:"passphrase"`
		Token      string `json:"token"`
	} `json:"wrong_key"`
	LegacyPlaintext []struct {
		Stored string `json:"stored"`
		Expect string `json:"expect"`
	} `json:"legacy_plaintext"`
}

func loadVectors(t testing.TB) vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/fernet-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("parse vectors: %v", err)
	}
	if len(v.Open) == 0 || v.WrongKey.Token == "" || len(v.LegacyPlaintext) == 0 {
		t.Fatal("vectors file is missing cases")
	}
	return v
}

func TestFernetVectorsOpenWithTheirPassphrase(t *testing.T) {
	for _, vec := range loadVectors(t).Open {
		t.Run("a token for "+vec.Passphrase+" opens to "+vec.Plaintext[:min(len(vec.Plaintext), 12)], func(t *testing.T) {
			sum := sha256.Sum256([]byte(vec.Passphrase))
			if got := base64.URLEncoding.EncodeToString(sum[:]); got != vec.FernetKey {
				t.Fatalf("Fernet key of the passphrase = %s, vector says %s", got, vec.FernetKey)
			}
			if !LooksLikeFernet(vec.Token) {
				t.Fatalf("LooksLikeFernet(token) = false")
			}
			asCurrent := newRing(t, vec.Passphrase)
			asPrevious := newRing(t, "a newer passphrase", "unrelated", vec.Passphrase)
			rings := []struct {
				name    string
				ring    *Ring
				wantKID string
			}{
				{"the current passphrase opens it", asCurrent, asCurrent.CurrentKID()},
				{"a previous passphrase opens it and is named", asPrevious, asPrevious.KIDs()[2]},
			}
			for _, rc := range rings {
				got, info, err := rc.ring.Open(vec.Token, "aad is not used by Fernet")
				if err != nil {
					t.Fatalf("%s: Open: %v", rc.name, err)
				}
				if got != vec.Plaintext {
					t.Fatalf("%s: Open = %q, want %q", rc.name, got, vec.Plaintext)
				}
				if info != (Info{Kind: Fernet, KID: rc.wantKID}) {
					t.Fatalf("%s: info = %+v, want fernet with key id %s", rc.name, info, rc.wantKID)
				}
			}
		})
	}
}

func TestFernetVectorsWithTheWrongPassphraseAreErrorsNotPlaintext(t *testing.T) {
	v := loadVectors(t)
	cases := []struct {
		name, passphrase, token, plaintext string
	}{
		{"the file's wrong-key token is an error", v.WrongKey.Passphrase, v.WrongKey.Token, ""},
	}
	for _, vec := range v.Open {
		cases = append(cases, struct{ name, passphrase, token, plaintext string }{
			"a token for " + vec.Passphrase + " is an error under another passphrase", vec.Passphrase + "x", vec.Token, vec.Plaintext,
		})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, info, err := newRing(t, tc.passphrase).Open(tc.token, "a")
			if !errors.Is(err, ErrUndecryptable) {
				t.Fatalf("Open = %q, %v; want ErrUndecryptable", got, err)
			}
			if got != "" || info.Kind != Fernet {
				t.Fatalf("Open = %q, %+v; want no plaintext and kind fernet", got, info)
			}
			assertNoLeak(t, err, tc.passphrase, tc.token)
			if len(tc.plaintext) > 3 {
				assertNoLeak(t, err, tc.plaintext)
			}
		})
	}
}

func TestFernetTokensAreReadAsPythonReadsThem(t *testing.T) {
	v := loadVectors(t)
	vec, other := v.Open[2], v.Open[0].Token // vec is 120 characters with one '='
	r := newRing(t, vec.Passphrase)
	cases := []struct {
		name, token string
		wantErr     bool
	}{
		{"a line break inside the token is skipped", vec.Token[:50] + "\n" + vec.Token[50:], false},
		{"the standard alphabet is accepted", strings.NewReplacer("-", "+", "_", "/").Replace(vec.Token), false},
		{"text after the padding is ignored", vec.Token + "=trailing", false},
		{"a flipped character fails the MAC", vec.Token[:60] + flipChar(vec.Token[60]) + vec.Token[61:], true},
		{"a token whose MAC is from another token fails", vec.Token[:len(vec.Token)-44] + other[len(other)-44:], true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, info, err := r.Open(tc.token, "a")
			if tc.wantErr {
				if !errors.Is(err, ErrUndecryptable) || got != "" || info.Kind != Fernet {
					t.Fatalf("Open = %q, %+v, %v; want an undecryptable Fernet token", got, info, err)
				}
				return
			}
			if err != nil || got != vec.Plaintext || info.Kind != Fernet {
				t.Fatalf("Open = %q, %+v, %v; want %q", got, info, err, vec.Plaintext)
			}
		})
	}
}

// signedToken builds a Fernet token for passphrase around already padded
// blocks, so tests can check what a correctly signed but invalid token does.
func signedToken(passphrase string, version byte, padded []byte) string {
	key := sha256.Sum256([]byte(passphrase))
	block, _ := aes.NewCipher(key[16:])
	token := append([]byte{version, 0, 0, 0, 0, 0x6b, 0x04, 0x22, 0x64}, make([]byte, aes.BlockSize)...)
	ciphertext := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, token[9:25]).CryptBlocks(ciphertext, padded)
	token = append(token, ciphertext...)
	mac := hmac.New(sha256.New, key[:16])
	mac.Write(token)
	return base64.URLEncoding.EncodeToString(mac.Sum(token))
}

func TestFernetChecksVersionAndPaddingUnderAValidMAC(t *testing.T) {
	const pass = "signing passphrase"
	r := newRing(t, pass)
	pad := func(s string, b ...byte) []byte { return append([]byte(s), b...) }
	cases := []struct {
		name    string
		token   string
		want    string
		wantErr bool
	}{
		{"a well-formed token opens", signedToken(pass, 0x80, pad("sk-0123456789", 3, 3, 3)), "sk-0123456789", false},
		{"a full block of padding opens", signedToken(pass, 0x80, pad("", bytes.Repeat([]byte{16}, 16)...)), "", false},
		{"another version byte is refused", signedToken(pass, 0x81, pad("sk-0123456789", 3, 3, 3)), "", true},
		{"a zero padding byte is refused", signedToken(pass, 0x80, pad("sk-012345678901", 0)), "", true},
		{"a padding length above the block size is refused", signedToken(pass, 0x80, pad("sk-012345678901", 17)), "", true},
		{"inconsistent padding bytes are refused", signedToken(pass, 0x80, pad("sk-0123456789", 2, 3, 3)), "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, info, err := r.Open(tc.token, "a")
			if info.Kind != Fernet {
				t.Fatalf("info.Kind = %v, want fernet", info.Kind)
			}
			if tc.wantErr != errors.Is(err, ErrUndecryptable) || got != tc.want {
				t.Fatalf("Open = %q, %v; want %q (error: %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func flipChar(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func TestLegacyPlaintextVectorsAreReturnedAsPlaintext(t *testing.T) {
	for _, vec := range loadVectors(t).LegacyPlaintext {
		for _, r := range []*Ring{newRing(t, "any passphrase"), nil} {
			got, info, err := r.Open(vec.Stored, "a")
			if err != nil || got != vec.Expect || info != (Info{Kind: Plaintext}) {
				t.Fatalf("Open(%q) with ring %v = %q, %+v, %v; want %q as plaintext", vec.Stored, r.KIDs(), got, info, err, vec.Expect)
			}
		}
	}
}

// TestLooksLikeFernetFollowsTheOriginalRule uses inputs whose answers were
// checked against the original's looks_like_fernet_token on CPython 3.11.
func TestLooksLikeFernetFollowsTheOriginalRule(t *testing.T) {
	b64 := func(n int) string { return base64.URLEncoding.EncodeToString(make([]byte, n)) }
	token := loadVectors(t).Open[2].Token // decodes to 89 bytes
	cases := []struct {
		name  string
		value string
		want  bool
	}{
		{"a real token looks like Fernet", token, true},
		{"73 bytes, the smallest token, looks like Fernet", b64(73), true},
		{"89 bytes, two blocks, looks like Fernet", b64(89), true},
		{"the version byte is not part of the rule", "A" + token[1:], true},
		{"74 bytes are not whole blocks", b64(74), false},
		{"57 bytes of overhead alone are too short", b64(57) + strings.Repeat("!", 40), false},
		{"72 bytes are too short even when padded to 100 characters", b64(72) + "!!!!", false},
		{"99 characters are too short", strings.Repeat("A", 99), false},
		{"100 characters decoding to 75 bytes are not whole blocks", strings.Repeat("A", 100), false},
		{"a missing padding fails to decode", strings.TrimRight(token, "="), false},
		{"one character past a quantum fails to decode", b64(72) + "A" + strings.Repeat("!", 30), false},
		{"non-ASCII fails to decode", token + "é", false},
		{"junk characters are skipped", token[:40] + " \n!." + token[40:], true},
		{"excess padding is tolerated", token + "====", true},
		{"padding before a quantum's second character is skipped", "=" + token, true},
		{"the standard alphabet is accepted", strings.ReplaceAll(strings.ReplaceAll(token, "-", "+"), "_", "/"), true},
		{"an empty value is not Fernet", "", false},
		{"a typical API key is not Fernet", "sk-proj-abc123DEF456ghi789", false},
		{"the rule alone knows nothing of envelopes", "onb1:0123456789abcdef:" + strings.Repeat("A", 120), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := LooksLikeFernet(tc.value); got != tc.want {
				t.Fatalf("LooksLikeFernet(%q) = %v, want %v", tc.value, got, tc.want)
			}
		})
	}
}

func TestDecodePythonBase64MatchesPython(t *testing.T) {
	// Expected outputs were produced by base64.urlsafe_b64decode on CPython 3.11.
	cases := []struct {
		name, in string
		want     string
		ok       bool
	}{
		{"padded input decodes", "aGk=", "hi", true},
		{"url-safe characters decode", "-_-_", "\xfb\xff\xbf", true},
		{"standard characters decode", "+/+/", "\xfb\xff\xbf", true},
		{"missing padding is an error", "aGk", "", false},
		{"one character past a quantum is an error", "aGkhA", "", false},
		{"a lone '=' before the second character is skipped", "a=Gk=", "hi", true},
		{"one '=' after two characters is not enough", "aG=", "", false},
		{"two '=' after two characters end the input", "aG==AAAA", "h", true},
		{"junk between the pads is skipped", "aG=!=", "h", true},
		{"a data character resets a half-finished pad", "aG=k=", "hi", true},
		{"padding only decodes to nothing", "====", "", true},
		{"non-alphabet characters are skipped", "a G\nk!=", "hi", true},
		{"non-ASCII is an error", "aGk=é", "", false},
		{"empty input decodes to nothing", "", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := decodePythonBase64(tc.in)
			if ok != tc.ok || (ok && string(got) != tc.want) {
				t.Fatalf("decode(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestOpensTheNewerOriginalsPBKDF2MarkedValues(t *testing.T) {
	raw, err := os.ReadFile("testdata/pbkdf2-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vec struct {
		Open []struct {
			Passphrase, Value, Plaintext string
		} `json:"open"`
		WrongKey struct {
			Passphrase, Value string
		} `json:"wrong_key"`
	}
	if err := json.Unmarshal(raw, &vec); err != nil {
		t.Fatal(err)
	}
	salt := bytes.Repeat([]byte{7}, SaltSize)
	for _, v := range vec.Open {
		for _, asPrevious := range []bool{false, true} {
			current, previous := v.Passphrase, []string(nil)
			if asPrevious {
				current, previous = "some-new-key", []string{v.Passphrase}
			}
			r, err := New(current, previous, salt, testParams())
			if err != nil {
				t.Fatal(err)
			}
			got, info, err := r.Open(v.Value, "ignored")
			if err != nil || got != v.Plaintext || info.Kind != Fernet {
				t.Fatalf("previous=%v: %q %v %v", asPrevious, got, info, err)
			}
		}
	}
	r, err := New(vec.WrongKey.Passphrase, nil, salt, testParams())
	if err != nil {
		t.Fatal(err)
	}
	if _, info, err := r.Open(vec.WrongKey.Value, "x"); !errors.Is(err, ErrUndecryptable) || info.Kind != Fernet {
		t.Fatalf("a marked value under another key must be an error, never plaintext: %v %v", info, err)
	}
	// Even a short or garbled marked value is ciphertext, not a key.
	for _, v := range []string{"pbkdf2v1:", "pbkdf2v1:short", "pbkdf2v1:" + strings.Repeat("A", 120)} {
		if Inspect(v).Kind != Fernet {
			t.Errorf("Inspect(%q) = %v", v, Inspect(v))
		}
		if _, _, err := r.Open(v, "x"); !errors.Is(err, ErrUndecryptable) {
			t.Errorf("Open(%q) = %v", v, err)
		}
	}
}
