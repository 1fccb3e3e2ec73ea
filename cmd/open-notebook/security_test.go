package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/auth"
	"github.com/open-notebook/open-notebook/internal/store"
)

func TestHashPasswordPrintsAVerifiableHash(t *testing.T) {
	var out, errs bytes.Buffer
	if err := hashPassword(strings.NewReader("s3cret pass\n"), &out, &errs); err != nil {
		t.Fatal(err)
	}
	hash := strings.TrimSpace(out.String())
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(out.String()+errs.String(), "s3cret") {
		t.Fatalf("out %q err %q", out.String(), errs.String())
	}
	p, err := auth.NewPassword(hash, time.Now)
	if err != nil || !p.Verify("s3cret pass") || p.Verify("s3cret pass\n") {
		t.Fatalf("the printed hash does not verify the password without its newline: %v", err)
	}
	if err := hashPassword(strings.NewReader("\n"), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "no password") {
		t.Fatalf("an empty password: %v", err)
	}
}

func TestTokenAndAuditCommandsWorkOfflineOnTheDatabase(t *testing.T) {
	dir := t.TempDir()
	env := envMap(map[string]string{"OPEN_NOTEBOOK_DATA_DIR": dir})
	runOK := func(args ...string) (string, string) {
		t.Helper()
		var out, errs bytes.Buffer
		if code := run(t.Context(), args, env, &out, &errs); code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, errs.String())
		}
		return out.String(), errs.String()
	}

	secret, note := runOK("token", "create", "--scope", "read", "--expires", "30d", "--name", "backup")
	secret = strings.TrimSpace(secret)
	if !strings.HasPrefix(secret, auth.TokenPrefix) || !strings.Contains(note, "scope read") || !strings.Contains(note, "shown only once") {
		t.Fatalf("create: %q %q", secret, note)
	}
	list, _ := runOK("token", "list")
	if !strings.Contains(list, "backup") || !strings.Contains(list, "active") || strings.Contains(list, secret) {
		t.Fatalf("list: %s", list)
	}
	id := strings.Fields(strings.Split(list, "\n")[1])[0]
	if out, _ := runOK("token", "revoke", id); out != "revoked "+id+"\n" {
		t.Fatalf("revoke: %q", out)
	}
	if list, _ := runOK("token", "list"); !strings.Contains(list, "revoked") {
		t.Fatalf("list after revoke: %s", list)
	}

	bad := []struct {
		name string
		args []string
		want string
	}{
		{"a token needs a known scope", []string{"token", "create", "--scope", "root"}, "--scope"},
		{"a token's lifetime must parse", []string{"token", "create", "--scope", "read", "--expires", "forever"}, "--expires"},
		{"revoking an unknown token fails", []string{"token", "revoke", "token:nope"}, "not found"},
		{"an unknown subcommand is named", []string{"audit", "delete"}, "unknown audit command"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			var errs bytes.Buffer
			if code := run(t.Context(), tc.args, env, io.Discard, &errs); code == 0 || !strings.Contains(errs.String(), tc.want) {
				t.Fatalf("exit %d: %s", code, errs.String())
			}
		})
	}

	verify, _ := runOK("audit", "verify")
	if !strings.HasPrefix(verify, "audit log intact: 2 entries, head ") {
		t.Fatalf("verify: %q", verify)
	}
	export := filepath.Join(dir, "audit.jsonl")
	if _, note := runOK("audit", "export", "--output", export); note != "exported 2 audit entries\n" {
		t.Fatalf("export: %q", note)
	}
	raw, _ := os.ReadFile(export)
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var first map[string]any
	if len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &first) != nil || first["action"] != "token.create" ||
		first["actor"] != "cli" || first["target"] != id || strings.Contains(string(raw), secret) {
		t.Fatalf("export file: %s", raw)
	}

	t.Run("verify fails and names the entry after tampering", func(t *testing.T) {
		db, err := sql.Open("sqlite", filepath.Join(dir, store.FileName))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, q := range []string{`DROP TRIGGER audit_log_no_update`, `UPDATE audit_log SET actor = 'someone' WHERE seq = 2`} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		var out, errs bytes.Buffer
		code := run(t.Context(), []string{"audit", "verify"}, env, &out, &errs)
		if code != 1 || !strings.Contains(out.String(), "audit log BROKEN at entry 2: entry 2 was altered") ||
			!strings.Contains(errs.String(), "broken at entry 2") {
			t.Fatalf("exit %d: %s %s", code, out.String(), errs.String())
		}
	})
}

func TestServeOverTLSSendsHSTS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeSelfSigned(t, dir)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, nil, envMap(map[string]string{
			"OPEN_NOTEBOOK_LISTEN": addr, "OPEN_NOTEBOOK_DATA_DIR": dir, "OPEN_NOTEBOOK_PASSWORD": "pw",
			"OPEN_NOTEBOOK_TLS_CERT_FILE": certFile, "OPEN_NOTEBOOK_TLS_KEY_FILE": keyFile,
		}), io.Discard, io.Discard)
	}()
	defer func() {
		cancel()
		<-done
	}()
	pool := x509.NewCertPool()
	certPEM, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	var resp *http.Response
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		req, _ := http.NewRequest("POST", "https://"+addr+"/api/auth/login", strings.NewReader(`{"password":"pw"}`))
		req.Header.Set("Content-Type", "application/json")
		var err error
		if resp, err = client.Do(req); err == nil {
			break
		}
	}
	if resp == nil {
		t.Fatal("the TLS server never answered")
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") == "" || resp.TLS == nil {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	if c := resp.Header.Get("Set-Cookie"); !strings.Contains(c, "Secure") || !strings.Contains(c, "HttpOnly") {
		t.Fatalf("the session cookie over TLS is not Secure: %q", c)
	}
}

