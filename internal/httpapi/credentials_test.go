package httpapi_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

const (
	encKey    = "test-encryption-passphrase"
	secretKey = "sk-proj-LEAKCANARY-0123456789abcdef"
)

// obj decodes a JSON object response.
func obj(t testing.TB, r response) map[string]any {
	t.Helper()
	m, ok := r.json(t).(map[string]any)
	if !ok {
		t.Fatalf("not an object: %s", r.body)
	}
	return m
}

// mustNotLeak fails if a secret appears in any response body or log line.
func (e *env) mustNotLeak(secrets ...string) {
	e.t.Helper()
	for _, s := range secrets {
		if strings.Contains(e.logs.String(), s) {
			e.t.Fatalf("log output contains secret %q", s)
		}
	}
}

func (e *env) createCredential(body string) map[string]any {
	e.t.Helper()
	r := e.do("POST", "/api/credentials", body)
	if r.status != 201 {
		e.t.Fatalf("create credential: %d %s", r.status, r.body)
	}
	if strings.Contains(r.body, secretKey) {
		e.t.Fatal("the create response contains the key")
	}
	return obj(e.t, r)
}

func (e *env) createModel(name, prov, typ, cred string) string {
	e.t.Helper()
	body := fmt.Sprintf(`{"name":%q,"provider":%q,"type":%q}`, name, prov, typ)
	if cred != "" {
		body = fmt.Sprintf(`{"name":%q,"provider":%q,"type":%q,"credential":%q}`, name, prov, typ, cred)
	}
	r := e.do("POST", "/api/models", body)
	if r.status != 200 {
		e.t.Fatalf("create model: %d %s", r.status, r.body)
	}
	return obj(e.t, r)["id"].(string)
}

func TestProvidersEndpointListsTheRegistryInOrder(t *testing.T) {
	e := newEnv(t, store.SQLite)
	e.vars["OPENAI_API_KEY"] = "sk-env"
	e.start()
	var got []map[string]any
	if err := json.Unmarshal([]byte(e.do("GET", "/api/providers", "").body), &got); err != nil {
		t.Fatal(err)
	}
	names := provider.Names()
	if len(got) != 22 || len(names) != 22 {
		t.Fatalf("%d providers", len(got))
	}
	for i, p := range got {
		if p["name"] != names[i] {
			t.Fatalf("position %d: %v, want %s", i, p["name"], names[i])
		}
	}
	openai := got[0]
	if openai["display_name"] != "OpenAI" || !strings.HasPrefix(openai["docs_url"].(string), "https://") ||
		openai["env_configured"] != true || !strings.Contains(fmt.Sprint(openai["modalities"]), "language") {
		t.Fatalf("openai: %v", openai)
	}
	if got[16]["name"] != "ollama" || got[16]["docs_url"] != nil {
		t.Fatalf("ollama has no docs url: %v", got[16])
	}
}

func TestCreateCredential(t *testing.T) {
	e := newEnv(t, store.SQLite, withKey(encKey))
	c := e.createCredential(`{"name":"Work","provider":"openai","modalities":["language","embedding"],"api_key":"` + secretKey + `","base_url":"https://llm-gateway.example.com/v1"}`)
	want := map[string]any{"name": "Work", "provider": "openai", "has_api_key": true, "api_key_hint": "cdef",
		"base_url": "https://llm-gateway.example.com/v1", "endpoint": nil, "model_count": 0.0, "decryption_error": nil,
		"num_ctx": nil, "last_tested_at": nil, "last_test_status": nil}
	for k, v := range want {
		if fmt.Sprint(c[k]) != fmt.Sprint(v) {
			t.Errorf("%s = %v, want %v", k, c[k], v)
		}
	}
	for _, k := range []string{"id", "modalities", "created", "updated", "api_version", "endpoint_llm", "endpoint_embedding",
		"endpoint_stt", "endpoint_tts", "project", "location", "credentials_path"} {
		if _, ok := c[k]; !ok {
			t.Errorf("field %s missing", k)
		}
	}
	if _, ok := c["api_key"]; ok {
		t.Error("api_key must never be returned")
	}
	short := e.createCredential(`{"name":"Short","provider":"groq","api_key":"gsk-short"}`)
	if short["api_key_hint"] != nil || short["has_api_key"] != true {
		t.Errorf("a short key gets no hint: %v", short)
	}
	none := e.createCredential(`{"name":"Local","provider":"ollama","api_key":"","num_ctx":32768}`)
	if none["has_api_key"] != false || none["num_ctx"] != 32768.0 || fmt.Sprint(none["modalities"]) != "[]" {
		t.Errorf("an empty key is no key: %v", none)
	}
	got := obj(t, e.do("GET", "/api/credentials/"+c["id"].(string), ""))
	if got["name"] != "Work" || got["api_key_hint"] != "cdef" {
		t.Errorf("get: %v", got)
	}
	e.mustNotLeak(secretKey)
}

