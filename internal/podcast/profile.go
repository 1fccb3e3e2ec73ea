// Package podcast turns a notebook into a podcast episode: episode
// profiles (how an episode is planned and written) and speaker profiles
// (who voices it), and the generation pipeline run as a job: content,
// outline, transcript, speech, audio.
package podcast

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/record"
)

// Id prefixes.
const (
	EpisodeProfileTable = "episode_profile"
	SpeakerProfileTable = "speaker_profile"
	EpisodeTable        = "episode"
)

// Speaker is one voice of a speaker profile.
type Speaker struct {
	Name        string `json:"name"`
	VoiceID     string `json:"voice_id"`
	Backstory   string `json:"backstory"`
	Personality string `json:"personality"`
	// VoiceModel overrides the profile's text-to-speech model for this
	// speaker ("" uses the profile's).
	VoiceModel string `json:"voice_model,omitempty"`
}

// SpeakerProfile is the cast of an episode.
// Its JSON form is the snapshot an episode keeps.
type SpeakerProfile struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	VoiceModel  string    `json:"voice_model"` // "" until the user picks a text-to-speech model
	Speakers    []Speaker `json:"speakers"`
	Created     time.Time `json:"-"`
	Updated     time.Time `json:"-"`
}

// EpisodeProfile is how an episode is planned and written.
// Its JSON form is the snapshot an episode keeps.
type EpisodeProfile struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	Description     string    `json:"description"`
	SpeakerConfig   string    `json:"speaker_config"`      // a speaker profile id; "" when it was deleted
	SpeakerName     string    `json:"speaker_config_name"` // the speaker profile's name, when it exists (read only)
	OutlineLLM      string    `json:"outline_llm"`
	TranscriptLLM   string    `json:"transcript_llm"`
	Language        string    `json:"language"`
	DefaultBriefing string    `json:"default_briefing"`
	NumSegments     int       `json:"num_segments"`
	MaxTokens       int       `json:"max_tokens"` // 0: the model's default
	Created         time.Time `json:"-"`
	Updated         time.Time `json:"-"`
}

// Store persists profiles and episodes. Missing rows are apperr NotFound;
// a taken profile name is apperr Conflict.
type Store interface {
	CreateSpeakerProfile(ctx context.Context, p *SpeakerProfile) error
	SpeakerProfile(ctx context.Context, id string) (*SpeakerProfile, error)
	SpeakerProfileByName(ctx context.Context, name string) (*SpeakerProfile, error)
	ListSpeakerProfiles(ctx context.Context) ([]SpeakerProfile, error)
	UpdateSpeakerProfile(ctx context.Context, p *SpeakerProfile) error
	DeleteSpeakerProfile(ctx context.Context, id string) error

	CreateEpisodeProfile(ctx context.Context, p *EpisodeProfile) error
	EpisodeProfile(ctx context.Context, id string) (*EpisodeProfile, error)
	EpisodeProfileByName(ctx context.Context, name string) (*EpisodeProfile, error)
	ListEpisodeProfiles(ctx context.Context) ([]EpisodeProfile, error)
	UpdateEpisodeProfile(ctx context.Context, p *EpisodeProfile) error
	DeleteEpisodeProfile(ctx context.Context, id string) error

	CreateEpisode(ctx context.Context, e *Episode) error
	Episode(ctx context.Context, id string) (*Episode, error)
	ListEpisodes(ctx context.Context) ([]Episode, error)
	// SaveEpisode stores what generation made and the job that runs it.
	SaveEpisode(ctx context.Context, e *Episode) error
	DeleteEpisode(ctx context.Context, id string) error
}

// Model is what the profiles need to know of a registered model.
type Model struct {
	ID, Provider, Name, Type string
}

// Models finds registered models; ids that name none are left out.
type Models interface {
	Models(ctx context.Context, ids []string) (map[string]Model, error)
}

var (
	errEpisodeProfileNotFound = apperr.New(apperr.NotFound, "Episode profile not found")
	errSpeakerProfileNotFound = apperr.New(apperr.NotFound, "Speaker profile not found")
)

// ErrEpisodeProfileNotFound is returned by stores for a missing episode
// profile.
func ErrEpisodeProfileNotFound() error { return errEpisodeProfileNotFound }

