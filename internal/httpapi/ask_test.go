package httpapi_test

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/store"
)

// TestEmbeddingVectorSearchAndAskThroughAProvider runs the notebook's AI
// features against a fake OpenAI-compatible server: sources are embedded
// with the default embedding model, found by meaning, and a question is
// answered in steps by chat models, all with the credential's key.
func TestEmbeddingVectorSearchAndAskThroughAProvider(t *testing.T) {
	e := newEnv(t, store.SQLite, withKey(encKey))
	up := providertest.NewUpstream(t, provider.FamilyOpenAI)
	step := func(method, path, body string, status int) response {
		t.Helper()
		r := e.do(method, path, body)
		if r.status != status {
			t.Fatalf("%s %s: %d %s", method, path, r.status, r.body)
		}
		return r
	}
	cred := obj(t, step("POST", "/api/credentials", `{"name":"Local","provider":"openai_compatible","api_key":"`+
		providertest.GoodKey+`","base_url":"`+up.BaseURL("")+`"}`, 201))["id"].(string)
	chat := e.createModel("gpt-4o-mini", "openai_compatible", "language", cred)

	ask := `{"question":"When do whales sing?","strategy_model":"` + chat + `","answer_model":"` + chat + `","final_answer_model":"` + chat + `"}`
	if r := e.do("POST", "/api/search/ask/simple", ask); r.status != 400 || !strings.Contains(r.body, "Ask feature requires an embedding model") {
		t.Fatalf("ask without an embedding model: %d %s", r.status, r.body)
	}
	// No transformations: an insight made in the background (and embedded
	// once a model is set) would be one more hit, depending on timing.
	src := obj(t, step("POST", "/api/sources/json", `{"type":"text","content":"Humpback whales sing in the breeding season.","embed":true,"transformations":[]}`, 200))
	if src["embedded"] != false || !strings.Contains(src["processing_info"].(map[string]any)["note"].(string), "Embedding failed") {
		t.Fatalf("embedding without a model must keep the source and say why: %v", src)
	}

	emb := e.createModel("text-embedding-3-small", "openai_compatible", "embedding", cred)
	step("PUT", "/api/models/defaults", `{"default_embedding_model":"`+emb+`","default_chat_model":"`+chat+`"}`, 200)
	src = obj(t, step("POST", "/api/sources/json", `{"type":"text","content":"Humpback whales sing in the breeding season.","embed":true,"transformations":[]}`, 200))
	if src["embedded"] != true || src["embedded_chunks"] != 1.0 {
		t.Fatalf("embedded source: %v", src)
	}
	hits := obj(t, step("POST", "/api/search", `{"query":"singing whales","type":"vector"}`, 200))
	results := hits["results"].([]any)
	if hits["search_type"] != "vector" || len(results) != 1 || results[0].(map[string]any)["id"] != src["id"] ||
		results[0].(map[string]any)["similarity"] == nil {
		t.Fatalf("vector search: %v", hits)
	}

	simple := obj(t, step("POST", "/api/search/ask/simple", ask, 200))
	if simple["answer"] != providertest.ChatAnswer || simple["question"] != "When do whales sing?" {
		t.Fatalf("ask/simple: %v", simple)
	}

	r := step("POST", "/api/search/ask", ask, 200)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("content type %q", r.header.Get("Content-Type"))
	}
	var types []string
	sc := bufio.NewScanner(strings.NewReader(r.body))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("event %q: %v", line, err)
		}
		types = append(types, ev["type"].(string))
		if ev["type"] == "complete" && ev["final_answer"] != providertest.ChatAnswer {
			t.Fatalf("complete event %v", ev)
		}
	}
	if strings.Join(types, ",") != "strategy,answer,final_answer,complete" {
		t.Fatalf("events %v in %s", types, r.body)
	}

	if r := e.do("POST", "/api/search/ask", `{"question":"q","strategy_model":"model:nope","answer_model":"`+chat+`","final_answer_model":"`+chat+`"}`); r.status != 400 ||
		r.body != `{"detail":"Strategy model model:nope not found"}` {
		t.Fatalf("unknown model: %d %s", r.status, r.body)
	}
	for _, req := range up.Requests() {
		if req.Header.Get("Authorization") != "Bearer "+providertest.GoodKey {
			t.Fatalf("a call did not use the credential's key: %s %s", req.Method, req.Path)
		}
	}
	e.mustNotLeak(providertest.GoodKey)
}
