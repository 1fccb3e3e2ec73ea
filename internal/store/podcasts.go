package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/podcast"
)

func (db *DB) profileError(err error, kind, name string) error {
	if err == nil {
		return nil
	}
	if db.isForeignKey(err) {
		return apperr.Wrap(apperr.Invalid, "A model or speaker profile the "+kind+" profile names no longer exists", err)
	}
	return db.conflict(err, fmt.Sprintf("%s profile '%s' already exists", map[string]string{"episode": "Episode", "speaker": "Speaker"}[kind], name))
}

const speakerColumns = `id, name, description, voice_model, speakers, created, updated`

func scanSpeakerProfile(sc scanner) (*podcast.SpeakerProfile, error) {
	var (
		p                podcast.SpeakerProfile
		voice            sql.NullString
		speakers         string
		created, updated int64
	)
	if err := sc.Scan(&p.ID, &p.Name, &p.Description, &voice, &speakers, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(speakers), &p.Speakers); err != nil {
		return nil, fmt.Errorf("speaker profile %s: %w", p.ID, err)
	}
	p.VoiceModel, p.Created, p.Updated = voice.String, fromMicros(created), fromMicros(updated)
	return &p, nil
}

func speakersJSON(p *podcast.SpeakerProfile) string {
	b, _ := json.Marshal(p.Speakers)
	return string(b)
}

// CreateSpeakerProfile implements podcast.Store.
func (db *DB) CreateSpeakerProfile(ctx context.Context, p *podcast.SpeakerProfile) error {
	_, err := db.w(ctx).ExecContext(ctx, `INSERT INTO speaker_profiles (`+speakerColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		p.ID, p.Name, p.Description, null(p.VoiceModel), speakersJSON(p), micros(p.Created), micros(p.Updated))
	return db.profileError(err, "speaker", p.Name)
}

