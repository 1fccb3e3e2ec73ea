package httpapi

import (
	"context"
	"encoding/json"
	"mime"
	"net/http"

	"github.com/open-notebook/open-notebook/internal/podcast"
)

type episodeProfileOut struct {
	ID                string  `json:"id"`
	Name              string  `json:"name"`
	Description       string  `json:"description"`
	SpeakerConfig     *string `json:"speaker_config" description:"a speaker profile id; null when it was deleted"`
	SpeakerConfigName *string `json:"speaker_config_name"`
	OutlineLLM        *string `json:"outline_llm"`
	TranscriptLLM     *string `json:"transcript_llm"`
	Language          *string `json:"language"`
	DefaultBriefing   string  `json:"default_briefing"`
	NumSegments       int     `json:"num_segments"`
	MaxTokens         *int    `json:"max_tokens"`
}

func optionalInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

func toEpisodeProfileOut(p *podcast.EpisodeProfile) episodeProfileOut {
	return episodeProfileOut{ID: p.ID, Name: p.Name, Description: p.Description, SpeakerConfig: optional(p.SpeakerConfig),
		SpeakerConfigName: optional(p.SpeakerName), OutlineLLM: optional(p.OutlineLLM), TranscriptLLM: optional(p.TranscriptLLM),
		Language: optional(p.Language), DefaultBriefing: p.DefaultBriefing, NumSegments: p.NumSegments, MaxTokens: optionalInt(p.MaxTokens)}
}

type speakerOut struct {
	Name        string  `json:"name"`
	VoiceID     string  `json:"voice_id"`
	Backstory   string  `json:"backstory"`
	Personality string  `json:"personality"`
	VoiceModel  *string `json:"voice_model"`
}

type speakerProfileOut struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	VoiceModel  *string      `json:"voice_model"`
	Speakers    []speakerOut `json:"speakers"`
}

func toSpeakerProfileOut(p *podcast.SpeakerProfile) speakerProfileOut {
	out := speakerProfileOut{ID: p.ID, Name: p.Name, Description: p.Description, VoiceModel: optional(p.VoiceModel), Speakers: []speakerOut{}}
	for _, s := range p.Speakers {
		out.Speakers = append(out.Speakers, speakerOut{Name: s.Name, VoiceID: s.VoiceID, Backstory: s.Backstory,
			Personality: s.Personality, VoiceModel: optional(s.VoiceModel)})
	}
	return out
}

type profileNameIn struct {
	Name string `path:"profile_name"`
}

type profileIDIn struct {
	ID string `path:"profile_id"`
}

type episodeProfileIn struct {
	Name            *string `json:"name" required:"true" minLength:"1" maxLength:"200"`
	Description     *string `json:"description" default:""`
	SpeakerConfig   *string `json:"speaker_config" required:"true" description:"a speaker profile id (or, for older clients, its name)"`
	OutlineLLM      *string `json:"outline_llm" description:"the language model that plans the episode"`
	TranscriptLLM   *string `json:"transcript_llm" description:"the language model that writes the dialogue"`
	Language        *string `json:"language" description:"BCP 47, e.g. pt-BR"`
	DefaultBriefing *string `json:"default_briefing" required:"true"`
	NumSegments     *int    `json:"num_segments" default:"5" minimum:"3" maximum:"20"`
	MaxTokens       *int    `json:"max_tokens" minimum:"1" maximum:"200000"`
}

func (in episodeProfileIn) input() podcast.EpisodeInput {
	return podcast.EpisodeInput{Name: in.Name, Description: in.Description, SpeakerConfig: in.SpeakerConfig,
		OutlineLLM: emptyIfNull(in.OutlineLLM), TranscriptLLM: emptyIfNull(in.TranscriptLLM), Language: emptyIfNull(in.Language),
		DefaultBriefing: in.DefaultBriefing, NumSegments: in.NumSegments, MaxTokens: zeroIfNull(in.MaxTokens)}
}