// ErrSpeakerProfileNotFound is returned by stores for a missing speaker
// profile.
func ErrSpeakerProfileNotFound() error { return errSpeakerProfileNotFound }

// Limits on profiles.
const (
	maxName        = 200
	maxText        = 50_000
	minSpeakers    = 1
	maxSpeakers    = 4
	minSegments    = 3
	maxSegments    = 20
	maxOutputLimit = 200_000
)

func field(loc string, typ, msg string, input any) error {
	return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", loc}, Type: typ, Msg: msg, Input: input})
}

func checkText(name, v string, limit int, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return field(name, "string_too_short", "String should have at least 1 character", v)
	}
	if utf8.RuneCountInString(v) > limit {
		return field(name, "string_too_long", fmt.Sprintf("String should have at most %d characters", limit), nil)
	}
	return nil
}

// checkModel normalizes a model id and checks that it names a model of
// type want.
func checkModel(ctx context.Context, models Models, id, want, what string) (string, error) {
	if id == "" {
		return "", nil
	}
	full, ok := record.Normalize("model", id)
	if ok {
		found, err := models.Models(ctx, []string{full})
		if err != nil {
			return "", err
		}
		m, exists := found[full]
		if exists && m.Type != want {
			return "", apperr.Newf(apperr.Invalid, "Model %s (%s) is a %s model, not a %s model for the %s", full, m.Name, m.Type, want, what)
		}
		ok = exists
	}
	if !ok {
		return "", apperr.Newf(apperr.Invalid, "Model %s not found", id)
	}
	return full, nil
}

// Profiles manages episode and speaker profiles.
type Profiles struct {
	store  Store
	models Models
	now    func() time.Time
}

// NewProfiles returns the profiles service.
func NewProfiles(store Store, models Models, now func() time.Time) *Profiles {
	return &Profiles{store: store, models: models, now: now}
}

// SpeakerProfiles lists speaker profiles by name.
func (p *Profiles) SpeakerProfiles(ctx context.Context) ([]SpeakerProfile, error) {
	return p.store.ListSpeakerProfiles(ctx)
}

// SpeakerProfileByName finds a speaker profile by its name, as the
// original's GET does.
func (p *Profiles) SpeakerProfileByName(ctx context.Context, name string) (*SpeakerProfile, error) {
	sp, err := p.store.SpeakerProfileByName(ctx, name)
	if apperr.IsNotFound(err) {
		return nil, apperr.Newf(apperr.NotFound, "Speaker profile '%s' not found", name)
	}
	return sp, err
}

// SpeakerProfile finds a speaker profile by id.
func (p *Profiles) SpeakerProfile(ctx context.Context, id string) (*SpeakerProfile, error) {
	full, ok := record.Normalize(SpeakerProfileTable, id)
	if !ok {
		return nil, apperr.Newf(apperr.NotFound, "Speaker profile %s not found", id)
	}
	sp, err := p.store.SpeakerProfile(ctx, full)
	if apperr.IsNotFound(err) {
		return nil, apperr.Newf(apperr.NotFound, "Speaker profile %s not found", id)
	}
	return sp, err
}

// resolveSpeaker finds a speaker profile by id or, for older clients, by
// name.
func (p *Profiles) resolveSpeaker(ctx context.Context, ref string) (*SpeakerProfile, error) {
	if strings.HasPrefix(ref, SpeakerProfileTable+":") {
		if sp, err := p.store.SpeakerProfile(ctx, ref); err == nil || !apperr.IsNotFound(err) {
			return sp, err
		}
	}
	return p.store.SpeakerProfileByName(ctx, ref)
}

// SpeakerInput creates or replaces a speaker profile.
type SpeakerInput struct {
	Name, Description, VoiceModel string
	Speakers                      []Speaker
}

