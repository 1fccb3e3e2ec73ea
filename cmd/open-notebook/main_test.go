package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/config"
	"github.com/open-notebook/open-notebook/internal/secret"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestStartupRefusalsNameTheProblem(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"an unparsable listen address", map[string]string{"OPEN_NOTEBOOK_LISTEN": "nowhere"}, "OPEN_NOTEBOOK_LISTEN: invalid address"},
		{"a public address without a password", map[string]string{"OPEN_NOTEBOOK_LISTEN": "0.0.0.0:5055"}, "OPEN_NOTEBOOK_PASSWORD"},
		{"an unreachable database", map[string]string{"OPEN_NOTEBOOK_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"},
			"OPEN_NOTEBOOK_DATABASE_URL: cannot connect"},
		{"an unusable data directory", map[string]string{"OPEN_NOTEBOOK_DATA_DIR": "/proc/open-notebook-cannot-exist"}, "OPEN_NOTEBOOK_DATA_DIR:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), nil, envMap(tc.env), &stdout, &stderr)
			if code == 0 {
				t.Fatal("exit code 0")
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "open-notebook: ") || !strings.Contains(last, tc.want) {
				t.Fatalf("last line %q lacks %q", last, tc.want)
			}
		})
	}
}

func TestCheckExposure(t *testing.T) {
	cases := []struct {
		name, listen    string
		password, allow bool
		refused         bool
	}{
		{"loopback without a password is fine", "127.0.0.1:5055", false, false, false},
		{"localhost without a password is fine", "localhost:5055", false, false, false},
		{"all interfaces without a password is refused", ":5055", false, false, true},
		{"a LAN address without a password is refused", "192.168.1.10:5055", false, false, true},
		{"a public address with a password is fine", "0.0.0.0:5055", true, false, false},
		{"a public address is fine when explicitly allowed", "0.0.0.0:5055", false, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &config.Config{Listen: tc.listen, AllowNoPassword: tc.allow}
			if tc.password {
				cfg.Password = secret.New("pw")
			}
			err := checkExposure(cfg)
			if (err != nil) != tc.refused {
				t.Fatalf("err = %v", err)
			}
			if err != nil && !strings.Contains(err.Error(), "OPEN_NOTEBOOK_ALLOW_NO_PASSWORD=true") {
				t.Fatalf("the refusal should say how to fix it: %v", err)
			}
		})
	}
}

func TestVersionAndMigrate(t *testing.T) {
	var out bytes.Buffer
	if code := run(t.Context(), []string{"version"}, envMap(nil), &out, io.Discard); code != 0 || out.String() != "open-notebook "+version+"\n" {
		t.Fatalf("version: %d %q", code, out.String())
	}
	out.Reset()
	dir := t.TempDir()
	if code := run(t.Context(), []string{"migrate"}, envMap(map[string]string{"OPEN_NOTEBOOK_DATA_DIR": dir}), &out, io.Discard); code != 0 {
		t.Fatalf("migrate exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "open-notebook.db")); err != nil || !strings.Contains(out.String(), "migrations applied (sqlite)") {
		t.Fatalf("migrate: %v %q", err, out.String())
	}
	if code := run(t.Context(), []string{"frobnicate"}, envMap(nil), io.Discard, io.Discard); code != 2 {
		t.Fatalf("unknown command exit %d", code)
	}
}

// TestBinaryStartsServesAndStopsOnSIGTERM runs the real binary the way a
// user does, on both engines.
func TestBinaryStartsServesAndStopsOnSIGTERM(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "open-notebook")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			url, dir := storetest.URL(t, engine)
			if dir == "" {
				dir = t.TempDir()
			}
			addr := freeAddr(t)
			cmd := exec.Command(bin) // no arguments: serve is the default
			cmd.Env = append(os.Environ(),
				"OPEN_NOTEBOOK_LISTEN="+addr, "OPEN_NOTEBOOK_DATA_DIR="+dir, "OPEN_NOTEBOOK_DATABASE_URL="+url,
				"OPEN_NOTEBOOK_PASSWORD=startup-secret-pw", "OPEN_NOTEBOOK_LOG_FORMAT=json",
				"OPEN_NOTEBOOK_ENCRYPTION_KEY=startup-passphrase")
			stderr, _ := cmd.StderrPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			logs := make(chan string, 1)
			go func() {
				var b strings.Builder
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					b.WriteString(sc.Text() + "\n")
				}
				logs <- b.String()
			}()
			start := time.Now()
			waitHealthy(t, "http://"+addr+"/health")
			t.Logf("%s: healthy after %v, resident memory %s", engine, time.Since(start), rss(cmd.Process.Pid))

			req, _ := http.NewRequest("POST", "http://"+addr+"/api/notebooks", strings.NewReader(`{"name":"x"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer startup-secret-pw")
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("create: %v %v", err, resp)
			}
			resp.Body.Close()

			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("exit after SIGTERM: %v", err)
			}
			out := <-logs
			if !strings.Contains(out, `"msg":"stopped"`) {
				t.Fatalf("no clean stop in logs:\n%s", out)
			}
			if strings.Contains(out, "startup-secret-pw") {
				t.Fatal("the password appears in the logs")
			}
		})
	}
}

// rss reads a process's resident memory from /proc.
func rss(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && string(body) == `{"status":"healthy"}` {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal(fmt.Sprintf("%s never became healthy", url))
}
