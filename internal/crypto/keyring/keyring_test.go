package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/argon2"
)

const testSalt = "0123456789abcdef"

// testParams keeps Argon2id cheap; the derivation code is the same as with
// the defaults.
func testParams() KDFParams { return KDFParams{Memory: 8, Time: 1, Threads: 1} }

func newRing(t testing.TB, current string, previous ...string) *Ring {
	t.Helper()
	r, err := New(current, previous, []byte(testSalt), testParams())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

// assertNoLeak fails if err's message contains any of the secrets.
func assertNoLeak(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Fatalf("error %q contains secret %q", err, s)
		}
	}
}

func TestSealThenOpenReturnsThePlaintext(t *testing.T) {
	r := newRing(t, "current passphrase")
	cases := []struct {
		name, plaintext, aad string
	}{
		{"an API key opens to itself", "sk-proj-abc123DEF456", "credential:abc123/api_key"},
		{"an empty value opens to empty", "", "credential:abc123/api_key"},
		{"unicode survives", "clé-ünïcode-密钥", "credential:x/api_key"},
		{"colons in the value do not confuse the format", "a:b:c:onb1:d", "credential:x/api_key"},
		{"a long value survives", strings.Repeat("0123456789", 1000), "credential:x/service_account"},
		{"an empty aad is allowed", "value", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sealed, err := r.Seal(tc.plaintext, tc.aad)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if want := "onb1:" + r.CurrentKID() + ":"; !strings.HasPrefix(sealed, want) {
				t.Fatalf("sealed value %q does not start with %q", sealed, want)
			}
			if len(tc.plaintext) > 3 && strings.Contains(sealed, tc.plaintext) {
				t.Fatalf("sealed value contains the plaintext")
			}
			got, info, err := r.Open(sealed, tc.aad)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if got != tc.plaintext {
				t.Fatalf("Open = %q, want %q", got, tc.plaintext)
			}
			if want := (Info{Kind: Envelope, KID: r.CurrentKID()}); info != want {
				t.Fatalf("info = %+v, want %+v", info, want)
			}
		})
	}
}

func TestSealingTwiceGivesDifferentCiphertexts(t *testing.T) {
	r := newRing(t, "current passphrase")
	a, _ := r.Seal("same", "aad")
	b, _ := r.Seal("same", "aad")
	if a == b {
		t.Fatalf("two seals of the same value are identical: nonces are not random")
	}
}

// TestEnvelopeIsArgon2idAESGCM checks the format from outside: the payload
// opens with plain AES-256-GCM under the Argon2id key, and the key id is the
// documented MAC of that key.
func TestEnvelopeIsArgon2idAESGCM(t *testing.T) {
	const pass = "format check"
	r := newRing(t, pass)
	sealed, err := r.Seal("sk-format", "credential:f/api_key")
	if err != nil {
		t.Fatal(err)
	}
	p := testParams()
	dk := argon2.IDKey([]byte(pass), []byte(testSalt), p.Time, p.Memory, p.Threads, 32)
	mac := hmac.New(sha256.New, dk)
	mac.Write([]byte("open-notebook key id"))
	wantKID := hex.EncodeToString(mac.Sum(nil)[:8])

	fields := strings.Split(sealed, ":")
	if len(fields) != 3 || fields[0] != "onb1" || fields[1] != wantKID {
		t.Fatalf("sealed = %q, want onb1:%s:<payload>", sealed, wantKID)
	}
	raw, err := base64.RawURLEncoding.DecodeString(fields[2])
	if err != nil {
		t.Fatalf("payload is not unpadded base64url: %v", err)
	}
	block, _ := aes.NewCipher(dk)
	gcm, _ := cipher.NewGCM(block)
	pt, err := gcm.Open(nil, raw[:12], raw[12:], []byte("credential:f/api_key"))
	if err != nil || string(pt) != "sk-format" {
		t.Fatalf("independent AES-256-GCM open = %q, %v", pt, err)
	}
}

