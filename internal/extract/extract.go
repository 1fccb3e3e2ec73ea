// Package extract reads the text out of the documents a researcher brings:
// PDF, Word (DOCX), PowerPoint (PPTX), Excel (XLSX), EPUB, Markdown, HTML
// and plain text in any common encoding. It is domain code: the notebook
// pipeline calls it on an upload or a fetched page and stores what comes
// out.
//
// Every extraction is bounded: in time (the caller's context, checked
// between pages, parts and sheets), in input size, in what a zip container
// may decompress to (the zip bomb guard, counted on the bytes actually
// inflated, not on the sizes the archive claims), in PDF pages and in the
// size of the text produced. Each limit, a corrupt or encrypted file and a
// file whose content is not what its name says end in a *Failure whose
// Reason is a sentence for the user; a panic in a third-party parser is
// recovered into one.
//
// The format is decided by the content (magic bytes, a zip's inner
// layout), never by the name alone: a name or declared type that disagrees
// with the content is reported in Result.Note, or in the failure.
//
// # PDF library
//
// PDF text comes from github.com/ledongthuc/pdf (pure Go, no cgo, no
// program on the machine), whose page content gives every glyph with its
// position; this package lays the glyphs out itself (layout.go): rows from
// baselines, words from gaps, and columns from the gutters between narrow
// runs, so a two-column page reads the left column before the right one.
// It was compared with github.com/klippa-app/go-pdfium in its WebAssembly
// mode (PDFium compiled to wasm, run by wazero) on the two-column page
// TestPDFTwoColumns generates, whose lines are drawn interleaved across
// the columns. PDFium's page text (GetPageText) joined each left line with
// the right line beside it ("…line 1 about anemones. Right column line 1…"),
// as the library's own GetPlainText does; PDFium's module is 6 MB, and
// starting one instance took 8.3 s and 295 MB of heap on this project's
// 2-core machine, against 0.6 ms a page here (BenchmarkPDFPage) with
// positions good enough to lay out. PDFium is the stronger parser of broken
// files, and knows the standard fonts' widths (the Go library leaves those
// glyphs at the string's start; readingOrder advances them by an estimate),
// but neither gives reading order for free, and the Go library's cost is
// the smaller. Its gaps are closed here: pages are walked by this package
// with a bound on visits (a page tree that loops would hang Page(n)), each
// page's content stream is measured before it is parsed (a flate bomb), and
// a page whose parse panics is skipped and counted in the note. Text in
// form XObjects is not read by the library.
package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"
)

// Format is a document format this package reads.
type Format string

// Formats read by this package.
const (
	PDF      Format = "pdf"
	DOCX     Format = "docx"
	PPTX     Format = "pptx"
	XLSX     Format = "xlsx"
	EPUB     Format = "epub"
	Markdown Format = "markdown"
	HTML     Format = "html"
	Text     Format = "text"
)

