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

	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// TestRunningJobSurvivesSIGKILL kills the server while a worker is in the
// middle of a transformation (its model call hangs), starts it again, and
// checks that the job is taken up again and makes exactly one insight.
func TestRunningJobSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary twice per engine")
	}
	bin := filepath.Join(t.TempDir(), "open-notebook")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
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

			url, dir := storetest.URL(t, engine)
			if dir == "" {
				dir = t.TempDir()
			}
			addr := freeAddr(t)
			base := "http://" + addr
			logs := &syncLog{}
			defer func() {
				if t.Failed() {
					t.Logf("server log:\n%s", logs.String())
				}
			}()
			start := func() *exec.Cmd {
				cmd := exec.Command(bin)
				cmd.Env = append(os.Environ(), "OPEN_NOTEBOOK_LISTEN="+addr, "OPEN_NOTEBOOK_DATA_DIR="+dir,
					"OPEN_NOTEBOOK_DATABASE_URL="+url, "OPEN_NOTEBOOK_ENCRYPTION_KEY=crash-test",
					"OPEN_NOTEBOOK_JOB_TIMEOUT=4s", "OPEN_NOTEBOOK_JOB_RESCUE_AFTER=5s")
				cmd.Stderr = logs
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				waitHealthy(t, base+"/health")
				return cmd
			}
			call := func(method, path, body string) map[string]any {
				t.Helper()
				req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var v any
				raw, _ := io.ReadAll(resp.Body)
				if resp.StatusCode >= 300 || json.Unmarshal(raw, &v) != nil {
					t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
				}
				if m, ok := v.(map[string]any); ok {
					return m
				}
				return map[string]any{"list": v}
			}

			server := start()
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
			if err := server.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			server.Wait()

			server = start()
			defer func() { server.Process.Signal(syscall.SIGTERM); server.Wait() }()
			var job map[string]any
			for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if job = call("GET", "/api/commands/jobs/"+jobID, ""); job["status"] == "completed" || job["status"] == "failed" {
					break
				}
			}
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