func TestTLSNeedsLoadableFiles(t *testing.T) {
	dir := t.TempDir()
	var errs bytes.Buffer
	code := run(t.Context(), nil, envMap(map[string]string{
		"OPEN_NOTEBOOK_LISTEN": freeAddr(t), "OPEN_NOTEBOOK_DATA_DIR": dir,
		"OPEN_NOTEBOOK_TLS_CERT_FILE": filepath.Join(dir, "missing.pem"), "OPEN_NOTEBOOK_TLS_KEY_FILE": filepath.Join(dir, "missing.key"),
	}), io.Discard, &errs)
	if code != 1 || !strings.Contains(errs.String(), "OPEN_NOTEBOOK_TLS_CERT_FILE: cannot load") {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
}

func TestMalformedPasswordHashStopsStartUp(t *testing.T) {
	var errs bytes.Buffer
	code := run(t.Context(), nil, envMap(map[string]string{
		"OPEN_NOTEBOOK_LISTEN": freeAddr(t), "OPEN_NOTEBOOK_DATA_DIR": t.TempDir(),
		"OPEN_NOTEBOOK_PASSWORD": "$argon2id$v=19$m=1024,t=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	}), io.Discard, &errs)
	if code != 1 || !strings.Contains(errs.String(), "OPEN_NOTEBOOK_PASSWORD: the value looks like an Argon2 hash") {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
}

// writeSelfSigned writes a certificate for 127.0.0.1 and its key.
func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestTokenCreateNamesMissingFlagsAndExpiresLikeTheUI(t *testing.T) {
	env := envMap(map[string]string{"OPEN_NOTEBOOK_DATA_DIR": t.TempDir()})
	create := func(args ...string) (code int, stderr string) {
		var errs bytes.Buffer
		code = run(t.Context(), append([]string{"token", "create"}, args...), env, io.Discard, &errs)
		return code, errs.String()
	}
	if code, errs := create("--name", "x"); code == 0 || !strings.Contains(errs, "--scope is required: read, write or admin") {
		t.Fatalf("without --scope: exit %d %q", code, errs)
	}
	code, errs := create("--scope", "read")
	if code != 0 {
		t.Fatalf("exit %d %s", code, errs)
	}
	want := time.Now().Add(30 * 24 * time.Hour).UTC().Format("2006-01-02")
	if !strings.Contains(errs, "expires "+want) {
		t.Fatalf("without --expires a token should expire in 30 days (%s), as in the web UI: %q", want, errs)
	}
	if code, errs := create("--scope", "read", "--expires", "never"); code != 0 || !strings.Contains(errs, "never expires") {
		t.Fatalf("--expires never: exit %d %q", code, errs)
	}
}

func TestRotateKeyWritesPlainLinesWhenNotATerminal(t *testing.T) {
	dir := t.TempDir()
	env := envMap(map[string]string{"OPEN_NOTEBOOK_DATA_DIR": dir})
	legacy := filepath.Join(dir, "legacy.json")
	if err := os.WriteFile(legacy, []byte(`{"credentials":{"openai":[
		{"id":"a","name":"one","provider":"openai","api_key":"sk-one-000000000000"},
		{"id":"b","name":"two","provider":"openai","api_key":"sk-two-000000000000"},
		{"id":"c","name":"three","provider":"openai","api_key":"sk-three-0000000000"}]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if code := run(t.Context(), []string{"import-provider-config", legacy}, env, &out, &errs); code != 0 {
		t.Fatalf("import: exit %d %s", code, errs.String())
	}
	out.Reset()
	if code := run(t.Context(), []string{"rotate-key"}, env, &out, &errs); code != 0 {
		t.Fatalf("rotate-key: exit %d %s", code, errs.String())
	}
	if strings.Contains(out.String(), "\r") || !strings.HasPrefix(out.String(), "re-sealing secrets: 1/3\nre-sealing secrets: 2/3\nre-sealing secrets: 3/3\nre-sealed ") {
		t.Fatalf("output into a pipe: %q", out.String())
	}

	// Without its key file the stored keys cannot be opened: the command
	// fails with the reason and prints nothing before it.
	if err := os.Remove(filepath.Join(dir, "encryption.key")); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errs.Reset()
	if code := run(t.Context(), []string{"rotate-key"}, env, &out, &errs); code == 0 || out.Len() != 0 || !strings.Contains(errs.String(), "No encryption key configured") {
		t.Fatalf("rotate-key without a key: exit %d, stdout %q, stderr %q", code, out.String(), errs.String())
	}
}

// lockedBuffer collects a server's log while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestAFirstStartOnLoopbackLogsTheKeyFileButNoCORSWarning(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	var logs lockedBuffer
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, envMap(map[string]string{"OPEN_NOTEBOOK_LISTEN": addr, "OPEN_NOTEBOOK_DATA_DIR": dir}), io.Discard, &logs)
	}()
	healthy := false
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !healthy; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/health"); err == nil {
			resp.Body.Close()
			healthy = resp.StatusCode == 200
		}
	}
	cancel()
	<-done
	if !healthy {
		t.Fatalf("the server never became healthy: %s", logs.String())
	}
	key, err := os.ReadFile(filepath.Join(dir, "encryption.key"))
	if err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if strings.Contains(out, "CORS_ORIGINS") {
		t.Errorf("a server on loopback warned about CORS: %s", out)
	}
	if !strings.Contains(out, "generated an encryption key") || !strings.Contains(out, filepath.Join(dir, "encryption.key")) {
		t.Errorf("the log does not say where the generated key is: %s", out)
	}
	if strings.Contains(out, strings.TrimSpace(string(key))) {
		t.Error("the generated key is in the log")
	}
}