// Documents lists the formats Extract reads, with the file extensions and
// media types that name them, for clients that offer a file picker.
var Documents = []FormatInfo{
	{PDF, []string{".pdf"}, []string{"application/pdf"}},
	{DOCX, []string{".docx"}, []string{"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}},
	{PPTX, []string{".pptx"}, []string{"application/vnd.openxmlformats-officedocument.presentationml.presentation"}},
	{XLSX, []string{".xlsx"}, []string{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}},
	{EPUB, []string{".epub"}, []string{"application/epub+zip"}},
	{Markdown, []string{".md", ".markdown"}, []string{"text/markdown"}},
	{HTML, []string{".html", ".htm", ".xhtml"}, []string{"text/html", "application/xhtml+xml"}},
	{Text, []string{".txt", ".text", ".csv", ".tsv", ".json", ".xml", ".log", ".rst", ".tex", ".srt", ".vtt", ".yaml", ".yml"},
		[]string{"text/plain", "text/csv", "application/json", "application/xml", "text/xml"}},
}

// FormatInfo names a format's extensions and media types.
type FormatInfo struct {
	Format     Format   `json:"format"`
	Extensions []string `json:"extensions"`
	MediaTypes []string `json:"media_types"`
}

// Limits bound one extraction. Zero fields take the defaults.
type Limits struct {
	Timeout   time.Duration // the whole extraction
	Input     int64         // bytes of the file
	Unzipped  int64         // bytes a zip container may inflate to, all parts together
	Pages     int           // PDF pages, EPUB chapters, PPTX slides, XLSX sheets
	Text      int           // bytes of text produced
	PageBytes int64         // bytes of one PDF page's content once decompressed
}

// DefaultLimits are generous for real documents (a 3,000-page book, a 100 MB
// scan) and small enough that a hostile one cannot hurt the server.
var DefaultLimits = Limits{
	Timeout:   2 * time.Minute,
	Input:     100 << 20,
	Unzipped:  256 << 20,
	Pages:     3000,
	Text:      32 << 20,
	PageBytes: 32 << 20,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.Timeout > 0 {
		d.Timeout = l.Timeout
	}
	if l.Input > 0 {
		d.Input = l.Input
	}
	if l.Unzipped > 0 {
		d.Unzipped = l.Unzipped
	}
	if l.Pages > 0 {
		d.Pages = l.Pages
	}
	if l.Text > 0 {
		d.Text = l.Text
	}
	if l.PageBytes > 0 {
		d.PageBytes = l.PageBytes
	}
	return d
}

// Input is a document to read.
type Input struct {
	Data []byte
	// Name is the file name (or URL) it came with; ContentType what the
	// uploader or the web server declared. Both are hints.
	Name        string
	ContentType string
	Limits      Limits
}

// Result is what came out of a document.
type Result struct {
	Format Format
	Title  string // from the document's metadata, when it has one
	Text   string
	Pages  int    // pages, slides, sheets or chapters read
	Note   string // something the user should know, such as a misnamed file
}

// Failure is an extraction that ended without text, for a reason the user
// can read. Unsupported marks a format this server does not read (HTTP
// 415), as opposed to a file that is broken, locked or over a limit.
type Failure struct {
	Reason      string
	Unsupported bool
	err         error
}

func (f *Failure) Error() string { return f.Reason }
func (f *Failure) Unwrap() error { return f.err }

func fail(format string, args ...any) *Failure {
	return &Failure{Reason: fmt.Sprintf(format, args...)}
}

func unsupported(format string, args ...any) *Failure {
	return &Failure{Reason: fmt.Sprintf(format, args...), Unsupported: true}
}

// AsFailure returns err's Failure, if it is one.
func AsFailure(err error) (*Failure, bool) {
	var f *Failure
	ok := errors.As(err, &f)
	return f, ok
}

// errTextLimit ends an extraction whose text outgrew Limits.Text.
var errTextLimit = errors.New("text limit")

// Extract reads in's text. Every error it returns is a *Failure.
func Extract(ctx context.Context, in Input) (res *Result, err error) {
	lim := in.Limits.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	if int64(len(in.Data)) > lim.Input {
		return nil, fail("The file is larger than the %d MB this server reads.", lim.Input>>20)
	}
	if len(bytes.TrimSpace(in.Data)) == 0 {
		return nil, fail("The document contains no text: the file is empty.")
	}
	kind, err := Sniff(in.Data, in.Name, in.ContentType)
	if err != nil {
		return nil, err
	}
	defer func() {
		// A third-party parser that panics on a hostile file must not take
		// the server down: the file is reported as unreadable instead.
		if r := recover(); r != nil {
			res, err = nil, &Failure{Reason: fmt.Sprintf("The %s file is damaged and could not be read.", kind.Format.label()),
				err: fmt.Errorf("panic: %v\n%s", r, debug.Stack())}
		}
	}()
	out := &textBuilder{max: lim.Text}
	x := &job{ctx: ctx, lim: lim, out: out}
	var title string
	switch kind.Format {
	case PDF:
		title, err = x.pdf(in.Data)
	case DOCX:
		title, err = x.docx(in.Data)
	case PPTX:
		title, err = x.pptx(in.Data)
	case XLSX:
		title, err = x.xlsx(in.Data)
	case EPUB:
		title, err = x.epub(in.Data)
	case HTML:
		title, err = x.html(in.Data, in.Name, in.ContentType)
	case Markdown, Text:
		title, err = x.text(in.Data, in.ContentType, kind.Format == Markdown)
	}
	if err != nil {
		return nil, x.explain(kind.Format, err)
	}
	text := clean(out.String())
	if text == "" {
		reason := "The document contains no text."
		if kind.Format == PDF {
			reason = "The PDF contains no text layer (it may be a scan); text recognition is not available on this server."
		}
		return nil, fail("%s", reason)
	}
	note := strings.TrimSpace(kind.Note + " " + x.note)
	return &Result{Format: kind.Format, Title: cleanTitle(title), Text: text, Pages: x.pages, Note: note}, nil
}

// explain turns an extractor's error into a Failure.
func (x *job) explain(f Format, err error) *Failure {
	if fl, ok := AsFailure(err); ok {
		return fl
	}
	switch {
	case errors.Is(err, errTextLimit):
		return &Failure{Reason: fmt.Sprintf("The document's text is larger than the %d MB this server keeps.", x.lim.Text>>20), err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Failure{Reason: fmt.Sprintf("Reading the %s file took longer than the %s allowed.", f.label(), x.lim.Timeout), err: err}
	case errors.Is(err, context.Canceled):
		return &Failure{Reason: "Reading the file was cancelled.", err: err}
	}
	return &Failure{Reason: fmt.Sprintf("The %s file is damaged and could not be read.", f.label()), err: err}
}

func (f Format) label() string {
	switch f {
	case Markdown, HTML, Text:
		return string(f)
	}
	return strings.ToUpper(string(f))
}

// job is one extraction's state: its limits, and the text written so far.
type job struct {
	ctx   context.Context
	lim   Limits
	out   *textBuilder
	pages int
	note  string // what the user should know about a partial reading
	// inflated counts the PDF content inflated so far.
	inflated int64
}

// page counts a page (slide, sheet, chapter) and checks the time and page
// limits before it is read.
func (x *job) page() error {
	if err := x.ctx.Err(); err != nil {
		return err
	}
	x.pages++
	if x.pages > x.lim.Pages {
		return fail("The document has more than the %d pages this server reads.", x.lim.Pages)
	}
	return nil
}

// textBuilder collects text up to a bound.
type textBuilder struct {
	b   strings.Builder
	max int
}

func (t *textBuilder) WriteString(s string) error {
	if t.b.Len()+len(s) > t.max {
		return errTextLimit
	}
	t.b.WriteString(s)
	return nil
}

func (t *textBuilder) String() string { return t.b.String() }

// paragraph writes s as a paragraph of its own.
func (t *textBuilder) paragraph(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if t.b.Len() > 0 {
		if err := t.WriteString("\n\n"); err != nil {
			return err
		}
	}
	return t.WriteString(s)
}

// clean makes text storable: valid UTF-8, no NUL (PostgreSQL refuses it),
// no runs of blank lines, no trailing spaces.
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.ReplaceAll(s, "\x00", "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\r\f\v")
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

func cleanTitle(s string) string {
	s = strings.Join(strings.Fields(clean(s)), " ")
	if utf8.RuneCountInString(s) > 200 {
		s = string([]rune(s)[:200])
	}
	return s
}

// readLimited reads r up to max bytes; more is an error.
func readLimited(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errTooLarge
	}
	return b, nil
}

var errTooLarge = errors.New("too large")
