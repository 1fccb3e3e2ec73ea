package httpapi_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/store"
)

// TestWebUITransformationsAndInsights drives the transformations page and
// a notebook's sources through the background queue: transformations are
// created and tried in the playground, a source added with two of them is
// processed by the workers and shows its insights, one more is generated on
// demand and saved as a note, and a failed source is retried.
func TestWebUITransformationsAndInsights(t *testing.T) {
	chromiumPath(t)
	e := newEnv(t, store.SQLite, withKey("ui-insights-key"))
	e.withModels()
	nb := obj(t, e.do("POST", "/api/notebooks", `{"name":"Reef survey"}`))["id"].(string)
	b := newBrowser(t, e.srv.URL)
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		ok := t.Run(name, func(st *testing.T) {
			b.t = st
			defer func() { b.t = t }()
			f(st)
		})
		if !ok {
			t.FailNow()
		}
	}

	step("the seeded transformations are listed, the default one marked", func(t *testing.T) {
		b.visit("/ui/transformations")
		b.until("six are listed", `document.querySelectorAll('#transformations li').length === 6`)
		if got := eval[int](b, "defaults", `document.querySelectorAll('#transformations .badge-accent').length`); got != 1 {
			t.Errorf("%d marked default, want 1 (Dense Summary)", got)
		}
		b.until("the default instructions load", `document.querySelector('#dp-text').value.length > 20`)
		if eval[bool](b, "seed dates", textOf("#transformations")+`.includes('1970')`) {
			t.Error("the seeded transformations show a 1970 date")
		}
	})

	step("a new transformation is created and pre-selected for new sources", func(t *testing.T) {
		b.do("open the form", click(chromedp.ID("tr-new")),
			chromedp.WaitVisible(chromedp.CSS(`dialog[open] input[name="name"]`)))
		b.do("submit it empty", click(chromedp.CSS(`dialog[open] button[type="submit"]`)))
		b.until("the form says what is missing", textOf(`dialog[open] .form-error`)+`.includes('name')`)
		b.do("fill it",
			chromedp.SendKeys(chromedp.CSS(`dialog[open] input[name="name"]`), "Glossary"),
			chromedp.SendKeys(chromedp.CSS(`dialog[open] input[name="title"]`), "Glossary"),
			chromedp.SendKeys(chromedp.CSS(`dialog[open] input[name="description"]`), "Terms and their meaning"),
			chromedp.SendKeys(chromedp.CSS(`dialog[open] textarea[name="prompt"]`), "List every technical term with a one-line definition."),
			click(chromedp.CSS(`dialog[open] input[name="apply_default"]`)),
			click(chromedp.CSS(`dialog[open] button[type="submit"]`)))
		b.until("seven are listed", `document.querySelectorAll('#transformations li').length === 7`)
		b.until("two are default", `document.querySelectorAll('#transformations .badge-accent').length === 2`)
		b.screenshot("transformations")
	})

	step("the playground runs a transformation on any text", func(t *testing.T) {
		b.until("it is offered", `[...document.querySelectorAll('#play-tr option')].some(o => o.textContent === 'Glossary')`)
		eval[chromedp.Void](b, "choose it", `(s => { s.value = [...s.options].find(o => o.textContent === 'Glossary').value })(document.querySelector('#play-tr'))`)
		b.do("run it", chromedp.SendKeys(chromedp.ID("play-input"), "Zooxanthellae live inside coral polyps."),
			click(chromedp.CSS(`#playground button[type="submit"]`)))
		b.until("the output", textOf("#play-result")+` === `+js(providertest.ChatAnswer))
	})

	step("a source added with transformations is processed and shows its insights", func(t *testing.T) {
		b.visit("/ui/notebooks/" + strings.TrimPrefix(nb, "notebook:"))
		b.do("open the form", click(chromedp.CSS(`#add-source-box summary`)))
		b.until("the transformations are offered", `document.querySelectorAll('#src-tr-list input').length === 7`)
		if got := eval[int](b, "pre-selected", `document.querySelectorAll('#src-tr-list input:checked').length`); got != 2 {
			t.Errorf("%d transformations pre-selected, want the 2 defaults", got)
		}
		b.do("add it", chromedp.SendKeys(chromedp.ID("src-title"), "Reef census"),
			chromedp.SendKeys(chromedp.ID("src-content"), "Coral reefs shelter a quarter of all marine species."),
			click(chromedp.CSS(`#add-source button[type="submit"]`)))
		b.until("it is listed", textOf("#sources")+`.includes('Reef census')`)
		b.until("its insights are counted", textOf(`#sources li`)+`.includes('2 insights')`)
		b.until("and it is embedded", textOf(`#sources li`)+`.includes('Embedded')`)
		b.do("open it", click(chromedp.CSS(`#sources li .link-button`)))
		b.until("two insights", `document.querySelectorAll('dialog[open] .insight').length === 2`)
		types := eval[string](b, "their types", `[...document.querySelectorAll('dialog[open] .insight .item-title')].map(e => e.textContent).sort().join(',')`)
		if types != "Dense Summary,Glossary" {
			t.Errorf("insight types %q", types)
		}
		b.screenshot("source-insights")
	})

	step("an insight is generated on demand and saved as a note", func(t *testing.T) {
		eval[chromedp.Void](b, "choose a transformation", `(s => { s.value = [...s.options].find(o => o.textContent === 'Simple Summary').value })(document.querySelector('#insight-tr'))`)
		b.do("generate", click(chromedp.ID("insight-run")))
		b.until("three insights", `document.querySelectorAll('dialog[open] .insight').length === 3`)
		b.do("save the first as a note", click(chromedp.CSS(`dialog[open] .insight button`)))
		b.until("the note is listed", textOf("#notes")+`.includes(' from source Reef census')`)
		b.do("close", chromedp.KeyEvent(kb.Escape))
		b.until("the count", textOf(`#sources li`)+`.includes('3 insights')`)
	})

	step("with embedding set to never, a source is added unembedded and embedded from its row", func(t *testing.T) {
		if r := e.do("PUT", "/api/settings", `{"default_embedding_option":"never"}`); r.status != 200 {
			t.Fatalf("settings: %d %s", r.status, r.body)
		}
		b.visit("/ui/notebooks/" + strings.TrimPrefix(nb, "notebook:"))
		b.do("open the form", click(chromedp.CSS(`#add-source-box summary`)))
		b.until("the checkbox follows the setting", `document.querySelector('#src-embed').disabled && !document.querySelector('#src-embed').checked`)
		b.do("add it", chromedp.SendKeys(chromedp.ID("src-title"), "Mangrove notes"),
			chromedp.SendKeys(chromedp.ID("src-content"), "Mangroves store carbon in their roots."),
			click(chromedp.CSS(`#add-source button[type="submit"]`)))
		row := `[...document.querySelectorAll('#sources li')].find(li => li.textContent.includes('Mangrove notes'))`
		b.until("it is listed as not embedded", `(li => li && li.textContent.includes('Not embedded') && li.querySelector('[data-action="embed"]'))(`+row+`)`)
		b.do("embed it", click(chromedp.CSS(`#sources li [data-action="embed"]`)))
		b.until("it shows embedded", `(li => li && li.textContent.includes('Embedded') && !li.querySelector('[data-action="embed"]'))(`+row+`)`)
		if r := e.do("PUT", "/api/settings", `{"default_embedding_option":"ask"}`); r.status != 200 {
			t.Fatalf("settings: %d %s", r.status, r.body)
		}
	})

	step("adding a link says what it is doing while it waits", func(t *testing.T) {
		b.visit("/ui/notebooks/" + strings.TrimPrefix(nb, "notebook:"))
		b.do("open the form", click(chromedp.CSS(`#add-source-box summary`)),
			click(chromedp.CSS(`#add-source input[value="link"]`)),
			chromedp.SendKeys(chromedp.ID("src-url"), "https://slow.example.org/article"))
		eval[chromedp.Void](b, "watch the button", `(btn => { window.labels = []; new MutationObserver(() => window.labels.push(btn.textContent)).observe(btn, {childList: true, characterData: true, subtree: true}) })(document.querySelector('#add-source button[type="submit"]'))`)
		b.do("add it", click(chromedp.CSS(`#add-source button[type="submit"]`)))
		b.until("the button said what was happening, then went back", `window.labels.includes('Adding the link…') && document.querySelector('#add-source button[type="submit"]').textContent === 'Add source'`)
		// The link leads nowhere; it is removed so the next step sees only
		// its own failure.
		var list []map[string]any
		if err := json.Unmarshal([]byte(e.do("GET", "/api/sources?notebook_id="+nb, "").body), &list); err != nil {
			t.Fatal(err)
		}
		for _, src := range list {
			if asset, _ := src["asset"].(map[string]any); asset != nil && asset["url"] == "https://slow.example.org/article" {
				if r := e.do("DELETE", "/api/sources/"+src["id"].(string), ""); r.status != 200 {
					t.Fatalf("delete the link: %d %s", r.status, r.body)
				}
			}
		}
	})

	step("a file with no text fails with the reason and can be retried", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "blank.txt")
		if err := os.WriteFile(file, []byte("   \n\n   "), 0o644); err != nil {
			t.Fatal(err)
		}
		b.do("upload it", click(chromedp.CSS(`#add-source input[value="upload"]`)),
			chromedp.SetUploadFiles(chromedp.ID("src-file"), []string{file}),
			click(chromedp.CSS(`#add-source button[type="submit"]`)))
		b.until("it fails", `document.querySelector('#sources li[data-status="failed"] .source-error')`)
		b.until("with the reason, under its file name", textOf(`#sources li[data-status="failed"]`)+`.includes('no text') && `+
			textOf(`#sources li[data-status="failed"]`)+`.includes('blank.txt')`)
		b.screenshot("source-failed")
		b.do("retry", click(chromedp.CSS(`#sources li[data-status="failed"] button[aria-label^="Retry"]`)))
		b.until("it is processed again and fails again", `document.querySelector('#sources li[data-status="failed"]') && `+
			textOf(`#toasts`)+`.includes('Processing the source again')`)
	})

	step("search finds the insights and opens their source", func(t *testing.T) {
		b.do("search", chromedp.SendKeys(chromedp.ID("q"), "help\n"))
		b.until("insights are found", `document.querySelector('#results li[data-kind="insight"]')`)
		b.do("open one", click(chromedp.CSS(`#results li[data-kind="insight"] .link-button`)))
		b.until("its source opens", textOf(`dialog[open] h2`)+` === 'Reef census'`)
	})

	if p := b.pageProblems(); len(p) > 0 {
		t.Errorf("the pages raised errors (CSP or script faults): %s", strings.Join(p, "\n"))
	}
}
