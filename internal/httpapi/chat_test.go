package httpapi_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// sse posts body to path asking for server-sent events and returns the
// events' JSON, in order.
func (e *env) sse(path, body string) (int, []map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		e.t.Logf("%s: %d %s", path, resp.StatusCode, b)
		return resp.StatusCode, nil
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		e.t.Fatalf("content type %q", ct)
	}
	var events []map[string]any
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			e.t.Fatalf("event %q: %v", line, err)
		}
		events = append(events, ev)
	}
	return 200, events
}

// kinds lists the events' types, a run of one type folded into one.
func kinds(events []map[string]any) string {
	var out []string
	for _, ev := range events {
		k, _ := ev["type"].(string)
		if len(out) == 0 || out[len(out)-1] != k {
			out = append(out, k)
		}
	}
	return strings.Join(out, ",")
}

// answer joins the ai_message pieces of a stream.
func answer(events []map[string]any) string {
	var b strings.Builder
	for _, ev := range events {
		if ev["type"] == "ai_message" {
			b.WriteString(ev["content"].(string))
		}
	}
	return b.String()
}

func TestNotebookChatAPI(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine, withKey("chat-key"))
			nb := obj(t, e.do("POST", "/api/notebooks", `{"name":"Reefs","description":"Coral ecology"}`))["id"].(string)
			src := obj(t, e.do("POST", "/api/sources/json", `{"type":"text","notebook_id":"`+nb+`","transformations":[],"content":"Coral polyps host algae."}`))["id"].(string)

			if r := e.do("POST", "/api/chat/sessions", `{"notebook_id":"notebook:nope"}`); r.status != 404 || !strings.Contains(r.body, "Notebook not found") {
				t.Fatalf("unknown notebook: %d %s", r.status, r.body)
			}
			sess := obj(t, e.do("POST", "/api/chat/sessions", `{"notebook_id":"`+nb+`","title":"Questions"}`))
			id := sess["id"].(string)
			if sess["title"] != "Questions" || sess["message_count"] != 0.0 || sess["notebook_id"] != nb || !strings.HasPrefix(id, "chat_session:") {
				t.Fatalf("session %v", sess)
			}
			if r := e.do("POST", "/api/chat/execute", `{"session_id":"`+id+`","message":"Hi","context":{}}`); r.status != 400 ||
				!strings.Contains(r.body, "No model configured for chat") {
				t.Fatalf("no chat model: %d %s", r.status, r.body)
			}
			up := e.withModels()

			// The context with its counts.
			cc := obj(t, e.do("POST", "/api/chat/context", `{"notebook_id":"`+nb+`","context_config":{"sources":{"`+src+`":"full content"},"notes":{}}}`))
			ctxSources := cc["context"].(map[string]any)["sources"].([]any)
			if len(ctxSources) != 1 || ctxSources[0].(map[string]any)["full_text"] != "Coral polyps host algae." || cc["token_count"].(float64) < 5 || cc["char_count"].(float64) < 20 {
				t.Fatalf("context %v", cc)
			}

			// A whole turn, answered as JSON with the conversation.
			out := obj(t, e.do("POST", "/api/chat/execute", `{"session_id":"`+id+`","message":"What do polyps host?","context":`+mustJSON(t, cc["context"])+`}`))
			msgs := out["messages"].([]any)
			if len(msgs) != 2 || msgs[1].(map[string]any)["content"] != providertest.ChatAnswer || msgs[0].(map[string]any)["type"] != "human" {
				t.Fatalf("execute %v", out)
			}
			last := string(up.Requests()[len(up.Requests())-1].Body)
			if !strings.Contains(last, "Coral polyps host algae.") || !strings.Contains(last, "Reefs") || !strings.Contains(last, "What do polyps host?") {
				t.Fatalf("the model was not given the context, the notebook and the question: %s", last)
			}

			// A streamed turn: the pieces arrive as ai_message events, and
			// the model is given the history.
			status, events := e.sse("/api/chat/execute", `{"session_id":"`+id+`","message":"And then?","context":{}}`)
			if status != 200 || kinds(events) != "user_message,ai_message,context_indicators,complete" || answer(events) != providertest.ChatAnswer {
				t.Fatalf("stream %d %v", status, events)
			}
			reqs := up.Requests()
			if final := reqs[len(reqs)-1]; !final.AsksStream() || !strings.Contains(string(final.Body), "What do polyps host?") {
				t.Fatalf("the streamed call %s", final.Body)
			}
			got := obj(t, e.do("GET", "/api/chat/sessions/"+id, ""))
			if got["message_count"] != 4.0 || len(got["messages"].([]any)) != 4 {
				t.Fatalf("session %v", got)
			}

			// Rename; clear the model override with an explicit null.
			chat := e.modelID("gpt-4o-mini")
			if r := obj(t, e.do("PUT", "/api/chat/sessions/"+id, `{"title":"Renamed","model_override":"`+chat+`"}`)); r["title"] != "Renamed" || r["model_override"] != chat {
				t.Fatalf("rename %v", r)
			}
			if r := obj(t, e.do("PUT", "/api/chat/sessions/"+id, `{"model_override":null}`)); r["title"] != "Renamed" || r["model_override"] != nil {
				t.Fatalf("clear %v", r)
			}
			if r := e.do("PUT", "/api/chat/sessions/"+id, `{"model_override":"model:nope"}`); r.status != 404 {
				t.Fatalf("unknown model: %d %s", r.status, r.body)
			}
			list := list(t, e.do("GET", "/api/chat/sessions?notebook_id="+nb, ""))
			if len(list) != 1 || list[0].(map[string]any)["message_count"] != 4.0 {
				t.Fatalf("list %v", list)
			}
			if r := e.do("POST", "/api/chat/execute", `{"session_id":"`+id+`","message":"","context":{}}`); r.status != 400 {
				t.Fatalf("empty message: %d %s", r.status, r.body)
			}
			if r := e.do("POST", "/api/chat/execute", `{"session_id":"chat_session:nope","message":"x","context":{}}`); r.status != 404 || !strings.Contains(r.body, "Session not found") {
				t.Fatalf("unknown session: %d %s", r.status, r.body)
			}

			// Deleting the notebook deletes its sessions.
			e.do("POST", "/api/chat/sessions", `{"notebook_id":"`+nb+`"}`)
			del := obj(t, e.do("DELETE", "/api/notebooks/"+nb, ""))
			if del["deleted_chat_sessions"] != 2.0 {
				t.Fatalf("delete %v", del)
			}
			if r := e.do("GET", "/api/chat/sessions/"+id, ""); r.status != 404 {
				t.Fatalf("session after its notebook: %d", r.status)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// modelID finds a registered model's id by name.
func (e *env) modelID(name string) string {
	e.t.Helper()
	for _, m := range list(e.t, e.do("GET", "/api/models", "")) {
		if m.(map[string]any)["name"] == name {
			return m.(map[string]any)["id"].(string)
		}
	}
	e.t.Fatalf("no model %s", name)
	return ""
}

// TestSourceChatStreamsInTheOriginalsOrder checks source chat's events and
// that a provider failing mid-stream ends the stream with an error event,
// keeps the message, and lets the next turn work.
func TestSourceChatStreamsInTheOriginalsOrder(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine, withKey("chat-key"))
			up := e.withModels()
			src := obj(t, e.do("POST", "/api/sources/json", `{"type":"text","transformations":[],"content":"Mangroves protect coasts from storms."}`))["id"].(string)
			other := obj(t, e.do("POST", "/api/sources/json", `{"type":"text","transformations":[],"content":"Kelp forests."}`))["id"].(string)
			base := "/api/sources/" + src + "/chat/sessions"
			if r := e.do("POST", "/api/sources/source:nope/chat/sessions", `{"source_id":"x"}`); r.status != 404 || !strings.Contains(r.body, "Source not found") {
				t.Fatalf("unknown source: %d %s", r.status, r.body)
			}
			sess := obj(t, e.do("POST", base, `{"source_id":"`+src+`"}`))
			id := sess["id"].(string)
			if sess["source_id"] != src || sess["message_count"] != 0.0 {
				t.Fatalf("session %v", sess)
			}
			status, events := e.sse(base+"/"+id+"/messages", `{"message":"What do mangroves do?"}`)
			if status != 200 || kinds(events) != "user_message,ai_message,context_indicators,complete" || answer(events) != providertest.ChatAnswer {
				t.Fatalf("events %v", events)
			}
			if ind := events[len(events)-2]["data"].(map[string]any); ind["sources"].([]any)[0] != src {
				t.Fatalf("indicators %v", ind)
			}
			if !strings.Contains(string(up.Requests()[len(up.Requests())-1].Body), "Mangroves protect coasts") {
				t.Fatal("source chat did not give the model the source's text")
			}
			got := obj(t, e.do("GET", base+"/"+id, ""))
			if got["message_count"] != 2.0 || got["context_indicators"].(map[string]any)["sources"].([]any)[0] != src {
				t.Fatalf("session %v", got)
			}
			// A session is only found under its own source.
			if r := e.do("GET", "/api/sources/"+other+"/chat/sessions/"+id, ""); r.status != 404 || !strings.Contains(r.body, "Session not found for this source") {
				t.Fatalf("other source: %d %s", r.status, r.body)
			}
			if r := e.do("POST", base+"/"+id+"/messages", `{"message":"  "}`); r.status != 400 || !strings.Contains(r.body, "Message content is required") {
				t.Fatalf("empty: %d %s", r.status, r.body)
			}

			// The provider fails after the stream began: an error event with
			// the reason, never the key.
			e.do("PUT", "/api/credentials/"+e.credentialID(), `{"base_url":"`+up.BaseURL(providertest.FailServerError)+`"}`)
			_, events = e.sse(base+"/"+id+"/messages", `{"message":"Again?"}`)
			lastEv := events[len(events)-1]
			if kinds(events) != "user_message,error" || strings.Contains(mustJSON(t, events), providertest.GoodKey) || lastEv["message"] == "" {
				t.Fatalf("failure events %v", events)
			}
			e.do("PUT", "/api/credentials/"+e.credentialID(), `{"base_url":"`+up.BaseURL("")+`"}`)
			if _, events = e.sse(base+"/"+id+"/messages", `{"message":"Once more"}`); kinds(events) != "user_message,ai_message,context_indicators,complete" {
				t.Fatalf("the next turn: %v", events)
			}
			if got := obj(t, e.do("GET", base+"/"+id, "")); got["message_count"] != 5.0 {
				t.Fatalf("the failed turn's message is kept: %v", got["message_count"])
			}
			if r := obj(t, e.do("DELETE", base+"/"+id, "")); r["message"] != "Source chat session deleted successfully" {
				t.Fatalf("delete %v", r)
			}
			if n := len(list(t, e.do("GET", base, ""))); n != 0 {
				t.Fatalf("%d sessions after delete", n)
			}
		})
	}
}