func TestOpenRefusesAlteredEnvelopes(t *testing.T) {
	const (
		pass      = "current passphrase"
		plaintext = "sk-secret-plaintext-value"
		aad       = "credential:abc123/api_key"
	)
	r := newRing(t, pass, "previous passphrase")
	sealed, err := r.Seal(plaintext, aad)
	if err != nil {
		t.Fatal(err)
	}
	kid, payload, _ := splitEnvelope(sealed)
	previousKID := r.KIDs()[1]
	flip := func(i int) string {
		raw, _ := base64.RawURLEncoding.DecodeString(payload)
		raw[i] ^= 0x01
		return "onb1:" + kid + ":" + base64.RawURLEncoding.EncodeToString(raw)
	}
	cases := []struct {
		name, value, aad string
	}{
		{"an envelope moved to another row does not open", sealed, "credential:other/api_key"},
		{"an envelope moved to another field does not open", sealed, "credential:abc123/base_url"},
		{"an envelope opened with no aad does not open", sealed, ""},
		{"a flipped nonce bit does not open", flip(0), aad},
		{"a flipped ciphertext bit does not open", flip(12), aad},
		{"a flipped tag bit does not open", flip(len(payload)*3/4 - 1), aad},
		{"a truncated payload does not open", sealed[:len(sealed)-4], aad},
		{"an envelope relabelled with another ring key does not open", "onb1:" + previousKID + ":" + payload, aad},
		{"an unknown key id does not open", "onb1:0123456789abcdef:" + payload, aad},
		{"an upper-case key id is malformed", "onb1:" + strings.ToUpper(kid) + ":" + payload, aad},
		{"a short key id is malformed", "onb1:" + kid[:8] + ":" + payload, aad},
		{"a missing payload is malformed", "onb1:" + kid, aad},
		{"an empty payload is malformed", "onb1:" + kid + ":", aad},
		{"a payload shorter than nonce and tag is malformed", "onb1:" + kid + ":" + payload[:20], aad},
		{"a padded payload is malformed", sealed + "==", aad},
		{"a standard-alphabet payload is malformed", "onb1:" + kid + ":" + strings.NewReplacer("-", "+", "_", "/").Replace(payload) + "+/", aad},
		{"the bare prefix is malformed", "onb1:", aad},
		{"a key id holding the plaintext is malformed", "onb1:" + plaintext + ":" + payload, aad},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, info, err := r.Open(tc.value, tc.aad)
			if !errors.Is(err, ErrUndecryptable) {
				t.Fatalf("Open err = %v, want ErrUndecryptable", err)
			}
			if got != "" {
				t.Fatalf("Open returned %q with an error", got)
			}
			if info.Kind != Envelope {
				t.Fatalf("info.Kind = %v, want envelope", info.Kind)
			}
			assertNoLeak(t, err, plaintext, pass, "previous passphrase", payload)
		})
	}
}

func TestUnknownKeyIDErrorSaysNoConfiguredKeyOpensIt(t *testing.T) {
	sealed, _ := newRing(t, "old deployment key").Seal("sk-x", "a")
	_, info, err := newRing(t, "new deployment key").Open(sealed, "a")
	if !errors.Is(err, ErrUndecryptable) {
		t.Fatalf("err = %v, want ErrUndecryptable", err)
	}
	if !strings.Contains(err.Error(), "no configured key can open") || !strings.Contains(err.Error(), info.KID) {
		t.Fatalf("err = %q, want it to name key id %s and say no configured key can open it", err, info.KID)
	}
}

