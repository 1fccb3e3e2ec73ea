package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// withModels registers a fake OpenAI-compatible provider's chat and
// embedding models as the defaults, and returns the fake.
func (e *env) withModels() *providertest.Upstream {
	e.t.Helper()
	up := providertest.NewUpstream(e.t, provider.FamilyOpenAI)
	r := e.do("POST", "/api/credentials", `{"name":"Local","provider":"openai_compatible","api_key":"`+
		providertest.GoodKey+`","base_url":"`+up.BaseURL("")+`"}`)
	if r.status != 201 {
		e.t.Fatalf("credential: %d %s", r.status, r.body)
	}
	cred := obj(e.t, r)["id"].(string)
	chat := e.createModel("gpt-4o-mini", "openai_compatible", "language", cred)
	emb := e.createModel("text-embedding-3-small", "openai_compatible", "embedding", cred)
	if r := e.do("PUT", "/api/models/defaults", `{"default_chat_model":"`+chat+`","default_transformation_model":"`+chat+
		`","default_embedding_model":"`+emb+`"}`); r.status != 200 {
		e.t.Fatalf("defaults: %d %s", r.status, r.body)
	}
	return up
}

// waitJob polls a job like the original frontend does until it is done.
func (e *env) waitJob(id string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r := e.do("GET", "/api/commands/jobs/"+id, "")
		if r.status != 200 {
			e.t.Fatalf("job %s: %d %s", id, r.status, r.body)
		}
		j := obj(e.t, r)
		switch j["status"] {
		case "completed", "failed", "canceled":
			return j
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("job %s did not finish", id)
	return nil
}

// waitSource polls a source until its processing is over.
func (e *env) waitSource(id string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		s := obj(e.t, e.do("GET", "/api/sources/"+id+"/status", ""))
		if s["status"] == "completed" || s["status"] == "failed" {
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("source %s still processing", id)
	return nil
}

func list(t testing.TB, r response) []any {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	v, ok := r.json(t).([]any)
	if !ok {
		t.Fatalf("not a list: %s", r.body)
	}
	return v
}

// A user adds a source in the background with two transformations, as the
// original frontend does, and watches it through the API: the source is
// read, embedded and transformed by the workers, its insights appear, are
// embedded and searchable, and can be saved as notes.
func TestBackgroundSourceWithTransformations(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine, withKey("jobs-test-key"))
			up := e.withModels()
			nb := obj(t, e.do("POST", "/api/notebooks", `{"name":"Oceans"}`))["id"].(string)

			trs := list(t, e.do("GET", "/api/transformations", ""))
			if len(trs) != 6 {
				t.Fatalf("seeded transformations: %d", len(trs))
			}
			var ids []string
			var defaults int
			for _, v := range trs {
				tr := v.(map[string]any)
				if tr["apply_default"] == true {
					defaults++
				}
				if tr["title"] == "Dense Summary" || tr["title"] == "Key Insights" {
					ids = append(ids, tr["id"].(string))
				}
			}
			if defaults != 1 || len(ids) != 2 {
				t.Fatalf("seeds: %v", trs)
			}
			tjson, _ := json.Marshal(ids)
			r := e.upload(map[string]string{"type": "text", "notebooks": `["` + nb + `"]`, "async_processing": "true", "embed": "true",
				"content": "Coral reefs shelter a quarter of marine species.", "transformations": string(tjson)}, "", nil)
			if r.status != 200 {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
			src := obj(t, r)
			id := src["id"].(string)
			info, _ := src["processing_info"].(map[string]any)
			if src["status"] != "new" || src["command_id"] == nil || src["title"] != "Processing..." ||
				info["async"] != true || info["queued"] != true {
				t.Fatalf("queued source: %v", src)
			}
			st := e.waitSource(id)
			if st["status"] != "completed" || st["message"] != "Source processing completed successfully" || st["command_id"] != src["command_id"] {
				t.Fatalf("status: %v", st)
			}
			job := e.waitJob(src["command_id"].(string))
			if job["command"] != "process_source" || job["result"].(map[string]any)["success"] != true {
				t.Fatalf("job: %v", job)
			}

			// The insights come from their own jobs: wait for them.
			var insights []any
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if insights = list(t, e.do("GET", "/api/sources/"+id+"/insights", "")); len(insights) == 2 {
					break
				}
			}
			if len(insights) != 2 {
				t.Fatalf("insights: %v", insights)
			}
			first := insights[0].(map[string]any)
			if first["content"] != providertest.ChatAnswer || first["source_id"] != id || !strings.HasPrefix(first["id"].(string), "source_insight:") {
				t.Fatalf("insight: %v", first)
			}
			// The provider saw the source's text and the transformation's prompt.
			var sawSource bool
			for _, req := range up.Requests() {
				if strings.Contains(string(req.Body), "Coral reefs shelter") && strings.Contains(string(req.Body), "INPUT") {
					sawSource = true
				}
				if strings.Contains(string(req.Body), providertest.GoodKey) {
					t.Fatal("the key travels in a header, never the body")
				}
			}
			if !sawSource {
				t.Fatal("no transformation call carried the source's text")
			}

			// Listing shows the count and the processing summary.
			got := obj(t, e.do("GET", "/api/sources/"+id, ""))
			if got["insights_count"] != 2.0 || got["embedded"] != true || got["title"] != "Coral reefs shelter a quarter of marine species." {
				t.Fatalf("source: %v", got)
			}
			if pi := got["processing_info"].(map[string]any); pi["result"] == nil || pi["completed_at"] == nil || pi["status"] != "completed" {
				t.Fatalf("processing_info: %v", pi)
			}

			// Generating one more on demand answers 202 with the job.
			r = e.do("POST", "/api/sources/"+id+"/insights", `{"transformation_id":"`+ids[0]+`"}`)
			if r.status != 202 {
				t.Fatalf("generate: %d %s", r.status, r.body)
			}
			gen := obj(t, r)
			if gen["status"] != "pending" || gen["message"] != "Insight generation started" {
				t.Fatalf("generate: %v", gen)
			}
			if j := e.waitJob(gen["command_id"].(string)); j["status"] != "completed" {
				t.Fatalf("generation job: %v", j)
			}
			if n := len(list(t, e.do("GET", "/api/sources/"+id+"/insights", ""))); n != 3 {
				t.Fatalf("%d insights after generating one", n)
			}

			// Insights are searchable once embedded.
			e.settle()
			hits := obj(t, e.do("POST", "/api/search", `{"query":"coral","type":"vector","minimum_score":0}`))
			var insightHit bool
			for _, h := range hits["results"].([]any) {
				if strings.HasPrefix(h.(map[string]any)["id"].(string), "source_insight:") {
					insightHit = true
				}
			}
			if !insightHit {
				t.Fatalf("vector search finds no insight: %v", hits)
			}

			note := obj(t, e.do("POST", "/api/insights/"+first["id"].(string)+"/save-as-note", `{"notebook_id":"`+nb+`"}`))
			if !strings.Contains(note["title"].(string), " from source Coral reefs") || note["content"] != providertest.ChatAnswer {
				t.Fatalf("note: %v", note)
			}
			if notes := list(t, e.do("GET", "/api/notes?notebook_id="+nb, "")); len(notes) != 1 {
				t.Fatalf("notes: %v", notes)
			}
			if r := e.do("POST", "/api/insights/source_insight:nope/save-as-note", `{}`); r.status != 404 {
				t.Fatalf("missing insight: %d %s", r.status, r.body)
			}
			if r := e.do("DELETE", "/api/insights/"+first["id"].(string), ""); r.status != 200 || !strings.Contains(r.body, "Insight deleted successfully") {
				t.Fatalf("delete: %d %s", r.status, r.body)
			}
			if r := e.do("GET", "/api/insights/"+first["id"].(string), ""); r.status != 404 {
				t.Fatalf("deleted insight: %d", r.status)
			}

			// The jobs list shows what ran, filtered.
			jobs := list(t, e.do("GET", "/api/commands/jobs?command_filter=run_transformation&status_filter=completed", ""))
			if len(jobs) != 3 {
				t.Fatalf("transformation jobs: %v", jobs)
			}
		})
	}
}