// credentialID returns the id of the only credential.
func (e *env) credentialID() string {
	e.t.Helper()
	creds := list(e.t, e.do("GET", "/api/credentials", ""))
	if len(creds) != 1 {
		e.t.Fatalf("%d credentials", len(creds))
	}
	return creds[0].(map[string]any)["id"].(string)
}

// TestStreamedChatStopsUpstreamWhenTheClientLeaves holds the provider's
// answer after its first piece, closes the connection, and checks that the
// provider sees its client leave and that no answer is stored.
func TestStreamedChatStopsUpstreamWhenTheClientLeaves(t *testing.T) {
	e := newEnv(t, store.SQLite, withKey("chat-key"))
	pause := providertest.NewPause()
	up := providertest.NewUpstream(t, provider.FamilyOpenAI, providertest.WithPause(pause))
	cred := e.createCredential(`{"name":"Local","provider":"openai_compatible","api_key":"` + providertest.GoodKey + `","base_url":"` + up.BaseURL("") + `"}`)["id"].(string)
	chat := e.createModel("gpt-4o-mini", "openai_compatible", "language", cred)
	e.do("PUT", "/api/models/defaults", `{"default_chat_model":"`+chat+`"}`)
	nb := obj(t, e.do("POST", "/api/notebooks", `{"name":"Stop"}`))["id"].(string)
	id := obj(t, e.do("POST", "/api/chat/sessions", `{"notebook_id":"`+nb+`"}`))["id"].(string)

	req, _ := http.NewRequest("POST", e.srv.URL+"/api/chat/execute", strings.NewReader(`{"session_id":"`+id+`","message":"Tell me a long story","context":{}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"type":"ai_message"`) {
			break // the first piece arrived; the person presses Stop
		}
	}
	select {
	case <-pause.Reached():
	case <-time.After(10 * time.Second):
		t.Fatal("the provider never paused")
	}
	resp.Body.Close()
	select {
	case <-pause.ClientGone():
	case <-time.After(10 * time.Second):
		t.Fatal("the provider's request was not cancelled when the client left")
	}
	// Only the person's message remains.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got := obj(t, e.do("GET", "/api/chat/sessions/"+id, ""))
		if got["message_count"] == 1.0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session after Stop: %v", got)
		}
	}
}

