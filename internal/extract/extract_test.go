package extract

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/extract/extracttest"

	"github.com/ledongthuc/pdf"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

func extractOK(t *testing.T, name string, data []byte) *Result {
	t.Helper()
	res, err := Extract(context.Background(), Input{Data: data, Name: name})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

func wantInOrder(t *testing.T, text string, parts ...string) {
	t.Helper()
	at := 0
	for _, p := range parts {
		i := strings.Index(text[at:], p)
		if i < 0 {
			t.Fatalf("%q not found (in order) in:\n%s", p, text)
		}
		at += i + len(p)
	}
}

func TestPDFTwoColumns(t *testing.T) {
	res := extractOK(t, "tides.pdf", extracttest.TwoColumnPDF(t, 2, ""))
	if res.Format != PDF || res.Pages != 2 || res.Title != "Tide Pools and Their Keepers" {
		t.Fatalf("format %s pages %d title %q", res.Format, res.Pages, res.Title)
	}
	// The whole left column comes before the right one, the title before
	// both and the footer after both; then the second page.
	wantInOrder(t, res.Text, "Tide Pools and Their Keepers, page 1",
		"Left column line 1 about anemones.", "Left column line 2 about", "Left column line 12 about anemones.",
		"Right column line 1 about café crabs.", "Right column line 12 about café crabs.",
		"Full width footer line", "page 2", "Left column line 1 about")
	if strings.Contains(res.Text, "anemones. Right") {
		t.Fatalf("columns mixed:\n%s", res.Text)
	}
}

func TestPDFLigaturesAndRows(t *testing.T) {
	// Glyphs in a row drawn right to left, a ligature, and an explicit gap.
	got := readingOrder(texts(
		txt{73, 700, "ﬁ"}, txt{78, 700, "n"}, txt{83, 700, "d"},
		txt{60, 700, "W"}, txt{65, 700, "e"},
	))
	if strings.TrimSpace(got) != "We find" {
		t.Fatalf("got %q", got)
	}
}

type txt struct {
	x, y float64
	s    string
}

func texts(ts ...txt) []pdf.Text {
	out := make([]pdf.Text, len(ts))
	for i, t := range ts {
		out[i] = pdf.Text{FontSize: 10, X: t.x, Y: t.y, W: 5, S: t.s}
	}
	return out
}

func TestDOCXWithTable(t *testing.T) {
	res := extractOK(t, "survey.docx", extracttest.DOCX(t))
	if res.Format != DOCX || res.Title != "Shore Survey 2026" {
		t.Fatalf("format %s title %q", res.Format, res.Title)
	}
	wantInOrder(t, res.Text, "# Field notes", "Observed on the north shore.",
		"| Species | Count |", "| --- | --- |", "| Hermit crab | 12 |", "| Sea star | 3 |", "End of notes.")
}

func TestPPTX(t *testing.T) {
	res := extractOK(t, "talk.pptx", extracttest.PPTX(t))
	if res.Format != PPTX || res.Pages != 2 || res.Title != "Tide Pool Talk" {
		t.Fatalf("format %s pages %d title %q", res.Format, res.Pages, res.Title)
	}
	wantInOrder(t, res.Text, "## Slide 1", "Why tide pools matter", "They shelter juvenile fish",
		"Notes: Mention the 2024 survey.", "## Slide 2", "Threats", "Trampling and warming water")
}

func TestXLSX(t *testing.T) {
	res := extractOK(t, "counts.xlsx", extracttest.XLSX(t))
	if res.Format != XLSX || res.Pages != 2 {
		t.Fatalf("format %s pages %d", res.Format, res.Pages)
	}
	wantInOrder(t, res.Text, "## Counts", "| Species | Count |", "| Hermit crab | 12 |",
		"## Sites", "| Site | Open |", `| North \| shore | TRUE |`)
}

func TestEPUB(t *testing.T) {
	res := extractOK(t, "book.epub", extracttest.EPUB(t))
	if res.Format != EPUB || res.Title != "The Shore Book" || res.Pages != 2 {
		t.Fatalf("format %s title %q pages %d", res.Format, res.Title, res.Pages)
	}
	wantInOrder(t, res.Text, "# Chapter One", "The tide went out.", "# Chapter Two", "The crabs came home.")
}

func TestMarkdownAndHTML(t *testing.T) {
	res := extractOK(t, "notes.md", []byte("---\ntitle: \"Kelp Forests\"\ntags: [sea]\n---\n# Kelp\n\nThey grow fast.\n"))
	if res.Format != Markdown || res.Title != "Kelp Forests" || !strings.Contains(res.Text, "They grow fast.") {
		t.Fatalf("%+v", res)
	}
	page := `<html><head><title>Kelp | Ocean Site</title></head><body><nav>Home About Shop</nav>
<article><h1>Kelp forests grow fast</h1>` + strings.Repeat("<p>Giant kelp can grow half a metre a day in good light, sheltering fish and otters.</p>", 6) +
		`</article><footer>Copyright footer</footer></body></html>`
	res = extractOK(t, "page.html", []byte(page))
	if res.Format != HTML || !strings.Contains(res.Title, "Kelp") {
		t.Fatalf("format %s title %q", res.Format, res.Title)
	}
	if !strings.Contains(res.Text, "Giant kelp can grow half a metre") || strings.Contains(res.Text, "Home About Shop") {
		t.Fatalf("article text not isolated:\n%s", res.Text)
	}
}

func TestTextEncodings(t *testing.T) {
	sjis, _, _ := transform.Bytes(japanese.ShiftJIS.NewEncoder(), []byte("潮だまりの生き物について書かれた日本語の文章です。カニとヒトデがいます。"))
	utf16, _, _ := transform.Bytes(unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder(), []byte("Grüße aus dem Watt"))
	for _, c := range []struct {
		name, ctype string
		data        []byte
		want        string
	}{
		{"latin1.txt", "", []byte("Caf\xe9 cr\xe8me, na\xefve r\xe9sum\xe9 of the sea shore \xe0 la carte."), "Café crème, naïve résumé"},
		{"declared.txt", "text/plain; charset=iso-8859-1", []byte("Gr\xfc\xdfe"), "Grüße"},
		{"sjis.txt", "", sjis, "潮だまりの生き物"},
		{"utf16.txt", "", utf16, "Grüße aus dem Watt"},
		{"bom.txt", "", []byte("\xef\xbb\xbfplain"), "plain"},
	} {
		res, err := Extract(context.Background(), Input{Data: c.data, Name: c.name, ContentType: c.ctype})
		if err != nil || !strings.Contains(res.Text, c.want) {
			t.Errorf("%s: %v %+v", c.name, err, res)
		}
	}
}

// TestBadInput: every hostile or broken file ends in a clear reason, in
// bounded time and memory, with no goroutine left behind.
func TestBadInput(t *testing.T) {
	small := Limits{Unzipped: 4 << 20, PageBytes: 4 << 20, Timeout: 20 * time.Second}
	cases := []struct {
		name        string
		data        []byte
		limits      Limits
		want        string
		unsupported bool
	}{
		{"bomb.docx", extracttest.Zip(t, "word/document.xml", `<w:document `+extracttest.NsW+`><w:body>`+extracttest.BombPart(6<<20)+`</w:body></w:document>`), small, "inflates to more than the 4 MB", false},
		{"bomb.epub", extracttest.Zip(t, "mimetype", "application/epub+zip", "META-INF/container.xml",
			`<container><rootfiles><rootfile full-path="c.opf"/></rootfiles></container>`,
			"c.opf", `<package><manifest><item id="a" href="a.xhtml"/></manifest><spine><itemref idref="a"/></spine></package>`,
			"a.xhtml", "<p>"+strings.Repeat(" ", 6<<20)+"</p>"), small, "inflates to more than the 4 MB", false},
		{"bomb24.docx", extracttest.DOCXBomb(t, 24<<20), Limits{}, "inflates to more than 150 times its compressed size", false},
		{"loop.pdf", extracttest.LoopingPDF(), Limits{}, "page tree loops", false},
		{"pages.pdf", extracttest.TwoColumnPDF(t, 30, ""), Limits{Unzipped: 20 << 10}, "pages inflate to more than the 0 MB", false},
		{"flatebomb.pdf", extracttest.FlateBombPDF(6 << 20), small, "Page 1 of the PDF inflates to more than the 4 MB", false},
		{"locked.pdf", extracttest.TwoColumnPDF(t, 1, "secret"), Limits{}, "password-protected", false},
		{"photo.pdf", extracttest.PNG(), Limits{}, "named as PDF but its content is an image (image/png)", false},
		{"broken.pdf", []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage"), Limits{}, "PDF file is damaged", false},
		{"truncated.docx", extracttest.DOCX(t)[:200], Limits{}, "damaged", false},
		{"report.docx", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...), Limits{}, "DOCX file is password-protected", false},
		{"archive.zip", extracttest.Zip(t, "a.txt", "hello"), Limits{}, "zip archive", true},
		{"blob.bin", append([]byte{0, 1, 2, 3}, make([]byte, 100)...), Limits{}, "not supported", true},
		{"empty.txt", []byte("  \n"), Limits{}, "the file is empty", false},
		{"big.txt", bytes.Repeat([]byte("a"), 2<<20), Limits{Input: 1 << 20}, "larger than the 1 MB", false},
		{"long.txt", bytes.Repeat([]byte("a "), 1<<20), Limits{Text: 1 << 20}, "text is larger than the 1 MB", false},
		{"many.pptx", extracttest.PPTX(t), Limits{Pages: 1}, "more than the 1 pages", false},
		{"scan.pdf", extracttest.RawPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", "<< /Type /Page /Parent 2 0 R >>"), Limits{}, "no text layer", false},
	}
	before := runtime.NumGoroutine()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			peak := watchHeap()
			start := time.Now()
			_, err := Extract(context.Background(), Input{Data: c.data, Name: c.name, Limits: c.limits})
			grew := peak()
			f, ok := AsFailure(err)
			if !ok {
				t.Fatalf("want a failure, got %v", err)
			}
			if !strings.Contains(f.Reason, c.want) || f.Unsupported != c.unsupported {
				t.Fatalf("reason %q (unsupported %v), want %q (%v)", f.Reason, f.Unsupported, c.want, c.unsupported)
			}
			if grew > 48<<20 {
				t.Errorf("the heap grew by %d MB", grew>>20)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %s", d)
			}
			t.Logf("%s → %s", c.name, f.Reason)
		})
	}
	time.Sleep(50 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("goroutines: %d before, %d after", before, after)
	}
}