// settle waits until no job is waiting or running.
func (e *env) settle() {
	e.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		busy := 0
		for _, s := range []string{"new", "queued", "running"} {
			busy += len(list(e.t, e.do("GET", "/api/commands/jobs?status_filter="+s, "")))
		}
		if busy == 0 {
			return
		}
	}
	e.t.Fatal("jobs still running")
}

func TestTransformationsAPI(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine, withKey("jobs-test-key"))
			if r := e.do("POST", "/api/transformations/execute", `{"transformation_id":"transformation:dense_summary","input_text":"x"}`); r.status != 400 ||
				!strings.Contains(r.body, "No transformation model configured") {
				t.Fatalf("execute without a model: %d %s", r.status, r.body)
			}
			up := e.withModels()
			r := e.do("POST", "/api/transformations", `{"name":"Glossary","title":"Glossary","description":"Terms","prompt":"List the terms."}`)
			if r.status != 200 {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
			tr := obj(t, r)
			id := tr["id"].(string)
			if tr["apply_default"] != false || tr["model_id"] != nil || !strings.HasPrefix(id, "transformation:") {
				t.Fatalf("created: %v", tr)
			}
			if r := e.do("POST", "/api/transformations", `{"name":"x","title":"x","description":"x"}`); r.status != 422 {
				t.Fatalf("missing prompt: %d %s", r.status, r.body)
			}
			if r := e.do("POST", "/api/transformations", `{"name":"x","title":"x","description":"x","prompt":"p","model_id":"model:nope"}`); r.status != 404 {
				t.Fatalf("unknown model: %d %s", r.status, r.body)
			}
			upd := obj(t, e.do("PUT", "/api/transformations/"+id, `{"apply_default":true,"title":"Terms"}`))
			if upd["apply_default"] != true || upd["title"] != "Terms" || upd["prompt"] != "List the terms." {
				t.Fatalf("updated: %v", upd)
			}
			if r := e.do("GET", "/api/transformations/transformation:nope", ""); r.status != 404 {
				t.Fatalf("missing: %d %s", r.status, r.body)
			}

			dp := obj(t, e.do("GET", "/api/transformations/default-prompt", ""))
			if dp["transformation_instructions"] == "" {
				t.Fatalf("seeded default prompt: %v", dp)
			}
			if got := obj(t, e.do("PUT", "/api/transformations/default-prompt", `{"transformation_instructions":"Answer in French."}`)); got["transformation_instructions"] != "Answer in French." {
				t.Fatalf("set default prompt: %v", got)
			}

			out := obj(t, e.do("POST", "/api/transformations/execute", `{"transformation_id":"`+id+`","input_text":"Osmosis and diffusion."}`))
			if out["output"] != providertest.ChatAnswer || out["transformation_id"] != id || out["model_id"] == nil {
				t.Fatalf("execute: %v", out)
			}
			last := string(up.Requests()[len(up.Requests())-1].Body)
			if !strings.Contains(last, "Answer in French.") || !strings.Contains(last, "List the terms.") || !strings.Contains(last, "Osmosis and diffusion.") {
				t.Fatalf("the model was not given the instructions, prompt and input: %s", last)
			}
			if r := e.do("POST", "/api/transformations/execute", `{"transformation_id":"`+id+`","input_text":"  "}`); r.status != 400 {
				t.Fatalf("empty input: %d %s", r.status, r.body)
			}
			if r := e.do("DELETE", "/api/transformations/"+id, ""); r.status != 200 || !strings.Contains(r.body, "Transformation deleted successfully") {
				t.Fatalf("delete: %d %s", r.status, r.body)
			}
			if r := e.do("DELETE", "/api/transformations/"+id, ""); r.status != 404 {
				t.Fatalf("delete twice: %d %s", r.status, r.body)
			}
		})
	}
}

