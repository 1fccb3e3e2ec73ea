package httpapi_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/podcast"
	"github.com/open-notebook/open-notebook/internal/podcast/podcasttest"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// withPodcastModels registers a fake provider's language and speech models
// and sets them on the seeded tech_discussion and tech_experts profiles.
func (e *env) withPodcastModels() *podcasttest.Fake {
	e.t.Helper()
	fake := podcasttest.New()
	srv := httptest.NewServer(fake)
	e.t.Cleanup(srv.Close)
	r := e.do("POST", "/api/credentials", `{"name":"Local","provider":"openai_compatible","api_key":"sk-local","base_url":"`+srv.URL+`/v1"}`)
	if r.status != 201 {
		e.t.Fatalf("credential: %d %s", r.status, r.body)
	}
	cred := obj(e.t, r)["id"].(string)
	llm := e.createModel("gpt-4o-mini", "openai_compatible", "language", cred)
	tts := e.createModel("gpt-4o-mini-tts", "openai_compatible", "text_to_speech", cred)
	sp := obj(e.t, e.do("GET", "/api/speaker-profiles/tech_experts", ""))
	sp["voice_model"] = tts
	b, _ := json.Marshal(sp)
	if r := e.do("PUT", "/api/speaker-profiles/"+sp["id"].(string), string(b)); r.status != 200 {
		e.t.Fatalf("speaker profile: %d %s", r.status, r.body)
	}
	ep := obj(e.t, e.do("GET", "/api/episode-profiles/tech_discussion", ""))
	ep["outline_llm"], ep["transcript_llm"], ep["num_segments"] = llm, llm, 3
	b, _ = json.Marshal(ep)
	if r := e.do("PUT", "/api/episode-profiles/"+ep["id"].(string), string(b)); r.status != 200 {
		e.t.Fatalf("episode profile: %d %s", r.status, r.body)
	}
	return fake
}

// waitPodcast polls a podcast job until it is done, collecting the stages
// it reported.
func (e *env) waitPodcast(id string) (map[string]any, []string) {
	e.t.Helper()
	var stages []string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		r := e.do("GET", "/api/podcasts/jobs/"+id, "")
		if r.status != 200 {
			e.t.Fatalf("job %s: %d %s", id, r.status, r.body)
		}
		j := obj(e.t, r)
		if p, ok := j["progress"].(map[string]any); ok {
			if s := p["stage"].(string); len(stages) == 0 || stages[len(stages)-1] != s {
				stages = append(stages, s)
			}
		}
		switch j["status"] {
		case "completed", "failed", "canceled":
			return j, stages
		}
	}
	e.t.Fatalf("podcast job %s did not finish", id)
	return nil, nil
}

func (e *env) generate(body string) map[string]any {
	e.t.Helper()
	r := e.do("POST", "/api/podcasts/generate", body)
	if r.status != 200 {
		e.t.Fatalf("generate: %d %s", r.status, r.body)
	}
	return obj(e.t, r)
}

const reefEpisode = `{"episode_profile":"tech_discussion","speaker_profile":"speaker_profile:tech_experts","episode_name":"Reefs",` +
	`"content":"Coral reefs shelter a quarter of marine species.","briefing_suffix":"Keep it short."}`