// emptyIfNull makes an absent or null optional field clear the value, as
// the original's full-body PUT does.
func emptyIfNull(p *string) *string {
	if p == nil {
		return new(string)
	}
	return p
}

func zeroIfNull(p *int) *int {
	if p == nil {
		return new(int)
	}
	return p
}

// episodeProfileUpdateIn is episodeProfileIn with the profile's id.
type episodeProfileUpdateIn struct {
	ID              string  `path:"profile_id" json:"-"`
	Name            *string `json:"name" required:"true" minLength:"1" maxLength:"200"`
	Description     *string `json:"description" default:""`
	SpeakerConfig   *string `json:"speaker_config" required:"true" description:"a speaker profile id (or, for older clients, its name)"`
	OutlineLLM      *string `json:"outline_llm" description:"the language model that plans the episode"`
	TranscriptLLM   *string `json:"transcript_llm" description:"the language model that writes the dialogue"`
	Language        *string `json:"language" description:"BCP 47, e.g. pt-BR"`
	DefaultBriefing *string `json:"default_briefing" required:"true"`
	NumSegments     *int    `json:"num_segments" default:"5" minimum:"3" maximum:"20"`
	MaxTokens       *int    `json:"max_tokens" minimum:"1" maximum:"200000"`
}

func (in episodeProfileUpdateIn) input() podcast.EpisodeInput {
	return episodeProfileIn{Name: in.Name, Description: in.Description, SpeakerConfig: in.SpeakerConfig, OutlineLLM: in.OutlineLLM,
		TranscriptLLM: in.TranscriptLLM, Language: in.Language, DefaultBriefing: in.DefaultBriefing, NumSegments: in.NumSegments,
		MaxTokens: in.MaxTokens}.input()
}

// speakerProfileUpdateIn is speakerProfileIn with the profile's id.
type speakerProfileUpdateIn struct {
	ID          string      `path:"profile_id" json:"-"`
	Name        *string     `json:"name" required:"true" minLength:"1" maxLength:"200"`
	Description *string     `json:"description" default:""`
	VoiceModel  *string     `json:"voice_model" description:"the text-to-speech model of every speaker without their own"`
	Speakers    []speakerIn `json:"speakers" required:"true" description:"1 to 4 speakers, each with a voice"`
}

func (in speakerProfileUpdateIn) input() podcast.SpeakerInput {
	return speakerProfileIn{Name: in.Name, Description: in.Description, VoiceModel: in.VoiceModel, Speakers: in.Speakers}.input()
}

type speakerIn struct {
	Name        string  `json:"name"`
	VoiceID     string  `json:"voice_id"`
	Backstory   string  `json:"backstory"`
	Personality string  `json:"personality"`
	VoiceModel  *string `json:"voice_model"`
}

type speakerProfileIn struct {
	Name        *string     `json:"name" required:"true" minLength:"1" maxLength:"200"`
	Description *string     `json:"description" default:""`
	VoiceModel  *string     `json:"voice_model" description:"the text-to-speech model of every speaker without their own"`
	Speakers    []speakerIn `json:"speakers" required:"true" description:"1 to 4 speakers, each with a voice"`
}

func (in speakerProfileIn) input() podcast.SpeakerInput {
	out := podcast.SpeakerInput{Name: deref(in.Name), Description: deref(in.Description), VoiceModel: deref(in.VoiceModel)}
	for _, s := range in.Speakers {
		out.Speakers = append(out.Speakers, podcast.Speaker{Name: s.Name, VoiceID: s.VoiceID, Backstory: s.Backstory,
			Personality: s.Personality, VoiceModel: deref(s.VoiceModel)})
	}
	return out
}

type generateIn struct {
	EpisodeProfile *string `json:"episode_profile" required:"true" description:"the episode profile's name"`
	SpeakerProfile *string `json:"speaker_profile" required:"true" description:"the speaker profile's id (or name)"`
	EpisodeName    *string `json:"episode_name" required:"true" minLength:"1" maxLength:"200"`
	Content        *string `json:"content" description:"the material; when absent, the notebook's sources and notes"`
	NotebookID     *string `json:"notebook_id"`
	BriefingSuffix *string `json:"briefing_suffix"`
}

