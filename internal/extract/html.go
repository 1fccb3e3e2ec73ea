package extract

import (
	"bytes"
	"net/url"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// maxHTMLElements bounds the elements readability scores; a larger page is
// read whole, without it.
const maxHTMLElements = 200_000

// html reads a page's article text (readability's choice of the main
// content), falling back to the whole body when readability finds too
// little, as on a page that is all article.
func (x *job) html(data []byte, name, contentType string) (string, error) {
	doc, err := parseHTML(data, contentType)
	if err != nil {
		return "", err
	}
	if err := x.ctx.Err(); err != nil {
		return "", err
	}
	full := blockText(doc)
	title := htmlTitle(doc)
	text := full
	base, _ := url.Parse(name)
	if base == nil || base.Scheme == "" {
		base = nil
	}
	p := readability.NewParser()
	p.MaxElemsToParse = maxHTMLElements
	if art, err := p.ParseDocument(doc, base); err == nil && art.Node != nil {
		if t := blockText(art.Node); len(t) >= 200 || len(t) >= len(full)/2 {
			text = t
		}
		if t := strings.TrimSpace(art.Title()); t != "" {
			title = t
		}
	}
	x.pages = 1
	return title, x.out.paragraph(text)
}

// parseHTML decodes a page in its declared or sniffed encoding and parses it.
func parseHTML(data []byte, contentType string) (*html.Node, error) {
	enc, _, _ := charset.DetermineEncoding(data[:min(len(data), 4096)], contentType)
	r, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		r = data
	}
	return html.Parse(bytes.NewReader(r))
}

func htmlTitle(doc *html.Node) string {
	var title string
	var find func(n *html.Node)
	find = func(n *html.Node) {
		if title != "" {
			return
		}
		if n.Type == html.ElementNode && n.DataAtom == atom.Title {
			title = textContent(n)
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			find(c)
		}
	}
	find(doc)
	return strings.Join(strings.Fields(title), " ")
}

func textContent(n *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// skipped elements carry no readable text.
var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true, atom.Svg: true,
	atom.Head: true, atom.Nav: true, atom.Iframe: true, atom.Form: true, atom.Button: true, atom.Select: true,
}

// blocks end a line of text.
var blocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Br: true, atom.Li: true, atom.Tr: true, atom.H1: true, atom.H2: true,
	atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true, atom.Section: true, atom.Article: true,
	atom.Blockquote: true, atom.Pre: true, atom.Table: true, atom.Ul: true, atom.Ol: true, atom.Header: true,
	atom.Footer: true, atom.Dt: true, atom.Dd: true, atom.Figcaption: true, atom.Hr: true, atom.Main: true,
}

var headings = map[atom.Atom]int{atom.H1: 1, atom.H2: 2, atom.H3: 3, atom.H4: 4, atom.H5: 5, atom.H6: 6}

// blockText is a node's text, a line per block element, headings marked
// as in Markdown and table cells separated by " | ".
func blockText(root *html.Node) string {
	var b strings.Builder
	atLineStart := func() bool { return b.Len() == 0 || strings.HasSuffix(b.String(), "\n") }
	newline := func() {
		if !atLineStart() {
			b.WriteByte('\n')
		}
	}
	var walk func(n *html.Node, depth int)
	walk = func(n *html.Node, depth int) {
		if depth > 512 { // deeper nesting is not a document a person wrote
			return
		}
		if n.Type == html.ElementNode && skipped[n.DataAtom] {
			return
		}
		if n.Type == html.TextNode {
			if t := strings.Join(strings.Fields(n.Data), " "); t != "" {
				if !atLineStart() && !strings.HasSuffix(b.String(), " ") {
					b.WriteByte(' ')
				}
				b.WriteString(t)
			}
			return
		}
		if n.Type == html.ElementNode {
			if blocks[n.DataAtom] {
				newline()
			}
			if h := headings[n.DataAtom]; h > 0 {
				b.WriteString("\n" + strings.Repeat("#", h) + " ")
			}
			if (n.DataAtom == atom.Td || n.DataAtom == atom.Th) && !atLineStart() {
				b.WriteString(" |")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, depth+1)
		}
		if n.Type == html.ElementNode && (blocks[n.DataAtom] || headings[n.DataAtom] > 0) {
			newline()
			if n.DataAtom == atom.P || headings[n.DataAtom] > 0 {
				b.WriteByte('\n')
			}
		}
	}
	walk(root, 0)
	return b.String()
}