func (db *DB) speakerProfileWhere(ctx context.Context, where string, arg string) (*podcast.SpeakerProfile, error) {
	p, err := scanSpeakerProfile(db.r(ctx).QueryRowContext(ctx, `SELECT `+speakerColumns+` FROM speaker_profiles WHERE `+where+` = $1`, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, podcast.ErrSpeakerProfileNotFound()
	}
	return p, err
}

// SpeakerProfile implements podcast.Store.
func (db *DB) SpeakerProfile(ctx context.Context, id string) (*podcast.SpeakerProfile, error) {
	return db.speakerProfileWhere(ctx, "id", id)
}

// SpeakerProfileByName implements podcast.Store.
func (db *DB) SpeakerProfileByName(ctx context.Context, name string) (*podcast.SpeakerProfile, error) {
	return db.speakerProfileWhere(ctx, "name", name)
}

// ListSpeakerProfiles implements podcast.Store.
func (db *DB) ListSpeakerProfiles(ctx context.Context) ([]podcast.SpeakerProfile, error) {
	rows, err := db.r(ctx).QueryContext(ctx, `SELECT `+speakerColumns+` FROM speaker_profiles ORDER BY name, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []podcast.SpeakerProfile{}
	for rows.Next() {
		p, err := scanSpeakerProfile(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}

// UpdateSpeakerProfile implements podcast.Store.
func (db *DB) UpdateSpeakerProfile(ctx context.Context, p *podcast.SpeakerProfile) error {
	res, err := db.w(ctx).ExecContext(ctx, `UPDATE speaker_profiles SET name = $2, description = $3, voice_model = $4, speakers = $5,
		updated = $6 WHERE id = $1`, p.ID, p.Name, p.Description, null(p.VoiceModel), speakersJSON(p), micros(p.Updated))
	if err != nil {
		return db.profileError(err, "speaker", p.Name)
	}
	return affected(res, err, podcast.ErrSpeakerProfileNotFound())
}

// DeleteSpeakerProfile implements podcast.Store.
func (db *DB) DeleteSpeakerProfile(ctx context.Context, id string) error {
	res, err := db.w(ctx).ExecContext(ctx, `DELETE FROM speaker_profiles WHERE id = $1`, id)
	return affected(res, err, podcast.ErrSpeakerProfileNotFound())
}

const episodeProfileColumns = `e.id, e.name, e.description, e.speaker_config, s.name, e.outline_llm, e.transcript_llm, e.language,
	e.default_briefing, e.num_segments, e.max_tokens, e.created, e.updated`

const episodeProfileFrom = ` FROM episode_profiles e LEFT JOIN speaker_profiles s ON s.id = e.speaker_config`

func scanEpisodeProfile(sc scanner) (*podcast.EpisodeProfile, error) {
	var (
		p                                            podcast.EpisodeProfile
		speaker, speakerName, outline, transcript, l sql.NullString
		maxTokens                                    sql.NullInt64
		created, updated                             int64
	)
	if err := sc.Scan(&p.ID, &p.Name, &p.Description, &speaker, &speakerName, &outline, &transcript, &l, &p.DefaultBriefing,
		&p.NumSegments, &maxTokens, &created, &updated); err != nil {
		return nil, err
	}
	p.SpeakerConfig, p.SpeakerName, p.OutlineLLM, p.TranscriptLLM, p.Language = speaker.String, speakerName.String, outline.String, transcript.String, l.String
	p.MaxTokens, p.Created, p.Updated = int(maxTokens.Int64), fromMicros(created), fromMicros(updated)
	return &p, nil
}

func nullInt(n int) sql.NullInt64 { return sql.NullInt64{Int64: int64(n), Valid: n != 0} }

// CreateEpisodeProfile implements podcast.Store.
func (db *DB) CreateEpisodeProfile(ctx context.Context, p *podcast.EpisodeProfile) error {
	_, err := db.w(ctx).ExecContext(ctx, `INSERT INTO episode_profiles (id, name, description, speaker_config, outline_llm, transcript_llm,
		language, default_briefing, num_segments, max_tokens, created, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		p.ID, p.Name, p.Description, null(p.SpeakerConfig), null(p.OutlineLLM), null(p.TranscriptLLM), null(p.Language),
		p.DefaultBriefing, p.NumSegments, nullInt(p.MaxTokens), micros(p.Created), micros(p.Updated))
	return db.profileError(err, "episode", p.Name)
}

func (db *DB) episodeProfileWhere(ctx context.Context, where string, arg string) (*podcast.EpisodeProfile, error) {
	p, err := scanEpisodeProfile(db.r(ctx).QueryRowContext(ctx, `SELECT `+episodeProfileColumns+episodeProfileFrom+` WHERE e.`+where+` = $1`, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, podcast.ErrEpisodeProfileNotFound()
	}
	return p, err
}

// EpisodeProfile implements podcast.Store.
func (db *DB) EpisodeProfile(ctx context.Context, id string) (*podcast.EpisodeProfile, error) {
	return db.episodeProfileWhere(ctx, "id", id)
}

// EpisodeProfileByName implements podcast.Store.
func (db *DB) EpisodeProfileByName(ctx context.Context, name string) (*podcast.EpisodeProfile, error) {
	return db.episodeProfileWhere(ctx, "name", name)
}

// ListEpisodeProfiles implements podcast.Store.
func (db *DB) ListEpisodeProfiles(ctx context.Context) ([]podcast.EpisodeProfile, error) {
	rows, err := db.r(ctx).QueryContext(ctx, `SELECT `+episodeProfileColumns+episodeProfileFrom+` ORDER BY e.name, e.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []podcast.EpisodeProfile{}
	for rows.Next() {
		p, err := scanEpisodeProfile(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}

// UpdateEpisodeProfile implements podcast.Store.
func (db *DB) UpdateEpisodeProfile(ctx context.Context, p *podcast.EpisodeProfile) error {
	res, err := db.w(ctx).ExecContext(ctx, `UPDATE episode_profiles SET name = $2, description = $3, speaker_config = $4, outline_llm = $5,
		transcript_llm = $6, language = $7, default_briefing = $8, num_segments = $9, max_tokens = $10, updated = $11 WHERE id = $1`,
		p.ID, p.Name, p.Description, null(p.SpeakerConfig), null(p.OutlineLLM), null(p.TranscriptLLM), null(p.Language),
		p.DefaultBriefing, p.NumSegments, nullInt(p.MaxTokens), micros(p.Updated))
	if err != nil {
		return db.profileError(err, "episode", p.Name)
	}
	return affected(res, err, podcast.ErrEpisodeProfileNotFound())
}

// DeleteEpisodeProfile implements podcast.Store.
func (db *DB) DeleteEpisodeProfile(ctx context.Context, id string) error {
	res, err := db.w(ctx).ExecContext(ctx, `DELETE FROM episode_profiles WHERE id = $1`, id)
	return affected(res, err, podcast.ErrEpisodeProfileNotFound())
}

const episodeColumns = `id, name, episode_profile, speaker_profile, briefing, content, notebook_id, command_id, outline, transcript,
	audio_file, created, updated`

func scanEpisode(sc scanner) (*podcast.Episode, error) {
	var (
		e                                                  podcast.Episode
		epSnap, spSnap                                     string
		notebookID, command, outline, transcript, audioRel sql.NullString
		created, updated                                   int64
	)
	if err := sc.Scan(&e.ID, &e.Name, &epSnap, &spSnap, &e.Briefing, &e.Content, &notebookID, &command, &outline, &transcript,
		&audioRel, &created, &updated); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		raw string
		dst any
	}{{epSnap, &e.EpisodeProfile}, {spSnap, &e.SpeakerProfile}, {outline.String, &e.Outline}, {transcript.String, &e.Transcript}} {
		if f.raw == "" {
			continue
		}
		if err := json.Unmarshal([]byte(f.raw), f.dst); err != nil {
			return nil, fmt.Errorf("episode %s: %w", e.ID, err)
		}
	}
	e.NotebookID, e.CommandID, e.AudioFile = notebookID.String, command.String, audioRel.String
	e.Created, e.Updated = fromMicros(created), fromMicros(updated)
	return &e, nil
}

// jsonOrNull stores v as JSON, or NULL when it is a nil pointer.
func jsonOrNull[T any](v *T) sql.NullString {
	if v == nil {
		return sql.NullString{}
	}
	b, _ := json.Marshal(v)
	return sql.NullString{String: string(b), Valid: true}
}

// CreateEpisode implements podcast.Store.
func (db *DB) CreateEpisode(ctx context.Context, e *podcast.Episode) error {
	_, err := db.w(ctx).ExecContext(ctx, `INSERT INTO episodes (`+episodeColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		e.ID, e.Name, jsonOrNull(&e.EpisodeProfile).String, jsonOrNull(&e.SpeakerProfile).String, e.Briefing, e.Content, null(e.NotebookID),
		null(e.CommandID), jsonOrNull(e.Outline), jsonOrNull(e.Transcript), null(e.AudioFile), micros(e.Created), micros(e.Updated))
	return err
}

// Episode implements podcast.Store.
func (db *DB) Episode(ctx context.Context, id string) (*podcast.Episode, error) {
	e, err := scanEpisode(db.r(ctx).QueryRowContext(ctx, `SELECT `+episodeColumns+` FROM episodes WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, podcast.ErrEpisodeNotFound()
	}
	return e, err
}

// ListEpisodes implements podcast.Store.
func (db *DB) ListEpisodes(ctx context.Context) ([]podcast.Episode, error) {
	rows, err := db.r(ctx).QueryContext(ctx, `SELECT `+episodeColumns+` FROM episodes ORDER BY created DESC, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []podcast.Episode{}
	for rows.Next() {
		e, err := scanEpisode(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	return out, rows.Err()
}

// SaveEpisode implements podcast.Store.
func (db *DB) SaveEpisode(ctx context.Context, e *podcast.Episode) error {
	res, err := db.w(ctx).ExecContext(ctx, `UPDATE episodes SET content = $2, command_id = $3, outline = $4, transcript = $5, audio_file = $6,
		updated = $7 WHERE id = $1`, e.ID, e.Content, null(e.CommandID), jsonOrNull(e.Outline), jsonOrNull(e.Transcript), null(e.AudioFile),
		micros(e.Updated))
	return affected(res, err, podcast.ErrEpisodeNotFound())
}

// DeleteEpisode implements podcast.Store.
func (db *DB) DeleteEpisode(ctx context.Context, id string) error {
	res, err := db.w(ctx).ExecContext(ctx, `DELETE FROM episodes WHERE id = $1`, id)
	return affected(res, err, podcast.ErrEpisodeNotFound())
}
