package podcast

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/blob"
	"github.com/open-notebook/open-notebook/internal/notebook"
	"github.com/open-notebook/open-notebook/internal/provider"
)

// Stages of a generation, as its job's progress names them.
const (
	StageContent    = "content"
	StageOutline    = "outline"
	StageTranscript = "transcript"
	StageSpeech     = "speech"
	StageAudio      = "audio"
	StageDone       = "done"
)

// Bounds of the models' answers.
const (
	maxLineRunes    = 4000 // what one speech call accepts at most (OpenAI's limit is 4096)
	maxSegmentLines = 60
	recentLines     = 40 // how much of the transcript so far a segment's writer sees
)

// Run is the generate_podcast job. Each stage stores what it made before
// the next begins, and skips what is already there, so a run that failed
// or was killed resumes where it stopped: an outline is planned once, a
// segment written once, a line spoken once.
func (e *Episodes) Run(ctx context.Context, a Generate, rep notebook.Reporter) error {
	ep, err := e.store.Episode(ctx, a.EpisodeID)
	if apperr.IsNotFound(err) {
		return notebook.Permanent(apperr.Newf(apperr.NotFound, "Episode %s was deleted", a.EpisodeID))
	}
	if err != nil {
		return err
	}
	if ep.CommandID != "" && ep.CommandID != rep.ID() {
		return notebook.Permanent(fmt.Errorf("episode %s is now made by job %s", ep.ID, ep.CommandID))
	}
	err = e.run(ctx, ep, rep)
	if err != nil && permanent(err) {
		return notebook.Permanent(err)
	}
	return err
}

// permanent reports a failure no retry of the job can fix.
func permanent(err error) bool {
	if notebook.IsPermanent(err) || errors.Is(err, errUnreadableAudio) {
		return true
	}
	if e, ok := apperr.As(err); ok {
		switch e.Code {
		case apperr.Invalid, apperr.Unprocessable, apperr.NotFound, apperr.Forbidden:
			return true
		}
	}
	return false
}

func (e *Episodes) run(ctx context.Context, ep *Episode, rep notebook.Reporter) error {
	rep.Progress(StageContent, 0, 1)
	if err := e.stillThere(ctx, ep); err != nil {
		return err
	}
	if strings.TrimSpace(ep.Content) == "" {
		text, err := e.content.Content(ctx, ep.NotebookID, maxContent)
		if apperr.IsNotFound(err) {
			return apperr.Newf(apperr.NotFound, "Notebook %s was deleted before its episode was made", ep.NotebookID)
		}
		if err != nil {
			return err
		}
		if strings.TrimSpace(text) == "" {
			return apperr.Newf(apperr.Invalid, "Notebook %s has no sources or notes to make an episode from", ep.NotebookID)
		}
		ep.Content = text
		if err := e.save(ctx, ep); err != nil {
			return err
		}
	}
	rep.Progress(StageContent, 1, 1)

	if ep.Outline == nil {
		rep.Progress(StageOutline, 0, 1)
		outline, err := e.outline(ctx, ep)
		if err != nil {
			return err
		}
		if err := e.stillThere(ctx, ep); err != nil {
			return err
		}
		ep.Outline = outline
		if err := e.save(ctx, ep); err != nil {
			return err
		}
	}
	rep.Progress(StageOutline, 1, 1)

	segments := len(ep.Outline.Segments)
	if ep.Transcript == nil {
		ep.Transcript = &Transcript{Lines: []Line{}}
	}
	for i := ep.Transcript.segmentsDone(); i < segments; i++ {
		rep.Progress(StageTranscript, i, segments)
		lines, err := e.segment(ctx, ep, i)
		if err != nil {
			return err
		}
		if err := e.stillThere(ctx, ep); err != nil {
			return err
		}
		ep.Transcript.Lines = append(ep.Transcript.Lines, lines...)
		if err := e.save(ctx, ep); err != nil {
			return err
		}
	}
	rep.Progress(StageTranscript, segments, segments)

	lines := ep.Transcript.Lines
	clips := make([]string, len(lines))
	dir := path.Join(folder(ep.ID), "clips")
	voices := voicesOf(&ep.SpeakerProfile)
	for i, l := range lines {
		clips[i] = path.Join(dir, fmt.Sprintf("%05d.audio", i))
		if spoken, err := blob.Exists(ctx, e.files, clips[i]); err != nil {
			return err
		} else if spoken {
			continue // spoken by an earlier run
		}
		rep.Progress(StageSpeech, i, len(lines))
		if err := e.stillThere(ctx, ep); err != nil {
			return err
		}
		v := voices[strings.ToLower(l.Speaker)]
		speech, err := e.ai.SpeakWith(ctx, v.model, v.voice, l.Dialogue)
		if err != nil {
			return err
		}
		if len(speech.Audio) > maxClip {
			return fmt.Errorf("%w: line %d's audio is larger than %d MB", errUnreadableAudio, i+1, maxClip>>20)
		}
		// Refuse audio that cannot be combined now, before paying for the
		// other lines.
		if _, err := decodeClip(speech.Audio); err != nil {
			return fmt.Errorf("line %d (%s): %w", i+1, speech.ContentType, err)
		}
		// A clip is stored whole or not at all: one that exists is a line
		// fully spoken.
		if err := e.files.Put(ctx, clips[i], bytes.NewReader(speech.Audio)); err != nil {
			return err
		}
	}
	rep.Progress(StageSpeech, len(lines), len(lines))

	rep.Progress(StageAudio, 0, 1)
	if err := e.stillThere(ctx, ep); err != nil {
		return err
	}
	rel := path.Join(folder(ep.ID), "audio.wav")
	samples, err := combine(ctx, e.files, rel, clips)
	if err != nil {
		return err
	}
	ep.AudioFile = rel
	if err := e.save(ctx, ep); err != nil {
		return err
	}
	rep.Progress(StageDone, 1, 1)
	rep.Result(map[string]any{"success": true, "episode_id": ep.ID, "audio_file": ep.AudioFile,
		"lines": len(lines), "duration_seconds": float64(samples) / SampleRate})
	return nil
}

