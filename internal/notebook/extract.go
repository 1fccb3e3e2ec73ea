package notebook

import (
	"bytes"
	"mime"
	"path"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// extract turns a fetched or uploaded document into a title and plain
// text. info explains why no text came out, when none did.
func extract(contentType, name string, body []byte) (title, text, info string) {
	mediaType, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mediaType == "text/html" || mediaType == "application/xhtml+xml":
		title, text = extractHTML(body)
	case strings.HasPrefix(mediaType, "text/") || mediaType == "application/json" || mediaType == "application/xml":
		text = string(body)
	default:
		if mediaType == "" || mediaType == "application/octet-stream" {
			if utf8.Valid(body) && !bytes.ContainsRune(body, 0) {
				text = string(body) // unlabelled, but it is text
				break
			}
		}
		return "", "", "Text extraction from " + describeType(mediaType, name) + " files is not supported yet; the file is stored and can be downloaded."
	}
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	// NUL carries no meaning in text and no engine stores it faithfully
	// (PostgreSQL refuses it): it is dropped.
	text = strings.TrimSpace(strings.ReplaceAll(text, "\x00", ""))
	title = strings.ReplaceAll(title, "\x00", "")
	if text == "" {
		info = "The document contains no text."
	}
	return strings.TrimSpace(title), text, info
}

func describeType(mediaType, name string) string {
	if ext := strings.TrimPrefix(strings.ToLower(path.Ext(name)), "."); ext != "" {
		return strings.ToUpper(ext)
	}
	if mediaType != "" {
		return mediaType
	}
	return "these"
}

// skipped elements carry no readable text.
var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true, atom.Svg: true,
	atom.Head: true, atom.Nav: true, atom.Footer: true, atom.Iframe: true, atom.Form: true,
}

// blocks end a line of text.
var blocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Br: true, atom.Li: true, atom.Tr: true, atom.H1: true, atom.H2: true,
	atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true, atom.Section: true, atom.Article: true,
	atom.Blockquote: true, atom.Pre: true, atom.Table: true, atom.Ul: true, atom.Ol: true, atom.Header: true,
}

// extractHTML returns a page's title and the text of its body, one line
// per block element.
func extractHTML(body []byte) (title, text string) {
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return "", ""
	}
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && skipped[n.DataAtom] {
			return
		}
		if n.Type == html.TextNode {
			if t := strings.Join(strings.Fields(n.Data), " "); t != "" {
				if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
					b.WriteByte(' ')
				}
				b.WriteString(t)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && blocks[n.DataAtom] && b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			b.WriteByte('\n')
		}
	}
	// The title lives in <head>, which walk skips for text.
	var findTitle func(n *html.Node)
	findTitle = func(n *html.Node) {
		if n.Type == html.ElementNode && n.DataAtom == atom.Title && n.FirstChild != nil && title == "" {
			title = strings.Join(strings.Fields(n.FirstChild.Data), " ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			findTitle(c)
		}
	}
	findTitle(doc)
	walk(doc)
	return title, b.String()
}