func (in generateIn) request() podcast.Request {
	return podcast.Request{EpisodeProfile: deref(in.EpisodeProfile), SpeakerProfile: deref(in.SpeakerProfile),
		EpisodeName: deref(in.EpisodeName), Content: deref(in.Content), NotebookID: deref(in.NotebookID), BriefingSuffix: deref(in.BriefingSuffix)}
}

type generateOut struct {
	JobID          string `json:"job_id"`
	Status         string `json:"status"`
	Message        string `json:"message"`
	EpisodeProfile string `json:"episode_profile"`
	EpisodeName    string `json:"episode_name"`
	// EpisodeID names the episode being made (new).
	EpisodeID string `json:"episode_id"`
}

type podcastJobOut struct {
	JobID        string          `json:"job_id"`
	Status       string          `json:"status"`
	Result       json.RawMessage `json:"result"`
	ErrorMessage *string         `json:"error_message"`
	Created      *string         `json:"created"`
	Updated      *string         `json:"updated"`
	Progress     any             `json:"progress" description:"the stage (content, outline, transcript, speech, audio, done) with its steps done and total"`
}

type episodeIDIn struct {
	ID string `path:"episode_id"`
}

type episodeOut struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	EpisodeProfile map[string]any `json:"episode_profile"`
	SpeakerProfile map[string]any `json:"speaker_profile"`
	Briefing       string         `json:"briefing"`
	AudioFile      *string        `json:"audio_file"`
	AudioURL       *string        `json:"audio_url"`
	Transcript     any            `json:"transcript"`
	Outline        any            `json:"outline"`
	Created        *string        `json:"created"`
	JobStatus      *string        `json:"job_status" description:"new, queued, running, completed, failed or unknown"`
	ErrorMessage   *string        `json:"error_message"`
	// JobID is the job making the episode, for its progress (new).
	JobID *string `json:"job_id"`
}

type episodeDeletedOut struct {
	Message   string `json:"message"`
	EpisodeID string `json:"episode_id"`
}

type retryOut struct {
	JobID   string `json:"job_id"`
	Message string `json:"message"`
}

// snapshotOut is a profile snapshot as the original shows it, with the
// display names of the models it refers to where they still exist.
func snapshotOut(v any, models map[string]podcast.Model, fields map[string][2]string) map[string]any {
	b, _ := json.Marshal(v)
	out := map[string]any{}
	_ = json.Unmarshal(b, &out)
	for k, val := range out {
		if s, ok := val.(string); ok && s == "" && k != "description" && k != "name" {
			out[k] = nil
		}
		if n, ok := val.(float64); ok && n == 0 && k == "max_tokens" {
			out[k] = nil
		}
	}
	for ref, names := range fields {
		if id, _ := out[ref].(string); id != "" {
			if m, ok := models[id]; ok {
				out[names[0]], out[names[1]] = m.Provider, m.Name
			}
		}
	}
	return out
}

var (
	episodeModelFields = map[string][2]string{"outline_llm": {"outline_model_provider", "outline_model_name"},
		"transcript_llm": {"transcript_model_provider", "transcript_model_name"}}
	speakerModelFields = map[string][2]string{"voice_model": {"voice_model_provider", "voice_model_name"}}
)

