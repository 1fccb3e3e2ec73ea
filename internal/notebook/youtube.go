package notebook

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
)

// maxYouTubeBytes bounds a watch page or a caption track.
const maxYouTubeBytes = 8 << 20

// captionTrack is one entry of a watch page's caption list.
type captionTrack struct {
	BaseURL      string `json:"baseUrl"`
	LanguageCode string `json:"languageCode"`
	Kind         string `json:"kind"` // "asr" for automatic captions
	Name         struct {
		SimpleText string `json:"simpleText"`
	} `json:"name"`
}

// readYouTube reads a video's transcript: the caption track in the first
// of the preferred languages that has one, written captions before
// automatic ones; without a preferred language, the first track there is.
// Every request goes through the guarded client.
func (c *Sources) readYouTube(ctx context.Context, s *Source, id string, languages []string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	base := strings.TrimRight(c.engines.YouTubeURL, "/")
	if base == "" {
		base = "https://www.youtube.com"
	}
	page, err := c.getGuarded(ctx, base+"/watch?v="+url.QueryEscape(id)+"&hl=en")
	if err != nil {
		return err
	}
	tracks := captionTracks(page)
	if len(tracks) == 0 {
		return Permanent(apperr.New(apperr.Invalid, "This YouTube video has no transcript (no captions are available), so there is no text to read."))
	}
	track, note := pickTrack(tracks, languages)
	trackURL, err := url.Parse(track.BaseURL)
	if err != nil {
		return Permanent(apperr.New(apperr.Invalid, "The video's caption list could not be read."))
	}
	raw, err := c.getGuarded(ctx, trackURL.String())
	if err != nil {
		return err
	}
	text := transcriptText(raw)
	if text == "" {
		return Permanent(apperr.New(apperr.Invalid, "The video's transcript is empty."))
	}
	c.setText(s, youTubeTitle(page), text, note)
	return nil
}

// getGuarded GETs a URL through the guarded client, bounded in size.
func (c *Sources) getGuarded(ctx context.Context, raw string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, apperr.Wrap(apperr.Invalid, "Invalid URL", err)
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (compatible; open-notebook)")
	req.Header.Set("Accept-Language", "en")
	resp, err := c.fetch.Client().Do(req)
	if err != nil {
		return nil, apperr.Wrap(apperr.Upstream, "Could not read the video: "+fetchReason(err), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		err := apperr.Newf(apperr.Upstream, "Could not read the video: YouTube answered HTTP %d", resp.StatusCode)
		if resp.StatusCode == http.StatusNotFound {
			return nil, Permanent(err)
		}
		return nil, err
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxYouTubeBytes))
}

// captionTracks finds the caption list in a watch page's player data.
func captionTracks(page []byte) []captionTrack {
	const key = `"captionTracks":`
	i := bytes.Index(page, []byte(key))
	if i < 0 {
		return nil
	}
	var tracks []captionTrack
	if err := json.NewDecoder(bytes.NewReader(page[i+len(key):])).Decode(&tracks); err != nil {
		return nil
	}
	return tracks
}

// pickTrack applies the language preference; the note says when no
// preferred language had captions.
func pickTrack(tracks []captionTrack, languages []string) (captionTrack, string) {
	for _, asr := range []bool{false, true} {
		for _, lang := range languages {
			for _, t := range tracks {
				if (t.Kind == "asr") == asr && strings.EqualFold(t.LanguageCode, lang) {
					return t, ""
				}
			}
		}
	}
	// A base language matches its regional tracks (en → en-US).
	for _, lang := range languages {
		for _, t := range tracks {
			if base, _, _ := strings.Cut(t.LanguageCode, "-"); strings.EqualFold(base, lang) {
				return t, ""
			}
		}
	}
	t := tracks[0]
	if len(languages) == 0 {
		return t, ""
	}
	return t, "No transcript in the preferred languages (" + strings.Join(languages, ", ") + "); the " + t.LanguageCode + " transcript was used."
}

// transcriptText reads a timedtext track (<transcript><text>…</text>…) as
// plain text, a line per caption.
func transcriptText(raw []byte) string {
	d := xml.NewDecoder(bytes.NewReader(raw))
	d.Strict = false
	var b strings.Builder
	in := false
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			in = t.Name.Local == "text" || t.Name.Local == "p"
		case xml.EndElement:
			if in && b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
				b.WriteByte('\n')
			}
			in = false
		case xml.CharData:
			if in {
				// Captions escape their text once more inside the XML.
				b.WriteString(strings.Join(strings.Fields(html.UnescapeString(string(t))), " "))
			}
		}
	}
	return strings.TrimSpace(b.String())
}

// youTubeTitle is the video's title from the watch page.
func youTubeTitle(page []byte) string {
	const open = "<title>"
	i := bytes.Index(page, []byte(open))
	if i < 0 {
		return ""
	}
	rest := page[i+len(open):]
	j := bytes.Index(rest, []byte("</title>"))
	if j < 0 || j > 1000 {
		return ""
	}
	return strings.TrimSpace(strings.TrimSuffix(html.UnescapeString(string(rest[:j])), " - YouTube"))
}
