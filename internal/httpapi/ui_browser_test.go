package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/store"
)

// The web UI's end-to-end test drives Debian's chromium, headless, against
// the real API on a real SQLite database, with a fake OpenAI-compatible
// provider. It is skipped only when no chromium is installed, unless
// OPEN_NOTEBOOK_REQUIRE_CHROMIUM is set (CI sets it). With
// OPEN_NOTEBOOK_UI_SCREENSHOTS=DIR it saves screenshots of the main screens
// there, to look at the layout.

// chromiumPath finds the browser, or skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("OPEN_NOTEBOOK_TEST_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	if os.Getenv("OPEN_NOTEBOOK_REQUIRE_CHROMIUM") != "" {
		t.Fatal("OPEN_NOTEBOOK_REQUIRE_CHROMIUM is set but no chromium is installed (apt-get install chromium)")
	}
	t.Skip("no chromium binary: install Debian's chromium to run the web UI tests")
	return ""
}

// browser is one headless chromium tab on the UI.
type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string // the server's URL; it changes when the test restarts the server
	shots string // where to save screenshots; "" saves none

	mu       sync.Mutex
	problems []string // console errors and exceptions the pages raised
	network  []string // failed requests the browser logged
}

// stepTimeout bounds every single browser action.
const stepTimeout = 10 * time.Second

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	exec := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exec),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	// The whole browser session is bounded too: no hung step can hold CI.
	parent, cancelParent := context.WithTimeout(context.Background(), 90*time.Second)
	alloc, cancelAlloc := chromedp.NewExecAllocator(parent, opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelTab(); cancelAlloc(); cancelParent() })
	b := &browser{t: t, ctx: ctx, base: base, shots: os.Getenv("OPEN_NOTEBOOK_UI_SCREENSHOTS")}
	console := chromedp.Console(ctx)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting chromium: %v", err)
	}
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			// A failed request is logged by the browser under "network"
			// (the expected 401 before signing in, for one); anything else
			// at error level is a fault of the page.
			b.mu.Lock()
			switch {
			case m.IsException() || (m.Type == chromedp.ConsoleError && m.Source != "network"):
				b.problems = append(b.problems, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line+1))
			case m.Source == "network":
				b.network = append(b.network, fmt.Sprintf("%s (%s)", m, m.URL))
			}
			b.mu.Unlock()
		}
	}()
	return b
}

// do runs actions as one step of the scenario, within stepTimeout.
func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	for {
		err := chromedp.Do(ctx, actions...)
		// A page that was still replacing its document (a script-driven
		// redirect) invalidates the node a query found; nothing was done
		// to it yet, so the step is tried again.
		if err != nil && strings.Contains(err.Error(), "node with given id") && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			b.fail(step, err)
		}
		return
	}
}

func (b *browser) fail(step string, err error) {
	b.t.Helper()
	b.screenshot("failure")
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	b.t.Fatalf("%s: %v (at %s; page problems: %v)", step, err, loc, b.pageProblems())
}

// eval evaluates a JavaScript expression in the page (awaiting it when it
// is a promise).
func eval[T any](b *browser, step, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail(step, err)
	}
	return v
}

// until waits for a JavaScript condition to hold. It polls from Go: the
// pages' Content-Security-Policy forbids the eval that chromedp's own
// polling injects into the page.
func (b *browser) until(step, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("timed out waiting for %s", cond)
			}
			b.fail(step, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// click clicks the first element matching sel as chromedp.Click does, but
// only after the page has painted what it had scheduled: a click is aimed
// at where the element is and sent a moment later, and a paint in between
// (a streamed answer growing above the element) would send it elsewhere.
func click[S chromedp.Selectable](sel S, opts ...chromedp.QueryOption) chromedp.Action[chromedp.Void] {
	settle := chromedp.Evaluate[chromedp.Void](`new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done())))`,
		chromedp.EvalAwaitPromise)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if _, err := settle(ctx, t); err != nil {
			return chromedp.Void{}, err
		}
		return chromedp.Click(sel, opts...)(ctx, t)
	}
}

