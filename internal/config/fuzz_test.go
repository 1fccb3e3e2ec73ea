package config

import (
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
)

// fuzzedVars are the variables Load parses beyond plain strings.
var fuzzedVars = []string{
	"OPEN_NOTEBOOK_LISTEN", "OPEN_NOTEBOOK_DATABASE_URL", "OPEN_NOTEBOOK_ALLOW_NO_PASSWORD",
	"OPEN_NOTEBOOK_VERSION_CHECK", "OPEN_NOTEBOOK_EGRESS", "OPEN_NOTEBOOK_LOG_FORMAT", "OPEN_NOTEBOOK_LOG_LEVEL",
	"OPEN_NOTEBOOK_SHUTDOWN_TIMEOUT", "OPEN_NOTEBOOK_WORKERS", "OPEN_NOTEBOOK_JOB_RESCUE_AFTER",
	"OPEN_NOTEBOOK_JOB_TIMEOUT", "OPEN_NOTEBOOK_CHUNK_SIZE", "OPEN_NOTEBOOK_CHUNK_OVERLAP",
	"OPEN_NOTEBOOK_MIN_CHUNK_SIZE", "CORS_ORIGINS", "OPEN_NOTEBOOK_MAX_UPLOAD_SIZE_MB",
	"OPEN_NOTEBOOK_SESSION_LIFETIME", "OPEN_NOTEBOOK_SESSION_IDLE_TIMEOUT", "OPEN_NOTEBOOK_SLOW_CLIENT_TIMEOUT",
	"OPEN_NOTEBOOK_AUTH_FAILURE_LIMIT", "OPEN_NOTEBOOK_RATE_LIMIT_COSTLY", "OPEN_NOTEBOOK_RATE_LIMIT_API",
	"OPEN_NOTEBOOK_MAX_CONNECTIONS_PER_CLIENT", "OPEN_NOTEBOOK_TRUSTED_PROXIES", "OPEN_NOTEBOOK_TLS_CERT_FILE",
	"OPEN_NOTEBOOK_ENCRYPTION_KEY_PREVIOUS",
}