func (p *Profiles) checkSpeakers(ctx context.Context, in *SpeakerInput) error {
	if err := checkText("name", in.Name, maxName, true); err != nil {
		return err
	}
	if err := checkText("description", in.Description, maxText, false); err != nil {
		return err
	}
	if n := len(in.Speakers); n < minSpeakers || n > maxSpeakers {
		return field("speakers", "value_error", fmt.Sprintf("Value error, Must have between %d and %d speakers", minSpeakers, maxSpeakers), n)
	}
	var err error
	if in.VoiceModel, err = checkModel(ctx, p.models, in.VoiceModel, provider.TypeTextToSpeech, "voice"); err != nil {
		return err
	}
	names := map[string]bool{}
	for i := range in.Speakers {
		s := &in.Speakers[i]
		s.Name, s.VoiceID = strings.TrimSpace(s.Name), strings.TrimSpace(s.VoiceID)
		for _, f := range []struct{ name, v string }{{"name", s.Name}, {"voice_id", s.VoiceID}} {
			if f.v == "" {
				return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", "speakers", i, f.name}, Type: "value_error",
					Msg: "Value error, Speaker missing required field: " + f.name})
			}
		}
		for _, f := range []struct{ name, v string }{{"name", s.Name}, {"voice_id", s.VoiceID}, {"backstory", s.Backstory}, {"personality", s.Personality}} {
			if utf8.RuneCountInString(f.v) > maxText {
				return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", "speakers", i, f.name}, Type: "string_too_long",
					Msg: fmt.Sprintf("String should have at most %d characters", maxText)})
			}
		}
		if names[strings.ToLower(s.Name)] {
			return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", "speakers", i, "name"}, Type: "value_error",
				Msg: "Value error, Speaker names must differ: " + s.Name})
		}
		names[strings.ToLower(s.Name)] = true
		if s.VoiceModel, err = checkModel(ctx, p.models, s.VoiceModel, provider.TypeTextToSpeech, "voice"); err != nil {
			return err
		}
	}
	return nil
}

// CreateSpeakerProfile stores a new speaker profile.
func (p *Profiles) CreateSpeakerProfile(ctx context.Context, in SpeakerInput) (*SpeakerProfile, error) {
	if err := p.checkSpeakers(ctx, &in); err != nil {
		return nil, err
	}
	now := p.now().UTC()
	sp := &SpeakerProfile{ID: record.NewID(SpeakerProfileTable), Name: strings.TrimSpace(in.Name), Description: in.Description,
		VoiceModel: in.VoiceModel, Speakers: in.Speakers, Created: now, Updated: now}
	return sp, p.store.CreateSpeakerProfile(ctx, sp)
}

