package main

import (
	"net/http/httptest"
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
	bin := buildBinary(t)
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			fake := podcasttest.New()
			fake.HangSpeech = 4
			model := httptest.NewServer(fake)
			defer model.Close()

			p := newProcess(t, bin, engine)
			call := p.call

			p.start()
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
			p.kill()
			p.start()
			defer p.stop()
			job := p.waitJob("/api/podcasts/jobs/" + jobID)
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
