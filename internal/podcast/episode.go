package podcast

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/blob"
	"github.com/open-notebook/open-notebook/internal/notebook"
	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/record"
)

// Episode is a podcast episode: the profiles it is made with (snapshots,
// so that later edits do not change it), its material, and what each
// generation stage made so far.
type Episode struct {
	ID             string
	Name           string
	EpisodeProfile EpisodeProfile
	SpeakerProfile SpeakerProfile
	Briefing       string
	Content        string
	NotebookID     string // where the content comes from, when it is read by the job
	CommandID      string // the job that makes it
	Outline        *Outline
	Transcript     *Transcript
	AudioFile      string // relative to the podcasts folder; "" until made
	Created        time.Time
	Updated        time.Time
}

// Outline is the plan of an episode.
type Outline struct {
	Segments []Segment `json:"segments"`
}

// Segment is one part of an episode.
type Segment struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Size        string `json:"size"`
}

// Transcript is an episode's dialogue, segment by segment as it is
// written.
type Transcript struct {
	Lines []Line `json:"transcript"`
}

// Line is one speaker's turn; Segment is the outline segment it belongs
// to.
type Line struct {
	Speaker  string `json:"speaker"`
	Dialogue string `json:"dialogue"`
	Segment  int    `json:"segment"`
}

// segmentsDone is how many segments the transcript covers.
func (t *Transcript) segmentsDone() int {
	if t == nil || len(t.Lines) == 0 {
		return 0
	}
	return t.Lines[len(t.Lines)-1].Segment + 1
}

// AI is what generation asks of the models, by model id.
type AI interface {
	ChatWith(ctx context.Context, modelID string, messages []provider.Message, maxTokens int) (string, error)
	SpeakWith(ctx context.Context, modelID, voice, text string) (provider.Speech, error)
}

// Content reads a notebook's material.
type Content interface {
	Content(ctx context.Context, notebookID string, limit int) (string, error)
}

// JobState is where a job is (new, queued, running, completed, failed or
// canceled), and its error.
type JobState struct{ State, Error string }

// Jobs queues the jobs that make episodes and reports on them.
type Jobs interface {
	notebook.Jobs
	// States returns the state of each of the jobs ids that exists.
	States(ctx context.Context, ids []string) (map[string]JobState, error)
	// Cancel stops a job that has not finished.
	Cancel(ctx context.Context, id string) error
}

// Generate makes an episode; its args are the episode's id.
type Generate struct {
	EpisodeID string `json:"episode_id"`
}

// Kind names the job as the original does.
func (Generate) Kind() string { return "generate_podcast" }

// Episodes submits, runs and serves episodes.
type Episodes struct {
	store    Store
	profiles *Profiles
	models   Models
	ai       AI
	content  Content
	books    notebook.NotebookReader
	jobs     Jobs
	tx       notebook.Tx
	files    blob.Store // outlines' clips and episodes' audio
	now      func() time.Time
}

// EpisodesDeps are what the episodes service works with.
type EpisodesDeps struct {
	Store    Store
	Profiles *Profiles
	Models   Models
	AI       AI
	Content  Content
	Books    notebook.NotebookReader
	Jobs     Jobs
	Tx       notebook.Tx
	// Files keeps each episode's clips and audio, under episodes/<key>/.
	Files blob.Store
	Now   func() time.Time
}

// NewEpisodes returns the episodes service.
func NewEpisodes(d EpisodesDeps) *Episodes {
	return &Episodes{store: d.Store, profiles: d.Profiles, models: d.Models, ai: d.AI, content: d.Content, books: d.Books, jobs: d.Jobs,
		tx: d.Tx, files: d.Files, now: d.Now}
}

// Request asks for an episode.
type Request struct {
	EpisodeProfile string // a name
	SpeakerProfile string // an id or a name; "" uses the episode profile's
	EpisodeName    string
	Content        string
	NotebookID     string
	BriefingSuffix string
}

// maxContent bounds the material an episode is made from (about 100,000
// tokens).
const maxContent = 400_000