// A user makes an episode from text: the job goes through every stage,
// the episode has its outline, transcript and one WAV whose length is the
// sum of its lines, served with Range support; deleting it removes the
// file.
func TestPodcastGeneration(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine, withKey("podcast-test-key"))
			fake := e.withPodcastModels()
			sub := e.generate(reefEpisode)
			if sub["status"] != "submitted" || sub["message"] != "Podcast generation started for episode 'Reefs'" ||
				sub["episode_profile"] != "tech_discussion" || sub["episode_name"] != "Reefs" || !strings.HasPrefix(sub["job_id"].(string), "command:") {
				t.Fatalf("submit: %v", sub)
			}
			job, stages := e.waitPodcast(sub["job_id"].(string))
			if job["status"] != "completed" {
				t.Fatalf("job: %v", job)
			}
			t.Logf("stages seen: %v", stages)
			if last := stages[len(stages)-1]; last != podcast.StageDone {
				t.Fatalf("last stage %q", last)
			}

			eps := list(t, e.do("GET", "/api/podcasts/episodes", ""))
			if len(eps) != 1 {
				t.Fatalf("episodes: %v", eps)
			}
			ep := eps[0].(map[string]any)
			id := ep["id"].(string)
			if ep["job_status"] != "completed" || ep["audio_url"] != "/api/podcasts/episodes/"+id+"/audio" || ep["name"] != "Reefs" ||
				!strings.Contains(ep["briefing"].(string), "Additional instructions: Keep it short.") {
				t.Fatalf("episode: %v", ep)
			}
			epSnap, spSnap := ep["episode_profile"].(map[string]any), ep["speaker_profile"].(map[string]any)
			if epSnap["name"] != "tech_discussion" || epSnap["outline_model_name"] != "gpt-4o-mini" ||
				spSnap["voice_model_provider"] != "openai_compatible" || spSnap["voice_model_name"] != "gpt-4o-mini-tts" {
				t.Fatalf("snapshots: %v %v", epSnap, spSnap)
			}
			full := obj(t, e.do("GET", "/api/podcasts/episodes/"+id, ""))
			segments := full["outline"].(map[string]any)["segments"].([]any)
			lines := full["transcript"].(map[string]any)["transcript"].([]any)
			if len(segments) != 3 || len(lines) != 6 {
				t.Fatalf("outline %v transcript %v", segments, lines)
			}
			var want float64
			for _, l := range lines {
				line := l.(map[string]any)
				if line["speaker"] != "Dr. Alex Chen" && line["speaker"] != "Jamie Rodriguez" {
					t.Fatalf("speaker %v", line)
				}
				want += podcasttest.ClipSeconds(line["dialogue"].(string))
			}
			if n := fake.Speeches.Load(); n != 6 {
				t.Fatalf("speech calls: %d", n)
			}

			r := e.do("GET", "/api/podcasts/episodes/"+id+"/audio", "")
			if r.status != 200 || r.header.Get("Content-Type") != "audio/wav" || r.header.Get("Accept-Ranges") != "bytes" ||
				!strings.Contains(r.header.Get("Content-Disposition"), `filename=audio.wav`) {
				t.Fatalf("audio: %d %v", r.status, r.header)
			}
			got, err := podcasttest.Duration([]byte(r.body))
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-want) > 0.01*float64(len(lines)) {
				t.Fatalf("episode lasts %.3fs, its lines %.3fs", got, want)
			}
			t.Logf("episode: %d lines, %.3f s (lines sum to %.3f s), %d bytes", len(lines), got, want, len(r.body))

			part := e.do("GET", "/api/podcasts/episodes/"+id+"/audio", "", "Range", "bytes=0-43")
			if part.status != 206 || len(part.body) != 44 || part.body[:4] != "RIFF" ||
				part.header.Get("Content-Range") != fmt.Sprintf("bytes 0-43/%d", len(r.body)) {
				t.Fatalf("range: %d %v %q", part.status, part.header, part.body[:min(8, len(part.body))])
			}
			tail := e.do("GET", "/api/podcasts/episodes/"+id+"/audio", "", "Range", "bytes=-100")
			if tail.status != 206 || tail.body != r.body[len(r.body)-100:] {
				t.Fatalf("suffix range: %d", tail.status)
			}
			if bad := e.do("GET", "/api/podcasts/episodes/"+id+"/audio", "", "Range", fmt.Sprintf("bytes=%d-", len(r.body)+10)); bad.status != 416 {
				t.Fatalf("unsatisfiable range: %d", bad.status)
			}

			// On SQLite the audio is a file in the data directory; on
			// PostgreSQL it is in the database, for every replica.
			rel := "episodes/" + strings.TrimPrefix(id, "episode:") + "/audio.wav"
			audio := filepath.Join(e.app.Config.DataDir, "podcasts", filepath.FromSlash(rel))
			stored := func() bool {
				if e.engine == store.SQLite {
					_, err := os.Stat(audio)
					return err == nil
				}
				var n int
				if err := e.rawDB().QueryRow(`SELECT count(*) FROM blobs WHERE path = $1`, "podcasts/"+rel).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n == 1
			}
			if !stored() {
				t.Fatal("the audio is not stored")
			}
			del := e.do("DELETE", "/api/podcasts/episodes/"+id, "")
			if del.status != 200 || obj(t, del)["message"] != "Episode deleted successfully" || obj(t, del)["episode_id"] != id {
				t.Fatalf("delete: %d %s", del.status, del.body)
			}
			if stored() {
				t.Fatal("the audio is still stored after the episode was deleted")
			}
			for _, p := range []string{"/api/podcasts/episodes/" + id, "/api/podcasts/episodes/" + id + "/audio"} {
				if r := e.do("GET", p, ""); r.status != 404 || obj(t, r)["detail"] != "Episode not found" {
					t.Fatalf("%s after delete: %d %s", p, r.status, r.body)
				}
			}
		})
	}
}