// TestStreamedChatWithEveryLanguageFamily runs a streamed notebook chat turn
// through each provider family that has language models, against its fake.
func TestStreamedChatWithEveryLanguageFamily(t *testing.T) {
	e := newEnv(t, store.SQLite, withKey("chat-key"))
	nb := obj(t, e.do("POST", "/api/notebooks", `{"name":"Families"}`))["id"].(string)
	for _, p := range []string{"openai", "anthropic", "google", "vertex", "azure", "ollama", "cohere"} {
		t.Run(p, func(t *testing.T) {
			spec, _ := provider.Lookup(p)
			up := providertest.NewUpstream(t, spec.Family)
			cred := e.createCredential(credentialBody(t, up, p, providertest.GoodKey, up.BaseURL("")))["id"].(string)
			model := e.createModel("chat-model-"+p, p, "language", cred)
			id := obj(t, e.do("POST", "/api/chat/sessions", `{"notebook_id":"`+nb+`","model_override":"`+model+`"}`))["id"].(string)
			status, events := e.sse("/api/chat/execute", `{"session_id":"`+id+`","message":"Hello?","context":{}}`)
			if status != 200 || kinds(events) != "user_message,ai_message,context_indicators,complete" || answer(events) != providertest.ChatAnswer {
				t.Fatalf("%s: %d %v", p, status, events)
			}
			var streamed bool
			for _, r := range up.Requests() {
				streamed = streamed || r.AsksStream()
			}
			if !streamed {
				t.Fatalf("%s: no request asked for a stream", p)
			}
		})
	}
}