// watchHeap samples the heap in use until the returned function is called,
// which reports how far it rose above where it started.
func watchHeap() func() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base, top := ms.HeapInuse, ms.HeapInuse
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				top = max(top, m.HeapInuse)
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-stopped
		return top - base
	}
}

// TestLargeDocumentIsNotABomb: a big document of real text inflates far
// less than the zip bomb guard allows.
func TestLargeDocumentIsNotABomb(t *testing.T) {
	var body strings.Builder
	words := strings.Fields("tide pool anemone hermit crab sea star kelp barnacle limpet mussel urchin sculpin periwinkle whelk")
	for i := 0; body.Len() < 6<<20; i++ {
		fmt.Fprintf(&body, "<w:p><w:r><w:t>%d %s %s %s</w:t></w:r></w:p>", i*7919%100003, words[i%len(words)], words[i*7%len(words)], words[i*13%len(words)])
	}
	doc := extracttest.Zip(t, "word/document.xml", `<w:document `+extracttest.NsW+`><w:body>`+body.String()+`</w:body></w:document>`)
	res, err := Extract(context.Background(), Input{Data: doc, Name: "big.docx"})
	if err != nil || len(res.Text) < 2<<20 {
		t.Fatalf("%v (%d bytes of zip)", err, len(doc))
	}
	t.Logf("%d MB of XML in %d KB of zip", body.Len()>>20, len(doc)>>10)
}

