package httpapi_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/open-notebook/open-notebook/internal/extract/extracttest"
	"github.com/open-notebook/open-notebook/internal/store"
)

// TestWebUIAddSourceFiles drives the add-source dialog with real files: it
// says which files are accepted, shows the upload's progress and then the
// processing, and a file that cannot be read fails with its reason and a
// Retry.
func TestWebUIAddSourceFiles(t *testing.T) {
	chromiumPath(t)
	e := newEnv(t, store.SQLite)
	nb := obj(t, e.do("POST", "/api/notebooks", `{"name":"Shore"}`))["id"].(string)
	b := newBrowser(t, e.srv.URL)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pdf := write("tides.pdf", extracttest.TwoColumnPDF(t, 3, ""))
	locked := write("locked.pdf", extracttest.TwoColumnPDF(t, 1, "secret"))

	b.visit("/ui/notebooks/" + strings.TrimPrefix(nb, "notebook:"))
	b.do("open the dialog", click(chromedp.CSS(`#add-source-box summary`)),
		click(chromedp.CSS(`#add-source input[value="upload"]`)))
	b.until("the accepted files are listed", textOf(`#src-accepted`)+`.includes('PDF, Word, PowerPoint, Excel, EPUB')`+
		` && `+textOf(`#src-accepted`)+`.includes('transcribed by the speech-to-text model')`)
	if accept := eval[string](b, "accept", `document.querySelector('#src-file').getAttribute('accept')`); !strings.Contains(accept, ".pdf") || !strings.Contains(accept, ".mp3") {
		t.Fatalf("the picker accepts %q", accept)
	}

	b.do("upload a PDF", chromedp.SetUploadFiles(chromedp.ID("src-file"), []string{pdf}),
		click(chromedp.CSS(`#add-source button[type="submit"]`)))
	b.until("the upload reported its progress", textOf(`#src-upload-text`)+` === 'Uploaded; reading it…'`)
	b.until("it is read, titled from its metadata", `[...document.querySelectorAll('#sources li[data-status="completed"]')].some((li) => li.textContent.includes('Tide Pools and Their Keepers'))`)

	b.do("upload a locked PDF", click(chromedp.CSS(`#add-source input[value="upload"]`)),
		chromedp.SetUploadFiles(chromedp.ID("src-file"), []string{locked}),
		click(chromedp.CSS(`#add-source button[type="submit"]`)))
	b.until("it fails with the reason", textOf(`#sources li[data-status="failed"] .source-error`)+`.includes('password-protected')`)
	b.until("and offers Retry", `document.querySelector('#sources li[data-status="failed"] button[aria-label^="Retry"]')`)
	b.screenshot("source-locked-pdf")
	if p := b.pageProblems(); len(p) > 0 {
		t.Errorf("the page raised errors: %s", strings.Join(p, "\n"))
	}
}
