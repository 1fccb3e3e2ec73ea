package notebook

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/secret"
)

// LinkSettings are the content settings that decide how a link is read:
// default_content_processing_engine_url and youtube_preferred_languages.
type LinkSettings struct {
	Engine           string
	YouTubeLanguages []string
}

// LinkEngines are the hosted readers a link may be read through, each
// usable only with its key. Their requests go through the same guarded
// client as a direct fetch.
type LinkEngines struct {
	FirecrawlKey secret.String
	FirecrawlURL string // the hosted service, or a self-hosted instance
	JinaKey      secret.String
	JinaURL      string
	// YouTubeURL is where caption tracks are read from: YouTube itself,
	// or a fake in tests.
	YouTubeURL string
}

// URL engines of the content settings.
const (
	EngineAuto      = "auto"
	EngineSimple    = "simple"
	EngineFirecrawl = "firecrawl"
	EngineJina      = "jina"
	EngineCrawl4AI  = "crawl4ai"
)

// URLEngines lists the link engines usable now: auto and simple always,
// Firecrawl and Jina when their key is configured.
func (c *Sources) URLEngines() []string {
	out := []string{EngineAuto, EngineSimple}
	if !c.engines.FirecrawlKey.Empty() {
		out = append(out, EngineFirecrawl)
	}
	if !c.engines.JinaKey.Empty() {
		out = append(out, EngineJina)
	}
	return out
}

func (c *Sources) linkSettings(ctx context.Context) LinkSettings {
	if c.settings == nil {
		return LinkSettings{Engine: EngineAuto}
	}
	return c.settings(ctx)
}

// fetchLink reads a link: a YouTube video's transcript, or a page through
// the engine the settings choose. An engine that cannot be used here
// (no key, or a runtime this server does not have) gives way to the
// direct reading, with a note saying so, as the original degrades to its
// auto chain.
func (c *Sources) fetchLink(ctx context.Context, s *Source) error {
	set := c.linkSettings(ctx)
	if id := youTubeID(s.URL); id != "" {
		return c.readYouTube(ctx, s, id, set.YouTubeLanguages)
	}
	var note string
	engine := set.Engine
	switch engine {
	case EngineFirecrawl, EngineJina:
		if (engine == EngineFirecrawl && c.engines.FirecrawlKey.Empty()) || (engine == EngineJina && c.engines.JinaKey.Empty()) {
			note = "The " + engine + " engine has no API key configured; the page was read directly."
			engine = EngineSimple
		}
	case EngineCrawl4AI:
		note = "The crawl4ai engine is not available on this server; the page was read directly."
		engine = EngineSimple
	case EngineSimple:
	default:
		engine = EngineAuto
	}
	var hosted []string
	switch engine {
	case EngineAuto:
		if !c.engines.FirecrawlKey.Empty() {
			hosted = append(hosted, EngineFirecrawl)
		}
		if !c.engines.JinaKey.Empty() {
			hosted = append(hosted, EngineJina)
		}
	case EngineFirecrawl, EngineJina:
		hosted = []string{engine}
	}
	for _, h := range hosted {
		title, text, err := c.readHosted(ctx, h, s.URL)
		if err == nil && strings.TrimSpace(text) != "" {
			c.setText(s, title, text, note)
			return nil
		}
		if engine != EngineAuto {
			// The engine the user chose failed: the direct reading follows,
			// and the note says why.
			note = "The " + h + " engine could not read the page (" + hostedReason(err) + "); it was read directly."
		}
	}
	if err := c.fetchDirect(ctx, s); err != nil {
		return err
	}
	if note != "" && s.FullText != "" {
		s.Processing.Note = strings.TrimSpace(note + " " + s.Processing.Note)
	}
	return nil
}

func hostedReason(err error) string {
	if err == nil {
		return "no text came back"
	}
	if e, ok := apperr.As(err); ok {
		return e.Message
	}
	return "the service could not be reached"
}

