package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/podcast/podcasttest"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// TestPodcastSurvivesSIGKILL kills the server while its worker speaks an
// episode's fourth line, starts it again, and checks that the episode is
// finished by the next process without planning, writing or speaking again
// what the first one had made.
func TestPodcastSurvivesSIGKILL(t *testing.T) {
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
			fake := podcasttest.New()
			fake.HangSpeech = 4
			model := httptest.NewServer(fake)
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
			llm := call("POST", "/api/models", `{"name":"gpt-4o-mini","provider":"openai_compatible","type":"language","credential":"`+cred+`"}`)["id"].(string)
			tts := call("POST", "/api/models", `{"name":"tts-1","provider":"openai_compatible","type":"text_to_speech","credential":"`+cred+`"}`)["id"].(string)
			call("PUT", "/api/speaker-profiles/speaker_profile:tech_experts", `{"name":"tech_experts","voice_model":"`+tts+`","speakers":[`+
				`{"name":"Ana","voice_id":"nova","backstory":"b","personality":"p"},{"name":"Ben","voice_id":"alloy","backstory":"b","personality":"p"}]}`)
			call("PUT", "/api/episode-profiles/episode_profile:tech_discussion", `{"name":"tech_discussion","speaker_config":"speaker_profile:tech_experts",`+
				`"outline_llm":"`+llm+`","transcript_llm":"`+llm+`","default_briefing":"Talk.","num_segments":3}`)
			jobID := call("POST", "/api/podcasts/generate", `{"episode_profile":"tech_discussion","speaker_profile":"speaker_profile:tech_experts",`+
				`"episode_name":"Reefs","content":"Coral reefs shelter a quarter of marine species."}`)["job_id"].(string)
			select {
			case <-fake.Hung:
			case <-time.After(20 * time.Second):
				t.Fatal("the worker never reached the fourth line")
			}
			chats, spoken := fake.Chats.Load(), fake.Speeches.Load()
			if st := call("GET", "/api/podcasts/jobs/"+jobID, ""); st["status"] != "running" || st["progress"].(map[string]any)["stage"] != "speech" {
				t.Fatalf("job while its fourth line is spoken: %v", st)
			}
			if err := server.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			server.Wait()

			server = start()
			defer func() { server.Process.Signal(syscall.SIGTERM); server.Wait() }()
			var job map[string]any
			for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if job = call("GET", "/api/podcasts/jobs/"+jobID, ""); job["status"] == "completed" || job["status"] == "failed" {
					break
				}
			}
			if job["status"] != "completed" {
				t.Fatalf("the killed job did not finish: %v", job)
			}
			if spoken != 3 || fake.Speeches.Load() != 6 || fake.Chats.Load() != chats {
				t.Fatalf("spoken before the kill %d, in all %d (want 3 and 6); chat calls %d then %d", spoken, fake.Speeches.Load(), chats, fake.Chats.Load())
			}
			ep := call("GET", "/api/podcasts/episodes", "")["list"].([]any)[0].(map[string]any)
			if ep["job_status"] != "completed" || ep["audio_url"] == nil {
				t.Fatalf("episode: %v", ep)
			}
			t.Logf("job %s finished after SIGKILL: %d lines spoken once each, %d chat calls", jobID, fake.Speeches.Load(), chats)
		})
	}
}