// episodeOuts renders episodes, resolving the models of all their
// snapshots at once.
func (s *Server) episodeOuts(ctx context.Context, list []podcast.Episode, all bool) ([]episodeOut, error) {
	var ids []string
	for _, e := range list {
		ids = append(ids, e.EpisodeProfile.OutlineLLM, e.EpisodeProfile.TranscriptLLM, e.SpeakerProfile.VoiceModel)
	}
	models, err := s.app.Profiles.Models(ctx, ids)
	if err != nil {
		return nil, err
	}
	states, err := s.app.Podcasts.States(ctx, list)
	if err != nil {
		return nil, err
	}
	out := []episodeOut{}
	for i := range list {
		e := &list[i]
		state, errMsg := states[e.ID].State, states[e.ID].Error
		if !all && e.CommandID == "" && e.AudioFile == "" {
			continue // as the original: a list shows only episodes being made or made
		}
		o := episodeOut{ID: e.ID, Name: e.Name, Briefing: e.Briefing, AudioFile: optional(e.AudioFile),
			EpisodeProfile: snapshotOut(e.EpisodeProfile, models, episodeModelFields),
			SpeakerProfile: snapshotOut(e.SpeakerProfile, models, speakerModelFields),
			Created:        optionalTime(&e.Created), JobStatus: &state, ErrorMessage: optional(errMsg), JobID: optional(e.CommandID)}
		if e.Transcript != nil {
			o.Transcript = e.Transcript
		}
		if e.Outline != nil {
			o.Outline = e.Outline
		}
		if s.app.Podcasts.HasAudio(e) {
			u := "/api/podcasts/episodes/" + e.ID + "/audio"
			o.AudioURL = &u
		}
		out = append(out, o)
	}
	return out, nil
}

// episodeAudio serves an episode's WAV with Range support.
type episodeAudio struct{ a *podcast.Audio }

func (episodeAudio) opaque() {}

func (d episodeAudio) respond(w http.ResponseWriter, r *http.Request, _ int) error {
	f := d.a.File
	defer f.Close()
	w.Header().Set("Content-Type", podcast.AudioType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.a.Name}))
	w.Header().Set("Content-Security-Policy", "sandbox")
	http.ServeContent(w, r, d.a.Name, f.ModTime(), f)
	return nil
}