// dialogsGone holds once every dialog has run its close handler, which
// removes the dialog and then gives focus back to what opened it. A dialog
// that is merely no longer [open] has not done so yet: keys sent at that
// moment can land in the field and then in the opener.
const dialogsGone = `!document.querySelector('dialog')`

// textOf is a JavaScript expression for the text of the first element
// matching a CSS selector ("" when there is none).
func textOf(sel string) string {
	return fmt.Sprintf(`(document.querySelector(%s)?.textContent ?? '')`, js(sel))
}

// js quotes a Go string as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (b *browser) visit(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path))
}

// clear empties a text field, as selecting its text and deleting it would.
func (b *browser) clear(sel string) {
	b.t.Helper()
	eval[chromedp.Void](b, "clear "+sel, `document.querySelector(`+js(sel)+`).value = ''`)
}

func (b *browser) path(step, want string) {
	b.t.Helper()
	b.until(step, fmt.Sprintf(`location.pathname === %s`, js(want)))
}

func (b *browser) screenshot(name string) {
	if b.shots == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644)
	}
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}

func (b *browser) pageProblems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

// apiJSON calls the API from the test, with the password, and decodes the
// answer.
func apiJSON[T any](t *testing.T, e *env, method, path string) T {
	t.Helper()
	r := e.do(method, path, "", "Authorization", "Bearer "+uiPassword)
	var v T
	if r.status != 200 || json.Unmarshal([]byte(r.body), &v) != nil {
		t.Fatalf("%s %s = %d %s", method, path, r.status, r.body)
	}
	return v
}

type uiModel struct {
	ID, Name, Type string
	Credential     string
}