// Submit checks a request, stores the episode and queues the job that
// makes it, in one transaction. Everything that would make the job fail at
// once (an unknown profile, a missing model) is refused here, before any
// model is paid.
func (e *Episodes) Submit(ctx context.Context, r Request) (*Episode, error) {
	ep, err := e.profiles.EpisodeProfileByName(ctx, r.EpisodeProfile)
	if err != nil {
		return nil, err
	}
	ref := strings.TrimSpace(r.SpeakerProfile)
	if ref == "" {
		ref = ep.SpeakerConfig
	}
	if ref == "" {
		return nil, apperr.Newf(apperr.Invalid, "Episode profile '%s' has no speaker profile configured. Please update the profile to select one.", ep.Name)
	}
	sp, err := e.profiles.resolveSpeaker(ctx, ref)
	if apperr.IsNotFound(err) {
		return nil, apperr.Newf(apperr.NotFound, "Speaker profile '%s' not found", ref)
	}
	if err != nil {
		return nil, err
	}
	if err := e.checkModels(ctx, ep, sp); err != nil {
		return nil, err
	}
	if strings.TrimSpace(r.EpisodeName) == "" {
		return nil, field("episode_name", "string_too_short", "String should have at least 1 character", r.EpisodeName)
	}
	if len(r.Content) > maxContent*4 {
		return nil, apperr.Newf(apperr.TooLarge, "The content is longer than an episode can be made from (%d characters)", maxContent)
	}
	var notebookID string
	if strings.TrimSpace(r.Content) == "" {
		if strings.TrimSpace(r.NotebookID) == "" {
			return nil, apperr.New(apperr.Invalid, "Content or notebook_id is required")
		}
		// The notebook must exist now; the job reads it.
		id, ok := record.Normalize(notebook.Table, r.NotebookID)
		if ok {
			_, err := e.books.Notebook(ctx, id)
			if err != nil && !apperr.IsNotFound(err) {
				return nil, err
			}
			ok = err == nil
		}
		if !ok {
			return nil, apperr.Newf(apperr.NotFound, "Notebook %s not found", r.NotebookID)
		}
		notebookID = id
	}
	briefing := ep.DefaultBriefing
	if s := strings.TrimSpace(r.BriefingSuffix); s != "" {
		briefing += "\n\nAdditional instructions: " + s
	}
	now := e.now().UTC()
	episode := &Episode{ID: record.NewID(EpisodeTable), Name: strings.TrimSpace(r.EpisodeName), EpisodeProfile: *ep,
		SpeakerProfile: *sp, Briefing: briefing, Content: r.Content, NotebookID: notebookID, Created: now, Updated: now}
	err = e.tx.InTx(ctx, func(ctx context.Context) error {
		id, err := e.jobs.Enqueue(ctx, Generate{EpisodeID: episode.ID})
		if err != nil {
			return err
		}
		episode.CommandID = id
		return e.store.CreateEpisode(ctx, episode)
	})
	if err != nil {
		return nil, err
	}
	return episode, nil
}

// checkModels makes sure every model the episode needs is configured and
// registered with the right type.
func (e *Episodes) checkModels(ctx context.Context, ep *EpisodeProfile, sp *SpeakerProfile) error {
	if ep.OutlineLLM == "" {
		return apperr.Newf(apperr.Invalid, "Episode profile '%s' has no outline model configured. Please update the profile to select an outline model.", ep.Name)
	}
	if ep.TranscriptLLM == "" {
		return apperr.Newf(apperr.Invalid, "Episode profile '%s' has no transcript model configured. Please update the profile to select a transcript model.", ep.Name)
	}
	ids := []string{ep.OutlineLLM, ep.TranscriptLLM}
	for _, s := range sp.Speakers {
		v := s.VoiceModel
		if v == "" {
			v = sp.VoiceModel
		}
		if v == "" {
			return apperr.Newf(apperr.Invalid, "Speaker profile '%s' has no voice model configured. Please update the profile to select a text-to-speech model.", sp.Name)
		}
		ids = append(ids, v)
	}
	found, err := e.models.Models(ctx, ids)
	if err != nil {
		return err
	}
	for i, id := range ids {
		want := provider.TypeLanguage
		if i >= 2 {
			want = provider.TypeTextToSpeech
		}
		m, ok := found[id]
		if !ok {
			return apperr.Newf(apperr.Invalid, "Model %s used by the profiles no longer exists. Please update the profile.", id)
		}
		if m.Type != want {
			return apperr.Newf(apperr.Invalid, "Model %s (%s) is a %s model, not a %s model", id, m.Name, m.Type, want)
		}
	}
	return nil
}

var errEpisodeNotFound = apperr.New(apperr.NotFound, "Episode not found")