func TestCreateCredentialRejectsBadInput(t *testing.T) {
	e := newEnv(t, store.SQLite, withKey(encKey))
	long := strings.Repeat("n", 201)
	cases := []struct {
		name, body string
		status     int
		want       string
	}{
		{"a capitalised provider", `{"name":"x","provider":"OpenAI"}`, 422, `"type":"literal_error","loc":["body","provider"]`},
		{"a provider with a leading space", `{"name":"x","provider":" openai"}`, 422, `"loc":["body","provider"]`},
		{"a provider with a trailing space", `{"name":"x","provider":"openai "}`, 422, `"loc":["body","provider"]`},
		{"a misspelt provider", `{"name":"x","provider":"opnai"}`, 422, `"input":"opnai"`},
		{"an empty provider", `{"name":"x","provider":""}`, 422, `"loc":["body","provider"]`},
		{"a provider that is not one", `{"name":"x","provider":"sqlite"}`, 422, `Input should be 'openai', 'anthropic'`},
		{"a missing name", `{"provider":"openai"}`, 422, `{"type":"missing","loc":["body","name"],"msg":"Field required","input":null}`},
		{"a missing provider", `{"name":"x"}`, 422, `"loc":["body","provider"]`},
		{"an empty name", `{"name":"","provider":"openai"}`, 422, `"type":"string_too_short"`},
		{"a blank name", `{"name":"   ","provider":"openai"}`, 422, `Name cannot be blank`},
		{"a name over 200 characters", `{"name":"` + long + `","provider":"openai"}`, 422, `String should have at most 200 characters`},
		{"an unknown modality", `{"name":"x","provider":"openai","modalities":["language","vision"]}`, 422, `"loc":["body","modalities",1]`},
		{"num_ctx below 1", `{"name":"x","provider":"ollama","num_ctx":0}`, 422, `greater than or equal to 1`},
		{"num_ctx above ten million", `{"name":"x","provider":"ollama","num_ctx":10000001}`, 422, `less than or equal to 10000000`},
		{"a whitespace-only key", `{"name":"x","provider":"openai","api_key":"   "}`, 422, `API key cannot be blank`},
		{"anthropic-compatible without a key", `{"name":"x","provider":"anthropic_compatible","base_url":"https://api.example.com"}`, 422, `require an API key`},
		{"anthropic-compatible without a base URL", `{"name":"x","provider":"anthropic_compatible","api_key":"sk-test"}`, 422, `require a base URL`},
		{"anthropic-compatible with blanks", `{"name":"x","provider":"anthropic_compatible","api_key":" ","base_url":" "}`, 422, `require a base URL`},
		{"a non-http scheme", `{"name":"x","provider":"openai","base_url":"ftp://example.com"}`, 400, `{"detail":"Invalid URL scheme: 'ftp'. Only http and https are allowed."}`},
		{"a file URL", `{"name":"x","provider":"openai","endpoint_llm":"file:///etc/passwd"}`, 400, `Invalid URL scheme`},
		{"a URL with credentials in it", `{"name":"x","provider":"openai","base_url":"https://user:pass@api.example.com"}`, 400, `embedded credentials`},
		{"the metadata address", `{"name":"x","provider":"ollama","base_url":"http://169.254.169.254"}`, 400, `Link-local addresses`},
		{"a name resolving to the metadata address", `{"name":"x","provider":"openai","base_url":"http://evil.internal/v1"}`, 400, `resolves to a link-local address`},
		{"a body that is not JSON", `name=x`, 422, `"type":"json_invalid"`},
		{"a body that is empty", ``, 422, `"loc":["body"]`},
		{"a number for the name", `{"name":1,"provider":"openai"}`, 422, `"type":"string_type"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/api/credentials", tc.body)
			if r.status != tc.status || !strings.Contains(r.body, tc.want) {
				t.Fatalf("%d %s; want %d containing %s", r.status, r.body, tc.status, tc.want)
			}
		})
	}
	if got := e.do("GET", "/api/credentials", "").body; got != "[]" {
		t.Fatalf("a refused create must store nothing: %s", got)
	}
	t.Run("local and private URLs are allowed for self-hosted models", func(t *testing.T) {
		for _, u := range []string{"http://localhost:11434", "http://127.0.0.1:8000", "http://192.168.1.100:11434", "http://10.0.0.1", "http://[::1]:8000"} {
			if r := e.do("POST", "/api/credentials", `{"name":"x","provider":"ollama","base_url":"`+u+`"}`); r.status != 201 {
				t.Fatalf("%s: %d %s", u, r.status, r.body)
			}
		}
	})
}

func TestAFirstStartGeneratesAKeyFileAndAMissingOneLocksTheVault(t *testing.T) {
	e := newEnv(t, store.SQLite)
	keyFile := filepath.Join(e.dbDir, "encryption.key")
	st := obj(t, e.do("GET", "/api/credentials/status", ""))
	if st["encryption_configured"] != true || st["encryption_key_source"] != "file" || st["encryption_key_file"] != keyFile {
		t.Fatalf("with no key set, the first start should make and use %s: %v", keyFile, st)
	}
	fi, err := os.Stat(keyFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the key file must be readable by its owner only: %v %v", fi, err)
	}
	raw, _ := os.ReadFile(keyFile)
	key := strings.TrimSpace(string(raw))
	if len(key) < 40 {
		t.Fatalf("the generated key is too short: %d characters", len(key))
	}
	id := e.createCredential(`{"name":"k","provider":"openai","api_key":"` + secretKey + `"}`)["id"].(string)
	if strings.Contains(e.logs.String(), key) {
		t.Fatal("the generated key appears in the log")
	}

	t.Run("a restart uses the same key file", func(t *testing.T) {
		e.start()
		if st := obj(t, e.do("GET", "/api/credentials/"+id, "")); st["decryption_error"] != nil {
			t.Fatalf("the credential cannot be read after a restart: %v", st)
		}
		if again, _ := os.ReadFile(keyFile); string(again) != string(raw) {
			t.Fatal("the key file changed on restart")
		}
	})

	t.Run("an explicit key wins over the file", func(t *testing.T) {
		e.start(withKey(key))
		st := obj(t, e.do("GET", "/api/credentials/status", ""))
		if st["encryption_key_source"] != "environment" || st["encryption_key_file"] != nil || st["encryption_key_matches"] != true {
			t.Fatalf("status: %v", st)
		}
	})

	t.Run("a missing key file with stored keys locks the vault and makes no new key", func(t *testing.T) {
		if err := os.Remove(keyFile); err != nil {
			t.Fatal(err)
		}
		e.start()
		if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
			t.Fatalf("a new key file was made while keys sealed under the old one are stored: %v", err)
		}
		if !strings.Contains(e.logs.String(), "restore the key file") {
			t.Fatalf("the log does not say how to restore the key: %s", e.logs.String())
		}
		const noKey = `{"detail":"Encryption key not configured. Set OPEN_NOTEBOOK_ENCRYPTION_KEY to enable storing API keys."}`
		for _, tc := range []struct{ method, path, body string }{
			{"POST", "/api/credentials", `{"name":"x","provider":"openai","api_key":"sk"}`},
			{"PUT", "/api/credentials/" + id, `{"name":"y"}`},
			{"POST", "/api/credentials/migrate-from-env", ``},
			{"POST", "/api/credentials/migrate-from-provider-config", `{"credentials":{}}`},
		} {
			if r := e.do(tc.method, tc.path, tc.body); r.status != 400 || r.body != noKey {
				t.Errorf("%s %s: %d %s", tc.method, tc.path, r.status, r.body)
			}
		}
		st := obj(t, e.do("GET", "/api/credentials/status", ""))
		if st["encryption_configured"] != false || st["encryption_key_source"] != "none" || st["encryption_key_file"] != keyFile {
			t.Fatalf("status: %v", st)
		}
	})
}

func TestUpdateCredentialPresenceRules(t *testing.T) {
	e := newEnv(t, store.SQLite, withKey(encKey))
	c := e.createCredential(`{"name":"Orig","provider":"ollama","api_key":"` + secretKey + `","base_url":"http://localhost:11434",
		"project":"p","location":"l","api_version":"v","num_ctx":4096,"modalities":["language"]}`)
	id := c["id"].(string)
	put := func(body string) map[string]any {
		t.Helper()
		r := e.do("PUT", "/api/credentials/"+id, body)
		if r.status != 200 {
			t.Fatalf("PUT %s: %d %s", body, r.status, r.body)
		}
		return obj(t, r)
	}
	steps := []struct {
		name, body string
		want       map[string]any
	}{
		{"an absent field is kept", `{"name":"Renamed"}`,
			map[string]any{"name": "Renamed", "base_url": "http://localhost:11434", "project": "p", "num_ctx": 4096.0, "has_api_key": true}},
		{"null keeps the name, the modalities and the key", `{"name":null,"modalities":null,"api_key":null}`,
			map[string]any{"name": "Renamed", "has_api_key": true, "modalities": "[language]"}},
		{"explicit null clears a nullable field", `{"base_url":null,"project":null}`,
			map[string]any{"base_url": nil, "project": nil, "location": "l"}},
		{"an empty string clears a nullable field", `{"location":"","api_version":""}`,
			map[string]any{"location": nil, "api_version": nil}},
		{"num_ctx 0 clears it", `{"num_ctx":0}`, map[string]any{"num_ctx": nil}},
		{"a value replaces", `{"base_url":"http://10.0.0.50:11434","num_ctx":8192,"modalities":["language","embedding"]}`,
			map[string]any{"base_url": "http://10.0.0.50:11434", "num_ctx": 8192.0, "modalities": "[language embedding]"}},
		{"null clears num_ctx", `{"num_ctx":null}`, map[string]any{"num_ctx": nil}},
		{"a new key replaces the old one", `{"api_key":"sk-replacement-key-9999"}`, map[string]any{"has_api_key": true, "api_key_hint": "9999"}},
		{"an empty key removes it", `{"api_key":""}`, map[string]any{"has_api_key": false, "api_key_hint": nil}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			got := put(st.body)
			for k, v := range st.want {
				if fmt.Sprint(got[k]) != fmt.Sprint(v) {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
		})
	}
	if got := obj(t, e.do("GET", "/api/credentials/"+id, "")); got["provider"] != "ollama" || got["base_url"] != "http://10.0.0.50:11434" {
		t.Fatalf("not persisted: %v", got)
	}
	cases := []struct {
		name, path, body string
		status           int
		want             string
	}{
		{"a missing credential", "/api/credentials/credential:missing", `{"name":"x"}`, 404, `{"detail":"Credential not found"}`},
		{"an empty name", "/api/credentials/" + id, `{"name":""}`, 422, "string_too_short"},
		{"an unsafe URL", "/api/credentials/" + id, `{"endpoint":"http://[::ffff:169.254.169.254]/"}`, 400, "Link-local addresses"},
		{"num_ctx out of range", "/api/credentials/" + id, `{"num_ctx":-3}`, 422, "greater_than_equal"},
		{"a blank key", "/api/credentials/" + id, `{"api_key":"  "}`, 422, "API key cannot be blank"},
		{"a body that is not JSON", "/api/credentials/" + id, `{`, 422, "json_invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("PUT", tc.path, tc.body)
			if r.status != tc.status || !strings.Contains(r.body, tc.want) {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
	t.Run("clearing an anthropic-compatible base URL is refused", func(t *testing.T) {
		ac := e.createCredential(`{"name":"gw","provider":"anthropic_compatible","api_key":"sk-test","base_url":"https://api.example.com"}`)
		r := e.do("PUT", "/api/credentials/"+ac["id"].(string), `{"base_url":null}`)
		if r.status != 400 || r.body != `{"detail":"Anthropic-compatible credentials require a base URL"}` {
			t.Fatalf("%d %s", r.status, r.body)
		}
		r = e.do("PUT", "/api/credentials/"+ac["id"].(string), `{"api_key":""}`)
		if r.status != 400 || !strings.Contains(r.body, "require an API key") {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	e.mustNotLeak(secretKey, "sk-replacement-key-9999")
}

func TestDeleteCredential(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine, withKey(encKey))
			a := e.createCredential(`{"name":"A","provider":"openai","api_key":"sk-a"}`)["id"].(string)
			b := e.createCredential(`{"name":"B","provider":"openai","api_key":"sk-b"}`)["id"].(string)
			g := e.createCredential(`{"name":"G","provider":"groq","api_key":"gsk"}`)["id"].(string)
			chat := e.createModel("gpt-4o", "openai", "language", a)
			emb := e.createModel("text-embedding-3-small", "openai", "embedding", a)
			if r := e.do("PUT", "/api/models/defaults", `{"default_chat_model":"`+chat+`","default_embedding_model":"`+emb+`"}`); r.status != 200 {
				t.Fatalf("defaults: %d %s", r.status, r.body)
			}
			if got := obj(t, e.do("GET", "/api/credentials/"+a, ""))["model_count"]; got != 2.0 {
				t.Fatalf("model_count %v", got)
			}

			refusals := []struct {
				name, query, want string
			}{
				{"to itself", a, "Cannot migrate models to the credential being deleted"},
				{"to another provider's credential", g, "is for provider 'groq', not 'openai'"},
				{"to a credential that does not exist", "credential:nope", "Target credential credential:nope not found"},
			}
			for _, rf := range refusals {
				t.Run("migrating "+rf.name+" is refused", func(t *testing.T) {
					r := e.do("DELETE", "/api/credentials/"+a+"?migrate_to="+rf.query, "")
					if r.status != 400 || !strings.Contains(r.body, rf.want) {
						t.Fatalf("%d %s", r.status, r.body)
					}
				})
			}
			if got := obj(t, e.do("GET", "/api/credentials/"+a, ""))["model_count"]; got != 2.0 {
				t.Fatalf("a refused delete changed something: %v", got)
			}

			t.Run("migrate_to moves the models and keeps the defaults", func(t *testing.T) {
				r := e.do("DELETE", "/api/credentials/"+a+"?migrate_to="+b, "")
				if r.status != 200 || r.body != `{"message":"Credential deleted successfully","deleted_models":0}` {
					t.Fatalf("%d %s", r.status, r.body)
				}
				if got := obj(t, e.do("GET", "/api/credentials/"+b, ""))["model_count"]; got != 2.0 {
					t.Fatalf("models not moved: %v", got)
				}
				d := obj(t, e.do("GET", "/api/models/defaults", ""))
				if d["default_chat_model"] != chat || d["default_embedding_model"] != emb {
					t.Fatalf("defaults changed: %v", d)
				}
			})
			t.Run("without migrate_to the models are deleted and their slots cleared", func(t *testing.T) {
				r := e.do("DELETE", "/api/credentials/"+b+"?delete_models=true", "")
				if r.status != 200 || r.body != `{"message":"Credential deleted successfully","deleted_models":2}` {
					t.Fatalf("%d %s", r.status, r.body)
				}
				if got := e.do("GET", "/api/models", "").body; got != "[]" {
					t.Fatalf("models left: %s", got)
				}
				d := obj(t, e.do("GET", "/api/models/defaults", ""))
				if d["default_chat_model"] != nil || d["default_embedding_model"] != nil {
					t.Fatalf("dangling defaults: %v", d)
				}
			})
			t.Run("a credential without models deletes none", func(t *testing.T) {
				if r := e.do("DELETE", "/api/credentials/"+g, ""); r.body != `{"message":"Credential deleted successfully","deleted_models":0}` {
					t.Fatalf("%s", r.body)
				}
			})
			t.Run("a missing credential is not found", func(t *testing.T) {
				if r := e.do("DELETE", "/api/credentials/"+g, ""); r.status != 404 || r.body != `{"detail":"Credential not found"}` {
					t.Fatalf("%d %s", r.status, r.body)
				}
			})
		})
	}
}

func TestCredentialStatusAndEnvStatus(t *testing.T) {
	e := newEnv(t, store.SQLite, withKey(encKey))
	e.vars["ANTHROPIC_API_KEY"] = "sk-ant-env"
	e.vars["GROQ_API_KEY"] = "   " // blank counts as unset
	e.vars["GEMINI_API_KEY"] = "g-env"
	e.start(withKey(encKey))
	e.createCredential(`{"name":"db","provider":"openai","api_key":"sk-db"}`)
	e.createCredential(`{"name":"both","provider":"anthropic","api_key":"sk-db"}`)
	st := obj(t, e.do("GET", "/api/credentials/status", ""))
	configured, source := st["configured"].(map[string]any), st["source"].(map[string]any)
	if len(configured) != 22 || len(source) != 22 {
		t.Fatalf("status covers %d/%d providers", len(configured), len(source))
	}
	want := map[string]string{"openai": "database", "anthropic": "database", "google": "environment", "groq": "none", "ollama": "none"}
	for p, src := range want {
		if source[p] != src || configured[p] != (src != "none") {
			t.Errorf("%s: source %v configured %v", p, source[p], configured[p])
		}
	}
	if st["encryption_configured"] != true || st["encryption_key_matches"] != true {
		t.Errorf("encryption: %v", st)
	}
	env := obj(t, e.do("GET", "/api/credentials/env-status", ""))
	if len(env) != 22 || env["anthropic"] != true || env["google"] != true || env["groq"] != false || env["openai"] != false {
		t.Errorf("env-status: %v", env)
	}
}

func TestMigrateFromEnv(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine, withKey(encKey))
			e.vars["OPENAI_API_KEY"] = secretKey
			e.vars["ANTHROPIC_API_KEY"] = "sk-ant-env"
			e.vars["OLLAMA_API_BASE"] = "http://localhost:11434"
			e.vars["VERTEX_PROJECT"], e.vars["VERTEX_LOCATION"] = "proj", "us-central1"
			e.start(withKey(encKey))
			e.createCredential(`{"name":"existing","provider":"anthropic","api_key":"sk-db"}`)
			unlinked := e.createModel("gpt-4o", "openai", "language", "")

			r := e.do("POST", "/api/credentials/migrate-from-env", "")
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			res := obj(t, r)
			if res["message"] != "Migration complete. Migrated 3 providers." ||
				fmt.Sprint(res["migrated"]) != "[openai ollama vertex]" || fmt.Sprint(res["skipped"]) != "[anthropic]" ||
				fmt.Sprint(res["errors"]) != "[]" || len(res["not_configured"].([]any)) != 18 {
				t.Fatalf("result %v", res)
			}
			var creds []map[string]any
			json.Unmarshal([]byte(e.do("GET", "/api/credentials?provider=openai", "").body), &creds)
			if len(creds) != 1 || creds[0]["name"] != "Default (Migrated from env)" || creds[0]["has_api_key"] != true ||
				creds[0]["model_count"] != 1.0 || fmt.Sprint(creds[0]["modalities"]) != "[language embedding speech_to_text text_to_speech]" {
				t.Fatalf("openai credential %v", creds)
			}
			m := obj(t, e.do("GET", "/api/models/by-provider/openai", "").jsonFirst(t))
			if m["id"] != unlinked || m["credential"] != creds[0]["id"] {
				t.Fatalf("the unlinked model was not linked: %v", m)
			}
			var vx []map[string]any
			json.Unmarshal([]byte(e.do("GET", "/api/credentials/by-provider/VERTEX", "").body), &vx)
			if len(vx) != 1 || vx[0]["project"] != "proj" || vx[0]["location"] != "us-central1" || vx[0]["has_api_key"] != false {
				t.Fatalf("vertex credential %v", vx)
			}
			st := obj(t, e.do("GET", "/api/credentials/status", ""))
			if st["source"].(map[string]any)["openai"] != "database" {
				t.Fatalf("status after migration %v", st)
			}
			again := obj(t, e.do("POST", "/api/credentials/migrate-from-env", ""))
			if again["message"] != "Migration complete. Migrated 0 providers." || len(again["skipped"].([]any)) != 4 {
				t.Fatalf("a second run must change nothing: %v", again)
			}
			e.mustNotLeak(secretKey)
		})
	}
}

// jsonFirst returns the first element of a JSON array response as a
// response of its own.
func (r response) jsonFirst(t *testing.T) response {
	t.Helper()
	var arr []json.RawMessage
	if err := json.Unmarshal([]byte(r.body), &arr); err != nil || len(arr) == 0 {
		t.Fatalf("not a non-empty array: %s", r.body)
	}
	return response{status: r.status, header: r.header, body: string(arr[0])}
}

type fernetVectors struct {
	Open []struct {
		Passphrase, Token, Plaintext string
	} `json:"open"`
}

func TestMigrateFromProviderConfigReadsTheOriginalsFernetTokens(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "crypto", "keyring", "testdata", "fernet-vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vec fernetVectors
	if err := json.Unmarshal(raw, &vec); err != nil {
		t.Fatal(err)
	}
	v := vec.Open[0] // passphrase "my-secret-passphrase"
	e := newEnv(t, store.SQLite, withKey(v.Passphrase))
	e.createModel("claude-3-5-sonnet", "anthropic", "language", "")
	doc := fmt.Sprintf(`{"credentials":{
		"anthropic":[{"id":"c1","name":"Main","provider":"anthropic","is_default":true,"api_key":%q,"model":"claude"},
		             {"id":"c2","name":"Plain","provider":"anthropic","api_key":"sk-legacy-plaintext"}],
		"openai":[{"id":"c3","name":"Broken","provider":"openai","api_key":"gAAAAABrBCJkDt4bP-Pm-OPiZ0jqSI52DMmkA9pOSPo-CzWGQj2CXMuhdJfgzBCYWIwb9bDQN-dcLvZ6FuzfX5tAlsHKDJigVN9UkuUAnAtmNIeKq3u5Dg8="}],
		"madeup":[{"id":"c4","name":"X","provider":"madeup","api_key":"k"}]}}`, v.Token)
	r := e.do("POST", "/api/credentials/migrate-from-provider-config", doc)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	res := obj(t, r)
	if res["message"] != "Migration complete. Migrated 2 credentials." ||
		fmt.Sprint(res["migrated"]) != "[anthropic/Main anthropic/Plain]" ||
		!strings.Contains(fmt.Sprint(res["errors"]), "openai/Broken: Failed to decrypt") ||
		!strings.Contains(fmt.Sprint(res["errors"]), "madeup/X: unknown provider") {
		t.Fatalf("result %v", res)
	}
	var creds []map[string]any
	json.Unmarshal([]byte(e.do("GET", "/api/credentials?provider=anthropic", "").body), &creds)
	if len(creds) != 2 || creds[0]["name"] != "Main" || creds[0]["model_count"] != 1.0 || creds[1]["model_count"] != 0.0 {
		t.Fatalf("credentials %v", creds)
	}
	again := obj(t, e.do("POST", "/api/credentials/migrate-from-provider-config", doc))
	if fmt.Sprint(again["migrated"]) != "[]" || fmt.Sprint(again["skipped"]) != "[anthropic/Main anthropic/Plain]" {
		t.Fatalf("not idempotent: %v", again)
	}
	if r := e.do("POST", "/api/credentials/migrate-from-provider-config", ""); r.status != 400 || !strings.Contains(r.body, "import-provider-config") {
		t.Fatalf("no body: %d %s", r.status, r.body)
	}
	e.mustNotLeak(v.Plaintext, "sk-legacy-plaintext")
}
