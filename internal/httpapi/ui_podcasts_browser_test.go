package httpapi_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/open-notebook/open-notebook/internal/store"
)

// TestWebUIPodcasts drives the podcasts page: the seeded profiles are
// listed, a speaker profile is made with a voice the model offers, an
// episode is generated from a notebook, its progress shown, and the
// finished episode plays in the browser.
func TestWebUIPodcasts(t *testing.T) {
	chromiumPath(t)
	e := newEnv(t, store.SQLite, withKey("ui-podcast-key"))
	e.withPodcastModels()
	nb := obj(t, e.do("POST", "/api/notebooks", `{"name":"Reef survey"}`))["id"].(string)
	if r := e.do("POST", "/api/notes", `{"title":"Reefs","content":"Coral reefs shelter a quarter of marine species.","notebook_id":"`+nb+`"}`); r.status != 200 {
		t.Fatalf("note: %d %s", r.status, r.body)
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

	step("the seeded profiles are listed, those without models flagged", func(t *testing.T) {
		b.visit("/ui/podcasts")
		b.until("three episode profiles", `document.querySelectorAll('#episode-profiles li').length === 3`)
		b.until("three speaker profiles", `document.querySelectorAll('#speaker-profiles li').length === 3`)
		if got := eval[int](b, "flags", `document.querySelectorAll('#episode-profiles .badge-warn').length`); got != 2 {
			t.Errorf("%d episode profiles flagged, want 2 (all but tech_discussion)", got)
		}
		b.until("no episodes yet", textOf("#episodes")+`.includes('No episodes yet')`)
	})

	step("a speaker profile is made with the voices its model offers", func(t *testing.T) {
		b.do("open the form", click(chromedp.ID("sprof-new")),
			chromedp.WaitVisible(chromedp.CSS(`dialog[open] input[name="name"]`)))
		eval[chromedp.Void](b, "choose the speech model", `(s => { s.value = s.options[1].value; s.dispatchEvent(new Event('change')) })(document.querySelector('dialog[open] select[name="voice_model"]'))`)
		b.until("its voices are offered", `document.querySelectorAll('#voice-options option').length === 11`)
		b.do("fill it",
			chromedp.SendKeys(chromedp.CSS(`dialog[open] input[name="name"]`), "narrator"),
			chromedp.SendKeys(chromedp.CSS(`dialog[open] input[name="speaker_name"]`), "Nadia"),
			chromedp.SendKeys(chromedp.CSS(`dialog[open] input[name="voice_id"]`), "coral"),
			click(chromedp.CSS(`dialog[open] button[type="submit"]`)))
		b.until("four speaker profiles", `document.querySelectorAll('#speaker-profiles li').length === 4`)
	})

	step("an episode is generated from a notebook and plays", func(t *testing.T) {
		b.do("open the dialog", click(chromedp.ID("pod-generate")),
			chromedp.WaitVisible(chromedp.CSS(`dialog[open] select[name="notebook_id"]`)))
		b.until("the notebook is offered", `document.querySelectorAll('dialog[open] select[name="notebook_id"] option').length === 2`)
		eval[chromedp.Void](b, "choose", `(d => {
			d.querySelector('select[name="notebook_id"]').value = `+js(nb)+`;
			const p = d.querySelector('select[name="episode_profile"]'); p.value = 'tech_discussion'; p.dispatchEvent(new Event('change'));
		})(document.querySelector('dialog[open]'))`)
		b.do("name it and generate",
			chromedp.SendKeys(chromedp.CSS(`dialog[open] input[name="episode_name"]`), "Reef talk"),
			click(chromedp.CSS(`dialog[open] button[type="submit"]`)))
		b.until("the episode is listed", textOf("#episodes")+`.includes('Reef talk')`)
		b.until("it completes with a player", `!!document.querySelector('#episodes audio') && !!document.querySelector('#episodes [data-status="completed"]')`)
		eval[chromedp.Void](b, "play it", `(a => { a.muted = true; a.play() })(document.querySelector('#episodes audio'))`)
		b.until("it plays", `(a => !a.paused && a.currentTime > 0.3)(document.querySelector('#episodes audio'))`)
		if d := eval[float64](b, "duration", `document.querySelector('#episodes audio').duration`); d < 4.7 || d > 4.9 {
			t.Errorf("the player says the episode lasts %.2f s, want 4.8", d)
		}
		b.do("show the transcript", click(chromedp.CSS(`#episodes details summary`)))
		b.until("the transcript", textOf("#episodes .transcript")+`.includes('Dr. Alex Chen')`)
		b.screenshot("podcasts")
	})
	if p := b.pageProblems(); len(p) > 0 {
		t.Errorf("the pages raised errors: %v", p)
	}
}