// ErrEpisodeNotFound is returned by stores for a missing episode.
func ErrEpisodeNotFound() error { return errEpisodeNotFound }

// List returns episodes, newest first.
func (e *Episodes) List(ctx context.Context) ([]Episode, error) { return e.store.ListEpisodes(ctx) }

// Get returns one episode.
func (e *Episodes) Get(ctx context.Context, id string) (*Episode, error) {
	full, ok := record.Normalize(EpisodeTable, id)
	if !ok {
		return nil, errEpisodeNotFound
	}
	return e.store.Episode(ctx, full)
}

// folder is an episode's folder, relative to the podcasts folder.
func folder(id string) string {
	_, key, _ := strings.Cut(id, ":")
	return filepath.Join("episodes", key)
}

// Delete removes an episode with its audio and clips.
func (e *Episodes) Delete(ctx context.Context, id string) error {
	ep, err := e.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := e.store.DeleteEpisode(ctx, ep.ID); err != nil {
		return err
	}
	// A job still making it is stopped at once rather than at its next
	// step, so no more lines are paid for.
	if ep.CommandID != "" {
		if err := e.jobs.Cancel(ctx, ep.CommandID); err != nil && !apperr.IsNotFound(err) {
			return err
		}
	}
	// The row is gone, so nothing points at the files any more.
	return e.files.RemoveDir(ctx, folder(ep.ID))
}

// States returns the status of the job that makes each episode, by
// episode id, in one query: "unknown" when the job no longer exists, and,
// for an episode without a job, "completed" when it has audio.
func (e *Episodes) States(ctx context.Context, eps []Episode) (map[string]JobState, error) {
	var ids []string
	for _, ep := range eps {
		if ep.CommandID != "" {
			ids = append(ids, ep.CommandID)
		}
	}
	jobs, err := e.jobs.States(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]JobState, len(eps))
	for _, ep := range eps {
		s, ok := jobs[ep.CommandID]
		switch {
		case ok:
		case ep.CommandID == "" && ep.AudioFile != "":
			s = JobState{State: "completed"}
		default:
			s = JobState{State: "unknown"}
		}
		out[ep.ID] = s
	}
	return out, nil
}

// Retry runs a failed episode's generation again, from the stage that
// failed: the outline, transcript segments and spoken lines already made
// are kept.
func (e *Episodes) Retry(ctx context.Context, id string) (*Episode, error) {
	ep, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	states, err := e.States(ctx, []Episode{*ep})
	if err != nil {
		return nil, err
	}
	state := states[ep.ID].State
	if state != "failed" && state != "canceled" && state != "error" {
		return nil, apperr.Newf(apperr.Invalid, "Episode is not in a failed state (current: %s)", state)
	}
	err = e.tx.InTx(ctx, func(ctx context.Context) error {
		jobID, err := e.jobs.Enqueue(ctx, Generate{EpisodeID: ep.ID})
		if err != nil {
			return err
		}
		ep.CommandID, ep.Updated = jobID, e.now().UTC()
		return e.store.SaveEpisode(ctx, ep)
	})
	return ep, err
}

// Audio is an episode's audio file, open.
type Audio struct {
	File blob.File
	Name string
}

// AudioFile opens an episode's audio.
func (e *Episodes) AudioFile(ctx context.Context, id string) (*Audio, error) {
	ep, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if ep.AudioFile == "" {
		return nil, apperr.New(apperr.NotFound, "Episode has no audio file")
	}
	rel, ok := contained(ep.AudioFile)
	if !ok {
		return nil, apperr.New(apperr.Forbidden, "Access to file denied")
	}
	f, err := e.files.Open(ctx, rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, apperr.New(apperr.NotFound, "Audio file not found on disk")
	}
	if err != nil {
		return nil, err
	}
	return &Audio{File: f, Name: path.Base(rel)}, nil
}

// HasAudio reports whether an episode's audio is stored, which is when
// its audio_url is shown. An episode names its audio file only once the
// file is stored whole, so a list needs no read per episode.
func (e *Episodes) HasAudio(ep *Episode) bool {
	_, ok := contained(ep.AudioFile)
	return ok
}

// contained checks a stored relative path inside the podcasts' files,
// refusing absolute paths, URLs and paths that leave them.
func contained(rel string) (string, bool) {
	if strings.Contains(rel, "://") {
		return "", false
	}
	return blob.Clean(rel)
}
