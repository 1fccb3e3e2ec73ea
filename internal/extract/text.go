package extract

import (
	"bytes"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/gogs/chardet"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
)

// text reads plain text or Markdown in its encoding: a byte order mark, then
// the declared charset, then UTF-8 if the bytes are valid UTF-8, else the
// encoding a statistical detector finds most likely. A Markdown file's
// title is the title of its front matter, when it has one.
func (x *job) text(data []byte, contentType string, markdown bool) (string, error) {
	s, err := decodeText(data, contentType)
	if err != nil {
		return "", err
	}
	x.pages = 1
	if err := x.out.WriteString(s); err != nil {
		return "", err
	}
	if !markdown {
		return "", nil
	}
	return frontMatterTitle(s), nil
}

// frontMatterTitle reads title: from a YAML front matter block.
func frontMatterTitle(s string) string {
	rest, ok := strings.CutPrefix(s, "---\n")
	if !ok {
		return ""
	}
	for i, line := range strings.Split(rest, "\n") {
		if line == "---" || i > 100 {
			break
		}
		if t, ok := strings.CutPrefix(line, "title:"); ok {
			return strings.Trim(strings.TrimSpace(t), `"'`)
		}
	}
	return ""
}

func decodeText(data []byte, contentType string) (string, error) {
	var enc encoding.Encoding
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return string(data[3:]), nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		enc = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	}
	if enc == nil {
		// A declared UTF-8 that the bytes contradict is a server's default,
		// not a fact about the file: detection decides.
		if _, params, err := mime.ParseMediaType(contentType); err == nil && params["charset"] != "" {
			if e, err := htmlindex.Get(params["charset"]); err == nil && (e != encoding.Nop && e != unicode.UTF8 || utf8.Valid(data)) {
				enc = e
			}
		}
	}
	if enc == nil && utf8.Valid(data) {
		return string(data), nil
	}
	if enc == nil {
		sample := data[:min(len(data), 64<<10)]
		if rs, err := chardet.NewTextDetector().DetectAll(sample); err == nil && len(rs) > 0 {
			enc, _ = htmlindex.Get(pickCharset(rs))
		}
	}
	if enc == nil {
		enc, _ = htmlindex.Get("windows-1252") // what unlabelled Western text most often is
	}
	b, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return strings.ToValidUTF8(string(data), "\uFFFD"), nil
	}
	return string(b), nil
}

// pickCharset takes the detector's best guess, except that among the
// single-byte Latin encodings, which short texts cannot tell apart, Western
// (windows-1252) wins when it is nearly as likely: it is by far the most
// common.
func pickCharset(rs []chardet.Result) string {
	best := rs[0]
	latin := func(c string) bool { return strings.HasPrefix(c, "ISO-8859-") || strings.HasPrefix(c, "windows-125") }
	if !latin(best.Charset) {
		return best.Charset
	}
	for _, r := range rs {
		if (r.Charset == "ISO-8859-1" || r.Charset == "windows-1252") && r.Confidence >= best.Confidence-15 {
			return "windows-1252"
		}
	}
	return best.Charset
}