func TestRotationKeepsOldEnvelopesReadable(t *testing.T) {
	old := newRing(t, "old passphrase")
	sealedOld, err := old.Seal("sk-sealed-before-rotation", "credential:r/api_key")
	if err != nil {
		t.Fatal(err)
	}
	rotated := newRing(t, "new passphrase", "old passphrase")

	if got := rotated.KIDs(); len(got) != 2 || got[1] != old.CurrentKID() || got[0] == old.CurrentKID() {
		t.Fatalf("KIDs = %v, want [new, %s]", got, old.CurrentKID())
	}
	pt, info, err := rotated.Open(sealedOld, "credential:r/api_key")
	if err != nil || pt != "sk-sealed-before-rotation" {
		t.Fatalf("Open after rotation = %q, %v", pt, err)
	}
	if info != (Info{Kind: Envelope, KID: old.CurrentKID()}) {
		t.Fatalf("info = %+v, want the previous key's id %s", info, old.CurrentKID())
	}
	resealed, _ := rotated.Seal(pt, "credential:r/api_key")
	if Inspect(resealed).KID != rotated.CurrentKID() {
		t.Fatalf("Seal after rotation used %s, want the current key %s", Inspect(resealed).KID, rotated.CurrentKID())
	}
	if _, _, err := newRing(t, "new passphrase").Open(sealedOld, "credential:r/api_key"); !errors.Is(err, ErrUndecryptable) {
		t.Fatalf("Open once the old key is dropped: err = %v, want ErrUndecryptable", err)
	}
}

func TestKeyIDsAreStableAndDependOnEveryKDFInput(t *testing.T) {
	base := newRing(t, "pass").CurrentKID()
	other := func(salt string, p KDFParams) string {
		r, err := New("pass", nil, []byte(salt), p)
		if err != nil {
			t.Fatal(err)
		}
		return r.CurrentKID()
	}
	if again := newRing(t, "pass").CurrentKID(); again != base {
		t.Fatalf("same inputs gave key ids %s and %s", base, again)
	}
	if !validKID(base) {
		t.Fatalf("key id %q is not 16 lower-case hex digits", base)
	}
	cases := []struct {
		name string
		kid  string
	}{
		{"another passphrase changes the id", newRing(t, "pass2").CurrentKID()},
		{"another salt changes the id", other("fedcba9876543210", testParams())},
		{"more memory changes the id", other(testSalt, KDFParams{Memory: 16, Time: 1, Threads: 1})},
		{"more passes change the id", other(testSalt, KDFParams{Memory: 8, Time: 2, Threads: 1})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.kid == base {
				t.Fatalf("key id unchanged: %s", tc.kid)
			}
		})
	}
}

func TestNewValidatesItsInputs(t *testing.T) {
	salt := []byte(testSalt)
	cases := []struct {
		name     string
		current  string
		previous []string
		salt     []byte
		params   KDFParams
	}{
		{"an empty current passphrase is refused", "", nil, salt, testParams()},
		{"an empty previous passphrase is refused", "pass-cur-7f3", []string{"pass-old-91a", ""}, salt, testParams()},
		{"a short salt is refused", "pass-cur-7f3", nil, salt[:15], testParams()},
		{"a missing salt is refused", "pass-cur-7f3", nil, nil, testParams()},
		{"zero passes are refused", "pass-cur-7f3", nil, salt, KDFParams{Memory: 8, Time: 0, Threads: 1}},
		{"zero threads are refused", "pass-cur-7f3", nil, salt, KDFParams{Memory: 8, Time: 1, Threads: 0}},
		{"memory below 8 KiB per thread is refused", "pass-cur-7f3", nil, salt, KDFParams{Memory: 15, Time: 1, Threads: 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(tc.current, tc.previous, tc.salt, tc.params)
			if err == nil {
				t.Fatalf("New succeeded with KIDs %v", r.KIDs())
			}
			assertNoLeak(t, err, "pass-cur-7f3", "pass-old-91a")
		})
	}
}

