package notebook

import (
	"context"
	"fmt"
	"strings"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/extract"
	"github.com/open-notebook/open-notebook/internal/provider"
)

// Transcriber turns speech into text with a speech-to-text model.
type Transcriber interface {
	// DefaultModel returns the id of a slot's default model; ok is false
	// when none is configured.
	DefaultModel(ctx context.Context, slot string) (id string, ok bool, err error)
	// TranscribeWith transcribes req.Audio with the model id.
	TranscribeWith(ctx context.Context, modelID string, req provider.TranscriptionRequest) (string, error)
}

// MaxSpeechBytes is the most audio sent in one speech-to-text call: the
// lowest limit of the providers (OpenAI's 25 MB), with room for the form
// around it. Larger audio is cut into pieces, transcribed in order and
// joined.
const MaxSpeechBytes = 24 << 20

// transcribe reads an audio or video file's speech into s, with the
// default speech-to-text model. An unusable file or no model is recorded
// as the source's failure reason; a provider failure is an error, retried
// by the job.
func (c *Sources) transcribe(ctx context.Context, s *Source, body []byte, kind extract.MediaKind, name string) error {
	if c.speech == nil {
		c.setText(s, "", "", "Audio and video are transcribed by a speech-to-text model, which this server has no access to.")
		return nil
	}
	modelID, ok, err := c.speech.DefaultModel(ctx, provider.TypeSpeechToText)
	if err != nil {
		return err
	}
	if !ok {
		c.setText(s, "", "", "Audio and video need a speech-to-text model: set a default one in Settings → Models, then retry.")
		return nil
	}
	pieces, err := extract.AudioPieces(body, kind, name, MaxSpeechBytes)
	if err != nil {
		reason := err.Error()
		if f, ok := extract.AsFailure(err); ok {
			reason = f.Reason
		}
		c.setText(s, "", "", reason)
		return nil
	}
	var parts []string
	for i, p := range pieces {
		if s.Processing != nil && len(pieces) > 1 {
			s.Processing.Stage = fmt.Sprintf("transcribing part %d of %d", i+1, len(pieces))
		}
		text, err := c.speech.TranscribeWith(ctx, modelID, provider.TranscriptionRequest{Audio: p.Data, Filename: p.Filename, ContentType: p.ContentType})
		if err != nil {
			if e, ok := apperr.As(err); ok && e.Code != apperr.Internal {
				return apperr.Wrap(e.Code, "Transcription failed: "+e.Message, err)
			}
			return err
		}
		if t := strings.TrimSpace(text); t != "" {
			parts = append(parts, t)
		}
	}
	note := ""
	if len(pieces) > 1 {
		note = fmt.Sprintf("The audio was transcribed in %d parts.", len(pieces))
	}
	c.setText(s, "", strings.ReplaceAll(strings.Join(parts, "\n\n"), "\x00", ""), note)
	return nil
}
