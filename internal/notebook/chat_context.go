package notebook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/record"
	"github.com/open-notebook/open-notebook/internal/token"
)

// ContextConfig says, per source and note id, what of it a notebook chat
// is given: "not in context", "insights" (a source's title and insights)
// or "full content". Statuses are matched by their words, as the
// original does; unknown ones and missing items are skipped.
type ContextConfig struct {
	Sources map[string]string
	Notes   map[string]string
}

// SourceContext is a source as a chat is given it.
type SourceContext struct {
	ID       string           `json:"id"`
	Title    string           `json:"title"`
	Insights []InsightContext `json:"insights"`
	FullText *string          `json:"full_text,omitempty"`
}

// InsightContext is an insight as a chat is given it.
type InsightContext struct {
	ID          string `json:"id"`
	InsightType string `json:"insight_type"`
	Content     string `json:"content"`
	Created     string `json:"created"`
	Updated     string `json:"updated"`
}

// NoteContext is a note as a chat is given it.
type NoteContext struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Content string `json:"content"`
}

// ChatContext is what a notebook chat is given, with its size.
type ChatContext struct {
	Sources    []SourceContext `json:"sources"`
	Notes      []NoteContext   `json:"notes"`
	TokenCount int             `json:"-"`
	CharCount  int             `json:"-"`
}

// shortNote is how much of a note the default context shows.
const shortNote = 100

// maxContextSources bounds the sources one context reads.
const maxContextSources = 1000

// Context builds what a notebook chat is given: each source and note at
// the level config asks for. An empty config gives every source its
// insights and every note its first lines.
func (c *Chats) Context(ctx context.Context, notebookID string, config ContextConfig) (*ChatContext, error) {
	id, ok := record.Normalize(Table, notebookID)
	if ok {
		_, err := c.books.Notebook(ctx, id)
		if err != nil && !apperr.IsNotFound(err) {
			return nil, err
		}
		ok = err == nil
	}
	if !ok {
		return nil, apperr.Newf(apperr.NotFound, "Notebook %s not found", notebookID)
	}
	all := len(config.Sources) == 0 && len(config.Notes) == 0
	out := &ChatContext{Sources: []SourceContext{}, Notes: []NoteContext{}}
	sources, err := c.sources.ListSources(ctx, SourceFilter{NotebookID: id, Limit: maxContextSources, SortBy: "created"})
	if err != nil {
		return nil, err
	}
	levels := normalizeLevels(SourceTable, config.Sources)
	for _, s := range sources {
		level := levels[s.ID]
		if all {
			level = "insights"
		}
		if level == "" {
			continue
		}
		sc, err := c.sourceContext(ctx, s.ID, level == "full")
		if err != nil {
			return nil, err
		}
		out.Sources = append(out.Sources, *sc)
	}
	notes, err := c.notes.ListNotes(ctx, id)
	if err != nil {
		return nil, err
	}
	noteLevels := normalizeLevels(NoteTable, config.Notes)
	for _, n := range notes {
		switch {
		case all:
			out.Notes = append(out.Notes, NoteContext{ID: n.ID, Title: noteTitle(&n), Content: clip(n.Content, shortNote)})
		case noteLevels[n.ID] == "full":
			out.Notes = append(out.Notes, NoteContext{ID: n.ID, Title: noteTitle(&n), Content: n.Content})
		}
	}
	text := out.render()
	out.CharCount, out.TokenCount = len([]rune(text)), token.Count(text)
	return out, nil
}

// normalizeLevels reads the statuses of config, by full id: "full",
// "insights" or "" (left out).
func normalizeLevels(table string, config map[string]string) map[string]string {
	out := map[string]string{}
	for id, status := range config {
		full, ok := record.Normalize(table, id)
		if !ok {
			continue
		}
		status = strings.ToLower(status)
		switch {
		case strings.Contains(status, "not in"):
		case strings.Contains(status, "full content"):
			out[full] = "full"
		case strings.Contains(status, "insights") && table == SourceTable:
			out[full] = "insights"
		}
	}
	return out
}

