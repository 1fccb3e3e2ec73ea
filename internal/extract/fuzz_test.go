package extract

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/open-notebook/open-notebook/internal/extract/extracttest"
)

// fuzzExtract feeds arbitrary bytes to Extract as a file of the given name:
// whatever the bytes, it must return either clean text or a Failure, in
// bounded time, and never panic.
func fuzzExtract(f *testing.F, name string, seeds ...[]byte) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{Timeout: 5 * time.Second, Unzipped: 8 << 20, PageBytes: 4 << 20, Pages: 50, Text: 4 << 20}
		res, err := Extract(context.Background(), Input{Data: data, Name: name, Limits: lim})
		if err != nil {
			f, ok := AsFailure(err)
			if !ok || f.Reason == "" {
				t.Fatalf("not a failure with a reason: %v", err)
			}
			return
		}
		if res.Text == "" || !utf8.ValidString(res.Text) || strings.ContainsRune(res.Text, 0) {
			t.Fatalf("bad text %q", res.Text)
		}
	})
}

func FuzzPDF(f *testing.F) {
	fuzzExtract(f, "f.pdf", extracttest.TwoColumnPDF(f, 1, ""), extracttest.LoopingPDF(), extracttest.FlateBombPDF(1<<10), extracttest.TwoColumnPDF(f, 1, "pw"))
}

func FuzzDOCX(f *testing.F) { fuzzExtract(f, "f.docx", extracttest.DOCX(f)) }

func FuzzPPTX(f *testing.F) { fuzzExtract(f, "f.pptx", extracttest.PPTX(f)) }

func FuzzXLSX(f *testing.F) { fuzzExtract(f, "f.xlsx", extracttest.XLSX(f)) }

func FuzzEPUB(f *testing.F) { fuzzExtract(f, "f.epub", extracttest.EPUB(f)) }

func FuzzHTML(f *testing.F) {
	fuzzExtract(f, "f.html", []byte("<html><head><title>t</title></head><body><article><h1>a</h1><p>b</p><table><tr><td>1</td><td>2</td></tr></table></article></body></html>"))
}

func FuzzText(f *testing.F) {
	fuzzExtract(f, "f.txt", []byte("plain"), []byte("Caf\xe9"), []byte{0xFF, 0xFE, 'a', 0}, []byte("# Title\n\ntext"))
}