// save stores the episode's progress; a deleted episode stops the job.
func (e *Episodes) save(ctx context.Context, ep *Episode) error {
	ep.Updated = e.now().UTC()
	err := e.store.SaveEpisode(ctx, ep)
	if apperr.IsNotFound(err) {
		return apperr.Newf(apperr.NotFound, "Episode %s was deleted during generation", ep.ID)
	}
	return err
}

// stillThere fails when the episode, one of its profiles or its notebook
// was deleted while it was being made.
func (e *Episodes) stillThere(ctx context.Context, ep *Episode) error {
	if _, err := e.store.Episode(ctx, ep.ID); err != nil {
		if apperr.IsNotFound(err) {
			return apperr.Newf(apperr.NotFound, "Episode %s was deleted during generation", ep.ID)
		}
		return err
	}
	if _, err := e.store.EpisodeProfile(ctx, ep.EpisodeProfile.ID); err != nil {
		if apperr.IsNotFound(err) {
			return apperr.Newf(apperr.NotFound, "Episode profile '%s' was deleted during generation", ep.EpisodeProfile.Name)
		}
		return err
	}
	if _, err := e.store.SpeakerProfile(ctx, ep.SpeakerProfile.ID); err != nil {
		if apperr.IsNotFound(err) {
			return apperr.Newf(apperr.NotFound, "Speaker profile '%s' was deleted during generation", ep.SpeakerProfile.Name)
		}
		return err
	}
	if ep.NotebookID != "" {
		if _, err := e.books.Notebook(ctx, ep.NotebookID); err != nil {
			if apperr.IsNotFound(err) {
				return apperr.Newf(apperr.NotFound, "Notebook %s was deleted during generation", ep.NotebookID)
			}
			return err
		}
	}
	return nil
}

type voice struct{ model, voice string }

func voicesOf(sp *SpeakerProfile) map[string]voice {
	out := map[string]voice{}
	for _, s := range sp.Speakers {
		m := s.VoiceModel
		if m == "" {
			m = sp.VoiceModel
		}
		out[strings.ToLower(s.Name)] = voice{model: m, voice: s.VoiceID}
	}
	return out
}