func TestCommandsAndEmbeddingAPI(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine, withKey("jobs-test-key"))
			if r := e.do("POST", "/api/embed", `{"item_id":"source:x","item_type":"source"}`); r.status != 400 ||
				!strings.Contains(r.body, "No embedding model configured") {
				t.Fatalf("embed without a model: %d %s", r.status, r.body)
			}
			e.withModels()
			src := obj(t, e.do("POST", "/api/sources/json", `{"type":"text","content":"Tides follow the moon.","transformations":[]}`))
			id := src["id"].(string)
			if src["embedded"] != false || src["command_id"] != nil {
				t.Fatalf("source: %v", src)
			}

			emb := obj(t, e.do("POST", "/api/embed", `{"item_id":"`+id+`","item_type":"Source","async_processing":true}`))
			if emb["success"] != true || emb["item_type"] != "source" || emb["message"] != "Embedding queued for background processing" {
				t.Fatalf("embed: %v", emb)
			}
			if j := e.waitJob(emb["command_id"].(string)); j["status"] != "completed" || j["command"] != "embed_source" {
				t.Fatalf("embed job: %v", j)
			}
			if got := obj(t, e.do("GET", "/api/sources/"+id, "")); got["embedded_chunks"] != 1.0 {
				t.Fatalf("after embedding: %v", got)
			}
			if r := e.do("POST", "/api/embed", `{"item_id":"`+id+`","item_type":"podcast"}`); r.status != 400 {
				t.Fatalf("bad type: %d %s", r.status, r.body)
			}
			if r := e.do("POST", "/api/embed", `{"item_id":"source:nope","item_type":"source"}`); r.status != 404 {
				t.Fatalf("missing item: %d %s", r.status, r.body)
			}

			e.do("POST", "/api/notes", `{"content":"The moon pulls the sea."}`)
			e.settle()
			rb := obj(t, e.do("POST", "/api/embeddings/rebuild", `{"mode":"existing"}`))
			if rb["total_items"] != 2.0 || !strings.Contains(rb["message"].(string), "Estimated 2 items") {
				t.Fatalf("rebuild: %v", rb)
			}
			cmd := rb["command_id"].(string)
			e.waitJob(cmd)
			st := obj(t, e.do("GET", "/api/embeddings/rebuild/"+cmd+"/status", ""))
			prog, _ := st["progress"].(map[string]any)
			stats, _ := st["stats"].(map[string]any)
			if st["status"] != "completed" || prog["processed"] != 2.0 || prog["percentage"] != 100.0 || stats["sources"] != 1.0 || stats["notes"] != 1.0 {
				t.Fatalf("rebuild status: %v", st)
			}
			if r := e.do("GET", "/api/embeddings/rebuild/"+src["id"].(string)+"/status", ""); r.status != 404 {
				t.Fatalf("not a command: %d %s", r.status, r.body)
			}
			if r := e.do("POST", "/api/embeddings/rebuild", `{"mode":"some"}`); r.status != 422 {
				t.Fatalf("bad mode: %d %s", r.status, r.body)
			}

			// A client that sends no list of transformations gets those
			// marked apply_default (Dense Summary).
			plain := obj(t, e.do("POST", "/api/sources/json", `{"type":"text","content":"Spring tides are the largest."}`))["id"].(string)
			e.settle()
			if ins := list(t, e.do("GET", "/api/sources/"+plain+"/insights", "")); len(ins) != 1 || ins[0].(map[string]any)["insight_type"] != "Dense Summary" {
				t.Fatalf("default transformations: %v", ins)
			}

			// Submitting by name, with the input checked first.
			sub := obj(t, e.do("POST", "/api/commands/jobs", `{"command":"embed_source","app":"open_notebook","input":{"source_id":"`+id+`"}}`))
			if sub["status"] != "submitted" || sub["message"] != "Command 'embed_source' submitted successfully" {
				t.Fatalf("submit: %v", sub)
			}
			e.waitJob(sub["job_id"].(string))
			for body, want := range map[string]int{
				`{"command":"format_disk","app":"open_notebook","input":{}}`:                         400,
				`{"command":"embed_source","app":"open_notebook","input":{}}`:                        422,
				`{"command":"embed_source","app":"open_notebook","input":{"source_id":"x","y":1}}`:   422,
				`{"command":"embed_source","app":"open_notebook","input":{"source_id":"source:zz"}}`: 404,
				`{"command":"embed_source","app":"open_notebook"}`:                                   422,
			} {
				if r := e.do("POST", "/api/commands/jobs", body); r.status != want {
					t.Errorf("%s: %d %s", body, r.status, r.body)
				}
			}
			if r := e.do("GET", "/api/commands/jobs/command:999999", ""); r.status != 404 {
				t.Fatalf("missing job: %d %s", r.status, r.body)
			}
			if r := e.do("GET", "/api/commands/jobs?status_filter=sleeping", ""); r.status != 422 {
				t.Fatalf("bad filter: %d %s", r.status, r.body)
			}
			done := obj(t, e.do("DELETE", "/api/commands/jobs/"+cmd, ""))
			if done["cancelled"] != false || done["status"] != "completed" {
				t.Fatalf("cancel a finished job: %v", done)
			}
			reg := obj(t, e.do("GET", "/api/commands/registry/debug", ""))
			if reg["total_commands"] != 7.0 {
				t.Fatalf("registry: %v", reg)
			}

		})
	}
}

