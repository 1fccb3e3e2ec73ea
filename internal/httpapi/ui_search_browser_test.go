package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/store"
)

// askFake is an OpenAI-compatible provider that plays Ask's three models:
// it plans one search, answers from the excerpts it is given citing the
// first one, and writes a final answer that keeps that citation once
// released, so the test sees the steps arrive one after the other.
type askFake struct {
	*providertest.Server
	final   chan struct{} // closed to let the final answer through
	release func()
}

const (
	askPlan      = `{"reasoning":"Whale song is described in the sources.","searches":[{"term":"humpback song","instructions":"When do they sing?"}]}`
	askPartial   = "Humpbacks sing in the breeding season"
	askFinalText = "**Humpback whales** sing in the breeding season"
)

var citation = regexp.MustCompile(`\[((?:source|note|source_insight):[A-Za-z0-9_-]+)\]`)

func newAskFake(t *testing.T) *askFake {
	f := &askFake{final: make(chan struct{})}
	f.release = sync.OnceFunc(func() { close(f.final) })
	f.Server = providertest.New(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+providertest.GoodKey {
			providertest.Reply(http.StatusUnauthorized, `{"error":{"message":"Incorrect API key provided"}}`)(w, r)
			return
		}
		switch r.URL.Path {
		case "/v1/embeddings":
			var req struct{ Input []string }
			_ = json.NewDecoder(r.Body).Decode(&req)
			data := make([]map[string]any, len(req.Input))
			for i := range data {
				data[i] = map[string]any{"object": "embedding", "index": i, "embedding": []float64{1, 0.5, 0.25, 0.125, 0, 0, 0, 0}}
			}
			b, _ := json.Marshal(map[string]any{"object": "list", "data": data, "model": "emb"})
			providertest.Reply(http.StatusOK, string(b))(w, r)
		case "/v1/chat/completions":
			var req struct {
				Messages []struct{ Role, Content string }
			}
			_ = json.NewDecoder(r.Body).Decode(&req)
			user := req.Messages[len(req.Messages)-1].Content
			var answer string
			switch {
			case strings.Contains(user, "Excerpts:"):
				answer = askPartial + "."
				if m := citation.FindStringSubmatch(user[strings.Index(user, "Excerpts:"):]); m != nil {
					answer = askPartial + " [" + m[1] + "]."
				}
			case strings.Contains(user, "Partial answers:"):
				select {
				case <-f.final:
				case <-r.Context().Done():
					return
				}
				answer = askFinalText + "."
				if m := citation.FindStringSubmatch(user); m != nil {
					answer = askFinalText + " [" + m[1] + "]."
				}
			default:
				answer = askPlan
			}
			b, _ := json.Marshal(map[string]any{"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
				"choices": []map[string]any{{"index": 0, "message": map[string]any{"role": "assistant", "content": answer}, "finish_reason": "stop"}},
				"usage":   map[string]int{"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18}})
			providertest.Reply(http.StatusOK, string(b))(w, r)
		default:
			providertest.Reply(http.StatusNotFound, `{"error":{"message":"Unknown request URL"}}`)(w, r)
		}
	})
	t.Cleanup(f.release) // before the server closes: a held answer must not hold its Close
	return f
}

// TestWebUIAskAndSearch drives the Ask and Search page: it says what is
// missing before an embedding model is set, finds a note and an insight by
// keyword and opens them, finds a source by meaning, streams an answer's strategy,
// partial answer and final answer, saves the answer as a note, and opens
// the source the answer cites, here and then in its notebook.
func TestWebUIAskAndSearch(t *testing.T) {
	chromiumPath(t)
	e := newEnv(t, store.SQLite, withKey("ui-search-key"))
	fake := newAskFake(t)
	cred := e.createCredential(`{"name":"Local","provider":"openai_compatible","api_key":"` + providertest.GoodKey + `","base_url":"` + fake.URL + `/v1"}`)["id"].(string)
	chat := e.createModel("gpt-4o-mini", "openai_compatible", "language", cred)
	emb := e.createModel("text-embedding-3-small", "openai_compatible", "embedding", cred)
	e.do("PUT", "/api/models/defaults", `{"default_chat_model":"`+chat+`"}`)
	nb := obj(t, e.do("POST", "/api/notebooks", `{"name":"Whales"}`))["id"].(string)
	e.do("POST", "/api/notes", `{"title":"Field notes","content":"The krill bloom feeds the *whales*.","note_type":"human","notebook_id":"`+nb+`"}`)

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

	step("without an embedding model, Ask and search by meaning say what is missing", func(t *testing.T) {
		b.visit("/ui/search")
		b.until("Ask says it needs an embedding model", textOf("#ask-setup")+`.includes('Ask needs an embedding model')`)
		if !eval[bool](b, "the way to Settings", `!!document.querySelector('#ask-setup a[href="/ui/settings#models"]') && document.querySelector('#ask-go').disabled`) {
			t.Error("no link to Settings → Models, or Ask is not disabled")
		}
		b.screenshot("ask-no-embedding")
		b.do("the Search tab", click(chromedp.CSS(`a[data-tab="search"]`)))
		b.until("search by meaning is off, with why", `document.querySelector('#sq-vector').disabled && !document.querySelector('#sq-vector-hint').hidden`)
	})

	e.do("PUT", "/api/models/defaults", `{"default_chat_model":"`+chat+`","default_embedding_model":"`+emb+`"}`)
	src := obj(t, e.do("POST", "/api/sources/json", `{"type":"text","notebook_id":"`+nb+`","transformations":[],"embed":true,"title":"Whale song","content":"Humpback whales sing long songs in the breeding season."}`))
	srcID := src["id"].(string)
	if src["embedded"] != true {
		t.Fatalf("the source was not embedded: %v", src)
	}
	// An insight of the source (the fake's chat answers every transformation with its plan).
	tr := list(t, e.do("GET", "/api/transformations", ""))[0].(map[string]any)
	gen := obj(t, e.do("POST", "/api/sources/"+srcID+"/insights", `{"transformation_id":"`+tr["id"].(string)+`"}`))
	if j := e.waitJob(gen["command_id"].(string)); j["status"] != "completed" {
		t.Fatalf("insight job: %v", j)
	}

	step("keyword search finds the note, grouped and highlighted, and opens it", func(t *testing.T) {
		b.visit("/ui/search#search")
		b.do("reload with the embedding model set", chromedp.Reload())
		b.until("the search tab is shown", `!document.querySelector('#search').hidden && document.querySelector('#ask').hidden`)
		b.do("search", chromedp.SendKeys(chromedp.ID("sq"), "krill\n"))
		b.until("the note is found", `document.querySelector('#search-results li[data-kind="note"]')`)
		if got := eval[string](b, "the groups", `[...document.querySelectorAll('#search-results .result-group h3')].map(e => e.textContent).join('|')`); got != "Notes (1)" {
			t.Errorf("groups %q", got)
		}
		if got := eval[string](b, "the highlight", textOf(`#search-results mark`)); !strings.EqualFold(got, "krill") {
			t.Errorf("highlighted %q", got)
		}
		b.screenshot("search")
		b.do("open it", click(chromedp.CSS(`#search-results li[data-kind="note"] .link-button`)))
		b.until("the note opens", textOf(`dialog[open] h2`)+` === 'Field notes' && `+textOf(`dialog[open] .note-view`)+`.includes('krill bloom')`)
		if got := eval[string](b, "its Markdown", textOf(`dialog[open] .note-view em`)); got != "whales" {
			t.Errorf("the note's Markdown is not rendered: <em> is %q", got)
		}
		b.do("close it", chromedp.KeyEvent(kb.Escape))
		b.until("closed", dialogsGone)
	})

	step("an insight found by keyword opens, and leads to its source", func(t *testing.T) {
		b.clear("#sq")
		b.do("search", chromedp.SendKeys(chromedp.ID("sq"), "reasoning\n"))
		b.until("the insight is found", `document.querySelector('#search-results li[data-kind="insight"]')`)
		b.do("open it", click(chromedp.CSS(`#search-results li[data-kind="insight"] .link-button`)))
		b.until("the insight opens", textOf(`dialog[open] h2`)+` === `+js(tr["title"].(string))+` && `+textOf(`dialog[open] .insight-body`)+`.includes('Whale song is described')`)
		b.do("open its source", click(chromedp.CSS(`dialog[open] .item-meta .link-button`)))
		b.until("the source opens over it", `[...document.querySelectorAll('dialog[open] h2')].some(e => e.textContent === 'Whale song')`)
		b.do("close both", chromedp.KeyEvent(kb.Escape), chromedp.KeyEvent(kb.Escape))
		b.until("closed", dialogsGone)
	})

	step("search by meaning finds the embedded source", func(t *testing.T) {
		b.do("by meaning", click(chromedp.CSS(`input[name="type"][value="vector"]`)))
		b.clear("#sq")
		b.do("search", chromedp.SendKeys(chromedp.ID("sq"), "singing whales\n"))
		b.until("the source is found", `document.querySelector('#search-results li[data-id=`+js(srcID)+`]')`)
		b.until("by meaning", textOf(`#search-results`)+`.includes('by meaning')`)
	})

	step("ask streams the strategy and each answer, then the final answer", func(t *testing.T) {
		b.visit("/ui/search")
		b.until("the default chat model is picked for every step", fmt.Sprintf(
			`['m-strategy','m-answer','m-final'].every(id => document.getElementById(id).value === %s) && !document.querySelector('#ask-go').disabled`, js(chat)))
		if got := eval[string](b, "the models' summary", textOf("#ask-models summary")); got != "Models · gpt-4o-mini for every step" {
			t.Errorf("models summary %q", got)
		}
		b.do("ask nothing", click(chromedp.ID("ask-go")))
		b.until("the form asks for a question", textOf("#ask-error")+`.includes('Type a question') && document.activeElement.id === 'ask-q'`)
		b.do("ask", chromedp.SendKeys(chromedp.ID("ask-q"), "When do whales sing?"),
			click(chromedp.ID("ask-go")))
		b.until("the strategy", textOf("#ask-strategy")+`.includes('humpback song') && `+textOf("#ask-strategy")+`.includes('Whale song is described')`)
		b.until("the partial answer, citing the source", `document.querySelector('#ask-answers .cite[data-cite=`+js(srcID)+`]')`)
		b.until("the final answer is awaited", textOf("#ask-progress")+`.includes('Writing the final answer') && !document.querySelector('#ask-final')`)
		if !eval[bool](b, "Stop is offered", `!document.querySelector('#ask-stop').hidden`) {
			t.Error("no Stop button while the answer streams")
		}
		b.screenshot("ask-streaming")
		fake.release()
		b.until("the final answer, rendered", textOf("#ask-final-body strong")+` === 'Humpback whales'`)
		b.until("with its citation", `document.querySelector('#ask-final-body .cite[data-cite=`+js(srcID)+`]')`)
		b.until("the steps fold away and Stop goes", `!document.querySelector('#ask-strategy').open && document.querySelector('#ask-stop').hidden`)
		b.until("the focus moves to the answer", `document.activeElement === document.querySelector('#ask-final')`)
		b.screenshot("ask")
	})

	step("save as note puts the final answer in the chosen notebook", func(t *testing.T) {
		b.do("save", click(chromedp.ID("ask-save")))
		b.until("the notebook is offered", textOf(`dialog[open] select`)+` === 'Whales'`)
		b.do("confirm", click(chromedp.CSS(`dialog[open] button[type="submit"]`)))
		b.until("it says where", textOf("#ask-saved")+`.includes('Saved as a note in Whales')`)
		var notes []struct {
			Title, Content string
			NoteType       string `json:"note_type"`
		}
		if err := json.Unmarshal([]byte(e.do("GET", "/api/notes?notebook_id="+nb, "").body), &notes); err != nil {
			t.Fatal(err)
		}
		var saved bool
		for _, n := range notes {
			if n.NoteType == "ai" && n.Title == "When do whales sing?" && n.Content == askFinalText+" ["+srcID+"]." {
				saved = true
			}
		}
		if !saved {
			t.Errorf("no AI note with the answer: %+v", notes)
		}
	})

	step("the citation opens the source, and the source opens in its notebook", func(t *testing.T) {
		b.do("follow the citation", click(chromedp.CSS(`#ask-final-body .cite`)))
		b.until("the source opens", textOf(`dialog[open] h2`)+` === 'Whale song' && `+textOf(`dialog[open] .source-text`)+`.includes('breeding season')`)
		b.do("open it in its notebook", click(chromedp.CSS(`dialog[open] a[data-notebook]`)))
		b.path("the notebook", "/ui/notebooks/"+strings.TrimPrefix(nb, "notebook:"))
		b.until("with the source open", textOf(`dialog[open] h2`)+` === 'Whale song' && document.querySelector('dialog[open] #insights')`)
		b.do("close it", chromedp.KeyEvent(kb.Escape))
		b.until("the saved answer is among the notes", textOf("#notes")+`.includes('When do whales sing?')`)
	})

	if p := b.pageProblems(); len(p) > 0 {
		t.Errorf("the pages raised errors (CSP or script faults): %s", strings.Join(p, "\n"))
	}
}
