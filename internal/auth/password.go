package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

// HashParams are the Argon2id costs of a password hash.
type HashParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultHashParams are the costs hash-password uses: OWASP's first
// recommended Argon2id configuration (19 MiB, 2 passes, 1 lane). It keeps a
// verification near a few tens of milliseconds and its memory modest,
// which matters because failed attempts cannot be cached.
func DefaultHashParams() HashParams { return HashParams{Memory: 19 * 1024, Time: 2, Threads: 1} }

// Limits on hashes read from the configuration: enough for any sensible
// cost, and a typo cannot make each login allocate gigabytes.
const (
	maxHashMemory  = 1 << 20 // KiB: 1 GiB
	maxHashTime    = 64
	minSaltBytes   = 8
	minHashBytes   = 16
	saltBytes      = 16
	hashBytes      = 32
	verifyCacheTTL = 5 * time.Minute
)

// HashPassword returns an Argon2id hash of password in PHC form
// ($argon2id$v=19$m=...,t=...,p=...$salt$hash) with a random salt.
func HashPassword(password string, p HashParams) (string, error) {
	if password == "" {
		return "", errors.New("the password is empty")
	}
	if err := p.validate(); err != nil {
		return "", err
	}
	salt := make([]byte, saltBytes)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read random salt: %w", err)
	}
	sum := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, hashBytes)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(sum)), nil
}

func (p HashParams) validate() error {
	switch {
	case p.Time < 1 || p.Time > maxHashTime:
		return fmt.Errorf("t (passes) must be between 1 and %d", maxHashTime)
	case p.Threads < 1:
		return errors.New("p (lanes) must be between 1 and 255")
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxHashMemory:
		return fmt.Errorf("m (memory) must be between %d and %d KiB", 8*uint32(p.Threads), maxHashMemory)
	}
	return nil
}

// phc is a parsed Argon2id hash.
type phc struct {
	params HashParams
	salt   []byte
	sum    []byte
}

func parsePHC(s string) (*phc, error) {
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" {
		return nil, errors.New("want $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>")
	}
	if parts[1] != "argon2id" {
		return nil, fmt.Errorf("only $argon2id$ hashes are supported, not $%s$", parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return nil, fmt.Errorf("unsupported Argon2 version %q: want v=%d", parts[2], argon2.Version)
	}
	var h phc
	seen := map[string]bool{}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || seen[k] {
			return nil, fmt.Errorf("invalid parameter %q", kv)
		}
		seen[k] = true
		switch k {
		case "m":
			h.params.Memory = uint32(n)
		case "t":
			h.params.Time = uint32(n)
		case "p":
			if n > 255 {
				return nil, fmt.Errorf("invalid parameter %q", kv)
			}
			h.params.Threads = uint8(n)
		default:
			return nil, fmt.Errorf("unknown parameter %q", kv)
		}
	}
	if !seen["m"] || !seen["t"] || !seen["p"] {
		return nil, errors.New("m, t and p are all required")
	}
	if err := h.params.validate(); err != nil {
		return nil, err
	}
	b64 := base64.RawStdEncoding
	var err error
	if h.salt, err = b64.DecodeString(parts[4]); err != nil || len(h.salt) < minSaltBytes {
		return nil, fmt.Errorf("the salt must be unpadded base64 of at least %d bytes", minSaltBytes)
	}
	if h.sum, err = b64.DecodeString(parts[5]); err != nil || len(h.sum) < minHashBytes {
		return nil, fmt.Errorf("the hash must be unpadded base64 of at least %d bytes", minHashBytes)
	}
	return &h, nil
}

// Password checks candidates against the configured password, which is the
// password itself or its Argon2id hash. It is safe for concurrent use.
//
// With a hash, a successful verification is remembered for a few minutes
// as an HMAC of the candidate under a key that exists only in this
// process, so a client sending the password on every request costs one
// Argon2id run per TTL, not one per request, and nothing stored in memory
// is the password or a fast hash an attacker could test guesses against
// without that key. Failures are never cached; concurrent Argon2id runs
// are bounded so a flood of wrong passwords cannot exhaust memory.
type Password struct {
	enabled bool
	plain   [32]byte // SHA-256 of a plaintext password
	hash    *phc
	now     func() time.Time

	macKey [32]byte
	cached atomic.Pointer[verified]
	slots  chan struct{}
	runs   atomic.Int64
}

// verified is a remembered successful verification.
type verified struct {
	mac     [32]byte
	expires time.Time
}

// NewPassword returns a checker for the configured value: empty disables
// authentication, a value starting with "$argon2" must be a valid Argon2id
// PHC hash, anything else is the password itself. now is the clock.
func NewPassword(configured string, now func() time.Time) (*Password, error) {
	p := &Password{enabled: configured != "", now: now, slots: make(chan struct{}, min(4, runtime.NumCPU()))}
	if _, err := rand.Read(p.macKey[:]); err != nil {
		return nil, fmt.Errorf("read random key: %w", err)
	}
	if strings.HasPrefix(configured, "$argon2") {
		h, err := parsePHC(configured)
		if err != nil {
			return nil, fmt.Errorf("the value looks like an Argon2 hash but is not a valid one: %w", err)
		}
		p.hash = h
		return p, nil
	}
	p.plain = sha256.Sum256([]byte(configured))
	return p, nil
}

// Enabled reports whether a password is configured.
func (p *Password) Enabled() bool { return p.enabled }

// Hashed reports whether the password is configured as a hash.
func (p *Password) Hashed() bool { return p.hash != nil }

// Verify reports whether candidate is the password. With a plaintext
// password the comparison is over SHA-256 digests in constant time, so
// neither content nor length leaks through timing.
func (p *Password) Verify(candidate string) bool {
	if !p.enabled {
		return false
	}
	if p.hash == nil {
		got := sha256.Sum256([]byte(candidate))
		return subtle.ConstantTimeCompare(got[:], p.plain[:]) == 1
	}
	mac := p.mac(candidate)
	if v := p.cached.Load(); v != nil && p.now().Before(v.expires) && hmac.Equal(mac[:], v.mac[:]) {
		return true
	}
	p.slots <- struct{}{}
	p.runs.Add(1)
	sum := argon2.IDKey([]byte(candidate), p.hash.salt, p.hash.params.Time, p.hash.params.Memory,
		p.hash.params.Threads, uint32(len(p.hash.sum)))
	<-p.slots
	if subtle.ConstantTimeCompare(sum, p.hash.sum) != 1 {
		return false
	}
	p.cached.Store(&verified{mac: mac, expires: p.now().Add(verifyCacheTTL)})
	return true
}

// Runs reports how many Argon2id verifications have run: the work the
// password has cost, which is what a flood of guesses consumes.
func (p *Password) Runs() int64 { return p.runs.Load() }

func (p *Password) mac(candidate string) [32]byte {
	m := hmac.New(sha256.New, p.macKey[:])
	m.Write([]byte(candidate))
	var out [32]byte
	m.Sum(out[:0])
	return out
}