// fetchDirect fetches the page itself and extracts its text.
func (c *Sources) fetchDirect(ctx context.Context, s *Source) error {
	raw := s.URL
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return apperr.Wrap(apperr.Invalid, "Invalid URL", err)
	}
	req.Header.Set("User-Agent", "open-notebook (+https://github.com/lfnovo/open-notebook)")
	req.Header.Set("Accept", "text/html,text/plain,text/markdown;q=0.9,*/*;q=0.5")
	resp, err := c.fetch.Client().Do(req)
	if err != nil {
		return apperr.Wrap(apperr.Upstream, "Could not fetch the URL: "+fetchReason(err), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		err := apperr.Newf(apperr.Upstream, "Could not fetch the URL: the site answered HTTP %d", resp.StatusCode)
		if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			return Permanent(err) // the page is not there; asking again will not bring it
		}
		return err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFetchBytes+1))
	if err != nil {
		return apperr.Wrap(apperr.Upstream, "Could not fetch the URL: "+fetchReason(err), err)
	}
	if len(body) > maxFetchBytes {
		return apperr.Newf(apperr.Upstream, "Could not fetch the URL: the page is larger than %d MB", maxFetchBytes>>20)
	}
	return c.readDocument(ctx, s, body, raw, resp.Header.Get("Content-Type"))
}

// maxHostedBytes bounds a hosted engine's answer.
const maxHostedBytes = 20 << 20

// readHosted reads a page through Firecrawl or Jina Reader. Their key is
// sent only to their own address; an error never carries it.
func (c *Sources) readHosted(ctx context.Context, engine, page string) (title, text string, err error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var req *http.Request
	switch engine {
	case EngineFirecrawl:
		body, _ := json.Marshal(map[string]any{"url": page, "formats": []string{"markdown"}, "onlyMainContent": true})
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.engines.FirecrawlURL, "/")+"/v1/scrape", bytes.NewReader(body))
		if err != nil {
			return "", "", apperr.New(apperr.Invalid, "the Firecrawl address is not valid")
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+c.engines.FirecrawlKey.Reveal())
	case EngineJina:
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.engines.JinaURL, "/")+"/"+page, nil)
		if err != nil {
			return "", "", apperr.New(apperr.Invalid, "the Jina address is not valid")
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Authorization", "Bearer "+c.engines.JinaKey.Reveal())
	}
	resp, err := c.fetch.Client().Do(req)
	if err != nil {
		return "", "", apperr.New(apperr.Upstream, fetchReason(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", "", apperr.Newf(apperr.Upstream, "it answered HTTP %d", resp.StatusCode)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxHostedBytes))
	if err != nil {
		return "", "", apperr.New(apperr.Upstream, fetchReason(err))
	}
	var out struct {
		Data struct {
			Markdown string `json:"markdown"` // Firecrawl
			Content  string `json:"content"`  // Jina
			Title    string `json:"title"`    // Jina
			Metadata struct {
				Title string `json:"title"`
			} `json:"metadata"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", "", apperr.New(apperr.Upstream, "its answer was not understood")
	}
	title = out.Data.Title
	if title == "" {
		title = out.Data.Metadata.Title
	}
	text = out.Data.Markdown
	if text == "" {
		text = out.Data.Content
	}
	return strings.TrimSpace(title), strings.ReplaceAll(strings.TrimSpace(text), "\x00", ""), nil
}

// youTubeID is the video id of a YouTube watch, short or embed link.
func youTubeID(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	host := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	host = strings.TrimPrefix(host, "m.")
	var id string
	switch host {
	case "youtube.com", "music.youtube.com", "youtube-nocookie.com":
		switch {
		case u.Path == "/watch":
			id = u.Query().Get("v")
		case strings.HasPrefix(u.Path, "/embed/"), strings.HasPrefix(u.Path, "/shorts/"), strings.HasPrefix(u.Path, "/live/"):
			parts := strings.Split(u.Path, "/")
			if len(parts) > 2 {
				id = parts[2]
			}
		}
	case "youtu.be":
		id = strings.Trim(u.Path, "/")
	}
	if len(id) != 11 || strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
		return ""
	}
	return id
}