func (c *Chats) sourceContext(ctx context.Context, id string, full bool) (*SourceContext, error) {
	s, err := c.sources.Source(ctx, id)
	if err != nil {
		return nil, err
	}
	insights, err := c.insights.SourceInsights(ctx, id)
	if err != nil {
		return nil, err
	}
	sc := &SourceContext{ID: s.ID, Title: s.Title, Insights: []InsightContext{}}
	for _, in := range insights {
		sc.Insights = append(sc.Insights, InsightContext{ID: in.ID, InsightType: in.Type, Content: in.Content,
			Created: in.Created.Format(time.RFC3339), Updated: in.Updated.Format(time.RFC3339)})
	}
	if full {
		sc.FullText = &s.FullText
	}
	return sc, nil
}

// render is the context as the model reads it: JSON, one item a line.
func (cc *ChatContext) render() string {
	var b strings.Builder
	b.WriteString("{\"sources\": [")
	for i, s := range cc.Sources {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n")
		writeJSON(&b, s)
	}
	b.WriteString("],\n\"notes\": [")
	for i, n := range cc.Notes {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n")
		writeJSON(&b, n)
	}
	b.WriteString("]}")
	return b.String()
}

func writeJSON(b *strings.Builder, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	b.WriteString(strings.TrimSpace(buf.String()))
}

// chatPrompt is a turn's system prompt: the instructions and the context,
// which may be reduced to fit.
type chatPrompt struct {
	intro   string
	context string
	// items is the notebook context when the client sent one of the shape
	// Context builds: its items can be left out one by one.
	items *ChatContext
	// fixed names what a source chat was given.
	fixed *ContextIndicators
}

func (p *chatPrompt) text() string {
	if p.context == "" {
		return p.intro
	}
	return p.intro + "\n\n# CONTEXT\n\n" + p.context
}

// drop leaves out the last source, else the last note, of the context and
// records it; it reports whether there was one.
func (p *chatPrompt) drop(t *Trimmed) bool {
	if p.items == nil {
		return false
	}
	switch {
	case len(p.items.Sources) > 0:
		last := p.items.Sources[len(p.items.Sources)-1]
		p.items.Sources = p.items.Sources[:len(p.items.Sources)-1]
		t.Sources = append(t.Sources, last.ID)
	case len(p.items.Notes) > 0:
		last := p.items.Notes[len(p.items.Notes)-1]
		p.items.Notes = p.items.Notes[:len(p.items.Notes)-1]
		t.Notes = append(t.Notes, last.ID)
	default:
		return false
	}
	p.context = p.items.render()
	return true
}

// indicators names what the model was given.
func (p *chatPrompt) indicators() *ContextIndicators {
	if p.fixed != nil {
		return p.fixed
	}
	out := &ContextIndicators{Sources: []string{}, Insights: []string{}, Notes: []string{}}
	if p.items == nil {
		return out
	}
	for _, s := range p.items.Sources {
		out.Sources = append(out.Sources, s.ID)
		for _, in := range s.Insights {
			out.Insights = append(out.Insights, in.ID)
		}
	}
	for _, n := range p.items.Notes {
		out.Notes = append(out.Notes, n.ID)
	}
	return out
}

// citing is how every chat asks for citations: the ids exactly as given,
// which the UIs turn into links.
const citing = `When you use a document, cite it right after the statement by its id in square brackets, exactly as it appears in the context, for example [source:a1b2c3], [source_insight:d4e5f6] or [note:g7h8i9]. Cite only ids that appear in the context and never make one up. If the context does not hold the answer, say so, and answer from general knowledge only when the person asks you to.

Write in Markdown. Put inline mathematics between $ signs and displayed equations between $$ lines.`