// FuzzLoad sets two variables to arbitrary values. Load must either refuse
// with an *Error naming one of them (and never repeating a secret), or
// return a configuration every part of the server can use as is.
func FuzzLoad(f *testing.F) {
	seeds := map[string][]string{
		"OPEN_NOTEBOOK_LISTEN":             {"127.0.0.1:5055", ":5055", "[::1]:0", "host:99999", "localhost", "bad host:1"},
		"OPEN_NOTEBOOK_MAX_UPLOAD_SIZE_MB": {"100", "0.5", "-1", "NaN", "1e300", "+Inf", "1e-12"},
		"OPEN_NOTEBOOK_AUTH_FAILURE_LIMIT": {"10/5m", "off", "0", "5/0s", "3/-1m", "x/1m"},
		"OPEN_NOTEBOOK_CHUNK_SIZE":         {"400", "-5", "99999999999999999999", "abc"},
		"OPEN_NOTEBOOK_CHUNK_OVERLAP":      {"60", "-1", "1000000"},
		"OPEN_NOTEBOOK_TRUSTED_PROXIES":    {"10.0.0.0/8, 192.0.2.7", "::ffff:10.0.0.1", "1.2.3.4/33", ","},
		"OPEN_NOTEBOOK_WORKERS":            {"0", "64", "65", "-1"},
		"OPEN_NOTEBOOK_SESSION_LIFETIME":   {"24h", "0s", "-1h", "1"},
		"CORS_ORIGINS":                     {"*", "", " , ", "https://a.example,https://b.example"},
	}
	for name, values := range seeds {
		i := uint8(slices.Index(fuzzedVars, name))
		for _, v := range values {
			f.Add(i, v, uint8(0), "127.0.0.1:5055")
		}
	}
	const password, key = "fuzz-password-LEAK", "fuzz-key-LEAK"
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, i uint8, v string, j uint8, w string) {
		a, b := fuzzedVars[int(i)%len(fuzzedVars)], fuzzedVars[int(j)%len(fuzzedVars)]
		vars := map[string]string{"OPEN_NOTEBOOK_PASSWORD": password, "OPEN_NOTEBOOK_ENCRYPTION_KEY": key, b: w, a: v}
		c, err := Load(envOf(vars), logger)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load = %v, not an *Error", err)
			}
			if ce.Var != a && ce.Var != b && !(a == "OPEN_NOTEBOOK_TLS_CERT_FILE" || b == "OPEN_NOTEBOOK_TLS_CERT_FILE") {
				t.Fatalf("Load with %s=%q and %s=%q blames %s", a, v, b, w, ce.Var)
			}
			if strings.Contains(err.Error(), password) || strings.Contains(err.Error(), key) {
				t.Fatalf("the error repeats a secret: %v", err)
			}
			return
		}
		switch {
		case checkListen(c.Listen) != nil:
			t.Fatalf("listen %q accepted but invalid", c.Listen)
		case c.MaxUploadBytes <= 0:
			t.Fatalf("MaxUploadBytes = %d for %s=%q", c.MaxUploadBytes, a, v)
		case c.ChunkSize < 100 || c.ChunkOverlap < 0 || c.ChunkOverlap >= c.ChunkSize || c.MinChunkSize < 1:
			t.Fatalf("chunking %d/%d/%d", c.ChunkSize, c.ChunkOverlap, c.MinChunkSize)
		case c.Workers < 0 || c.Workers > 64:
			t.Fatalf("Workers = %d", c.Workers)
		case c.AuthFailureLimit.Off() || c.AuthFailureLimit.Per <= 0:
			t.Fatalf("AuthFailureLimit = %v", c.AuthFailureLimit)
		case c.CostlyRateLimit.N < 0 || !c.CostlyRateLimit.Off() && c.CostlyRateLimit.Per <= 0:
			t.Fatalf("CostlyRateLimit = %v", c.CostlyRateLimit)
		case c.SessionLifetime <= 0 || c.SessionIdleTimeout <= 0 || c.SlowClientTimeout <= 0 || c.ShutdownTimeout <= 0:
			t.Fatalf("a non-positive timeout: %+v", c)
		case c.MaxClientConns < 1:
			t.Fatalf("MaxClientConns = %d", c.MaxClientConns)
		case len(c.CORSOrigins) == 0:
			t.Fatal("no CORS origins")
		}
		for _, p := range c.EncryptionKeyPrevious {
			if p.Reveal() == "" {
				t.Fatal("an empty previous key")
			}
		}
	})
}

// FuzzParseRate checks that every accepted rate is usable and reads back
// from its own rendering.
func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"10/5m", "30/1m", "off", "0", " 5 / 1h ", "1/1ns", "-1/1m", "9999999999999999999/1s", "3/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			return
		}
		if !r.Off() && (r.N <= 0 || r.Per <= 0) {
			t.Fatalf("ParseRate(%q) = %+v", s, r)
		}
		if again, err := ParseRate(r.String()); err != nil || again != r {
			t.Fatalf("ParseRate(%q) = %v, which reads back as %+v, %v", s, r, again, err)
		}
	})
}

// FuzzParsePrefixes checks that accepted networks are canonical and that
// a lone address becomes a network of just itself.
func FuzzParsePrefixes(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8, 192.0.2.7", "::ffff:10.0.0.1", "fe80::1%eth0", "10.1.2.3/8", "1.2.3.4/33", ",,", "::/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParsePrefixes(s)
		if err != nil {
			return
		}
		for _, p := range ps {
			if !p.IsValid() || p != p.Masked() {
				t.Fatalf("ParsePrefixes(%q) gave %v", s, p)
			}
		}
	})
}