func TestDuplicatePassphrasesCollapseToOneKey(t *testing.T) {
	r := newRing(t, "a", "b", "a", "b", "c")
	if got := r.KIDs(); len(got) != 3 || got[0] != newRing(t, "a").CurrentKID() {
		t.Fatalf("KIDs = %v, want 3 keys with a's first", got)
	}
	sealedB, _ := newRing(t, "b").Seal("v", "aad")
	if pt, info, err := r.Open(sealedB, "aad"); err != nil || pt != "v" || info.KID != r.KIDs()[1] {
		t.Fatalf("Open = %q, %+v, %v", pt, info, err)
	}
}

func TestDefaultKDFParamsAreTheDocumentedOnes(t *testing.T) {
	if got, want := DefaultKDFParams(), (KDFParams{Memory: 64 * 1024, Time: 3, Threads: 2}); got != want {
		t.Fatalf("DefaultKDFParams = %+v, want %+v", got, want)
	}
	if r := newRing(t, "p"); r.Params() != testParams() {
		t.Fatalf("Params = %+v, want the ones given to New", r.Params())
	}
}

func TestNewSaltIsRandomAndLongEnough(t *testing.T) {
	a, err := NewSalt()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewSalt()
	if len(a) < 16 || slices.Equal(a, b) {
		t.Fatalf("NewSalt gave %x then %x", a, b)
	}
	if _, err := New("p", nil, a, testParams()); err != nil {
		t.Fatalf("New refused a salt from NewSalt: %v", err)
	}
}