// notebookPrompt builds notebook chat's prompt around the context the
// client sent (nil: every source's insights and every note's first lines).
func (c *Chats) notebookPrompt(ctx context.Context, notebookID string, raw json.RawMessage) (*chatPrompt, error) {
	nb, err := c.books.Notebook(ctx, notebookID)
	if err != nil {
		return nil, err
	}
	intro := fmt.Sprintf("You are a research assistant. A person is studying the material in their notebook %q", nb.Name)
	if d := strings.TrimSpace(nb.Description); d != "" {
		intro += " (" + clip(d, 500) + ")"
	}
	intro += ". Help them understand it, answer their questions, and think with them.\n\n" + citing
	p := &chatPrompt{intro: intro}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "{}" {
		cc, err := c.Context(ctx, notebookID, ContextConfig{})
		if err != nil {
			return nil, err
		}
		p.items, p.context = cc, cc.render()
		return p, nil
	}
	var cc ChatContext
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if dec.Decode(&cc) == nil && (cc.Sources != nil || cc.Notes != nil) {
		if cc.Sources == nil {
			cc.Sources = []SourceContext{}
		}
		if cc.Notes == nil {
			cc.Notes = []NoteContext{}
		}
		p.items, p.context = &cc, cc.render()
		return p, nil
	}
	// Any other shape is given as it is.
	p.context = string(raw)
	return p, nil
}

// sourcePrompt builds source chat's prompt: the source's text and its
// insights, within the source chat budget (insights first, then the text
// up to what is left).
func (c *Chats) sourcePrompt(ctx context.Context, sourceID string) (*chatPrompt, error) {
	s, err := c.sources.Source(ctx, sourceID)
	if err != nil {
		return nil, err
	}
	insights, err := c.insights.SourceInsights(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	ind := &ContextIndicators{Sources: []string{s.ID}, Insights: []string{}, Notes: []string{}}
	var ib strings.Builder
	left := sourceChatContextTokens
	for _, in := range insights {
		part := fmt.Sprintf("### %s [%s]\n\n%s\n\n", in.Type, in.ID, in.Content)
		n := token.Count(part)
		if n > left/2 {
			break // the text matters more than one more insight
		}
		left -= n
		ib.WriteString(part)
		ind.Insights = append(ind.Insights, in.ID)
	}
	text := s.FullText
	if token.Count(text) > left {
		text = token.Truncate(text, left) + "\n\n[The text was cut here: it is longer than a chat can be given.]"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## SOURCE [%s]\n\nTitle: %s\n", s.ID, s.Title)
	if len(s.Topics) > 0 {
		fmt.Fprintf(&b, "Topics: %s\n", strings.Join(s.Topics, ", "))
	}
	b.WriteString("\n" + text + "\n")
	if ib.Len() > 0 {
		b.WriteString("\n## INSIGHTS\n\n" + ib.String())
	}
	intro := fmt.Sprintf("You are a research assistant. A person is studying one source, %q, and asks you about it. "+
		"Answer from the source and its insights below; help them understand it.\n\n", s.Title) + citing
	return &chatPrompt{intro: intro, context: b.String(), fixed: ind}, nil
}

// Content is a notebook's sources (full text and insights) and notes as
// Markdown, the material a podcast is made from, cut at limit runes. A
// missing notebook is NotFound.
func (c *Chats) Content(ctx context.Context, notebookID string, limit int) (string, error) {
	id, ok := record.Normalize(Table, notebookID)
	if !ok {
		return "", apperr.Newf(apperr.NotFound, "Notebook %s not found", notebookID)
	}
	if _, err := c.books.Notebook(ctx, id); err != nil {
		if apperr.IsNotFound(err) {
			return "", apperr.Newf(apperr.NotFound, "Notebook %s not found", notebookID)
		}
		return "", err
	}
	sources, err := c.sources.ListSources(ctx, SourceFilter{NotebookID: id, Limit: maxContextSources, SortBy: "created"})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, s := range sources {
		sc, err := c.sourceContext(ctx, s.ID, true)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "## Source: %s\n\n%s\n\n", sc.Title, strings.TrimSpace(*sc.FullText))
		if len(sc.Insights) > 0 {
			b.WriteString("Insights:\n")
			for _, in := range sc.Insights {
				fmt.Fprintf(&b, "- %s: %s\n", in.InsightType, strings.TrimSpace(in.Content))
			}
			b.WriteString("\n")
		}
		if b.Len() > limit*4 {
			break
		}
	}
	notes, err := c.notes.ListNotes(ctx, id)
	if err != nil {
		return "", err
	}
	for _, n := range notes {
		fmt.Fprintf(&b, "## Note: %s\n\n%s\n\n", noteTitle(&n), strings.TrimSpace(n.Content))
	}
	return clip(strings.TrimSpace(b.String()), limit), nil
}