// A failed run keeps what it made: a speech model that answers with audio
// nobody can decode fails the episode; retrying it resumes at the line
// that failed and never speaks the earlier lines again.
func TestPodcastRetryResumes(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine, withKey("podcast-test-key"))
			fake := e.withPodcastModels()
			fake.BrokenSpeech = 4
			sub := e.generate(reefEpisode)
			job, _ := e.waitPodcast(sub["job_id"].(string))
			if job["status"] != "failed" || !strings.Contains(fmt.Sprint(job["error_message"]), "neither 16-bit PCM WAV nor MP3") {
				t.Fatalf("job: %v", job)
			}
			ep := list(t, e.do("GET", "/api/podcasts/episodes", ""))[0].(map[string]any)
			if ep["job_status"] != "failed" || ep["audio_url"] != nil || ep["transcript"] == nil || ep["error_message"] == nil {
				t.Fatalf("failed episode: %v", ep)
			}
			if n := fake.Speeches.Load(); n != 3 {
				t.Fatalf("lines spoken before the failure: %d", n)
			}
			chats := fake.Chats.Load()
			r := e.do("POST", "/api/podcasts/episodes/"+ep["id"].(string)+"/retry", "")
			if r.status != 200 || obj(t, r)["message"] != "Retry submitted successfully" {
				t.Fatalf("retry: %d %s", r.status, r.body)
			}
			job, _ = e.waitPodcast(obj(t, r)["job_id"].(string))
			if job["status"] != "completed" {
				t.Fatalf("retried job: %v", job)
			}
			if n := fake.Speeches.Load(); n != 6 {
				t.Fatalf("speech calls after the retry: %d, want 6 (3 before, 3 after)", n)
			}
			if n := fake.Chats.Load(); n != chats {
				t.Fatalf("the retry asked the models again (%d chat calls, was %d)", n, chats)
			}
			if r := e.do("POST", "/api/podcasts/episodes/"+ep["id"].(string)+"/retry", ""); r.status != 400 ||
				obj(t, r)["detail"] != "Episode is not in a failed state (current: completed)" {
				t.Fatalf("retry of a completed episode: %d %s", r.status, r.body)
			}
		})
	}
}

