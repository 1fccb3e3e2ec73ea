package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

func TestModelsRegistry(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine, withKey(encKey))
			cred := e.createCredential(`{"name":"o","provider":"openai","api_key":"sk-o"}`)["id"].(string)
			groq := e.createCredential(`{"name":"g","provider":"groq","api_key":"gsk"}`)["id"].(string)
			m := obj(t, e.do("POST", "/api/models", `{"name":"gpt-4o","provider":"openai","type":"language","credential":"`+cred+`"}`))
			if !strings.HasPrefix(m["id"].(string), "model:") || m["credential"] != cred || m["provider"] != "openai" || !timeFormat.MatchString(m["created"].(string)) {
				t.Fatalf("created %v", m)
			}
			cases := []struct {
				name, body string
				status     int
				want       string
			}{
				{"a duplicate differing only in case", `{"name":"GPT-4o","provider":"OpenAI","type":"language"}`, 400,
					`{"detail":"Model 'GPT-4o' already exists for provider 'OpenAI' with type 'language'"}`},
				{"the same name with another type is fine", `{"name":"gpt-4o","provider":"openai","type":"text_to_speech"}`, 200, `"type":"text_to_speech"`},
				{"an unknown type", `{"name":"x","provider":"openai","type":"vision"}`, 400,
					`{"detail":"Invalid model type. Must be one of: ['language', 'embedding', 'text_to_speech', 'speech_to_text']"}`},
				{"an unknown provider", `{"name":"x","provider":"nope","type":"language"}`, 400, `Unknown provider 'nope'`},
				{"an empty name", `{"name":" ","provider":"openai","type":"language"}`, 400, `Model name cannot be empty`},
				{"a name over 200 characters", `{"name":"` + strings.Repeat("m", 201) + `","provider":"openai","type":"language"}`, 400, `at most 200`},
				{"another provider's credential", `{"name":"x","provider":"openai","type":"language","credential":"` + groq + `"}`, 400, `is for provider 'groq'`},
				{"a credential that does not exist", `{"name":"x","provider":"openai","type":"language","credential":"credential:nope"}`, 400, `Credential credential:nope not found`},
				{"a missing type", `{"name":"x","provider":"openai"}`, 422, `"loc":["body","type"]`},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					r := e.do("POST", "/api/models", tc.body)
					if r.status != tc.status || !strings.Contains(r.body, tc.want) {
						t.Fatalf("%d %s", r.status, r.body)
					}
				})
			}
			e.createModel("text-embedding-3-small", "openai", "embedding", "")
			e.createModel("llama-3.3-70b", "groq", "language", groq)

			count := obj(t, e.do("GET", "/api/models/count/OpenAI", ""))
			if fmt.Sprint(count["counts"]) != "map[embedding:1 language:1 speech_to_text:0 text_to_speech:1]" || count["total"] != 3.0 {
				t.Fatalf("count %v", count)
			}
			byProvider := e.do("GET", "/api/models/by-provider/OPENAI", "").body
			if strings.Count(byProvider, `"id"`) != 3 || strings.Index(byProvider, "embedding") > strings.Index(byProvider, `"type":"language"`) {
				t.Fatalf("by-provider (case-insensitive, ordered by type): %s", byProvider)
			}
			if n := strings.Count(e.do("GET", "/api/models?type=language", "").body, `"id"`); n != 2 {
				t.Fatalf("type filter: %d", n)
			}
			if r := e.do("GET", "/api/models/"+m["id"].(string), ""); r.status != 405 {
				t.Fatalf("there is no GET for one model (as in the original): %d", r.status)
			}
			if r := e.do("DELETE", "/api/models/model:nope", ""); r.status != 404 || r.body != `{"detail":"Model not found"}` {
				t.Fatalf("delete missing: %d %s", r.status, r.body)
			}
		})
	}
}

