package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// TestRunningJobSurvivesSIGKILL kills the server while a worker is in the
// middle of a transformation (its model call hangs), starts it again, and
// checks that the job is taken up again and makes exactly one insight.
func TestRunningJobSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary twice per engine")
	}
	bin := buildBinary(t)
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			// The model: its first answer never comes (the worker is killed
			// while waiting); later ones answer at once.
			var calls atomic.Int32
			model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !strings.HasSuffix(r.URL.Path, "/chat/completions") {
					http.NotFound(w, r)
					return
				}
				// Reading the request lets the server notice the client leave.
				io.Copy(io.Discard, r.Body)
				if calls.Add(1) == 1 {
					<-r.Context().Done()
					return
				}
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,`+
					`"message":{"role":"assistant","content":"Reefs are crowded."},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`)
			}))
			defer model.Close()

			p := newProcess(t, bin, engine)
			call := p.call

			p.start()
			cred := call("POST", "/api/credentials", `{"name":"m","provider":"openai_compatible","api_key":"sk-test","base_url":"`+model.URL+`/v1"}`)["id"].(string)
			chat := call("POST", "/api/models", `{"name":"gpt-4o-mini","provider":"openai_compatible","type":"language","credential":"`+cred+`"}`)["id"].(string)
			call("PUT", "/api/models/defaults", `{"default_chat_model":"`+chat+`","default_transformation_model":"`+chat+`"}`)
			src := call("POST", "/api/sources/json", `{"type":"text","content":"Coral reefs are crowded with life.","transformations":[]}`)["id"].(string)
			jobID := call("POST", "/api/sources/"+src+"/insights", `{"transformation_id":"transformation:simple_summary"}`)["command_id"].(string)
			for deadline := time.Now().Add(15 * time.Second); calls.Load() == 0; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the worker never called the model")
				}
			}
			if st := call("GET", "/api/commands/jobs/"+jobID, "")["status"]; st != "running" {
				t.Fatalf("job is %v while its model call hangs", st)
			}
			p.kill()
			p.start()
			defer p.stop()
			job := p.waitJob("/api/commands/jobs/" + jobID)
			if job["status"] != "completed" {
				t.Fatalf("the killed job did not run again: %v", job)
			}
			insights := call("GET", "/api/sources/"+src+"/insights", "")["list"].([]any)
			if len(insights) != 1 || insights[0].(map[string]any)["content"] != "Reefs are crowded." {
				t.Fatalf("insights after the crash: %v", insights)
			}
			t.Logf("job %s ran again after SIGKILL (attempt %v, %d model calls)", jobID, job["attempt"], calls.Load())
		})
	}
}

// syncLog collects a child process's log for a failing test to show.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// buildBinary builds the server for tests that run it as a process.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "open-notebook")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// process runs the built server on one database and data folder, and
// starts it again on them after it is killed, as a crash test needs. Its
// log is shown when the test fails.
type process struct {
	t                     *testing.T
	bin, addr, dbURL, dir string
	logs                  syncLog
	cmd                   *exec.Cmd
}

func newProcess(t *testing.T, bin string, engine store.Engine) *process {
	t.Helper()
	url, dir := storetest.URL(t, engine)
	if dir == "" {
		dir = t.TempDir()
	}
	p := &process{t: t, bin: bin, addr: freeAddr(t), dbURL: url, dir: dir}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", p.logs.String())
		}
	})
	return p
}

// start runs the server and waits until it is healthy.
func (p *process) start() {
	p.t.Helper()
	p.cmd = exec.Command(p.bin)
	p.cmd.Env = append(os.Environ(), "OPEN_NOTEBOOK_LISTEN="+p.addr, "OPEN_NOTEBOOK_DATA_DIR="+p.dir,
		"OPEN_NOTEBOOK_DATABASE_URL="+p.dbURL, "OPEN_NOTEBOOK_ENCRYPTION_KEY=crash-test",
		"OPEN_NOTEBOOK_JOB_TIMEOUT=4s", "OPEN_NOTEBOOK_JOB_RESCUE_AFTER=5s")
	p.cmd.Stderr = &p.logs
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	waitHealthy(p.t, "http://"+p.addr+"/health")
}

// kill ends the server as a crash would.
func (p *process) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatal(err)
	}
	p.cmd.Wait()
}

// stop ends the server cleanly.
func (p *process) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Wait()
}

// call sends a JSON request and decodes the answer; a list comes back
// under "list".
func (p *process) call(method, path, body string) map[string]any {
	p.t.Helper()
	req, _ := http.NewRequest(method, "http://"+p.addr+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var v any
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 || json.Unmarshal(raw, &v) != nil {
		p.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if m, ok := v.(map[string]any); ok {
		return m
	}
	return map[string]any{"list": v}
}

// waitJob polls a job's status until it ends, for up to 90 seconds.
func (p *process) waitJob(path string) map[string]any {
	p.t.Helper()
	var job map[string]any
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if job = p.call("GET", path, ""); job["status"] == "completed" || job["status"] == "failed" {
			break
		}
	}
	return job
}