// outline asks the outline model for the episode's plan.
func (e *Episodes) outline(ctx context.Context, ep *Episode) (*Outline, error) {
	want := ep.EpisodeProfile.NumSegments
	user := fmt.Sprintf("BRIEFING:\n%s\n\nSPEAKERS:\n%s\n\nNUMBER OF SEGMENTS: %d\n%s\nMATERIAL:\n%s",
		ep.Briefing, cast(&ep.SpeakerProfile), want, languageLine(ep), ep.Content)
	var out Outline
	err := e.ask(ctx, "outline", ep.EpisodeProfile.OutlineLLM, ep.EpisodeProfile.MaxTokens, outlineInstructions, user, &out, func() error {
		if len(out.Segments) == 0 {
			return errors.New(`"segments" is empty`)
		}
		if len(out.Segments) > maxSegments {
			return fmt.Errorf("%d segments, more than %d", len(out.Segments), maxSegments)
		}
		for i := range out.Segments {
			s := &out.Segments[i]
			s.Name, s.Description = strings.TrimSpace(s.Name), strings.TrimSpace(s.Description)
			if s.Name == "" {
				return fmt.Errorf("segment %d has no name", i+1)
			}
			switch s.Size {
			case "short", "medium", "long":
			default:
				s.Size = "medium"
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// turns is how many lines a segment of a size has, roughly.
var turns = map[string]int{"short": 4, "medium": 8, "long": 12}

// segment asks the transcript model for segment i's dialogue.
func (e *Episodes) segment(ctx context.Context, ep *Episode, i int) ([]Line, error) {
	seg := ep.Outline.Segments[i]
	outline, _ := json.Marshal(ep.Outline)
	prior := ep.Transcript.Lines
	if len(prior) > recentLines {
		prior = prior[len(prior)-recentLines:]
	}
	var so strings.Builder
	for _, l := range prior {
		fmt.Fprintf(&so, "%s: %s\n", l.Speaker, l.Dialogue)
	}
	if so.Len() == 0 {
		so.WriteString("(nothing yet: this is the first segment)\n")
	}
	names := make([]string, len(ep.SpeakerProfile.Speakers))
	for j, s := range ep.SpeakerProfile.Speakers {
		names[j] = s.Name
	}
	position := "a middle segment: do not open or close the episode"
	switch {
	case len(ep.Outline.Segments) == 1:
		position = "the only segment: open and close the episode"
	case i == 0:
		position = "the first segment: open the episode and introduce the speakers"
	case i == len(ep.Outline.Segments)-1:
		position = "the last segment: wrap the episode up and say goodbye"
	}
	user := fmt.Sprintf("BRIEFING:\n%s\n\nSPEAKERS (use exactly these names: %s):\n%s\n%s\nOUTLINE:\n%s\n\n"+
		"SEGMENT TO WRITE (%d of %d, %s): %s — %s\nAIM FOR ABOUT %d LINES.\n\nTRANSCRIPT SO FAR:\n%s\nMATERIAL:\n%s",
		ep.Briefing, strings.Join(names, ", "), cast(&ep.SpeakerProfile), languageLine(ep), outline,
		i+1, len(ep.Outline.Segments), position, seg.Name, seg.Description, turns[seg.Size], so.String(), ep.Content)
	voices := voicesOf(&ep.SpeakerProfile)
	canonical := map[string]string{}
	for _, n := range names {
		canonical[strings.ToLower(n)] = n
	}
	var out struct {
		Transcript []struct {
			Speaker  string `json:"speaker"`
			Dialogue string `json:"dialogue"`
		} `json:"transcript"`
	}
	var lines []Line
	err := e.ask(ctx, "transcript", ep.EpisodeProfile.TranscriptLLM, ep.EpisodeProfile.MaxTokens, transcriptInstructions, user, &out, func() error {
		lines = lines[:0]
		if len(out.Transcript) == 0 {
			return errors.New(`"transcript" is empty`)
		}
		if len(out.Transcript) > maxSegmentLines {
			return fmt.Errorf("%d lines, more than %d", len(out.Transcript), maxSegmentLines)
		}
		for j, t := range out.Transcript {
			key := strings.ToLower(strings.TrimSpace(t.Speaker))
			if _, ok := voices[key]; !ok {
				return fmt.Errorf("line %d is spoken by %q, who is not one of %s", j+1, t.Speaker, strings.Join(names, ", "))
			}
			d := strings.TrimSpace(t.Dialogue)
			if d == "" {
				return fmt.Errorf("line %d has no dialogue", j+1)
			}
			if len([]rune(d)) > maxLineRunes {
				return fmt.Errorf("line %d is longer than %d characters", j+1, maxLineRunes)
			}
			lines = append(lines, Line{Speaker: canonical[key], Dialogue: d, Segment: i})
		}
		return nil
	})
	return lines, err
}

// ask calls a model for a JSON answer decoded into out and checked by
// check. An answer that is not what was asked for is asked once more,
// with the reason; a second one fails the episode with that reason.
func (e *Episodes) ask(ctx context.Context, what, modelID string, maxTokens int, system, user string, out any, check func() error) error {
	messages := []provider.Message{{Role: "system", Content: system}, {Role: "user", Content: user}}
	var reason error
	for attempt := range 2 {
		answer, err := e.ai.ChatWith(ctx, modelID, messages, maxTokens)
		if err != nil {
			return err
		}
		reason = decode(answer, out)
		if reason == nil {
			reason = check()
		}
		if reason == nil {
			return nil
		}
		if attempt == 0 {
			messages = append(messages, provider.Message{Role: "assistant", Content: answer},
				provider.Message{Role: "user", Content: "That answer cannot be used: " + reason.Error() +
					". Answer again with only the JSON object described, nothing before or after it."})
		}
	}
	return apperr.Newf(apperr.Unprocessable, "The %s model's answer was not the JSON asked for, twice (%v). "+
		"Models that think aloud before answering often do this: choose another model in the episode profile.", what, reason)
}

var thinking = regexp.MustCompile(`(?s)<think>.*?</think>`)

// decode reads a JSON object out of a model's answer, which may wrap it in
// reasoning or a code fence.
func decode(answer string, out any) error {
	s := thinking.ReplaceAllString(answer, "")
	start, end := strings.Index(s, "{"), strings.LastIndex(s, "}")
	if start < 0 || end < start {
		return errors.New("it holds no JSON object")
	}
	if err := json.Unmarshal([]byte(s[start:end+1]), out); err != nil {
		return fmt.Errorf("its JSON is invalid: %v", err)
	}
	return nil
}

func cast(sp *SpeakerProfile) string {
	var b strings.Builder
	for _, s := range sp.Speakers {
		fmt.Fprintf(&b, "- %s. Background: %s Personality: %s\n", s.Name, s.Backstory, s.Personality)
	}
	return b.String()
}

func languageLine(ep *Episode) string {
	if ep.EpisodeProfile.Language == "" {
		return ""
	}
	return "LANGUAGE: write everything in " + ep.EpisodeProfile.Language + ".\n"
}

const outlineInstructions = `You plan episodes of a podcast made from a listener's own material. Read the briefing, the speakers and the material, and divide the episode into the number of segments asked for. The first segment introduces the topic and the speakers; the last one sums up. Each segment has a short name, a description of what is said in it (two or three sentences naming the ideas from the material it covers) and a size: "short", "medium" or "long".

Answer with one JSON object and nothing else, in this form:
{"segments": [{"name": "...", "description": "...", "size": "short"}]}`

const transcriptInstructions = `You write the dialogue of one segment of a podcast episode made from a listener's own material. Follow the briefing and the outline, stay true to the material, and let each speaker talk as their background and personality suggest. Speakers react to one another; they do not read lists aloud. Write speech only: no stage directions, sound effects or Markdown. Continue naturally from the transcript so far without repeating it.

Answer with one JSON object and nothing else, in this form, using only the speakers' exact names:
{"transcript": [{"speaker": "<name>", "dialogue": "<what they say>"}]}`
