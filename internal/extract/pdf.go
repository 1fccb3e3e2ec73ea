package extract

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ledongthuc/pdf"
)

// pdf reads a PDF's pages in order, each laid out by readingOrder.
func (x *job) pdf(data []byte) (string, error) {
	data = trimPDF(data)
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		msg := err.Error()
		switch {
		case errors.Is(err, pdf.ErrInvalidPassword):
			return "", fail("The PDF is password-protected; remove the password (or print it to a new PDF) and upload it again.")
		case strings.Contains(msg, "encryption"):
			return "", fail("The PDF is encrypted with a method this server cannot read; print it to a new PDF and upload that.")
		}
		return "", &Failure{Reason: "The PDF file is damaged and could not be read.", err: err}
	}
	pages, err := x.pdfPages(r.Trailer().Key("Root").Key("Pages"))
	if err != nil {
		return "", err
	}
	var skipped []int
	for i, p := range pages {
		if err := x.ctx.Err(); err != nil {
			return "", err
		}
		if err := x.checkPageSize(p, i+1); err != nil {
			return "", err
		}
		text, ok := pageText(p)
		if !ok {
			skipped = append(skipped, i+1)
			continue
		}
		if err := x.out.paragraph(text); err != nil {
			return "", err
		}
	}
	if len(skipped) > 0 {
		x.note = fmt.Sprintf("%d of %d pages could not be read (damaged content), first page %d.", len(skipped), len(pages), skipped[0])
	}
	return pdfTitle(r), nil
}

// pageText lays out one page; a page whose content makes the parser panic
// is skipped, not the whole document.
func pageText(p pdf.Page) (text string, ok bool) {
	defer func() {
		if recover() != nil {
			text, ok = "", false
		}
	}()
	return readingOrder(p.Content().Text), true
}

// trimPDF cuts what surrounds a PDF that some producers and mail systems
// add: bytes before the header and after the last %%EOF. A PDF 2.0 header
// is read as 1.7, whose syntax it shares for what is read here.
func trimPDF(data []byte) []byte {
	if i := bytes.Index(data[:min(len(data), 1024)], []byte("%PDF-")); i > 0 {
		data = data[i:]
	}
	if i := bytes.LastIndex(data, []byte("%%EOF")); i > 0 {
		data = data[:i+5]
	}
	if bytes.HasPrefix(data, []byte("%PDF-2.")) {
		data = bytes.Clone(data)
		copy(data, "%PDF-1.7")
	}
	return data
}

// pdfPages walks the page tree itself, instead of the library's Page(n):
// a tree whose Kids point back at an ancestor would loop there for ever.
// The walk visits at most a bounded number of nodes and depth.
func (x *job) pdfPages(root pdf.Value) ([]pdf.Page, error) {
	var pages []pdf.Page
	visits := 0
	maxVisits := 4*x.lim.Pages + 64
	var walk func(n pdf.Value, depth int) error
	walk = func(n pdf.Value, depth int) error {
		visits++
		if depth > 64 || visits > maxVisits {
			return fail("The PDF's page tree loops or is nested too deeply; the file is damaged.")
		}
		switch n.Key("Type").Name() {
		case "Page":
			if len(pages) >= x.lim.Pages {
				return fail("The document has more than the %d pages this server reads.", x.lim.Pages)
			}
			pages = append(pages, pdf.Page{V: n})
			return nil
		default: // Pages, or a node whose type is missing: its kids are read
			kids := n.Key("Kids")
			for i := 0; i < kids.Len(); i++ {
				if err := walk(kids.Index(i), depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(root, 0); err != nil {
		return nil, err
	}
	x.pages = len(pages)
	return pages, nil
}

// checkPageSize measures a page's decompressed content before it is
// parsed, so a small file that inflates to gigabytes (a flate bomb in a
// content stream) is refused instead of read.
func (x *job) checkPageSize(p pdf.Page, num int) error {
	c := p.V.Key("Contents")
	var streams []pdf.Value
	if c.Kind() == pdf.Array {
		for i := 0; i < c.Len(); i++ {
			streams = append(streams, c.Index(i))
		}
	} else if c.Kind() == pdf.Stream {
		streams = append(streams, c)
	}
	left := x.lim.PageBytes
	for _, s := range streams {
		n, err := io.Copy(io.Discard, io.LimitReader(s.Reader(), left+1))
		if err != nil {
			return &Failure{Reason: fmt.Sprintf("Page %d of the PDF is damaged and could not be read.", num), err: err}
		}
		if left -= n; left < 0 {
			return fail("Page %d of the PDF inflates to more than the %d MB this server reads for a page.", num, x.lim.PageBytes>>20)
		}
		// All pages together share the unpack budget of zip containers.
		if x.inflated += n; x.inflated > x.lim.Unzipped {
			return fail("The PDF's pages inflate to more than the %d MB this server unpacks.", x.lim.Unzipped>>20)
		}
	}
	return nil
}

// pdfTitle is the Title of the document information dictionary.
func pdfTitle(r *pdf.Reader) string {
	v := r.Trailer().Key("Info").Key("Title")
	if v.Kind() != pdf.String {
		return ""
	}
	return v.Text()
}
