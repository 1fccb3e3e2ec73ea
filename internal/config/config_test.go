package config

import (
	"bytes"
	"errors"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func envOf(m map[string]string) Env {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func capture() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&buf, nil)), &buf
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSecretFromEnv(t *testing.T) {
	cases := []struct {
		name     string
		file     *string // nil: no _FILE variable; "" content written to a file
		missing  bool
		env      string
		want     string
		wantWarn string
	}{
		{name: "the variable alone is used", env: "from-env", want: "from-env"},
		{name: "a non-empty file wins over the variable", file: ptr("from-file"), env: "from-env", want: "from-file"},
		{name: "the file's surrounding whitespace is trimmed", file: ptr("  from-file\n\n"), want: "from-file"},
		{name: "an empty file falls through to the variable", file: ptr(""), env: "from-env", want: "from-env", wantWarn: "secret file is empty"},
		{name: "a whitespace-only file falls through", file: ptr(" \n\t "), env: "from-env", want: "from-env", wantWarn: "secret file is empty"},
		{name: "a missing file falls through with a warning", missing: true, env: "from-env", want: "from-env", wantWarn: "does not exist"},
		{name: "nothing set gives empty", want: ""},
		{name: "the variable's own whitespace is kept as the original does", env: " spaced ", want: " spaced "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]string{}
			if tc.env != "" {
				m["OPEN_NOTEBOOK_PASSWORD"] = tc.env
			}
			if tc.file != nil {
				m["OPEN_NOTEBOOK_PASSWORD_FILE"] = writeFile(t, *tc.file)
			}
			if tc.missing {
				m["OPEN_NOTEBOOK_PASSWORD_FILE"] = filepath.Join(t.TempDir(), "nope")
			}
			logger, logs := capture()
			if got := SecretFromEnv(envOf(m), "OPEN_NOTEBOOK_PASSWORD", logger); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			if tc.wantWarn != "" && !strings.Contains(logs.String(), tc.wantWarn) {
				t.Fatalf("log %q lacks %q", logs.String(), tc.wantWarn)
			}
			if tc.wantWarn == "" && logs.Len() != 0 {
				t.Fatalf("unexpected log output %q", logs.String())
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestLoadDefaults(t *testing.T) {
	logger, _ := capture()
	c, err := Load(envOf(nil), logger)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:5055" || c.DataDir != "./data" || !c.DatabaseURL.Empty() {
		t.Fatalf("defaults: %+v", c)
	}
	if !c.Password.Empty() || !c.EncryptionKey.Empty() {
		t.Fatal("secrets should default to empty")
	}
	if len(c.CORSOrigins) != 1 || c.CORSOrigins[0] != "*" || !c.CORSWildcard || c.CORSAllowCred {
		t.Fatalf("CORS defaults: %v %v %v", c.CORSOrigins, c.CORSWildcard, c.CORSAllowCred)
	}
	if c.MaxUploadBytes != 100*1024*1024 || c.VersionCheck {
		t.Fatalf("upload %d, version check %v", c.MaxUploadBytes, c.VersionCheck)
	}
}

func TestLoadRejectsBadValuesNamingTheVariable(t *testing.T) {
	cases := []struct {
		name, key, value string
	}{
		{"an address without a port", "OPEN_NOTEBOOK_LISTEN", "localhost"},
		{"a port out of range", "OPEN_NOTEBOOK_LISTEN", "127.0.0.1:70000"},
		{"a host with spaces", "OPEN_NOTEBOOK_LISTEN", "my host:5055"},
		{"a database URL of another engine", "OPEN_NOTEBOOK_DATABASE_URL", "mysql://root@localhost/db"},
		{"a boolean that is not one", "OPEN_NOTEBOOK_ALLOW_NO_PASSWORD", "maybe"},
		{"an unknown log format", "OPEN_NOTEBOOK_LOG_FORMAT", "xml"},
		{"an unknown log level", "OPEN_NOTEBOOK_LOG_LEVEL", "loud"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			logger, _ := capture()
			_, err := Load(envOf(map[string]string{tc.key: tc.value}), logger)
			var ce *Error
			if !errors.As(err, &ce) || ce.Var != tc.key {
				t.Fatalf("err = %v, want a config error naming %s", err, tc.key)
			}
		})
	}
}

func TestLoadNeverLogsSecrets(t *testing.T) {
	const password, key, dbpass = "hunter2-password-value", "passphrase-value-xyz", "db-password-abc"
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	logger, logs := capture()
	c, err := Load(envOf(map[string]string{
		"OPEN_NOTEBOOK_PASSWORD_FILE":       pwFile,
		"OPEN_NOTEBOOK_ENCRYPTION_KEY":      key,
		"OPEN_NOTEBOOK_ENCRYPTION_KEY_FILE": empty,
		"OPEN_NOTEBOOK_DATABASE_URL":        "postgres://app:" + dbpass + "@127.0.0.1/db",
		"OPEN_NOTEBOOK_MAX_UPLOAD_SIZE_MB":  "lots",
	}), logger)
	if err != nil {
		t.Fatal(err)
	}
	if c.Password.Reveal() != password || c.EncryptionKey.Reveal() != key {
		t.Fatal("secrets not loaded")
	}
	logger.Info("loaded", "config", c)
	logger.Info("loaded", "config", *c)
	out := logs.String()
	for _, s := range []string{password, key, dbpass} {
		if strings.Contains(out, s) {
			t.Fatalf("log output contains a secret: %s", out)
		}
	}
	if !strings.Contains(out, "secret file is empty") || !strings.Contains(out, "not a number") {
		t.Fatalf("expected warnings in %q", out)
	}
}

func TestParseMaxUploadBytes(t *testing.T) {
	cases := []struct {
		raw  string
		want int64
	}{
		{"", 100 << 20}, {"5", 5 << 20}, {"0.5", 512 << 10}, {"not-a-number", 100 << 20},
		{"0", 100 << 20}, {"-5", 100 << 20}, {"NaN", 100 << 20},
		// Found by FuzzLoad: these overflowed to a negative limit or gave 0.
		{"1e300", math.MaxInt64}, {"+Inf", math.MaxInt64}, {"1e-12", 100 << 20}, {"-Inf", 100 << 20},
	}
	for _, tc := range cases {
		logger, _ := capture()
		if got := ParseMaxUploadBytes(tc.raw, logger); got != tc.want {
			t.Errorf("ParseMaxUploadBytes(%q) = %d, want %d", tc.raw, got, tc.want)
		}
	}
}

func TestParseCORSOrigins(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		want    []string
		wildDef bool
	}{
		{"unset means a default wildcard", nil, []string{"*"}, true},
		{"an explicit star is a wildcard but not the default", map[string]string{"CORS_ORIGINS": " * "}, []string{"*"}, false},
		{"a list is split and stripped", map[string]string{"CORS_ORIGINS": "https://notebook.example.com, https://other.example.com,"},
			[]string{"https://notebook.example.com", "https://other.example.com"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, wild := ParseCORSOrigins(envOf(tc.env))
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || wild != tc.wildDef {
				t.Fatalf("got %v %v", got, wild)
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	cases := map[string]bool{
		"127.0.0.1:5055": true, "localhost:5055": true, "[::1]:5055": true, "127.0.0.2:80": true,
		":5055": false, "0.0.0.0:5055": false, "192.168.1.10:5055": false, "[::]:5055": false, "example.com:5055": false,
	}
	for addr, want := range cases {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestDatabaseURLMayComeFromAFile(t *testing.T) {
	const url = "postgres://app:s3cret@db:5432/notebook?sslmode=disable"
	logger, logs := capture()
	c, err := Load(envOf(map[string]string{
		"OPEN_NOTEBOOK_DATABASE_URL_FILE": writeFile(t, url+"\n"),
		"OPEN_NOTEBOOK_DATABASE_URL":      "postgres://ignored@elsewhere/db",
	}), logger)
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL.Reveal() != url {
		t.Fatalf("DatabaseURL = %q, want the file's", c.DatabaseURL.Reveal())
	}
	_, err = Load(envOf(map[string]string{"OPEN_NOTEBOOK_DATABASE_URL_FILE": writeFile(t, "mysql://x")}), logger)
	var ce *Error
	if !errors.As(err, &ce) || ce.Var != "OPEN_NOTEBOOK_DATABASE_URL" || strings.Contains(err.Error(), "mysql") {
		t.Fatalf("a file holding another URL: %v", err)
	}
	// A replica must not quietly fall back to its own SQLite database.
	for name, path := range map[string]string{"missing": filepath.Join(t.TempDir(), "nope"), "empty": writeFile(t, " \n")} {
		_, err := Load(envOf(map[string]string{"OPEN_NOTEBOOK_DATABASE_URL_FILE": path, "OPEN_NOTEBOOK_DATABASE_URL": url}), logger)
		if !errors.As(err, &ce) || ce.Var != "OPEN_NOTEBOOK_DATABASE_URL_FILE" {
			t.Fatalf("a %s file: %v", name, err)
		}
	}
	if strings.Contains(logs.String(), "s3cret") {
		t.Fatalf("the logs hold the database password: %s", logs)
	}
}