func TestLyingNameIsReadByContent(t *testing.T) {
	if res := extractOK(t, "notes.txt", []byte("A PDF begins with a %PDF-1.7 header line.")); res.Format != Text {
		t.Fatalf("text quoting a PDF header read as %s", res.Format)
	}
	if res := extractOK(t, "mailed.pdf", append([]byte("junk from a mail gateway\n"), extracttest.TwoColumnPDF(t, 1, "")...)); res.Format != PDF {
		t.Fatalf("a PDF after junk read as %s", res.Format)
	}
	res := extractOK(t, "survey.pdf", extracttest.DOCX(t))
	if res.Format != DOCX || !strings.Contains(res.Note, "named as PDF but its content is DOCX") {
		t.Fatalf("%+v", res)
	}
	res = extractOK(t, "notes.pdf", []byte("<!DOCTYPE html><html><body><p>Hello shore</p></body></html>"))
	if res.Format != HTML || !strings.Contains(res.Text, "Hello shore") || res.Note == "" {
		t.Fatalf("%+v", res)
	}
}

func TestTimeout(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Extract(ctx, Input{Data: extracttest.TwoColumnPDF(t, 3, ""), Name: "a.pdf"})
	if f, ok := AsFailure(err); !ok || !strings.Contains(f.Reason, "cancelled") {
		t.Fatalf("%v", err)
	}
}

func BenchmarkPDFPage(b *testing.B) {
	data := extracttest.TwoColumnPDF(b, 20, "")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		res, err := Extract(context.Background(), Input{Data: data, Name: "b.pdf"})
		if err != nil || res.Pages != 20 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*20), "ns/page")
}
