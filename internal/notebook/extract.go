package notebook

import (
	"context"
	"errors"
	"io"
	"mime"
	"path"
	"strings"

	"github.com/open-notebook/open-notebook/internal/extract"
)

// readDocument reads the text of an uploaded or fetched document into s:
// audio and video through the speech-to-text model, documents through the
// extract package.
// A document that yields no text (unsupported, damaged, locked, over a
// limit) is not an error: its reason becomes the source's note, and
// finish marks the source failed with it, the file kept for download and
// retry.
func (c *Sources) readDocument(ctx context.Context, s *Source, body []byte, name, contentType string) error {
	if kind, ok := extract.SniffMedia(body); ok {
		return c.transcribe(ctx, s, body, kind, name)
	}
	res, err := extract.Extract(ctx, extract.Input{Data: body, Name: name, ContentType: contentType})
	if err != nil {
		reason := "The document could not be read."
		if f, ok := extract.AsFailure(err); ok {
			reason = f.Reason
		}
		c.setText(s, "", "", reason)
		return nil
	}
	c.setText(s, res.Title, res.Text, res.Note)
	return nil
}

// readFile reads at most the extraction input limit of f; a larger file is
// reported, not truncated.
func readFile(f io.Reader) ([]byte, error) {
	max := extract.DefaultLimits.Input
	body, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > max {
		return nil, errFileTooLarge
	}
	return body, nil
}

var errFileTooLarge = errors.New("file too large")

// typeByName is the media type a file name suggests, a hint for the
// extractor, which decides by content; without the charset the system's
// table adds, which says nothing about this file.
func typeByName(name string) string {
	mt, _, _ := mime.ParseMediaType(mime.TypeByExtension(strings.ToLower(path.Ext(name))))
	return mt
}
