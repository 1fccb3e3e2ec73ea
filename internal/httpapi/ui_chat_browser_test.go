package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/store"
)

// TestWebUIChat sends a message in a notebook's chat column and sees the
// streamed answer appear, stops an answer midway, changes what the chat is
// given, chats with one source, and renders a model's Markdown without
// ever running its HTML.
func TestWebUIChat(t *testing.T) {
	chromiumPath(t)
	e := newEnv(t, store.SQLite, withKey("ui-chat-key"))
	pause := providertest.NewPause()
	up := providertest.NewUpstream(t, provider.FamilyOpenAI, providertest.WithPause(pause))
	cred := e.createCredential(`{"name":"Local","provider":"openai_compatible","api_key":"` + providertest.GoodKey + `","base_url":"` + up.BaseURL("") + `"}`)["id"].(string)
	chat := e.createModel("gpt-4o-mini", "openai_compatible", "language", cred)
	e.do("PUT", "/api/models/defaults", `{"default_chat_model":"`+chat+`"}`)
	// A second provider whose answers are held, for Stop.
	held := providertest.NewPause()
	slow := providertest.NewUpstream(t, provider.FamilyOpenAI, providertest.WithPause(held))
	slowCred := e.createCredential(`{"name":"Slow","provider":"openai_compatible","api_key":"` + providertest.GoodKey + `","base_url":"` + slow.BaseURL("") + `"}`)["id"].(string)
	slowModel := e.createModel("slow-model", "openai_compatible", "language", slowCred)
	nb := obj(t, e.do("POST", "/api/notebooks", `{"name":"Tides"}`))["id"].(string)
	e.do("POST", "/api/sources/json", `{"type":"text","notebook_id":"`+nb+`","transformations":[],"title":"Moon","content":"The moon pulls the oceans into two bulges."}`)
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

	step("the chat column shows what it is given", func(t *testing.T) {
		b.visit("/ui/notebooks/" + strings.TrimPrefix(nb, "notebook:"))
		b.until("the context size", textOf("#chat-context")+`.includes('1 source') && `+textOf("#chat-context")+`.includes('tokens')`)
		before := eval[string](b, "tokens", textOf("#chat-context"))
		eval[chromedp.Void](b, "give the full text", `(s => { s.value = 'full content'; s.dispatchEvent(new Event('change')) })(document.querySelector('#sources select.level'))`)
		b.until("more tokens", textOf("#chat-context")+` !== `+js(before))
	})

	step("a message is answered, streamed in", func(t *testing.T) {
		b.do("ask", chromedp.SendKeys(chromedp.CSS(`#chat .chat-input`), "Why are there two tides?"),
			click(chromedp.CSS(`#chat [data-action="send"]`)))
		b.until("the question is shown", textOf(`#chat .chat-human`)+` === 'Why are there two tides?'`)
		b.until("the first piece is shown while the rest is held", `document.querySelector('#chat .chat-ai') && `+
			textOf(`#chat .chat-ai`)+`.startsWith('Hello!') && !`+textOf(`#chat .chat-ai`)+`.includes('today')`)
		if !eval[bool](b, "Stop is offered", `!document.querySelector('#chat [data-action="stop"]').hidden`) {
			t.Error("no Stop button while the answer streams")
		}
		b.screenshot("chat-streaming")
		pause.Release()
		b.until("the whole answer", textOf(`#chat .chat-ai`)+` === `+js(providertest.ChatAnswer))
		b.until("Stop goes away", `document.querySelector('#chat [data-action="stop"]').hidden`)
		b.until("the conversation is named after the question", textOf(`#chat .chat-session`)+`.includes('Why are there two tides?')`)
		b.screenshot("chat")
	})

	step("Stop cancels an answer and the provider sees it", func(t *testing.T) {
		eval[chromedp.Void](b, "pick the slow model", `document.querySelector('#chat .chat-model').value = `+js(slowModel))
		b.do("ask", chromedp.SendKeys(chromedp.CSS(`#chat .chat-input`), "Tell me more"),
			click(chromedp.CSS(`#chat [data-action="send"]`)))
		// Wait for the first piece to be painted, not just its bubble: the
		// paint grows the log and moves the Stop button, and a click aimed
		// before that lands where the button was.
		b.until("it starts", `document.querySelectorAll('#chat .chat-ai').length === 2 && `+
			`document.querySelectorAll('#chat .chat-ai')[1].textContent.trim() !== ''`)
		b.do("stop", click(chromedp.CSS(`#chat [data-action="stop"]`)))
		b.until("stopped", textOf(`#chat .chat-log`)+`.includes('Stopped.')`)
		eval[chromedp.Void](b, "back to the default model", `document.querySelector('#chat .chat-model').value = ''`)
		select {
		case <-held.ClientGone():
		case <-time.After(10 * time.Second):
			t.Fatal("the provider's request went on after Stop")
		}
	})

	step("the model's Markdown is rendered and its HTML never runs", func(t *testing.T) {
		got := eval[string](b, "render", `import('/ui/assets/js/md.js').then(m => {
			const box = document.createElement('div');
			box.append(...m.renderMarkdown("# Title\n\n**bold** and *it* <img src=x onerror=alert(1)> <script>alert(2)</script> [link](javascript:alert(3)) [source:abc]\n\n- one\n- two\n\n`+"```"+`\ncode <b>\n`+"```"+`", id => { const b = document.createElement('button'); b.className = 'cite'; b.textContent = id; return b; }));
			return JSON.stringify([box.querySelectorAll('script,img,a[href^="javascript"]').length, box.querySelector('strong')?.textContent, box.querySelectorAll('li').length,
				box.querySelector('.cite')?.textContent, box.querySelector('pre code')?.textContent]);
		})`)
		if got != `[0,"bold",2,"source:abc","code <b>"]` {
			t.Errorf("rendered %s", got)
		}
	})

	step("a source has its own chat", func(t *testing.T) {
		pause.Release()
		b.do("open the source", click(chromedp.CSS(`#sources li .link-button`)))
		b.do("ask about it", chromedp.SendKeys(chromedp.CSS(`#source-chat .chat-input`), "Summarise it"),
			click(chromedp.CSS(`#source-chat [data-action="send"]`)))
		b.until("the answer", textOf(`#source-chat .chat-ai`)+` === `+js(providertest.ChatAnswer))
		b.screenshot("source-chat")
		b.do("close", chromedp.KeyEvent(kb.Escape))
	})

	if p := b.pageProblems(); len(p) > 0 {
		t.Errorf("the pages raised errors (CSP or script faults): %s", strings.Join(p, "\n"))
	}
}