func TestDefaultModels(t *testing.T) {
	e := newEnv(t, store.SQLite)
	chat := e.createModel("gpt-4o", "openai", "language", "")
	emb := e.createModel("text-embedding-3-small", "openai", "embedding", "")
	tts := e.createModel("tts-1", "openai", "text_to_speech", "")
	empty := `{"default_chat_model":null,"default_transformation_model":null,"large_context_model":null,"default_text_to_speech_model":null,"default_speech_to_text_model":null,"default_embedding_model":null,"default_tools_model":null}`
	if got := e.do("GET", "/api/models/defaults", "").body; got != empty {
		t.Fatalf("fresh defaults %s", got)
	}
	put := func(body string) response { return e.do("PUT", "/api/models/defaults", body) }
	if r := put(`{"default_chat_model":"` + chat + `","default_embedding_model":"` + emb + `","default_text_to_speech_model":"` + tts + `"}`); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	cases := []struct {
		name, body string
		status     int
		want       string
	}{
		{"clearing the chat slot is refused", `{"default_chat_model":null}`, 400,
			`{"detail":"default_chat_model is required and cannot be cleared, only reassigned"}`},
		{"an empty string does not bypass the rule", `{"default_embedding_model":""}`, 400, `default_embedding_model is required`},
		{"a model of the wrong type is refused", `{"default_chat_model":"` + emb + `"}`, 400, `needs a language model`},
		{"a model that does not exist is refused", `{"default_tools_model":"model:ghost"}`, 400, `Model model:ghost not found`},
		{"an optional slot clears with null", `{"default_text_to_speech_model":null}`, 200, `"default_text_to_speech_model":null`},
		{"absent slots are kept", `{"default_tools_model":"` + chat + `"}`, 200, `"default_chat_model":"` + chat + `"`},
		{"a body that is not an object", `[1]`, 422, `model_attributes_type`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := put(tc.body)
			if r.status != tc.status || !strings.Contains(r.body, tc.want) {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
	t.Run("a refused update changes nothing", func(t *testing.T) {
		put(`{"default_tools_model":null,"default_chat_model":"` + emb + `"}`)
		d := obj(t, e.do("GET", "/api/models/defaults", ""))
		if d["default_tools_model"] != chat || d["default_chat_model"] != chat {
			t.Fatalf("%v", d)
		}
	})
	t.Run("deleting a model clears the slots that held it", func(t *testing.T) {
		if r := e.do("DELETE", "/api/models/"+chat, ""); r.body != `{"message":"Model deleted successfully"}` {
			t.Fatal(r.body)
		}
		d := obj(t, e.do("GET", "/api/models/defaults", ""))
		if d["default_chat_model"] != nil || d["default_tools_model"] != nil || d["default_embedding_model"] != emb {
			t.Fatalf("%v", d)
		}
	})
}

func TestAutoAssignPrefersTheOriginalsChoices(t *testing.T) {
	e := newEnv(t, store.SQLite)
	e.createModel("mixtral-8x7b", "groq", "language", "")
	e.createModel("gpt-3.5-turbo", "openai", "language", "")
	want := e.createModel("gpt-4o-mini", "openai", "language", "") // "gpt-4o" is the first preference
	e.createModel("claude-3-opus", "anthropic", "language", "")
	r := obj(t, e.do("POST", "/api/models/auto-assign", ""))
	if fmt.Sprint(r["assigned"]) != "map[default_chat_model:"+want+"]" || fmt.Sprint(r["missing"]) != "[default_embedding_model]" || fmt.Sprint(r["skipped"]) != "[]" {
		t.Fatalf("auto-assign %v", r)
	}
	emb := e.createModel("nomic-embed-text", "ollama", "embedding", "")
	r = obj(t, e.do("POST", "/api/models/auto-assign", ""))
	if fmt.Sprint(r["assigned"]) != "map[default_embedding_model:"+emb+"]" || fmt.Sprint(r["skipped"]) != "[default_chat_model]" {
		t.Fatalf("second auto-assign %v", r)
	}
}
