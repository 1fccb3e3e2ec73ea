package auth

import (
	"strings"
	"testing"
	"time"
)

// FuzzNewPassword reads arbitrary configured passwords. Anything that
// looks like an Argon2 hash must be a valid one with bounded costs or be
// refused; anything else is a plaintext password that only itself matches.
func FuzzNewPassword(f *testing.F) {
	for _, s := range []string{
		"$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Ik2C4bVdPxXQ1l5ogk0S3g6zYsc1g3q4VmSmjyJ0dIk",
		"$argon2id$v=19$m=8,t=1,p=1,m=9$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=16$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=4294967295,t=1,p=255$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=8,t=1,p=0$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2", "", "hunter2", "$$$$$",
	} {
		f.Add(s, "hunter2")
	}
	now := func() time.Time { return time.Unix(0, 0) }
	f.Fuzz(func(t *testing.T, configured, candidate string) {
		p, err := NewPassword(configured, now)
		if err != nil {
			if !strings.HasPrefix(configured, "$argon2") {
				t.Fatalf("NewPassword(%q) = %v for a plaintext password", configured, err)
			}
			return
		}
		if p.Enabled() != (configured != "") {
			t.Fatalf("NewPassword(%q).Enabled() = %v", configured, p.Enabled())
		}
		if !p.Hashed() {
			if got := p.Verify(candidate); got != (configured != "" && candidate == configured) {
				t.Fatalf("plaintext %q: Verify(%q) = %v", configured, candidate, got)
			}
			return
		}
		h := p.hash
		if h.params.validate() != nil || len(h.salt) < minSaltBytes || len(h.sum) < minHashBytes {
			t.Fatalf("NewPassword(%q) accepted %+v", configured, h.params)
		}
		// Verifying is only affordable for cheap parameters.
		if h.params.Memory <= 64 && h.params.Time <= 2 && len(h.sum) <= 64 {
			p.Verify(candidate)
		}
	})
}

// FuzzParseLifetime checks that any accepted token lifetime is positive
// and at most ten years.
func FuzzParseLifetime(f *testing.F) {
	for _, s := range []string{"30d", "12h", "90m", "0d", "3651d", "-1h", "1e3d", "9223372036854775807d", " 7d ", "87600h1ns"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseLifetime(s)
		if err == nil && (d <= 0 || d > 3650*24*time.Hour) {
			t.Fatalf("ParseLifetime(%q) = %v", s, d)
		}
	})
}

// FuzzParseScope checks that scope names read back from their rendering.
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"read", "WRITE", " admin ", "", "root", "scope(3)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseScope(s)
		if err != nil {
			return
		}
		if again, err := ParseScope(sc.String()); err != nil || again != sc {
			t.Fatalf("ParseScope(%q) = %v, which reads back as %v, %v", s, sc, again, err)
		}
	})
}