func (s *Server) podcastRoutes() []route {
	pr, eps, jobs := s.app.Profiles, s.app.Podcasts, s.app.Jobs
	return []route{
		endpoint(op{Method: "GET", Path: "/api/episode-profiles", Summary: "List episode profiles by name", Tag: "podcasts", Access: Read, Failure: "Failed to fetch episode profiles"},
			func(ctx context.Context, _ struct{}) ([]episodeProfileOut, error) {
				list, err := pr.EpisodeProfiles(ctx)
				return mapSlice(list, toEpisodeProfileOut), err
			}),
		endpoint(op{Method: "GET", Path: "/api/episode-profiles/{profile_name}", Summary: "Get an episode profile by its name", Tag: "podcasts", Access: Read, Failure: "Failed to fetch episode profile"},
			func(ctx context.Context, in profileNameIn) (episodeProfileOut, error) {
				return render(toEpisodeProfileOut)(pr.EpisodeProfileByName(ctx, in.Name))
			}),
		endpoint(op{Method: "POST", Path: "/api/episode-profiles", Summary: "Create an episode profile", Tag: "podcasts", Access: Write, Failure: "Failed to create episode profile"},
			func(ctx context.Context, in episodeProfileIn) (episodeProfileOut, error) {
				return render(toEpisodeProfileOut)(pr.CreateEpisodeProfile(ctx, in.input()))
			}),
		endpoint(op{Method: "PUT", Path: "/api/episode-profiles/{profile_id}", Summary: "Replace an episode profile (by id)", Tag: "podcasts", Access: Write, Failure: "Failed to update episode profile"},
			func(ctx context.Context, in episodeProfileUpdateIn) (episodeProfileOut, error) {
				return render(toEpisodeProfileOut)(pr.UpdateEpisodeProfile(ctx, in.ID, in.input()))
			}),
		endpoint(op{Method: "DELETE", Path: "/api/episode-profiles/{profile_id}", Summary: "Delete an episode profile (episodes keep their snapshot)", Tag: "podcasts", Access: Write, Failure: "Failed to delete episode profile"},
			func(ctx context.Context, in profileIDIn) (messageOut, error) {
				return messageOut{"Episode profile deleted successfully"}, pr.DeleteEpisodeProfile(ctx, in.ID)
			}),
		endpoint(op{Method: "POST", Path: "/api/episode-profiles/{profile_id}/duplicate", Summary: "Copy an episode profile as \"<name> - Copy\"", Tag: "podcasts", Access: Write, Failure: "Failed to duplicate episode profile"},
			func(ctx context.Context, in profileIDIn) (episodeProfileOut, error) {
				return render(toEpisodeProfileOut)(pr.DuplicateEpisodeProfile(ctx, in.ID))
			}),

		endpoint(op{Method: "GET", Path: "/api/speaker-profiles", Summary: "List speaker profiles by name", Tag: "podcasts", Access: Read, Failure: "Failed to fetch speaker profiles"},
			func(ctx context.Context, _ struct{}) ([]speakerProfileOut, error) {
				list, err := pr.SpeakerProfiles(ctx)
				return mapSlice(list, toSpeakerProfileOut), err
			}),
		endpoint(op{Method: "GET", Path: "/api/speaker-profiles/{profile_name}", Summary: "Get a speaker profile by its name", Tag: "podcasts", Access: Read, Failure: "Failed to fetch speaker profile"},
			func(ctx context.Context, in profileNameIn) (speakerProfileOut, error) {
				return render(toSpeakerProfileOut)(pr.SpeakerProfileByName(ctx, in.Name))
			}),
		endpoint(op{Method: "POST", Path: "/api/speaker-profiles", Summary: "Create a speaker profile (1 to 4 speakers)", Tag: "podcasts", Access: Write, Failure: "Failed to create speaker profile"},
			func(ctx context.Context, in speakerProfileIn) (speakerProfileOut, error) {
				return render(toSpeakerProfileOut)(pr.CreateSpeakerProfile(ctx, in.input()))
			}),
		endpoint(op{Method: "PUT", Path: "/api/speaker-profiles/{profile_id}", Summary: "Replace a speaker profile (by id)", Tag: "podcasts", Access: Write, Failure: "Failed to update speaker profile"},
			func(ctx context.Context, in speakerProfileUpdateIn) (speakerProfileOut, error) {
				return render(toSpeakerProfileOut)(pr.UpdateSpeakerProfile(ctx, in.ID, in.input()))
			}),
		endpoint(op{Method: "DELETE", Path: "/api/speaker-profiles/{profile_id}", Summary: "Delete a speaker profile (episode profiles using it need another)", Tag: "podcasts", Access: Write, Failure: "Failed to delete speaker profile"},
			func(ctx context.Context, in profileIDIn) (messageOut, error) {
				return messageOut{"Speaker profile deleted successfully"}, pr.DeleteSpeakerProfile(ctx, in.ID)
			}),
		endpoint(op{Method: "POST", Path: "/api/speaker-profiles/{profile_id}/duplicate", Summary: "Copy a speaker profile as \"<name> - Copy\"", Tag: "podcasts", Access: Write, Failure: "Failed to duplicate speaker profile"},
			func(ctx context.Context, in profileIDIn) (speakerProfileOut, error) {
				return render(toSpeakerProfileOut)(pr.DuplicateSpeakerProfile(ctx, in.ID))
			}),
		endpoint(op{Method: "GET", Path: "/api/podcasts/voices", Summary: "Voices a text-to-speech model offers, where they are known (new)", Tag: "podcasts", Access: Read},
			func(ctx context.Context, in voicesIn) (voicesOut, error) {
				v, err := pr.Voices(ctx, in.ModelID)
				return voicesOut{Voices: v}, err
			}),

		endpoint(op{Method: "POST", Path: "/api/podcasts/generate", Summary: "Make an episode in the background; poll its job or the episode list", Tag: "podcasts", Access: Write, Failure: "Failed to submit podcast generation job"},
			func(ctx context.Context, in generateIn) (generateOut, error) {
				ep, err := eps.Submit(ctx, in.request())
				if err != nil {
					return generateOut{}, err
				}
				return generateOut{JobID: ep.CommandID, Status: "submitted", Message: "Podcast generation started for episode '" + *in.EpisodeName + "'",
					EpisodeProfile: *in.EpisodeProfile, EpisodeName: *in.EpisodeName, EpisodeID: ep.ID}, nil
			}),
		endpoint(op{Method: "GET", Path: "/api/podcasts/jobs/{job_id}", Summary: "Status of a podcast generation job, with its stage", Tag: "podcasts", Access: Read, Failure: "Failed to get job status"},
			func(ctx context.Context, in jobIDIn) (podcastJobOut, error) {
				st, err := jobs.Get(ctx, in.ID)
				if err != nil {
					return podcastJobOut{}, err
				}
				j := toJobOut(&st)
				out := podcastJobOut{JobID: j.JobID, Status: j.Status, Result: j.Result, ErrorMessage: j.ErrorMessage,
					Created: j.Created, Updated: j.Updated}
				if j.Progress != nil {
					out.Progress = j.Progress
				}
				return out, nil
			}),
		endpoint(op{Method: "GET", Path: "/api/podcasts/episodes", Summary: "Episodes being made or made, newest first", Tag: "podcasts", Access: Read, Failure: "Failed to list podcast episodes"},
			func(ctx context.Context, _ struct{}) ([]episodeOut, error) {
				list, err := eps.List(ctx)
				if err != nil {
					return nil, err
				}
				return s.episodeOuts(ctx, list, false)
			}),
		endpoint(op{Method: "GET", Path: "/api/podcasts/episodes/{episode_id}", Summary: "An episode with its outline and transcript", Tag: "podcasts", Access: Read, Failure: "Failed to fetch episode"},
			func(ctx context.Context, in episodeIDIn) (episodeOut, error) {
				ep, err := eps.Get(ctx, in.ID)
				if err != nil {
					return episodeOut{}, err
				}
				out, err := s.episodeOuts(ctx, []podcast.Episode{*ep}, true)
				if err != nil {
					return episodeOut{}, err
				}
				return out[0], nil
			}),
		endpoint(op{Method: "GET", Path: "/api/podcasts/episodes/{episode_id}/audio", Summary: "An episode's audio (WAV, 16-bit mono 24 kHz), with Range support", Tag: "podcasts", Access: Read, Returns: []byte{}},
			func(ctx context.Context, in episodeIDIn) (episodeAudio, error) {
				a, err := eps.AudioFile(ctx, in.ID)
				return episodeAudio{a}, err
			}),
		endpoint(op{Method: "DELETE", Path: "/api/podcasts/episodes/{episode_id}", Summary: "Delete an episode with its audio", Tag: "podcasts", Access: Write, Failure: "Failed to delete episode"},
			func(ctx context.Context, in episodeIDIn) (episodeDeletedOut, error) {
				ep, err := eps.Get(ctx, in.ID)
				if err != nil {
					return episodeDeletedOut{}, err
				}
				return episodeDeletedOut{"Episode deleted successfully", ep.ID}, eps.Delete(ctx, ep.ID)
			}),
		endpoint(op{Method: "POST", Path: "/api/podcasts/episodes/{episode_id}/retry", Summary: "Run a failed episode's generation again from the stage that failed", Tag: "podcasts", Access: Write, Failure: "Failed to retry episode"},
			func(ctx context.Context, in episodeIDIn) (retryOut, error) {
				ep, err := eps.Retry(ctx, in.ID)
				if err != nil {
					return retryOut{}, err
				}
				return retryOut{JobID: ep.CommandID, Message: "Retry submitted successfully"}, nil
			}),
	}
}

type voicesIn struct {
	ModelID string `query:"model_id" required:"true"`
}

type voicesOut struct {
	Voices []string `json:"voices" description:"empty when the provider's voices are not known here: type a voice id"`
}