// Bad input and broken models fail clearly, before anything is paid.
func TestPodcastRefusals(t *testing.T) {
	e := newEnv(t, store.SQLite, withKey("podcast-test-key"))
	for _, tt := range []struct {
		name, method, path, body string
		status                   int
		detail                   string
	}{
		{"an unknown episode profile is 404", "POST", "/api/podcasts/generate",
			`{"episode_profile":"nope","speaker_profile":"tech_experts","episode_name":"x","content":"y"}`, 404, `"Episode profile 'nope' not found"`},
		{"an unknown speaker profile is 404", "POST", "/api/podcasts/generate",
			`{"episode_profile":"tech_discussion","speaker_profile":"speaker_profile:nope","episode_name":"x","content":"y"}`, 404, `"Speaker profile 'speaker_profile:nope' not found"`},
		{"a profile without models is 400", "POST", "/api/podcasts/generate",
			`{"episode_profile":"tech_discussion","speaker_profile":"tech_experts","episode_name":"x","content":"y"}`, 400,
			`"Episode profile 'tech_discussion' has no outline model configured. Please update the profile to select an outline model."`},
		{"five speakers are 422", "POST", "/api/speaker-profiles", `{"name":"crowd","speakers":[` + strings.Repeat(`{"name":"a","voice_id":"v","backstory":"","personality":""},`, 4) +
			`{"name":"e","voice_id":"v","backstory":"","personality":""}]}`, 422, `"Value error, Must have between 1 and 4 speakers"`},
		{"no speakers are 422", "POST", "/api/speaker-profiles", `{"name":"nobody","speakers":[]}`, 422, `"Value error, Must have between 1 and 4 speakers"`},
		{"a speaker without a voice is 422", "POST", "/api/speaker-profiles", `{"name":"mute","speakers":[{"name":"a","voice_id":"","backstory":"","personality":""}]}`, 422,
			`"Value error, Speaker missing required field: voice_id"`},
		{"an unknown speaker profile in an episode profile is 400", "POST", "/api/episode-profiles",
			`{"name":"p","speaker_config":"ghosts","default_briefing":"b"}`, 400, `"Speaker profile 'ghosts' not found"`},
		{"too few segments are 422", "POST", "/api/episode-profiles",
			`{"name":"p","speaker_config":"tech_experts","default_briefing":"b","num_segments":2}`, 422, `"Input should be greater than or equal to 3"`},
		{"an episode profile is found by name", "GET", "/api/episode-profiles/ghost", "", 404, `"Episode profile 'ghost' not found"`},
		{"a speaker profile is found by name", "GET", "/api/speaker-profiles/ghost", "", 404, `"Speaker profile 'ghost' not found"`},
		{"a missing episode is 404", "GET", "/api/podcasts/episodes/episode:nope", "", 404, `"Episode not found"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, tt.body)
			if r.status != tt.status || !strings.Contains(r.body, tt.detail) {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
}

// Profiles are managed as the original's frontend does: created, found by
// name, replaced and deleted by id, duplicated under free names.
func TestPodcastProfiles(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine)
			eps := list(t, e.do("GET", "/api/episode-profiles", ""))
			sps := list(t, e.do("GET", "/api/speaker-profiles", ""))
			if len(eps) != 3 || len(sps) != 3 || eps[0].(map[string]any)["name"] != "business_analysis" ||
				eps[0].(map[string]any)["speaker_config_name"] != "business_panel" || eps[0].(map[string]any)["outline_llm"] != nil {
				t.Fatalf("seeds: %v %v", eps, sps)
			}
			sp := obj(t, e.do("POST", "/api/speaker-profiles", `{"name":"duo","description":"Two voices","speakers":[`+
				`{"name":"Ana","voice_id":"nova","backstory":"b","personality":"p"},{"name":"Ben","voice_id":"echo","backstory":"b","personality":"p"}]}`))
			if sp["name"] != "duo" || len(sp["speakers"].([]any)) != 2 || sp["voice_model"] != nil {
				t.Fatalf("speaker profile: %v", sp)
			}
			ep := obj(t, e.do("POST", "/api/episode-profiles", `{"name":"chat","speaker_config":"duo","default_briefing":"Talk.","language":"pt-BR"}`))
			if ep["speaker_config"] != sp["id"] || ep["speaker_config_name"] != "duo" || ep["num_segments"] != float64(5) || ep["language"] != "pt-BR" {
				t.Fatalf("episode profile: %v", ep)
			}
			if got := obj(t, e.do("GET", "/api/episode-profiles/chat", "")); got["id"] != ep["id"] {
				t.Fatalf("by name: %v", got)
			}
			if r := e.do("POST", "/api/episode-profiles", `{"name":"chat","speaker_config":"duo","default_briefing":"Talk."}`); r.status != 409 {
				t.Fatalf("taken name: %d %s", r.status, r.body)
			}
			c1 := obj(t, e.do("POST", "/api/speaker-profiles/"+sp["id"].(string)+"/duplicate", ""))
			c2 := obj(t, e.do("POST", "/api/speaker-profiles/"+sp["id"].(string)+"/duplicate", ""))
			if c1["name"] != "duo - Copy" || c2["name"] != "duo - Copy 2" || len(c1["speakers"].([]any)) != 2 {
				t.Fatalf("copies: %v %v", c1, c2)
			}
			up := obj(t, e.do("PUT", "/api/episode-profiles/"+ep["id"].(string), `{"name":"chat2","speaker_config":"`+c1["id"].(string)+`","default_briefing":"Talk more.","num_segments":7}`))
			if up["name"] != "chat2" || up["speaker_config_name"] != "duo - Copy" || up["num_segments"] != float64(7) || up["language"] != nil {
				t.Fatalf("update: %v", up)
			}
			if r := e.do("DELETE", "/api/speaker-profiles/"+c1["id"].(string), ""); r.status != 200 || obj(t, r)["message"] != "Speaker profile deleted successfully" {
				t.Fatalf("delete: %d %s", r.status, r.body)
			}
			orphan := obj(t, e.do("GET", "/api/episode-profiles/chat2", ""))
			if orphan["speaker_config"] != nil || orphan["speaker_config_name"] != nil {
				t.Fatalf("orphaned profile: %v", orphan)
			}
			if r := e.do("DELETE", "/api/episode-profiles/"+ep["id"].(string), ""); r.status != 200 || obj(t, r)["message"] != "Episode profile deleted successfully" {
				t.Fatalf("delete: %d %s", r.status, r.body)
			}
			if r := e.do("DELETE", "/api/episode-profiles/"+ep["id"].(string), ""); r.status != 404 {
				t.Fatalf("delete twice: %d %s", r.status, r.body)
			}
		})
	}
}

// A model that does not answer with the JSON asked for is asked once more;
// a second bad answer fails the episode with the reason.
func TestPodcastMalformedOutline(t *testing.T) {
	e := newEnv(t, store.SQLite, withKey("podcast-test-key"))
	fake := e.withPodcastModels()
	fake.BadOutlines = 1
	job, _ := e.waitPodcast(e.generate(reefEpisode)["job_id"].(string))
	if job["status"] != "completed" {
		t.Fatalf("one bad outline should be asked again: %v", job)
	}
	fake.BadOutlines = 2
	job, _ = e.waitPodcast(e.generate(reefEpisode)["job_id"].(string))
	if job["status"] != "failed" || !strings.Contains(fmt.Sprint(job["error_message"]), "The outline model's answer was not the JSON asked for, twice (it holds no JSON object)") {
		t.Fatalf("two bad outlines: %v", job)
	}
}

// Deleting what an episode is made from while it is made fails it, with
// the reason; nothing stays running.
func TestPodcastDeletedDuringGeneration(t *testing.T) {
	for _, tt := range []struct {
		name, reason string
		remove       func(e *env, nb, episode string)
		status       string
		spoken       int32 // the held line is answered, unless its job is cancelled
	}{
		{"the episode profile", "Episode profile 'tech_discussion' was deleted during generation", func(e *env, _, _ string) {
			e.do("DELETE", "/api/episode-profiles/episode_profile:tech_discussion", "")
		}, "failed", 2},
		{"the speaker profile", "Speaker profile 'tech_experts' was deleted during generation", func(e *env, _, _ string) {
			e.do("DELETE", "/api/speaker-profiles/speaker_profile:tech_experts", "")
		}, "failed", 2},
		{"the notebook", "was deleted during generation", func(e *env, nb, _ string) {
			e.do("DELETE", "/api/notebooks/"+nb, "")
		}, "failed", 2},
		{"the episode itself, which cancels its job", "", func(e *env, _, episode string) {
			if r := e.do("DELETE", "/api/podcasts/episodes/"+episode, ""); r.status != 200 {
				e.t.Fatalf("delete: %d %s", r.status, r.body)
			}
		}, "canceled", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, store.SQLite, withKey("podcast-test-key"))
			fake := e.withPodcastModels()
			fake.HangSpeech = 2
			nb := obj(t, e.do("POST", "/api/notebooks", `{"name":"Reefs"}`))["id"].(string)
			if r := e.do("POST", "/api/notes", `{"title":"Reefs","content":"Coral reefs shelter a quarter of marine species.","notebook_id":"`+nb+`"}`); r.status != 200 {
				t.Fatalf("note: %d %s", r.status, r.body)
			}
			sub := e.generate(`{"episode_profile":"tech_discussion","speaker_profile":"tech_experts","episode_name":"Reefs","notebook_id":"` + nb + `"}`)
			<-fake.Hung
			tt.remove(e, nb, sub["episode_id"].(string))
			if tt.status != "canceled" {
				close(fake.Release) // the job then finds what is gone at its next step
			}
			job, _ := e.waitPodcast(sub["job_id"].(string))
			if job["status"] != tt.status || !strings.Contains(fmt.Sprint(job["error_message"]), tt.reason) {
				t.Fatalf("job: %v", job)
			}
			if n := fake.Speeches.Load(); n != tt.spoken {
				t.Fatalf("lines spoken: %d", n)
			}
		})
	}
}

// The original's generate_podcast command is submitted through the commands
// API too: the speaker profile comes from the episode profile when absent,
// and the job makes the episode as the podcasts endpoint does.
func TestPodcastThroughTheCommandsAPI(t *testing.T) {
	e := newEnv(t, store.SQLite, withKey("podcast-test-key"))
	e.withPodcastModels()
	for _, tc := range []struct{ name, input, want string }{
		{"the episode name is required", `{"episode_profile":"tech_discussion","content":"x"}`, `"loc":["body","input","episode_name"]`},
		{"an unknown field is refused", `{"episode_profile":"tech_discussion","episode_name":"E","content":"x","speakers":2}`, "Invalid input"},
		{"an unknown episode profile is named", `{"episode_profile":"nope","episode_name":"E","content":"x"}`, "nope"},
	} {
		r := e.do("POST", "/api/commands/jobs", `{"command":"generate_podcast","app":"open_notebook","input":`+tc.input+`}`)
		if r.status < 400 || r.status >= 500 || !strings.Contains(r.body, tc.want) {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
		}
	}
	r := e.do("POST", "/api/commands/jobs", `{"command":"generate_podcast","app":"open_notebook","input":`+
		`{"episode_profile":"tech_discussion","episode_name":"Reefs by command","content":"Coral reefs shelter a quarter of marine species."}}`)
	if r.status != 200 {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	sub := obj(t, r)
	if sub["status"] != "submitted" || sub["message"] != "Command 'generate_podcast' submitted successfully" {
		t.Fatalf("submit: %v", sub)
	}
	if job, _ := e.waitPodcast(sub["job_id"].(string)); job["status"] != "completed" {
		t.Fatalf("job: %v", job)
	}
	eps := list(t, e.do("GET", "/api/podcasts/episodes", ""))
	if len(eps) != 1 {
		t.Fatalf("episodes: %v", eps)
	}
	ep := eps[0].(map[string]any)
	if ep["name"] != "Reefs by command" || ep["speaker_profile"].(map[string]any)["name"] != "tech_experts" || ep["audio_url"] == nil {
		t.Fatalf("episode: %v", ep)
	}
}
