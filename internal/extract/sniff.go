package extract

import (
	"archive/zip"
	"bytes"
	"mime"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"
)

// Kind is what Sniff found a file to be.
type Kind struct {
	Format Format
	Note   string // the name or declared type disagreed with the content
}

// Sniff decides a file's format from its content, using the name and the
// declared content type only where the content leaves a choice (Markdown
// and plain text look alike). A file whose content is of a format this
// package does not read is a Failure naming what it is; one whose name
// claims another format gets a Note.
func Sniff(data []byte, name, contentType string) (Kind, error) {
	claimed := claimedFormat(name, contentType)
	var got Format
	switch {
	// Some producers put bytes before the header; only a file named as a
	// PDF is believed to be one then, so text that quotes a header is text.
	case bytes.HasPrefix(data, []byte("%PDF-")) || (claimed == PDF && bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-"))):
		got = PDF
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		f, err := zipFormat(data)
		if err != nil {
			return Kind{}, err
		}
		got = f
	case bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		// Office keeps password-protected DOCX, XLSX and PPTX files in the
		// same compound file format as its 97-2003 formats.
		if claimed == DOCX || claimed == XLSX || claimed == PPTX {
			return Kind{}, fail("The %s file is password-protected (encrypted); remove the password and upload it again.", claimed.label())
		}
		return Kind{}, unsupported("Word, Excel and PowerPoint 97-2003 files (DOC, XLS, PPT), and password-protected Office files, are not supported; save the document as DOCX, XLSX, PPTX or PDF.")
	default:
		detected, _, _ := mime.ParseMediaType(http.DetectContentType(data))
		switch {
		case detected == "text/html" || (detected == "text/xml" && bytes.Contains(bytes.ToLower(data[:min(len(data), 2048)]), []byte("<html"))):
			got = HTML
			if claimed == Markdown || claimed == Text {
				got = claimed // a text file that begins with a tag is still text
			}
		case strings.HasPrefix(detected, "text/") || detected == "application/json" || looksLikeText(data) ||
			// A text file that carries a stray NUL or control byte is still
			// text when its name says so and its bytes are UTF-8.
			(claimed == Text || claimed == Markdown || claimed == HTML) && utf8.Valid(data[:min(len(data), 4096)]):
			got = Text
			if claimed == Markdown || claimed == HTML {
				got = claimed
			}
		default:
			return Kind{}, unsupportedContent(detected, name, claimed)
		}
	}
	k := Kind{Format: got}
	if claimed != "" && claimed != got && !(claimed == Text && (got == Markdown || got == HTML)) {
		k.Note = "The file is named as " + claimed.label() + " but its content is " + got.label() + "; it was read as " + got.label() + "."
	}
	return k, nil
}

// unsupportedContent names what a file that is none of the formats is.
func unsupportedContent(detected, name string, claimed Format) *Failure {
	what := describeMedia(detected)
	if claimed != "" {
		return fail("The file is named as %s but its content is %s, which this server cannot read.", claimed.label(), what)
	}
	if ext := strings.ToUpper(strings.TrimPrefix(path.Ext(name), ".")); ext != "" && !strings.Contains(ext, "/") {
		return unsupported("Text extraction from %s files (%s) is not supported; the file is stored and can be downloaded.", ext, what)
	}
	return unsupported("Text extraction from %s is not supported; the file is stored and can be downloaded.", what)
}

func describeMedia(mt string) string {
	switch {
	case mt == "application/zip":
		return "a zip archive"
	case strings.HasPrefix(mt, "image/"):
		return "an image (" + mt + ")"
	case strings.HasPrefix(mt, "audio/"), strings.HasPrefix(mt, "video/"), mt == "application/ogg":
		return "audio or video (" + mt + ")"
	case mt == "application/octet-stream" || mt == "":
		return "binary data of no known type"
	}
	return mt
}

// looksLikeText accepts text DetectContentType calls binary: valid UTF-8 or
// UTF-16 with a byte order mark, without control bytes.
func looksLikeText(data []byte) bool {
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return true
	}
	head := data[:min(len(data), 4096)]
	for len(head) > 0 && !utf8.Valid(head) && len(data) > 4096 {
		head = head[:len(head)-1] // a rune cut at the end of the window
		if len(head) < 4090 {
			return false
		}
	}
	if !utf8.Valid(head) {
		return false
	}
	for _, c := range head {
		if c < 0x09 || (c > 0x0d && c < 0x20 && c != 0x1b) {
			return false
		}
	}
	return true
}

// claimedFormat is the format a name or declared type claims.
func claimedFormat(name, contentType string) Format {
	ext := strings.ToLower(path.Ext(name))
	mt, _, _ := mime.ParseMediaType(contentType)
	for _, f := range Documents {
		for _, e := range f.Extensions {
			if ext == e {
				return f.Format
			}
		}
	}
	for _, f := range Documents {
		for _, m := range f.MediaTypes {
			if mt == m {
				return f.Format
			}
		}
	}
	return ""
}

// zipFormat tells the Office and EPUB containers apart by their parts.
func zipFormat(data []byte) (Format, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", fail("The file looks like a zip container (Office or EPUB) but it is damaged and could not be read.")
	}
	has := map[string]bool{}
	for _, f := range zr.File {
		has[f.Name] = true
	}
	switch {
	case has["word/document.xml"]:
		return DOCX, nil
	case has["ppt/presentation.xml"]:
		return PPTX, nil
	case has["xl/workbook.xml"]:
		return XLSX, nil
	case has["META-INF/container.xml"] || has["mimetype"] && epubMimetype(zr):
		return EPUB, nil
	case has["content.xml"] && has["mimetype"]:
		return "", unsupported("OpenDocument files (ODT, ODS, ODP) are not supported; save the document as DOCX, XLSX or PPTX, or as PDF.")
	}
	return "", unsupported("The file is a zip archive, not an Office document or EPUB; archives are not unpacked.")
}

func epubMimetype(zr *zip.Reader) bool {
	for _, f := range zr.File {
		if f.Name == "mimetype" {
			rc, err := f.Open()
			if err != nil {
				return false
			}
			defer rc.Close()
			b, _ := readLimited(rc, 64)
			return strings.TrimSpace(string(b)) == "application/epub+zip"
		}
	}
	return false
}
