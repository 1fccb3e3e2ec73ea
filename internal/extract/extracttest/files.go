// Package extracttest makes small real documents for tests: a two-column
// PDF, Office files, an EPUB, and hostile files (zip and flate bombs, a
// looping PDF). They are written by code, not kept as opaque binaries, so
// what each one holds can be read here.
package extracttest

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/png"
	"strings"
	"testing"

	"codeberg.org/go-pdf/fpdf"
)

// TwoColumnPDF is an A4 page with a full-width title and two columns whose
// lines are drawn interleaved (left line 1, right line 1, left line 2, …),
// as many producers draw them: read in drawing order the columns mix.
func TwoColumnPDF(t testing.TB, pages int, password string) []byte {
	t.Helper()
	f := fpdf.New("P", "pt", "A4", "")
	f.SetTitle("Tide Pools and Their Keepers", false)
	if password != "" {
		f.SetProtection(fpdf.CnProtectPrint, password, "owner-"+password)
	}
	tr := f.UnicodeTranslatorFromDescriptor("") // cp1252: é, ’ and friends
	for p := 1; p <= pages; p++ {
		f.AddPage()
		f.SetFont("Helvetica", "B", 16)
		f.Text(56, 60, fmt.Sprintf("Tide Pools and Their Keepers, page %d", p))
		f.SetFont("Helvetica", "", 10)
		for i := 1; i <= 12; i++ {
			y := 100 + float64(i)*14
			f.Text(56, y, fmt.Sprintf("Left column line %d about anemones.", i))
			f.Text(310, y, tr(fmt.Sprintf("Right column line %d about café crabs.", i)))
		}
		f.Text(56, 800, "Full width footer line that spans across both of the columns of the page")
	}
	var b bytes.Buffer
	if err := f.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// RawPDF writes a PDF from object bodies (object i+1 is objs[i]), with a
// correct cross-reference table, for the malformed files fpdf will not make.
func RawPDF(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// LoopingPDF has a page tree whose Kids point back at the root.
func LoopingPDF() []byte {
	return RawPDF(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
		"<< /Type /Pages /Kids [2 0 R] /Count 1 >>",
	)
}

// FlateBombPDF has one page whose content stream inflates to size bytes.
func FlateBombPDF(size int) []byte {
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	chunk := bytes.Repeat([]byte(" "), 1<<16)
	for n := 0; n < size; n += len(chunk) {
		w.Write(chunk)
	}
	w.Close()
	return RawPDF(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", z.Len(), z.Bytes()),
	)
}

// Zip builds a zip from name, content pairs, in order.
func Zip(t testing.TB, parts ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for i := 0; i+1 < len(parts); i += 2 {
		method := zip.Deflate
		if parts[i] == "mimetype" {
			method = zip.Store
		}
		f, err := w.CreateHeader(&zip.FileHeader{Name: parts[i], Method: method})
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(parts[i+1]))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// NsW declares WordprocessingML's namespace, for hand-made documents.
const NsW = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`
const nsA = `xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`

func coreXML(title string) string {
	return `<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>` + title + `</dc:title></cp:coreProperties>`
}

// DOCX is a Word document with a heading, a paragraph and a table.
func DOCX(t testing.TB) []byte {
	body := `<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Field notes</w:t></w:r></w:p>` +
		`<w:p><w:r><w:t xml:space="preserve">Observed on the </w:t></w:r><w:r><w:t>north shore.</w:t></w:r></w:p>` +
		`<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Species</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Count</w:t></w:r></w:p></w:tc></w:tr>` +
		`<w:tr><w:tc><w:p><w:r><w:t>Hermit crab</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>12</w:t></w:r></w:p></w:tc></w:tr>` +
		`<w:tr><w:tc><w:p><w:r><w:t>Sea star</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>3</w:t></w:r></w:p></w:tc></w:tr></w:tbl>` +
		`<w:p><w:r><w:t>End of notes.</w:t></w:r></w:p>`
	return Zip(t,
		"[Content_Types].xml", `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"word/document.xml", `<?xml version="1.0"?><w:document `+NsW+`><w:body>`+body+`</w:body></w:document>`,
		"docProps/core.xml", coreXML("Shore Survey 2026"),
	)
}

// PPTX is a presentation of two slides, listed out of part order, the
// first with speaker notes.
func PPTX(t testing.TB) []byte {
	slide := func(title, bullet string) string {
		return `<p:sld ` + nsA + `><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>` + title + `</a:t></a:r></a:p>` +
			`<a:p><a:r><a:t>` + bullet + `</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>`
	}
	return Zip(t,
		"[Content_Types].xml", `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"ppt/presentation.xml", `<p:presentation `+nsA+`><p:sldIdLst><p:sldId id="256" r:id="rId2"/><p:sldId id="257" r:id="rId1"/></p:sldIdLst></p:presentation>`,
		"ppt/_rels/presentation.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
			`<Relationship Id="rId1" Target="slides/slide2.xml"/><Relationship Id="rId2" Target="slides/slide1.xml"/></Relationships>`,
		"ppt/slides/slide1.xml", slide("Why tide pools matter", "They shelter juvenile fish"),
		"ppt/slides/slide2.xml", slide("Threats", "Trampling and warming water"),
		"ppt/slides/_rels/slide1.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId9" Target="../notesSlides/notesSlide1.xml"/></Relationships>`,
		"ppt/notesSlides/notesSlide1.xml", `<p:notes `+nsA+`><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>Mention the 2024 survey.</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:notes>`,
		"docProps/core.xml", coreXML("Tide Pool Talk"),
	)
}

// XLSX is a workbook with a shared-string sheet and an inline-string
// sheet with a gap column.
func XLSX(t testing.TB) []byte {
	return Zip(t,
		"[Content_Types].xml", `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"xl/workbook.xml", `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`+
			`<sheets><sheet name="Counts" sheetId="1" r:id="rId1"/><sheet name="Sites" sheetId="2" r:id="rId2"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
			`<Relationship Id="rId1" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Target="/xl/worksheets/sheet2.xml"/></Relationships>`,
		"xl/sharedStrings.xml", `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>Species</t></si><si><t>Count</t></si><si><r><t>Hermit </t></r><r><t>crab</t></r></si></sst>`,
		"xl/worksheets/sheet1.xml", `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+
			`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>`+
			`<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>12</v></c></row></sheetData></worksheet>`,
		"xl/worksheets/sheet2.xml", `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+
			`<row r="1"><c r="A1" t="inlineStr"><is><t>Site</t></is></c><c r="C1" t="inlineStr"><is><t>Open</t></is></c></row>`+
			`<row r="3"><c r="A3" t="inlineStr"><is><t>North | shore</t></is></c><c r="C3" t="b"><v>1</v></c></row></sheetData></worksheet>`,
	)
}

// EPUB is a book of two chapters, spine order differing from the
// manifest's.
func EPUB(t testing.TB) []byte {
	chapter := func(h, p string) string {
		return `<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title></head><body><h1>` + h + `</h1><p>` + p + `</p></body></html>`
	}
	return Zip(t,
		"mimetype", "application/epub+zip",
		"META-INF/container.xml", `<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container" version="1.0"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`,
		"OEBPS/content.opf", `<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>The Shore Book</dc:title></metadata>`+
			`<manifest><item id="c2" href="text/ch%202.xhtml" media-type="application/xhtml+xml"/><item id="c1" href="text/ch1.xhtml" media-type="application/xhtml+xml"/></manifest>`+
			`<spine><itemref idref="c1"/><itemref idref="c2"/></spine></package>`,
		"OEBPS/text/ch1.xhtml", chapter("Chapter One", "The tide went out."),
		"OEBPS/text/ch 2.xhtml", chapter("Chapter Two", "The crabs came home."),
	)
}

// BombPart is a part of size bytes that deflates to almost nothing.
func BombPart(size int) string { return strings.Repeat("<w:p/>", size/6) }

// DOCXBomb is a Word document whose body inflates to size bytes, written
// as a stream so the test never holds it.
func DOCXBomb(t testing.TB, size int) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, err := w.Create("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte(`<w:document ` + NsW + `><w:body>`))
	chunk := []byte(strings.Repeat("<w:p/>", 1<<14))
	for n := 0; n < size; n += len(chunk) {
		f.Write(chunk)
	}
	f.Write([]byte(`</w:body></w:document>`))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// PNG is a tiny image.
func PNG() []byte {
	var b bytes.Buffer
	png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 4)))
	return b.Bytes()
}