func (m *uiModel) UnmarshalJSON(b []byte) error {
	var raw struct {
		ID, Name, Type string
		Credential     *string
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*m = uiModel{ID: raw.ID, Name: raw.Name, Type: raw.Type}
	if raw.Credential != nil {
		m.Credential = *raw.Credential
	}
	return nil
}

func TestWebUIEndToEnd(t *testing.T) {
	chromiumPath(t)
	const encryptionKey = "ui-e2e-encryption-passphrase"
	up := providertest.NewUpstream(t, provider.FamilyOpenAI)
	e := newEnv(t, store.SQLite, withPassword(uiPassword), withKey(encryptionKey))
	b := newBrowser(t, e.srv.URL)
	// Each step is a subtest; the browser reports failures to the step
	// that is running, and the scenario stops at the first failed step.
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

	step("a visitor without a session is sent to the login page", func(t *testing.T) {
		b.visit("/ui")
		b.path("redirect", "/ui/login")
		b.until("the next page is kept", `new URLSearchParams(location.search).get('next') === '/ui/'`)
		b.do("the form is shown", chromedp.WaitVisible(chromedp.ID("password")))
		b.screenshot("login")
		b.mu.Lock()
		failed := append([]string(nil), b.network...)
		b.mu.Unlock()
		if len(failed) > 0 {
			t.Errorf("the pages logged failed requests before anyone signed in: %q", failed)
		}
		if !eval[bool](b, "a username for password managers", `(u => u && u.autocomplete === 'username' && u.form === document.querySelector('#login'))(document.querySelector('input[name="username"]'))`) {
			t.Error("the login form has no username field for password managers")
		}
	})

	step("a wrong password is refused on the page", func(t *testing.T) {
		b.do("type it", chromedp.SendKeys(chromedp.ID("password"), "not the password\n"))
		b.until("the error", textOf("#login-error")+`.includes('Wrong password')`)
		b.path("still on the login page", "/ui/login")
	})

	step("the right password opens a session kept only in an HttpOnly cookie", func(t *testing.T) {
		b.clear("#password")
		b.do("type it", chromedp.SendKeys(chromedp.ID("password"), uiPassword+"\n"))
		b.path("back where the visitor wanted to go", "/ui/")
		b.until("the notebooks load", textOf("#notebooks")+`.includes('No notebooks yet')`)
		if got := eval[string](b, "scripts see no session cookie", `document.cookie`); got != "onb_signed_in=1" {
			t.Errorf("document.cookie = %q: the session cookie must be HttpOnly, only the hint beside it readable", got)
		}
		stored := eval[string](b, "browser storage", `JSON.stringify([localStorage.length, sessionStorage.length])`)
		if stored != "[0,0]" {
			t.Errorf("the UI stored something in the browser: %s", stored)
		}
		b.do("the sign-out button is shown", chromedp.WaitVisible(chromedp.ID("logout")))
	})

	var notebookPath string
	step("creating a notebook opens it", func(t *testing.T) {
		b.do("name it", chromedp.SendKeys(chromedp.ID("nb-name"), "Whale research"),
			chromedp.SendKeys(chromedp.ID("nb-desc"), "Songs and migration"),
			click(chromedp.CSS(`#new-notebook button[type="submit"]`)))
		b.until("the notebook page", `/^\/ui\/notebooks\/[a-z0-9]+$/.test(location.pathname)`)
		b.until("its name", textOf("#nb-title")+` === 'Whale research'`)
		notebookPath = eval[string](b, "the path", `location.pathname`)
	})

	step("a text source, a file and a note are added to the notebook", func(t *testing.T) {
		b.do("add a source", click(chromedp.CSS(`#add-source-box summary`)),
			chromedp.SendKeys(chromedp.ID("src-title"), "Humpback song structure"),
			chromedp.SendKeys(chromedp.ID("src-content"), "Humpback whales sing long complex songs in the breeding season."),
			click(chromedp.CSS(`#add-source button[type="submit"]`)))
		b.until("the source is listed", textOf("#sources")+`.includes('Humpback song structure')`)
		b.do("add a note", click(chromedp.CSS(`#add-note-box summary`)),
			chromedp.SendKeys(chromedp.ID("note-title"), "Plan"),
			chromedp.SendKeys(chromedp.ID("note-content"), "Compare the songs of two oceans."),
			click(chromedp.CSS(`#add-note button[type="submit"]`)))
		b.until("the note is listed", textOf("#notes")+`.includes('Compare the songs of two oceans.')`)

		file := filepath.Join(t.TempDir(), "field-notes.md")
		if err := os.WriteFile(file, []byte("# Field notes\n\nTwo humpback songs were recorded near the reef.\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		b.do("upload a file", click(chromedp.CSS(`#add-source input[value="upload"]`)),
			chromedp.SetUploadFiles(chromedp.ID("src-file"), []string{file}),
			click(chromedp.CSS(`#add-source button[type="submit"]`)))
		b.until("the file is listed", textOf("#sources")+`.includes('field-notes.md')`)
		b.until("the counts", textOf("#sources-count")+` === '2' && `+textOf("#notes-count")+` === '1'`)
	})

	step("search finds the sources and the note with the matches highlighted", func(t *testing.T) {
		b.do("search", chromedp.SendKeys(chromedp.ID("q"), "songs\n"))
		b.until("three results", `document.querySelectorAll('#results li').length === 3`)
		marks := eval[string](b, "highlights", `[...document.querySelectorAll('#results mark')].map(m => m.textContent.toLowerCase()).join(',')`)
		if !strings.Contains(marks, "songs") {
			t.Errorf("highlighted matches = %q", marks)
		}
		b.do("open the source from its result", click(chromedp.CSS(`#results li[data-kind="source"] .link-button`)))
		b.until("its text", textOf("dialog[open] .source-text")+`.includes('breeding season')`)
		b.screenshot("notebook")
		b.do("close it with Escape", chromedp.KeyEvent(kb.Escape))
		b.until("closed", dialogsGone)
	})

	var gatewayID string
	step("adding a key shows its last four characters and never the key", func(t *testing.T) {
		b.visit("/ui/settings")
		card := `[data-provider="openai_compatible"]`
		b.do("open the form", click(chromedp.CSS(card+` [data-action="add"]`)))
		b.do("the form", chromedp.WaitVisible(chromedp.CSS(`dialog[open] input[name="base_url"]`)))
		b.clear(`dialog[open] input[name="name"]`)
		b.do("save it nameless", click(chromedp.CSS(`dialog[open] [data-action="save"]`)))
		b.until("the error is tied to the name field", `(i => i.getAttribute('aria-invalid') === 'true' && (i.getAttribute('aria-describedby') || '').split(' ').some(id => document.getElementById(id) && document.getElementById(id).textContent.includes('name')))(document.querySelector('dialog[open] input[name="name"]'))`)
		b.do("fill it",
			chromedp.SendKeys(chromedp.CSS(`dialog[open] input[name="name"]`), "Gateway"),
			chromedp.SendKeys(chromedp.CSS(`dialog[open] input[name="base_url"]`), up.BaseURL("")),
			chromedp.SendKeys(chromedp.CSS(`dialog[open] input[name="api_key"]`), providertest.GoodKey),
			click(chromedp.CSS(`dialog[open] [data-action="save"]`)))
		b.until("the key is listed", textOf(card+` .cred`)+`.includes('Key ends in …'+`+js(providertest.GoodKey[len(providertest.GoodKey)-4:])+`)`)
		gatewayID = eval[string](b, "its id", `document.querySelector('`+card+` .cred').dataset.credential`)
		if eval[bool](b, "the key in the page", `document.documentElement.outerHTML.includes(`+js(providertest.GoodKey)+`)`) {
			t.Error("the API key is in the page after saving it")
		}
	})

	step("testing the key shows the provider's answer", func(t *testing.T) {
		up.Reset()
		b.do("test", click(chromedp.CSS(`[data-credential="`+gatewayID+`"] [data-action="test"]`)))
		b.until("success", textOf(`[data-credential="`+gatewayID+`"] [data-test-result="success"]`)+`.includes('Connected')`)
		reqs := up.Requests()
		if len(reqs) != 1 || reqs[0].Path != "/v1/models" || reqs[0].Header.Get("Authorization") != "Bearer "+providertest.GoodKey {
			t.Errorf("the provider received %+v, want one GET /v1/models with the key", reqs)
		}
	})

	step("discovered models are registered with their types", func(t *testing.T) {
		b.do("discover", click(chromedp.CSS(`[data-credential="`+gatewayID+`"] [data-action="discover"]`)))
		b.until("the listing", `document.querySelector('dialog[open] li[data-model="gpt-4o-mini"]')`)
		if got := eval[string](b, "a classified type", `document.querySelector('dialog[open] li[data-model="text-embedding-3-small"] select').value`); got != "embedding" {
			t.Errorf("text-embedding-3-small is offered as %q", got)
		}
		b.do("pick two", click(chromedp.CSS(`dialog[open] li[data-model="gpt-4o-mini"] input[type="checkbox"]`)),
			click(chromedp.CSS(`dialog[open] li[data-model="text-embedding-3-small"] input[type="checkbox"]`)))
		b.until("the button counts them", textOf(`dialog[open] [data-action="register"]`)+` === 'Register 2 models'`)
		b.screenshot("discover")
		b.do("register", click(chromedp.CSS(`dialog[open] [data-action="register"]`)))
		b.until("the models are shown on the key", textOf(`[data-credential="`+gatewayID+`"] .model-chips`)+`.includes('gpt-4o-mini')`)
		models := apiJSON[[]uiModel](t, e, "GET", "/api/models")
		if len(models) != 2 {
			t.Fatalf("registered models: %+v", models)
		}
		for _, m := range models {
			if m.Credential != gatewayID {
				t.Errorf("%s is linked to %q, want %s", m.Name, m.Credential, gatewayID)
			}
		}
	})

	var spareID string
	step("a provider rejecting a key is shown and does not sign the user out", func(t *testing.T) {
		card := `[data-provider="openai_compatible"]`
		b.do("add a second key", click(chromedp.CSS(card+` [data-action="add"]`)),
			chromedp.WaitVisible(chromedp.CSS(`dialog[open] input[name="base_url"]`)))
		b.clear(`dialog[open] input[name="name"]`)
		b.do("fill it",
			chromedp.SendKeys(chromedp.CSS(`dialog[open] input[name="name"]`), "Spare gateway"),
			chromedp.SendKeys(chromedp.CSS(`dialog[open] input[name="base_url"]`), up.BaseURL("")),
			chromedp.SendKeys(chromedp.CSS(`dialog[open] input[name="api_key"]`), "sk-revoked-key-0000"),
			click(chromedp.CSS(`dialog[open] [data-action="save"]`)))
		b.until("two keys", `document.querySelectorAll('`+card+` .cred').length === 2`)
		spareID = eval[string](b, "its id", `[...document.querySelectorAll('`+card+` .cred')].map(c => c.dataset.credential).find(id => id !== `+js(gatewayID)+`)`)
		b.do("discover with it", click(chromedp.CSS(`[data-credential="`+spareID+`"] [data-action="discover"]`)))
		b.until("the provider's refusal", textOf(`dialog[open] .alert`)+`.includes('Could not list the models')`)
		if eval[bool](b, "sentences run together", `/[^.!?…] You can still/.test(`+textOf(`dialog[open] .alert`)+`)`) {
			t.Errorf("the refusal runs into the next sentence: %s", eval[string](b, "the alert", textOf(`dialog[open] .alert`)))
		}
		b.do("close", chromedp.KeyEvent(kb.Escape))
		b.do("test it", click(chromedp.CSS(`[data-credential="`+spareID+`"] [data-action="test"]`)))
		b.until("a failed test", textOf(`[data-credential="`+spareID+`"] [data-test-result="failure"]`)+`.includes('Key rejected')`)
		b.path("still on the settings page", "/ui/settings")
		if eval[bool](b, "the rejected key in the page", `document.documentElement.outerHTML.includes('sk-revoked-key-0000')`) {
			t.Error("the rejected key, echoed by the provider, reached the page")
		}
		if who := eval[string](b, "the session", `fetch('/api/auth/session').then(r => String(r.status))`); who != "200" {
			t.Errorf("after the provider's 401 the session answers %s", who)
		}
	})

	step("editing a key sends only what changed: a cleared field clears, an empty key field keeps the key", func(t *testing.T) {
		b.do("edit the spare key", click(chromedp.CSS(`[data-credential="`+spareID+`"] [data-action="edit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`dialog[open] input[name="name"]`)))
		b.clear(`dialog[open] input[name="name"]`)
		b.do("rename it", chromedp.SendKeys(chromedp.CSS(`dialog[open] input[name="name"]`), "Old gateway"),
			click(chromedp.CSS(`dialog[open] [data-action="save"]`)))
		b.until("the new name", textOf(`[data-credential="`+spareID+`"] .cred-name`)+` === 'Old gateway'`)
		spare := apiJSON[map[string]any](t, e, "GET", "/api/credentials/"+spareID)
		if spare["has_api_key"] != true || spare["api_key_hint"] != "0000" {
			t.Errorf("renaming lost the key: %v", spare)
		}

		card := `[data-provider="ollama"]`
		b.do("add an ollama server", click(chromedp.CSS(card+` [data-action="add"]`)),
			chromedp.WaitVisible(chromedp.CSS(`dialog[open] input[name="num_ctx"]`)),
			chromedp.SendKeys(chromedp.CSS(`dialog[open] input[name="base_url"]`), "http://127.0.0.1:11434"),
			chromedp.SendKeys(chromedp.CSS(`dialog[open] input[name="num_ctx"]`), "8192"),
			click(chromedp.CSS(`dialog[open] [data-action="save"]`)))
		b.until("it is listed", `document.querySelector('`+card+` .cred')`)
		ollamaID := eval[string](b, "its id", `document.querySelector('`+card+` .cred').dataset.credential`)
		b.do("edit it", click(chromedp.CSS(`[data-credential="`+ollamaID+`"] [data-action="edit"]`)))
		b.until("the stored context size is shown", `document.querySelector('dialog[open] input[name="num_ctx"]')?.value === '8192'`)
		b.clear(`dialog[open] input[name="num_ctx"]`)
		b.do("save", click(chromedp.CSS(`dialog[open] [data-action="save"]`)))
		b.until("closed", dialogsGone)
		ollama := apiJSON[map[string]any](t, e, "GET", "/api/credentials/"+ollamaID)
		if ollama["num_ctx"] != nil || ollama["base_url"] != "http://127.0.0.1:11434" {
			t.Errorf("after clearing num_ctx: num_ctx %v, base_url %v", ollama["num_ctx"], ollama["base_url"])
		}
	})

	step("auto-assign fills the required default models", func(t *testing.T) {
		b.do("open the models tab", click(chromedp.CSS(`[data-tab="models"]`)))
		b.do("the missing defaults are flagged", chromedp.WaitVisible(chromedp.CSS(`[data-banner="missing-defaults"]`)))
		b.do("auto-assign", click(chromedp.CSS(`[data-action="auto-assign"]`)))
		b.until("the banner goes", `!document.querySelector('[data-banner="missing-defaults"]')`)
		chat := eval[string](b, "the chat slot", `(s => s.options[s.selectedIndex].text)(document.querySelector('select[data-slot="default_chat_model"]'))`)
		embed := eval[string](b, "the embedding slot", `(s => s.options[s.selectedIndex].text)(document.querySelector('select[data-slot="default_embedding_model"]'))`)
		if !strings.HasPrefix(chat, "gpt-4o-mini") || !strings.HasPrefix(embed, "text-embedding-3-small") {
			t.Errorf("defaults shown: chat %q, embedding %q", chat, embed)
		}
		if eval[bool](b, "a filled slot still says Required", `(s => s.closest('.field').textContent.includes('Required.'))(document.querySelector('select[data-slot="default_chat_model"]'))`) {
			t.Error("a chosen default still shows Required.")
		}
		b.screenshot("models")
	})

	step("testing a model makes a real call to the provider", func(t *testing.T) {
		up.Reset()
		row := `tr[data-model-id]:has(.item-title)`
		id := eval[string](b, "the chat model's row", `[...document.querySelectorAll('`+row+`')].find(r => r.querySelector('.item-title').textContent === 'gpt-4o-mini').dataset.modelId`)
		b.do("test it", click(chromedp.CSS(`tr[data-model-id="`+id+`"] [data-action="test-model"]`)))
		b.until("it works", textOf(`tr[data-model-id="`+id+`"] [data-test-result="success"]`)+`.includes(`+js(providertest.ChatAnswer)+`)`)
		var chats int
		for _, r := range up.Requests() {
			if r.Method == "POST" && r.Path == "/v1/chat/completions" {
				chats++
			}
		}
		if chats != 1 {
			t.Errorf("the provider received %d chat completions, want 1", chats)
		}
	})

	step("deleting a key moves its models to another key of the provider", func(t *testing.T) {
		b.do("open the keys tab", click(chromedp.CSS(`[data-tab="keys"]`)))
		b.do("delete the first key", click(chromedp.CSS(`[data-credential="`+gatewayID+`"] [data-action="delete"]`)))
		b.until("the move is offered", `document.querySelector('dialog[open] input[value="move"]')?.checked && document.querySelector('dialog[open] select').value === `+js(spareID))
		b.do("confirm", click(chromedp.CSS(`dialog[open] [data-action="confirm"]`)))
		b.until("the key is gone", `!document.querySelector('[data-credential="`+gatewayID+`"]')`)
		models := apiJSON[[]uiModel](t, e, "GET", "/api/models")
		if len(models) != 2 {
			t.Errorf("%d models after the move, want 2", len(models))
		}
		for _, m := range models {
			if m.Credential != spareID {
				t.Errorf("%s is linked to %q after the move, want %s", m.Name, m.Credential, spareID)
			}
		}
		defaults := apiJSON[map[string]*string](t, e, "GET", "/api/models/defaults")
		if defaults["default_chat_model"] == nil || defaults["default_embedding_model"] == nil {
			t.Errorf("the moved models lost their default slots: %v", defaults)
		}
	})

	step("an API token is shown once and the audit chain verifies", func(t *testing.T) {
		tokens := `[data-card="tokens"]`
		b.do("open the security tab", click(chromedp.CSS(`[data-tab="security"]`)))
		b.until("the session is described", textOf(`[data-card="sign-in"]`)+`.includes('Browser session')`)
		b.do("create a token", click(chromedp.CSS(tokens+` summary`)),
			chromedp.SendKeys(chromedp.CSS(tokens+` input[name="name"]`), "backup script"),
			click(chromedp.CSS(tokens+` button[type="submit"]`)))
		b.until("it is shown", textOf(`dialog[open] [data-secret-once]`)+`.startsWith('onb_')`)
		secret := eval[string](b, "the token", textOf(`dialog[open] [data-secret-once]`))
		b.do("close", chromedp.KeyEvent(kb.Escape))
		b.until("the dialog is gone", `!document.querySelector('dialog')`)
		b.until("it is listed", textOf(tokens+` table`)+`.includes('backup script')`)
		b.until("focus lands on the new token's row, not the page", `document.activeElement && document.activeElement.closest('[data-token-id]') !== null`)
		b.until("its expiry reads like the other dates", textOf(tokens+` table`)+`.includes('in 30 days')`)
		b.until("the audit table shows the creation without a reload", textOf(`[data-card="audit"] table`)+`.includes('token.create')`)
		if eval[bool](b, "the token in the page", `document.documentElement.outerHTML.includes(`+js(secret)+`)`) {
			t.Error("the token is still in the page after its dialog closed")
		}
		if r := e.do("GET", "/api/notebooks", "", "Authorization", "Bearer "+secret); r.status != 200 {
			t.Errorf("the token shown does not work: %d %s", r.status, r.body)
		}
		b.do("verify the audit log", click(chromedp.CSS(`[data-action="verify-audit"]`)))
		b.do("it is intact", chromedp.WaitVisible(chromedp.CSS(`[data-audit-verify="ok"]`)))
		b.screenshot("security")
	})

	step("dialogs are keyboard operable and give focus back", func(t *testing.T) {
		b.do("open the keys tab", click(chromedp.CSS(`[data-tab="keys"]`)))
		add := `[data-provider="openai"] [data-action="add"]`
		// The tab renders its cards after loading; wait until the button can
		// take focus before giving it focus.
		b.until("the button is ready", `(function(){const el=document.querySelector('`+add+`');`+
			`return !!el && !el.disabled && el.offsetParent !== null})()`)
		b.do("open with Enter", chromedp.Focus(chromedp.CSS(add)), chromedp.KeyEvent(kb.Enter))
		b.until("focus is in the dialog", `document.activeElement && document.activeElement.closest('dialog[open]')`)
		b.do("close with Escape", chromedp.KeyEvent(kb.Escape))
		b.until("focus is back on the button", `document.activeElement && document.activeElement.matches('`+add+`')`)
	})

	step("the encryption banners tell what is wrong with the key", func(t *testing.T) {
		e.start(withPassword(uiPassword), withKey("a-different-passphrase"))
		b.base = e.srv.URL
		b.visit("/ui/settings")
		b.do("the mismatch", chromedp.WaitVisible(chromedp.CSS(`[data-banner="key-mismatch"]`)))
		b.until("the key shows its decryption error", textOf(`[data-credential="`+spareID+`"]`)+`.includes('Decryption error')`)
		if eval[bool](b, "an earlier test result", textOf(`[data-credential="`+spareID+`"]`)+`.includes('last tested')`) {
			t.Error("a key that cannot be opened still shows its earlier test result")
		}
		if !eval[bool](b, "test is disabled", `document.querySelector('[data-credential="`+spareID+`"] [data-action="test"]').disabled`) {
			t.Error("an undecryptable key can still be tested")
		}
		if eval[bool](b, "delete stays enabled", `document.querySelector('[data-credential="`+spareID+`"] [data-action="delete"]').disabled`) {
			t.Error("an undecryptable key cannot be deleted")
		}
		b.screenshot("key-mismatch")

		e.start(withPassword(uiPassword))
		b.base = e.srv.URL
		b.visit("/ui/settings")
		b.do("no key", chromedp.WaitVisible(chromedp.CSS(`[data-banner="no-encryption-key"]`)))
		b.until("the banner says which key file to restore", textOf(`[data-banner="no-encryption-key"]`)+`.includes('encryption.key is missing')`)
		if !eval[bool](b, "adding is disabled", `[...document.querySelectorAll('[data-action="add"]')].every(b => b.disabled)`) {
			t.Error("keys can be added with no encryption key")
		}
	})

	step("keys found in the environment can be moved into the database", func(t *testing.T) {
		e.vars["GROQ_API_KEY"] = "gsk-from-the-environment-71"
		e.start(withPassword(uiPassword), withKey(encryptionKey))
		b.base = e.srv.URL
		b.visit("/ui/settings")
		b.until("the banner names the provider", textOf(`[data-banner="env-migration"]`)+`.includes('Groq')`)
		b.do("move them", click(chromedp.CSS(`[data-action="migrate-env"]`)))
		b.until("the banner goes", `!document.querySelector('[data-banner="env-migration"]')`)
		b.until("groq is configured", textOf(`[data-provider="groq"]`)+`.includes('Configured')`)
	})

	step("phone widths need no sideways scrolling", func(t *testing.T) {
		b.do("a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		screens := []struct {
			name  string
			open  func()
			ready string
		}{
			{"the notebooks", func() { b.visit("/ui/") }, `document.querySelector('#notebooks .nb-card')`},
			{"a notebook", func() { b.visit(notebookPath) }, `document.querySelector('#sources li')`},
			{"the keys", func() { b.visit("/ui/settings") }, `document.querySelector('.provider-card .cred')`},
			{"the models", func() { b.do("tab", click(chromedp.CSS(`[data-tab="models"]`))) }, `document.querySelector('#models-card table')`},
			{"security", func() { b.do("tab", click(chromedp.CSS(`[data-tab="security"]`))) }, `document.querySelector('#security-body .card')`},
		}
		for _, s := range screens {
			s.open()
			b.until(s.name+" render", s.ready)
			if !eval[bool](b, "width", `document.documentElement.scrollWidth <= window.innerWidth`) {
				t.Errorf("%s are wider than the phone's screen", s.name)
			}
			b.screenshot("phone-" + strings.ReplaceAll(s.name, " ", "-"))
		}
		b.do("back to a desktop", chromedp.ResetViewport())
	})

	step("signing out ends the session", func(t *testing.T) {
		b.visit("/ui/")
		b.do("sign out", click(chromedp.ID("logout")))
		b.path("the login page", "/ui/login")
		b.visit("/ui/settings")
		b.path("the session is gone", "/ui/login")
	})

	if p := b.pageProblems(); len(p) > 0 {
		t.Errorf("the pages raised errors (CSP or script faults): %s", strings.Join(p, "\n"))
	}
}
