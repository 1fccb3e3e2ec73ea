package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/auth"
)

// cheap keeps Argon2id fast in tests that do not measure it.
var cheap = auth.HashParams{Memory: 1024, Time: 1, Threads: 1}

func TestHashPasswordRoundTrip(t *testing.T) {
	hash, err := auth.HashPassword("correct horse", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=1024,t=1,p=1$") || strings.Contains(hash, "correct horse") {
		t.Fatalf("hash %q", hash)
	}
	again, _ := auth.HashPassword("correct horse", cheap)
	if again == hash {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	p := mustPassword(t, hash)
	cases := []struct {
		candidate string
		ok        bool
	}{
		{"correct horse", true},
		{"correct horse ", false},
		{"Correct horse", false},
		{"", false},
		{hash, false},
	}
	for _, tc := range cases {
		if got := p.Verify(tc.candidate); got != tc.ok {
			t.Errorf("Verify(%q) = %v", tc.candidate, got)
		}
	}
	if !p.Hashed() || !p.Enabled() {
		t.Fatal("a hash should be enabled and hashed")
	}
	if _, err := auth.HashPassword("", cheap); err == nil {
		t.Fatal("an empty password was hashed")
	}
}

// TestHashesFromTheReferenceImplementationVerify uses hashes made by the
// Argon2 reference implementation's CLI (Debian's argon2 package), e.g.
// echo -n password | argon2 somesaltsomesalt -id -t 2 -k 19456 -p 1 -l 32 -e
// so a hash made with another tool works as OPEN_NOTEBOOK_PASSWORD.
func TestHashesFromTheReferenceImplementationVerify(t *testing.T) {
	cases := []struct {
		name, hash, password string
	}{
		{"the default costs", "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$K13EBUiG7JV+9ZxztmHFTdb7J0WQsnj2V8bZaqyPptE", "password"},
		{"two lanes and a 16-byte hash", "$argon2id$v=19$m=1024,t=1,p=2$MDEyMzQ1Njc4OWFiY2RlZg$mIVpWgqt9NS96cUptUD1YQ", "correct horse battery staple"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPassword(t, tc.hash)
			if !p.Verify(tc.password) {
				t.Fatal("the right password does not verify")
			}
			if p.Verify(tc.password + "!") {
				t.Fatal("a wrong password verifies")
			}
		})
	}
}

func TestMalformedHashesAreRefused(t *testing.T) {
	cases := []struct {
		name, hash, want string
	}{
		{"argon2i is not argon2id", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "only $argon2id$"},
		{"an old version", "$argon2id$v=16$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "version"},
		{"missing parts", "$argon2id$v=19$m=1024,t=1,p=1", "want $argon2id$"},
		{"a missing parameter", "$argon2id$v=19$m=1024,t=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "m, t and p"},
		{"an unknown parameter", "$argon2id$v=19$m=1024,t=1,p=1,x=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "unknown parameter"},
		{"absurd memory", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "m (memory)"},
		{"zero passes", "$argon2id$v=19$m=1024,t=0,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "t (passes)"},
		{"a short salt", "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA", "salt"},
		{"a short hash", "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "hash"},
		{"padded base64", "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA", "salt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := auth.NewPassword(tc.hash, time.Now)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestPlaintextPassword(t *testing.T) {
	p := mustPassword(t, "secret")
	if p.Hashed() || !p.Verify("secret") || p.Verify("secret2") || p.Verify("") {
		t.Fatal("plaintext comparison is wrong")
	}
	off := mustPassword(t, "")
	if off.Enabled() || off.Verify("") {
		t.Fatal("an empty password must disable authentication and accept nothing")
	}
}

// TestSuccessfulVerificationsAreCachedBriefly counts Argon2id runs:
// repeating the right password costs none until the TTL passes, and a
// wrong password always costs one.
func TestSuccessfulVerificationsAreCachedBriefly(t *testing.T) {
	hash, err := auth.HashPassword("pw", auth.HashParams{Memory: 64, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	clk := newClock()
	p, err := auth.NewPassword(hash, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	verify := func(candidate string, n int) (runs int64, ok bool) {
		before := p.Runs()
		ok = true
		for range n {
			ok = p.Verify(candidate) && ok
		}
		return p.Runs() - before, ok
	}
	if runs, ok := verify("pw", 1); !ok || runs != 1 {
		t.Fatalf("first verification: ok=%v after %d runs, want one run", ok, runs)
	}
	if runs, ok := verify("pw", 50); !ok || runs != 0 {
		t.Fatalf("50 repeated verifications: ok=%v after %d runs, want none", ok, runs)
	}
	if runs, ok := verify("wrong", 2); ok || runs != 2 {
		t.Fatalf("wrong passwords: ok=%v after %d runs: each must pay Argon2id", ok, runs)
	}
	clk.Advance(6 * time.Minute)
	if runs, ok := verify("pw", 1); !ok || runs != 1 {
		t.Fatalf("after the TTL: ok=%v after %d runs, want a full run", ok, runs)
	}
}