func TestRecentlyViewedAndCapabilities(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine)
			nb := obj(t, e.do("POST", "/api/notebooks", `{"name":"Geology"}`))["id"].(string)
			src := obj(t, e.do("POST", "/api/sources/json", `{"type":"text","content":"Basalt cools fast."}`))["id"].(string)
			if got := list(t, e.do("GET", "/api/recently-viewed", "")); len(got) != 0 {
				t.Fatalf("nothing was opened yet: %v", got)
			}
			e.do("GET", "/api/notebooks/"+nb, "")
			time.Sleep(2 * time.Millisecond)
			e.do("GET", "/api/sources/"+src, "")
			got := list(t, e.do("GET", "/api/recently-viewed?limit=5", ""))
			if len(got) != 2 {
				t.Fatalf("recent: %v", got)
			}
			first, second := got[0].(map[string]any), got[1].(map[string]any)
			if first["type"] != "source" || first["id"] != src || first["title"] != "Basalt cools fast." || second["type"] != "notebook" || second["title"] != "Geology" {
				t.Fatalf("recent order: %v", got)
			}
			if got := list(t, e.do("GET", "/api/recently-viewed?limit=1", "")); len(got) != 1 {
				t.Fatalf("limit: %v", got)
			}
			if r := e.do("GET", "/api/recently-viewed?limit=51", ""); r.status != 422 {
				t.Fatalf("limit over 50: %d", r.status)
			}
			langs := list(t, e.do("GET", "/api/languages", ""))
			if len(langs) < 80 || !strings.Contains(fmt.Sprint(langs), "map[code:pt-BR name:Portuguese (Brazil)]") {
				t.Fatalf("languages: %d %v", len(langs), langs[:3])
			}
			if r := e.do("GET", "/api/capabilities", ""); !strings.HasPrefix(r.body, `{"docling_available":false,"crawl4ai_available":false,"crawl4ai_remote_configured":false,"extraction":{`) ||
				!strings.Contains(r.body, `"format":"pdf"`) || !strings.Contains(r.body, `"url_engines":["auto","simple"]`) {
				t.Fatalf("capabilities: %s", r.body)
			}
		})
	}
}