func TestInspectClassifiesWithoutKeys(t *testing.T) {
	r := newRing(t, "p")
	sealed, _ := r.Seal("v", "a")
	v := loadVectors(t)
	cases := []struct {
		name  string
		value string
		want  Info
	}{
		{"an envelope names its key", sealed, Info{Kind: Envelope, KID: r.CurrentKID()}},
		{"a malformed envelope is still an envelope", "onb1:not-a-kid:xyz", Info{Kind: Envelope}},
		{"the bare prefix is an envelope", "onb1:", Info{Kind: Envelope}},
		{"an envelope whose body has Fernet's shape is an envelope", "onb1:0123456789abcdef:" + strings.Repeat("A", 120), Info{Kind: Envelope, KID: "0123456789abcdef"}},
		{"a Fernet token is Fernet", v.Open[0].Token, Info{Kind: Fernet}},
		{"a wrong-key Fernet token is still Fernet", v.WrongKey.Token, Info{Kind: Fernet}},
		{"an API key is plaintext", "sk-legacy-plaintext-key", Info{Kind: Plaintext}},
		{"an empty value is plaintext", "", Info{Kind: Plaintext}},
		{"the prefix is case-sensitive", "ONB1:" + r.CurrentKID() + ":abc", Info{Kind: Plaintext}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Inspect(tc.value); got != tc.want {
				t.Fatalf("Inspect = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestNilRingMeansNoKeyConfigured(t *testing.T) {
	var r *Ring
	sealed, _ := newRing(t, "p").Seal("sk-x", "a")
	v := loadVectors(t)

	if _, err := r.Seal("sk-x", "a"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("Seal err = %v, want ErrNoKey", err)
	}
	if r.CurrentKID() != "" || r.KIDs() != nil || r.Params() != (KDFParams{}) {
		t.Fatalf("nil ring reports keys: %q %v %+v", r.CurrentKID(), r.KIDs(), r.Params())
	}
	cases := []struct {
		name     string
		value    string
		wantKind Kind
		wantErr  error
	}{
		{"an envelope needs a key", sealed, Envelope, ErrNoKey},
		{"a Fernet token needs a key", v.Open[0].Token, Fernet, ErrNoKey},
		{"legacy plaintext needs no key", "sk-legacy-plaintext-key", Plaintext, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, info, err := r.Open(tc.value, "a")
			if !errors.Is(err, tc.wantErr) || (tc.wantErr != nil && errors.Is(err, ErrUndecryptable)) {
				t.Fatalf("Open err = %v, want %v", err, tc.wantErr)
			}
			if info.Kind != tc.wantKind {
				t.Fatalf("info.Kind = %v, want %v", info.Kind, tc.wantKind)
			}
			if tc.wantErr == nil && got != tc.value {
				t.Fatalf("Open = %q, want the plaintext back", got)
			}
			if tc.wantErr != nil && got != "" {
				t.Fatalf("Open returned %q with an error", got)
			}
		})
	}
}

func TestKindStringNamesEachKind(t *testing.T) {
	cases := []struct {
		kind Kind
		want string
	}{
		{Envelope, "envelope"},
		{Fernet, "fernet"},
		{Plaintext, "plaintext"},
		{0, "Kind(0)"},
	}
	for _, tc := range cases {
		if got := tc.kind.String(); got != tc.want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(tc.kind), got, tc.want)
		}
	}
}

func TestRingIsSafeForConcurrentUse(t *testing.T) {
	r := newRing(t, "current", "previous")
	fernetToken := loadVectors(t).Open[0]
	fr := newRing(t, "current", fernetToken.Passphrase)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				aad := "credential:" + string(rune('a'+g)) + "/api_key"
				want := strings.Repeat("x", i)
				sealed, err := r.Seal(want, aad)
				if err != nil {
					t.Error(err)
					return
				}
				if got, _, err := r.Open(sealed, aad); err != nil || got != want {
					t.Errorf("Open = %q, %v", got, err)
					return
				}
				if got, _, err := fr.Open(fernetToken.Token, aad); err != nil || got != fernetToken.Plaintext {
					t.Errorf("Fernet Open = %q, %v", got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func FuzzOpen(f *testing.F) {
	v := loadVectors(f)
	// Seeds are real ciphertexts from keys the fuzzed ring does not hold, so
	// any envelope or Fernet success below is a forgery.
	stranger := newRing(f, "seed-only passphrase")
	sealed, _ := stranger.Seal("sk-seed", "credential:seed/api_key")
	for _, seed := range []string{
		sealed, sealed[:len(sealed)/2], "onb1:", "onb1:0123456789abcdef:", "onb1::",
		v.Open[0].Token, v.Open[3].Token, v.WrongKey.Token,
		"sk-legacy-plaintext-key", "", strings.Repeat("A", 100), strings.Repeat("=", 120),
	} {
		f.Add(seed, "credential:seed/api_key")
	}
	const current, previous = "fuzz current passphrase", "fuzz previous passphrase"
	r := newRing(f, current, previous)
	f.Fuzz(func(t *testing.T, value, aad string) {
		got, info, err := r.Open(value, aad)
		if want := Inspect(value); info.Kind != want.Kind || (info.Kind == Envelope && info.KID != want.KID) {
			t.Fatalf("Open info %+v disagrees with Inspect %+v", info, want)
		}
		if err == nil {
			if info.Kind != Plaintext {
				t.Fatalf("garbage opened as %v", info.Kind)
			}
			if got != value {
				t.Fatalf("plaintext %q returned as %q", value, got)
			}
			return
		}
		if !errors.Is(err, ErrUndecryptable) || info.Kind == Plaintext || got != "" {
			t.Fatalf("Open = %q, %+v, %v", got, info, err)
		}
		assertNoLeak(t, err, current, previous)
	})
}

func BenchmarkSeal(b *testing.B) {
	r := newRing(b, "bench")
	for b.Loop() {
		if _, err := r.Seal("sk-proj-abc123DEF456ghi789jkl012", "credential:abc123/api_key"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	r := newRing(b, "bench", "previous")
	sealed, _ := r.Seal("sk-proj-abc123DEF456ghi789jkl012", "credential:abc123/api_key")
	for b.Loop() {
		if _, _, err := r.Open(sealed, "credential:abc123/api_key"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewDefault measures the start-up cost of deriving one key with the
// production parameters.
func BenchmarkNewDefault(b *testing.B) {
	for b.Loop() {
		if _, err := New("bench", nil, []byte(testSalt), DefaultKDFParams()); err != nil {
			b.Fatal(err)
		}
	}
}