// UpdateSpeakerProfile replaces a speaker profile's fields.
func (p *Profiles) UpdateSpeakerProfile(ctx context.Context, id string, in SpeakerInput) (*SpeakerProfile, error) {
	sp, err := p.SpeakerProfile(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := p.checkSpeakers(ctx, &in); err != nil {
		return nil, err
	}
	sp.Name, sp.Description, sp.VoiceModel, sp.Speakers = strings.TrimSpace(in.Name), in.Description, in.VoiceModel, in.Speakers
	sp.Updated = p.now().UTC()
	return sp, p.store.UpdateSpeakerProfile(ctx, sp)
}

// DeleteSpeakerProfile removes a speaker profile; episode profiles that
// used it need another one.
func (p *Profiles) DeleteSpeakerProfile(ctx context.Context, id string) error {
	sp, err := p.SpeakerProfile(ctx, id)
	if err != nil {
		return err
	}
	return p.store.DeleteSpeakerProfile(ctx, sp.ID)
}

// DuplicateSpeakerProfile copies a speaker profile under a free name
// ("<name> - Copy", then "- Copy 2", ...).
func (p *Profiles) DuplicateSpeakerProfile(ctx context.Context, id string) (*SpeakerProfile, error) {
	sp, err := p.SpeakerProfile(ctx, id)
	if err != nil {
		return nil, err
	}
	name, err := freeName(sp.Name, func(n string) (bool, error) {
		_, err := p.store.SpeakerProfileByName(ctx, n)
		return taken(err)
	})
	if err != nil {
		return nil, err
	}
	now := p.now().UTC()
	cp := *sp
	cp.ID, cp.Name, cp.Created, cp.Updated = record.NewID(SpeakerProfileTable), name, now, now
	cp.Speakers = append([]Speaker(nil), sp.Speakers...)
	return &cp, p.store.CreateSpeakerProfile(ctx, &cp)
}

func taken(err error) (bool, error) {
	if apperr.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// freeName is the first copy name of name that exists reports free. The
// original always took "<name> - Copy", so duplicating twice failed.
func freeName(name string, exists func(string) (bool, error)) (string, error) {
	for i := 1; i <= 100; i++ {
		n := name + " - Copy"
		if i > 1 {
			n = fmt.Sprintf("%s - Copy %d", name, i)
		}
		used, err := exists(n)
		if err != nil {
			return "", err
		}
		if !used {
			return n, nil
		}
	}
	return "", apperr.Newf(apperr.Conflict, "Too many copies of '%s'", name)
}

// EpisodeProfiles lists episode profiles by name.
func (p *Profiles) EpisodeProfiles(ctx context.Context) ([]EpisodeProfile, error) {
	return p.store.ListEpisodeProfiles(ctx)
}

// EpisodeProfileByName finds an episode profile by its name, as the
// original's GET does.
func (p *Profiles) EpisodeProfileByName(ctx context.Context, name string) (*EpisodeProfile, error) {
	ep, err := p.store.EpisodeProfileByName(ctx, name)
	if apperr.IsNotFound(err) {
		return nil, apperr.Newf(apperr.NotFound, "Episode profile '%s' not found", name)
	}
	return ep, err
}

// EpisodeProfile finds an episode profile by id.
func (p *Profiles) EpisodeProfile(ctx context.Context, id string) (*EpisodeProfile, error) {
	full, ok := record.Normalize(EpisodeProfileTable, id)
	if !ok {
		return nil, apperr.Newf(apperr.NotFound, "Episode profile %s not found", id)
	}
	ep, err := p.store.EpisodeProfile(ctx, full)
	if apperr.IsNotFound(err) {
		return nil, apperr.Newf(apperr.NotFound, "Episode profile %s not found", id)
	}
	return ep, err
}

// EpisodeInput creates an episode profile, or changes one: for a change,
// nil fields are kept.
type EpisodeInput struct {
	Name, Description, SpeakerConfig *string
	OutlineLLM, TranscriptLLM        *string
	Language, DefaultBriefing        *string
	NumSegments, MaxTokens           *int
}

func (p *Profiles) apply(ctx context.Context, ep *EpisodeProfile, in EpisodeInput) error {
	if in.Name != nil {
		if err := checkText("name", *in.Name, maxName, true); err != nil {
			return err
		}
		ep.Name = strings.TrimSpace(*in.Name)
	}
	if in.Description != nil {
		if err := checkText("description", *in.Description, maxText, false); err != nil {
			return err
		}
		ep.Description = *in.Description
	}
	if in.DefaultBriefing != nil {
		if err := checkText("default_briefing", *in.DefaultBriefing, maxText, false); err != nil {
			return err
		}
		ep.DefaultBriefing = *in.DefaultBriefing
	}
	if in.NumSegments != nil {
		if n := *in.NumSegments; n < minSegments || n > maxSegments {
			return field("num_segments", "value_error", fmt.Sprintf("Value error, Number of segments must be between %d and %d", minSegments, maxSegments), n)
		}
		ep.NumSegments = *in.NumSegments
	}
	if in.MaxTokens != nil {
		if n := *in.MaxTokens; n < 0 || n > maxOutputLimit {
			return field("max_tokens", "value_error", fmt.Sprintf("Value error, max_tokens must be between 1 and %d", maxOutputLimit), n)
		}
		ep.MaxTokens = *in.MaxTokens
	}
	if in.Language != nil {
		if err := checkText("language", *in.Language, 35, false); err != nil {
			return err
		}
		ep.Language = strings.TrimSpace(*in.Language)
	}
	var err error
	if in.OutlineLLM != nil {
		if ep.OutlineLLM, err = checkModel(ctx, p.models, *in.OutlineLLM, provider.TypeLanguage, "outline"); err != nil {
			return err
		}
	}
	if in.TranscriptLLM != nil {
		if ep.TranscriptLLM, err = checkModel(ctx, p.models, *in.TranscriptLLM, provider.TypeLanguage, "transcript"); err != nil {
			return err
		}
	}
	if in.SpeakerConfig != nil {
		ref := strings.TrimSpace(*in.SpeakerConfig)
		if ref == "" {
			ep.SpeakerConfig, ep.SpeakerName = "", ""
			return nil
		}
		sp, err := p.resolveSpeaker(ctx, ref)
		if apperr.IsNotFound(err) {
			return apperr.Newf(apperr.Invalid, "Speaker profile '%s' not found", ref)
		}
		if err != nil {
			return err
		}
		ep.SpeakerConfig, ep.SpeakerName = sp.ID, sp.Name
	}
	return nil
}

// CreateEpisodeProfile stores a new episode profile.
func (p *Profiles) CreateEpisodeProfile(ctx context.Context, in EpisodeInput) (*EpisodeProfile, error) {
	now := p.now().UTC()
	ep := &EpisodeProfile{ID: record.NewID(EpisodeProfileTable), NumSegments: 5, Created: now, Updated: now}
	if in.Name == nil {
		return nil, field("name", "missing", "Field required", nil)
	}
	if err := p.apply(ctx, ep, in); err != nil {
		return nil, err
	}
	return ep, p.store.CreateEpisodeProfile(ctx, ep)
}

// UpdateEpisodeProfile changes an episode profile.
func (p *Profiles) UpdateEpisodeProfile(ctx context.Context, id string, in EpisodeInput) (*EpisodeProfile, error) {
	ep, err := p.EpisodeProfile(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := p.apply(ctx, ep, in); err != nil {
		return nil, err
	}
	ep.Updated = p.now().UTC()
	return ep, p.store.UpdateEpisodeProfile(ctx, ep)
}

// DeleteEpisodeProfile removes an episode profile; episodes made with it
// keep their snapshot.
func (p *Profiles) DeleteEpisodeProfile(ctx context.Context, id string) error {
	ep, err := p.EpisodeProfile(ctx, id)
	if err != nil {
		return err
	}
	return p.store.DeleteEpisodeProfile(ctx, ep.ID)
}

// DuplicateEpisodeProfile copies an episode profile under a free name.
func (p *Profiles) DuplicateEpisodeProfile(ctx context.Context, id string) (*EpisodeProfile, error) {
	ep, err := p.EpisodeProfile(ctx, id)
	if err != nil {
		return nil, err
	}
	name, err := freeName(ep.Name, func(n string) (bool, error) {
		_, err := p.store.EpisodeProfileByName(ctx, n)
		return taken(err)
	})
	if err != nil {
		return nil, err
	}
	now := p.now().UTC()
	cp := *ep
	cp.ID, cp.Name, cp.Created, cp.Updated = record.NewID(EpisodeProfileTable), name, now, now
	return &cp, p.store.CreateEpisodeProfile(ctx, &cp)
}

// Models finds the registered models among ids, for display.
func (p *Profiles) Models(ctx context.Context, ids []string) (map[string]Model, error) {
	var want []string
	for _, id := range ids {
		if id != "" {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return map[string]Model{}, nil
	}
	return p.models.Models(ctx, want)
}

// voices are the built-in voices of the providers whose voices have
// names; others (ElevenLabs' voice ids, say) are typed by the user.
var voices = map[string][]string{
	"openai":            {"alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse"},
	"openai_compatible": {"alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse"},
	"azure":             {"alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse"},
	"google": {"Zephyr", "Puck", "Charon", "Kore", "Fenrir", "Leda", "Orus", "Aoede", "Callirrhoe", "Autonoe", "Enceladus",
		"Iapetus", "Umbriel", "Algieba", "Despina", "Erinome", "Algenib", "Rasalgethi", "Laomedeia", "Achernar", "Alnilam",
		"Schedar", "Gacrux", "Pulcherrima", "Achird", "Zubenelgenubi", "Vindemiatrix", "Sadachbia", "Sadaltager", "Sulafat"},
}

// Voices lists the voices a text-to-speech model offers, where they are
// known.
func (p *Profiles) Voices(ctx context.Context, modelID string) ([]string, error) {
	full, ok := record.Normalize("model", modelID)
	if !ok {
		return nil, apperr.Newf(apperr.NotFound, "Model %s not found", modelID)
	}
	found, err := p.models.Models(ctx, []string{full})
	if err != nil {
		return nil, err
	}
	m, ok := found[full]
	if !ok {
		return nil, apperr.Newf(apperr.NotFound, "Model %s not found", modelID)
	}
	if m.Type != provider.TypeTextToSpeech {
		return nil, apperr.Newf(apperr.Invalid, "Model %s (%s) is a %s model, not a text-to-speech model", m.ID, m.Name, m.Type)
	}
	v := voices[m.Provider]
	if v == nil {
		v = []string{}
	}
	return v, nil
}
