package httpapi_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/store"
)

// TestWebUIFirstRunChecklist follows the notebooks page's first-run
// checklist from an empty server to a ready one: four steps unticked, each
// linked to where it is done, ticked one by one as the API's state changes,
// hidden on request for the visit, and gone once all are done. Signed out,
// the page only sends the visitor to the login page, with no error.
func TestWebUIFirstRunChecklist(t *testing.T) {
	chromiumPath(t)
	up := providertest.NewUpstream(t, provider.FamilyOpenAI)
	e := newEnv(t, store.SQLite, withPassword(uiPassword), withKey("ui-checklist-key"))
	call := func(method, path, body string) map[string]any {
		t.Helper()
		r := e.do(method, path, body, "Authorization", "Bearer "+uiPassword)
		if r.status != 200 && r.status != 201 {
			t.Fatalf("%s %s: %d %s", method, path, r.status, r.body)
		}
		return obj(t, r)
	}
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
	reload := func(want string) {
		t.Helper()
		b.visit("/ui/")
		b.until("the notebooks load", textOf("#notebooks")+`.includes('No notebooks yet')`)
		b.until("the checklist ticks "+want, `document.querySelectorAll('#first-run li').length === 4 && [...document.querySelectorAll('#first-run li[data-done="true"]')].map(li => li.dataset.step).join(',') === `+js(want))
	}

	step("signed out, the page goes to the login page without an error", func(t *testing.T) {
		b.visit("/ui/")
		b.path("the login page", "/ui/login")
		b.do("sign in", chromedp.SendKeys(chromedp.ID("password"), uiPassword+"\n"))
		b.path("back", "/ui/")
	})

	step("an empty server shows four steps, none done, each with the way to do it", func(t *testing.T) {
		reload("")
		links := eval[string](b, "the links", `[...document.querySelectorAll('#first-run li a')].map(a => a.getAttribute('href')).join(',')`)
		if links != "/ui/settings#keys,/ui/settings#keys,/ui/settings#keys,/ui/settings#models" {
			t.Errorf("links %q", links)
		}
		if got := eval[string](b, "the count", textOf("#first-run")); !strings.Contains(got, "0 of 4 done") || !strings.Contains(got, "To do: Add a provider’s API key") {
			t.Errorf("checklist text %q", got)
		}
		b.screenshot("checklist")
		b.do("follow the first step", click(chromedp.CSS(`#first-run li[data-step="key"] a`)))
		b.path("Settings", "/ui/settings")
		b.until("the API keys tab", `location.hash === '#keys' && !document.querySelector('#keys').hidden`)
	})

	var cred string
	step("a key is ticked, then its test", func(t *testing.T) {
		cred = call("POST", "/api/credentials", `{"name":"Local","provider":"openai_compatible","api_key":"`+providertest.GoodKey+`","base_url":"`+up.BaseURL("")+`"}`)["id"].(string)
		reload("key")
		call("POST", "/api/credentials/"+cred+"/test", "")
		reload("key,test")
	})

	step("the checklist can be hidden for the visit", func(t *testing.T) {
		b.do("hide it", click(chromedp.CSS(`#first-run [data-action="hide-checklist"]`)))
		b.until("hidden, the focus in the new notebook form", `document.querySelector('#first-run').hidden && document.activeElement.id === 'nb-name'`)
	})

	var chat string
	step("registered models and then the defaults are ticked", func(t *testing.T) {
		chat = call("POST", "/api/models", `{"name":"gpt-4o-mini","provider":"openai_compatible","type":"language","credential":"`+cred+`"}`)["id"].(string)
		reload("key,test,models")
		call("PUT", "/api/models/defaults", `{"default_chat_model":"`+chat+`"}`)
		reload("key,test,models")
		if got := eval[string](b, "what is missing", textOf(`#first-run li[data-step="defaults"]`)); !strings.Contains(got, "Chat: set · embedding: not set") {
			t.Errorf("the defaults step says %q", got)
		}
		b.screenshot("checklist-partial")
	})

	step("with every step done the checklist is gone", func(t *testing.T) {
		emb := call("POST", "/api/models", `{"name":"text-embedding-3-small","provider":"openai_compatible","type":"embedding","credential":"`+cred+`"}`)["id"].(string)
		call("PUT", "/api/models/defaults", `{"default_chat_model":"`+chat+`","default_embedding_model":"`+emb+`"}`)
		b.visit("/ui/")
		b.until("the notebooks load", textOf("#notebooks")+`.includes('No notebooks yet')`)
		b.until("the state is read, and the checklist stays hidden", `document.querySelector('#first-run').dataset.done === '4/4' && document.querySelector('#first-run').hidden`)
	})

	if p := b.pageProblems(); len(p) > 0 {
		t.Errorf("the pages raised errors (CSP or script faults): %s", strings.Join(p, "\n"))
	}
}