// TestSQLiteUnderJobLoadHasNoBusyErrors writes through the API from
// several clients while the workers process and embed what they write, on
// the embedded database that allows one writer: every request succeeds,
// every job completes, and nothing meets SQLITE_BUSY.
func TestSQLiteUnderJobLoadHasNoBusyErrors(t *testing.T) {
	e := newEnv(t, store.SQLite, withKey("load-test-key"))
	e.withModels()
	nb := obj(t, e.do("POST", "/api/notebooks", `{"name":"Load"}`))["id"].(string)
	const clients, each = 4, 20
	var wg sync.WaitGroup
	failures := make(chan string, clients*each*2)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				body := fmt.Sprintf(`{"type":"text","notebook_id":%q,"content":"Client %d wrote item %d about tides and moons.","embed":true,"async_processing":true,"transformations":[]}`, nb, c, i)
				if r := e.do("POST", "/api/sources/json", body); r.status != 200 {
					failures <- fmt.Sprintf("source: %d %s", r.status, r.body)
				}
				if r := e.do("POST", "/api/notes", fmt.Sprintf(`{"content":"Note %d of client %d","notebook_id":%q}`, i, c, nb)); r.status != 200 {
					failures <- fmt.Sprintf("note: %d %s", r.status, r.body)
				}
			}
		}()
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	e.settle()
	for _, state := range []string{"failed", "canceled"} {
		if jobs := list(t, e.do("GET", "/api/commands/jobs?limit=1000&status_filter="+state, "")); len(jobs) != 0 {
			t.Errorf("%d jobs %s: %v", len(jobs), state, jobs[0])
		}
	}
	done := list(t, e.do("GET", "/api/commands/jobs?limit=1000&status_filter=completed", ""))
	if want := clients * each * 3; len(done) != want { // process and embed each source, embed each note
		t.Errorf("%d jobs completed, want %d", len(done), want)
	}
	srcs := list(t, e.do("GET", "/api/sources?limit=100&notebook_id="+nb, ""))
	for _, s := range srcs {
		if m := s.(map[string]any); m["status"] != "completed" || m["embedded"] != true {
			t.Errorf("source after the load: %v", m)
		}
	}
	if logs := e.logs.String(); strings.Contains(logs, "SQLITE_BUSY") || strings.Contains(logs, "database is locked") {
		t.Errorf("the log shows lock contention:\n%s", logs)
	}
}
