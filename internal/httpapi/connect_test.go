package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"mime/multipart"
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/ai"
	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// badKey is a key every fake provider rejects.
const badKey = "sk-bad-LEAKCANARY-5e6f7a8b9c"

// fastCalls keeps the slow-provider cases short.
var fastCalls = ai.Timeouts{Test: 800 * time.Millisecond, Discovery: 800 * time.Millisecond, ModelTest: 800 * time.Millisecond}

// family is how one client family looks from the outside: a provider it
// serves, the probe request a connection test sends and where the key goes.
type family struct {
	provider  string
	probe     string // method, path and query of the probe (after Vertex AI's token request)
	keyHeader string // the header that carries the key
	keyPrefix string
	connected string // the success message
}

var families = map[string]family{
	provider.FamilyOpenAI: {"openai", "GET /v1/models", "Authorization", "Bearer ",
		"Connected. 4 models available: gpt-4o-mini, text-embedding-3-small, whisper-1 (+1 more)"},
	provider.FamilyAnthropic: {"anthropic", "GET /v1/models?limit=100", "X-Api-Key", "",
		"Connected. 2 models available: claude-sonnet-4-5-20250929, claude-haiku-4-5-20251001"},
	provider.FamilyGoogle: {"google", "GET /v1beta/models?pageSize=1000", "X-Goog-Api-Key", "",
		"Connected. 3 models available: gemini-2.5-flash, gemini-2.5-flash-preview-tts, text-embedding-004"},
	provider.FamilyVertex: {"vertex", "GET /v1/projects/my-project/locations/us-central1/models?pageSize=1", "Authorization", "Bearer ",
		"Connection successful"},
	provider.FamilyAzure: {"azure", "GET /openai/models?api-version=2024-10-21", "Api-Key", "",
		"Connected. 2 models available: gpt-4o, text-embedding-3-small"},
	provider.FamilyOllama: {"ollama", "GET /api/tags", "Authorization", "Bearer ",
		"Connected. 2 models available: llama3.2:latest, nomic-embed-text:latest"},
	provider.FamilyCohere: {"cohere", "GET /v1/models?page_size=1000", "Authorization", "Bearer ",
		"Connected. 2 models available: command-a-03-2025, embed-v4.0"},
	provider.FamilyVoyage: {"voyage", "POST /v1/embeddings", "Authorization", "Bearer ", "Connection successful"},
	provider.FamilyElevenLabs: {"elevenlabs", "GET /v1/models", "Xi-Api-Key", "",
		"Connected. 3 models available: eleven_multilingual_v2, scribe_v2, scribe_v1"},
	provider.FamilyDeepgram: {"deepgram", "GET /v1/projects", "Authorization", "Token ", "Connection successful"},
}

// credentialBody is the JSON that creates a credential of p reaching up at
// base with key. Vertex AI has no key: the key picks its service account.
func credentialBody(t *testing.T, up *providertest.Upstream, p, key, base string) string {
	t.Helper()
	in := map[string]any{"name": p + " " + key, "provider": p, "base_url": base}
	if p == "vertex" {
		account := map[string]string{providertest.GoodKey: providertest.GoodAccount,
			providertest.ForbiddenKey: providertest.ForbiddenAccount}[key]
		if account == "" {
			account = "revoked"
		}
		in["project"], in["location"] = "my-project", "us-central1"
		in["credentials_path"] = up.ServiceAccountFile(t, account)
	} else {
		in["api_key"] = key
	}
	b, _ := json.Marshal(in)
	return string(b)
}

// firstCall returns the first request the fake received, skipping Vertex
// AI's token request.
func firstCall(t *testing.T, up *providertest.Upstream) providertest.Request {
	t.Helper()
	for _, r := range up.Requests() {
		if r.Path != "/token" {
			return r
		}
	}
	t.Fatal("the provider received no request")
	return providertest.Request{}
}

func TestConnectionTestOfEveryFamily(t *testing.T) {
	cases := []struct {
		name    string
		key     string
		failure string // a providertest failure, or "nope" for a wrong base URL
		status  string
		success bool
		message string // "" for the family's success message
	}{
		{"a good key connects", providertest.GoodKey, "", "ok", true, ""},
		{"a rejected key fails authentication", badKey, "", "auth_failed", false, "Invalid API key"},
		{"a key without permission is forbidden", providertest.ForbiddenKey, "", "forbidden", false, "API key lacks required permissions"},
		{"a wrong base URL is not found, not success", providertest.GoodKey, "nope", "not_found", false,
			"Endpoint not found (HTTP 404) - check the base URL"},
		{"a rate limit proves the key works", providertest.GoodKey, providertest.FailRateLimited, "rate_limited", true,
			"Rate limited - but connection works"},
		{"a server error fails", providertest.GoodKey, providertest.FailServerError, "error", false, "Server returned status 500: "},
		{"an unreadable answer fails", providertest.GoodKey, providertest.FailMalformed, "error", false,
			"Error: the provider returned a response that could not be read"},
		{"a provider slower than the timeout times out", providertest.GoodKey, providertest.FailSlow, "timeout", false,
			"Connection timed out - check network/endpoint"},
		{"a redirect to the metadata address is blocked", providertest.GoodKey, providertest.FailRedirect, "blocked", false,
			"Blocked: the endpoint resolves to an address that is not allowed"},
	}
	for name, fam := range families {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, store.SQLite)
			e.aiTimeouts = fastCalls
			e.start(withKey(encKey))
			up := providertest.NewUpstream(t, name)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					base := up.BaseURL(tc.failure)
					if tc.failure == "nope" {
						base = up.URL + "/nope" + strings.TrimPrefix(up.BaseURL(""), up.URL)
					}
					id := e.createCredential(credentialBody(t, up, fam.provider, tc.key, base))["id"].(string)
					up.Reset()
					start := time.Now()
					r := e.do("POST", "/api/credentials/"+id+"/test", "")
					if r.status != 200 {
						t.Fatalf("%d %s", r.status, r.body)
					}
					got := obj(t, r)
					want := tc.message
					if want == "" {
						want = fam.connected
					}
					if got["provider"] != fam.provider || got["status"] != tc.status || got["success"] != tc.success ||
						!strings.Contains(got["message"].(string), want) {
						t.Fatalf("got %v\nwant provider %s, status %s, success %v, message containing %q",
							got, fam.provider, tc.status, tc.success, want)
					}
					if ms, ok := got["latency_ms"].(float64); !ok || ms < 0 || time.Duration(ms)*time.Millisecond > time.Since(start) {
						t.Errorf("latency_ms = %v", got["latency_ms"])
					}
					if tc.status == "rate_limited" && got["retry_after_seconds"] != float64(providertest.RetryAfter) {
						t.Errorf("retry_after_seconds = %v, want the provider's Retry-After", got["retry_after_seconds"])
					}
					if tc.status != "rate_limited" && got["retry_after_seconds"] != nil {
						t.Errorf("retry_after_seconds = %v", got["retry_after_seconds"])
					}
					for _, k := range []string{providertest.GoodKey, providertest.ForbiddenKey, badKey} {
						if strings.Contains(r.body, k) {
							t.Fatalf("the response leaks a key: %s", r.body)
						}
					}
					stored := obj(t, e.do("GET", "/api/credentials/"+id, ""))
					if stored["last_test_status"] != tc.status || stored["last_tested_at"] == nil {
						t.Errorf("the result is not stored: %v %v", stored["last_test_status"], stored["last_tested_at"])
					}
					if tc.failure != "" || tc.key == badKey && name == provider.FamilyVertex {
						return
					}
					req := firstCall(t, up)
					if req.Line() != fam.probe {
						t.Errorf("probe %s, want %s", req.Line(), fam.probe)
					}
					if got := req.Header.Get(fam.keyHeader); got != fam.keyPrefix+tc.key {
						t.Errorf("%s = %q, want %q", fam.keyHeader, got, fam.keyPrefix+tc.key)
					}
				})
			}
			e.mustNotLeak(providertest.GoodKey, providertest.ForbiddenKey, badKey)
		})
	}
}

func TestConnectionTestEdgeCases(t *testing.T) {
	e := newEnv(t, store.SQLite, withKey(encKey))
	anthropicUp := providertest.NewUpstream(t, provider.FamilyAnthropic)
	cases := []struct {
		name, body string
		status     int
		want       string
	}{
		{"a gateway without a model listing connects",
			`{"name":"gw","provider":"anthropic_compatible","api_key":"` + providertest.GoodKey + `","base_url":"` + anthropicUp.URL + `/gateway/models"}`,
			200, `{"provider":"anthropic_compatible","success":true,"message":"Connected, but model listing is unsupported (status 404); add models manually.","status":"ok"`},
		{"an OpenAI-compatible credential without a base URL says so",
			`{"name":"oc","provider":"openai_compatible","api_key":"sk-x"}`,
			200, `{"provider":"openai_compatible","success":false,"message":"No base URL configured","status":"error"`},
		{"an Azure credential never borrows the environment's endpoint",
			`{"name":"az","provider":"azure","api_key":"sk-x"}`,
			200, `{"provider":"azure","success":false,"message":"No Azure endpoint configured","status":"error"`},
	}
	e.vars["AZURE_OPENAI_ENDPOINT"] = anthropicUp.URL
	e.vars["AZURE_OPENAI_API_KEY"] = providertest.GoodKey
	e.vars["AZURE_OPENAI_API_VERSION"] = "2024-10-21"
	e.start(withKey(encKey))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := e.createCredential(tc.body)["id"].(string)
			r := e.do("POST", "/api/credentials/"+id+"/test", "")
			if r.status != tc.status || !strings.HasPrefix(r.body, tc.want) {
				t.Fatalf("%d %s\nwant %s", r.status, r.body, tc.want)
			}
		})
	}
	t.Run("a credential that does not exist is not found, not a success", func(t *testing.T) {
		r := e.do("POST", "/api/credentials/credential:nope/test", "")
		if r.status != 404 || r.body != `{"detail":"Credential not found"}` {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	if countActions(e.auditEntries(), "credential.test", "success")+countActions(e.auditEntries(), "credential.test", "failure") == 0 {
		t.Error("tests are audited")
	}
}

// discovered decodes a discovery's models as "name type" strings.
func discovered(t *testing.T, list []any) []string {
	t.Helper()
	var out []string
	for _, v := range list {
		m := v.(map[string]any)
		out = append(out, fmt.Sprint(m["name"], " ", m["model_type"]))
	}
	return out
}

func TestDiscoverCredentialModels(t *testing.T) {
	e := newEnv(t, store.SQLite, withKey(encKey))
	e.aiTimeouts = fastCalls
	e.start(withKey(encKey))
	openAIUp := providertest.NewUpstream(t, provider.FamilyOpenAI)
	googleUp := providertest.NewUpstream(t, provider.FamilyGoogle)
	anthropicUp := providertest.NewUpstream(t, provider.FamilyAnthropic)
	cases := []struct {
		name, provider, key, base string
		want                      string
		request                   string
	}{
		{"an OpenAI listing is typed by name", "openai", providertest.GoodKey, openAIUp.BaseURL(""),
			"[gpt-4o-mini language text-embedding-3-small embedding whisper-1 speech_to_text tts-1 text_to_speech]",
			"GET /v1/models"},
		{"PayPerQ lists every type with type=all", "ppq", providertest.GoodKey, openAIUp.BaseURL(""),
			"[gpt-4o-mini language text-embedding-3-small embedding whisper-1 speech_to_text tts-1 text_to_speech]",
			"GET /v1/models?type=all"},
		{"OpenRouter gains the audio models it does not list", "openrouter", providertest.GoodKey, openAIUp.BaseURL(""),
			"[gpt-4o-mini language text-embedding-3-small language whisper-1 language tts-1 language " +
				"microsoft/mai-voice-2 text_to_speech openai/whisper-1 speech_to_text openai/whisper-large-v3 speech_to_text]",
			"GET /v1/models"},
		{"a Gemini listing follows its pages and types TTS models as speech", "google", providertest.GoodKey, googleUp.BaseURL(""),
			"[gemini-2.5-flash language gemini-2.5-flash-preview-tts text_to_speech text-embedding-004 embedding]",
			"GET /v1beta/models?pageSize=1000&pageToken=Chxtb2RlbHMvZ2VtaW5pLTIuNS1mbGFzaA=="},
		{"an Anthropic listing follows its pages", "anthropic", providertest.GoodKey, anthropicUp.BaseURL(""),
			"[claude-sonnet-4-5-20250929 language claude-haiku-4-5-20251001 language]",
			"GET /v1/models?after_id=claude-sonnet-4-5-20250929&limit=100"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.createCredential(credentialBody(t, nil, tc.provider, tc.key, tc.base))
			id := c["id"].(string)
			for _, up := range []*providertest.Upstream{openAIUp, googleUp, anthropicUp} {
				up.Reset()
			}
			r := e.do("POST", "/api/credentials/"+strings.TrimPrefix(id, "credential:")+"/discover", "")
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			got := obj(t, r)
			if got["credential_id"] != id || got["provider"] != tc.provider {
				t.Errorf("got %v", got)
			}
			if list := fmt.Sprint(discovered(t, got["discovered"].([]any))); list != tc.want {
				t.Errorf("discovered %s\nwant       %s", list, tc.want)
			}
			var last providertest.Request
			for _, up := range []*providertest.Upstream{openAIUp, googleUp, anthropicUp} {
				if reqs := up.Requests(); len(reqs) > 0 {
					last = reqs[len(reqs)-1]
				}
			}
			if last.Line() != tc.request {
				t.Errorf("last request %s, want %s", last.Line(), tc.request)
			}
		})
	}

	failures := []struct {
		name, provider, key, base string
		status                    int
		detail                    string
	}{
		{"a rejected key is a bad gateway that says why", "openai", badKey, openAIUp.BaseURL(""), 502,
			"Model discovery failed: OpenAI rejected the API key (HTTP 401): Incorrect API key provided: [REDACTED]"},
		{"Google's 400 for a wrong key is a rejected key", "google", badKey, googleUp.BaseURL(""), 502,
			"Model discovery failed: Google AI rejected the API key (HTTP 400): API key not valid. Please pass a valid API key."},
		{"a slow provider times out", "groq", providertest.GoodKey, openAIUp.BaseURL(providertest.FailSlow), 502,
			"Model discovery failed: Groq did not answer in time"},
		{"a rate limit is passed on with its Retry-After", "mistral", providertest.GoodKey, openAIUp.BaseURL(providertest.FailRateLimited), 429,
			"Model discovery failed: Mistral AI is rate limiting requests (HTTP 429): Rate limit reached for requests"},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			id := e.createCredential(credentialBody(t, nil, tc.provider, tc.key, tc.base))["id"].(string)
			r := e.do("POST", "/api/credentials/"+id+"/discover", "")
			want, _ := json.Marshal(map[string]string{"detail": tc.detail})
			if r.status != tc.status || r.body != string(want) {
				t.Fatalf("%d %s\nwant %d %s", r.status, r.body, tc.status, want)
			}
			if tc.status == 429 && r.header.Get("Retry-After") != fmt.Sprint(providertest.RetryAfter) {
				t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
			}
		})
	}
	t.Run("a gateway without a listing gives an empty list and says why", func(t *testing.T) {
		id := e.createCredential(credentialBody(t, nil, "anthropic_compatible", providertest.GoodKey, anthropicUp.URL+"/gateway"))["id"].(string)
		r := e.do("POST", "/api/credentials/"+id+"/discover", "")
		if r.status != 200 || !strings.Contains(r.body, `"discovered":[],"message":"The gateway has no model listing (HTTP 404); add models by name."`) {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	t.Run("a credential that does not exist is not found", func(t *testing.T) {
		if r := e.do("POST", "/api/credentials/credential:nope/discover", ""); r.status != 404 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	e.mustNotLeak(providertest.GoodKey, badKey)
}

func TestRegisterModels(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine, withKey(encKey))
			a := e.createCredential(`{"name":"A","provider":"openai","api_key":"sk-a"}`)["id"].(string)
			b := e.createCredential(`{"name":"B","provider":"openai","api_key":"sk-b"}`)["id"].(string)
			unlinked := e.createModel("gpt-4o", "openai", "language", "")
			theirs := e.createModel("gpt-4o-mini", "openai", "language", b)

			r := e.do("POST", "/api/credentials/"+a+"/register-models", `{"models":[
				{"name":"GPT-4o","provider":"openai","model_type":"language"},
				{"name":"gpt-4o-mini","provider":"openai","model_type":"language"},
				{"name":"o3","provider":"openai","model_type":"language"},
				{"name":"o3","provider":"openai","model_type":"language"},
				{"name":"text-embedding-3-small","model_type":"embedding"}]}`)
			if r.status != 200 || r.body != `{"created":2,"existing":3,"linked":1}` {
				t.Fatalf("%d %s", r.status, r.body)
			}
			var models []map[string]any
			if err := json.Unmarshal([]byte(e.do("GET", "/api/models/by-provider/openai", "").body), &models); err != nil {
				t.Fatal(err)
			}
			got := map[string]any{}
			for _, m := range models {
				got[fmt.Sprint(m["name"], " ", m["type"])] = m["credential"]
				if m["id"] == unlinked && m["credential"] != a {
					t.Errorf("the unlinked model is linked: %v", m)
				}
				if m["id"] == theirs && m["credential"] != b {
					t.Errorf("a model of another credential keeps it: %v", m)
				}
			}
			if len(got) != 4 || got["o3 language"] != a || got["text-embedding-3-small embedding"] != a {
				t.Fatalf("models %v", got)
			}
			if count := obj(t, e.do("GET", "/api/credentials/"+a, ""))["model_count"]; count != 3.0 {
				t.Errorf("model_count %v", count)
			}

			refusals := []struct {
				name, id, body string
				status         int
				want           string
			}{
				{"a type outside the four", a, `{"models":[{"name":"x","provider":"openai","model_type":"vision"}]}`, 422,
					`{"detail":[{"type":"literal_error","loc":["body","models",0,"model_type"],"msg":"Input should be 'language', 'embedding', 'speech_to_text' or 'text_to_speech'","input":"vision"}]}`},
				{"another provider than the credential's", a, `{"models":[{"name":"x","provider":"anthropic","model_type":"language"}]}`, 422,
					`"loc":["body","models",0,"provider"],"msg":"Value error, the credential is for provider 'openai'"`},
				{"a blank name", a, `{"models":[{"name":"  ","model_type":"language"}]}`, 422, `"loc":["body","models",0,"name"]`},
				{"a missing type", a, `{"models":[{"name":"x"}]}`, 422,
					`{"detail":[{"type":"missing","loc":["body","models",0,"model_type"],"msg":"Field required","input":null}]}`},
				{"no models field", a, `{}`, 422, `"loc":["body","models"]`},
				{"a credential that does not exist", "credential:nope", `{"models":[{"name":"x","model_type":"language"}]}`, 404,
					`{"detail":"Credential not found"}`},
			}
			for _, tc := range refusals {
				t.Run(tc.name+" is refused", func(t *testing.T) {
					r := e.do("POST", "/api/credentials/"+tc.id+"/register-models", tc.body)
					if r.status != tc.status || !strings.Contains(r.body, tc.want) {
						t.Fatalf("%d %s\nwant %d %s", r.status, r.body, tc.status, tc.want)
					}
				})
			}
			if total := obj(t, e.do("GET", "/api/models/count/openai", ""))["total"]; total != 4.0 {
				t.Errorf("a refused registration stores nothing: %v models", total)
			}
		})
	}
}

// The per-variable rules are provider.Available's, tested with the
// original's vectors in package provider; here they reach the API.
func TestModelProvidersAvailability(t *testing.T) {
	e := newEnv(t, store.SQLite, withKey(encKey))
	e.vars["OPENAI_COMPATIBLE_BASE_URL_LLM"] = "http://lm.local/v1"
	e.vars["OPENAI_COMPATIBLE_BASE_URL_EMBEDDING"] = "http://lm.local/v1"
	e.vars["ANTHROPIC_COMPATIBLE_BASE_URL"] = "   "
	e.vars["ANTHROPIC_COMPATIBLE_API_KEY"] = "   "
	e.vars["OPENAI_API_KEY"] = ""
	e.vars["GEMINI_API_KEY"] = "k"
	e.start(withKey(encKey))
	e.createCredential(`{"name":"x","provider":"azure","api_key":"k","base_url":"https://my.openai.azure.com"}`)
	e.createCredential(`{"name":"y","provider":"groq","api_key":"k"}`)
	got := obj(t, e.do("GET", "/api/models/providers", ""))
	if fmt.Sprint(got["available"]) != "[google groq azure openai_compatible]" {
		t.Errorf("available %v", got["available"])
	}
	if n := len(got["unavailable"].([]any)); n != 18 {
		t.Errorf("%d unavailable", n)
	}
	want := "map[azure:[language embedding speech_to_text text_to_speech] " +
		"google:[language embedding speech_to_text text_to_speech] groq:[language speech_to_text] " +
		"openai_compatible:[language embedding]]"
	if fmt.Sprint(got["supported_types"]) != want {
		t.Errorf("supported_types %v\nwant            %s", got["supported_types"], want)
	}
}

func TestDiscoverAndSyncByProvider(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine, withKey(encKey))
			up := providertest.NewUpstream(t, provider.FamilyOpenAI)
			e.vars["GROQ_API_KEY"] = providertest.GoodKey
			e.vars["GROQ_API_BASE"] = up.BaseURL("")
			e.start(withKey(encKey))

			r := e.do("GET", "/api/models/discover/groq", "")
			if r.status != 200 || r.body != `[{"name":"gpt-4o-mini","provider":"groq","model_type":"language","description":null},`+
				`{"name":"text-embedding-3-small","provider":"groq","model_type":"language","description":null},`+
				`{"name":"whisper-1","provider":"groq","model_type":"speech_to_text","description":null},`+
				`{"name":"tts-1","provider":"groq","model_type":"language","description":null}]` {
				t.Fatalf("discover from the environment: %d %s", r.status, r.body)
			}
			if got := up.Only(t).Header.Get("Authorization"); got != "Bearer "+providertest.GoodKey {
				t.Fatalf("Authorization %q", got)
			}

			r = e.do("POST", "/api/models/sync/groq", "")
			if r.status != 200 || r.body != `{"provider":"groq","discovered":4,"new":4,"existing":0,"status":"ok"}` {
				t.Fatalf("sync: %d %s", r.status, r.body)
			}
			r = e.do("POST", "/api/models/sync/groq", "")
			if r.status != 200 || r.body != `{"provider":"groq","discovered":4,"new":0,"existing":4,"status":"ok"}` {
				t.Fatalf("sync again: %d %s", r.status, r.body)
			}

			// A stored credential comes before the environment.
			e.createCredential(`{"name":"g","provider":"groq","api_key":"` + badKey + `","base_url":"` + up.BaseURL("") + `"}`)
			r = e.do("POST", "/api/models/sync/groq", "")
			if r.status != 502 || !strings.Contains(r.body, "Groq rejected the API key (HTTP 401)") {
				t.Fatalf("sync with the stored credential: %d %s", r.status, r.body)
			}

			r = e.do("POST", "/api/models/sync", "")
			if r.status != 200 {
				t.Fatalf("sync all: %d %s", r.status, r.body)
			}
			all := obj(t, r)
			results := all["results"].(map[string]any)
			if len(results) != 22 || all["total_new"] != 0.0 {
				t.Fatalf("sync all: %s", r.body)
			}
			if g := results["groq"].(map[string]any); g["status"] != "auth_failed" || !strings.Contains(g["error"].(string), "rejected the API key") {
				t.Errorf("groq: %v", g)
			}
			if o := results["openai"].(map[string]any); o["status"] != "not_configured" || o["discovered"] != 0.0 {
				t.Errorf("openai: %v", o)
			}

			refusals := []struct{ method, path, body string }{
				{"GET", "/api/models/discover/nope", `{"detail":"Unknown provider 'nope'. Must be one of: `},
				{"POST", "/api/models/sync/nope", `{"detail":"Unknown provider 'nope'. Must be one of: `},
				{"GET", "/api/models/discover/deepseek", `{"detail":"No credential is configured for DeepSeek: add one in Settings -> API Keys, or set DEEPSEEK_API_KEY."}`},
			}
			for _, tc := range refusals {
				r := e.do(tc.method, tc.path, "")
				if (r.status != 404 && r.status != 422) || !strings.HasPrefix(r.body, tc.body) {
					t.Errorf("%s %s: %d %s", tc.method, tc.path, r.status, r.body)
				}
			}
			if r := e.do("POST", "/api/models/model:x/other", ""); r.status != 404 || r.body != `{"detail":"Not Found"}` {
				t.Errorf("an unknown model action: %d %s", r.status, r.body)
			}
			e.mustNotLeak(providertest.GoodKey, badKey)
		})
	}
}

// formFile returns the file part of a multipart request.
func formFile(t *testing.T, req providertest.Request) (fields map[string]string, file []byte) {
	t.Helper()
	_, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	fields = map[string]string{}
	mr := multipart.NewReader(bytes.NewReader(req.Body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return fields, file
		}
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(p)
		if p.FileName() != "" {
			file = buf.Bytes()
		} else {
			fields[p.FormName()] = buf.String()
		}
	}
}

func TestModelTestOfEveryType(t *testing.T) {
	e := newEnv(t, store.SQLite, withKey(encKey))
	e.aiTimeouts = fastCalls
	e.start(withKey(encKey))
	ups := map[string]*providertest.Upstream{}
	creds := map[string]string{} // provider -> credential id
	for _, p := range []string{"openai", "xai", "anthropic", "google", "vertex", "azure", "ollama", "cohere", "voyage", "elevenlabs", "deepgram"} {
		spec, _ := provider.Lookup(p)
		if ups[spec.Family] == nil {
			ups[spec.Family] = providertest.NewUpstream(t, spec.Family)
		}
		creds[p] = e.createCredential(credentialBody(t, ups[spec.Family], p, providertest.GoodKey, ups[spec.Family].BaseURL("")))["id"].(string)
	}
	speech := fmt.Sprintf("Audio generated: %d bytes", len(providertest.SpeechAudio))
	cases := []struct {
		provider, name, typ string
		message             string
		request             string // the call the provider received
		check               func(t *testing.T, req providertest.Request)
	}{
		{"openai", "gpt-4o-mini", "language", "Response: " + providertest.ChatAnswer, "POST /v1/chat/completions",
			func(t *testing.T, req providertest.Request) {
				if string(req.Body) != `{"max_completion_tokens":16,"messages":[{"role":"user","content":"Hi!"}],"model":"gpt-4o-mini"}` {
					t.Errorf("body %s", req.Body)
				}
			}},
		{"openai", "text-embedding-3-small", "embedding", fmt.Sprintf("Embedding dimensions: %d", providertest.EmbeddingDims),
			"POST /v1/embeddings", func(t *testing.T, req providertest.Request) {
				if string(req.Body) != `{"model":"text-embedding-3-small","input":["This is a test."]}` {
					t.Errorf("body %s", req.Body)
				}
			}},
		{"openai", "tts-1", "text_to_speech", speech, "POST /v1/audio/speech", func(t *testing.T, req providertest.Request) {
			if string(req.Body) != `{"model":"tts-1","input":"Hello from Open Notebook","voice":"alloy"}` {
				t.Errorf("body %s", req.Body)
			}
		}},
		{"openai", "whisper-1", "speech_to_text", "Transcription: " + providertest.Transcript, "POST /v1/audio/transcriptions",
			func(t *testing.T, req providertest.Request) {
				fields, file := formFile(t, req)
				if fields["model"] != "whisper-1" || fields["language"] != "en" || !bytes.HasPrefix(file, []byte("RIFF")) || len(file) < 10000 {
					t.Errorf("fields %v, %d bytes of audio", fields, len(file))
				}
			}},
		{"xai", "grok-tts", "text_to_speech", speech, "POST /v1/audio/speech", func(t *testing.T, req providertest.Request) {
			if !strings.Contains(string(req.Body), `"voice":"eve"`) {
				t.Errorf("xAI is asked for its own voice: %s", req.Body)
			}
		}},
		{"anthropic", "claude-haiku-4-5", "language", "Response: " + providertest.ChatAnswer, "POST /v1/messages", nil},
		{"google", "gemini-2.5-flash", "language", "Response: " + providertest.ChatAnswer, "POST /v1beta/models/gemini-2.5-flash:generateContent", nil},
		{"google", "text-embedding-004", "embedding", "Embedding dimensions: 8", "POST /v1beta/models/text-embedding-004:batchEmbedContents", nil},
		{"google", "gemini-2.5-flash-preview-tts", "text_to_speech", "Audio generated: 524 bytes",
			"POST /v1beta/models/gemini-2.5-flash-preview-tts:generateContent", nil},
		{"google", "gemini-2.5-flash", "speech_to_text", "Transcription: " + providertest.Transcript,
			"POST /v1beta/models/gemini-2.5-flash:generateContent", nil},
		{"vertex", "gemini-2.5-flash", "language", "Response: " + providertest.ChatAnswer,
			"POST /v1/projects/my-project/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent", nil},
		{"vertex", "text-embedding-005", "embedding", "Embedding dimensions: 8",
			"POST /v1/projects/my-project/locations/us-central1/publishers/google/models/text-embedding-005:predict", nil},
		{"azure", "gpt-4o", "language", "Response: " + providertest.ChatAnswer,
			"POST /openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", nil},
		{"ollama", "llama3.2:latest", "language", "Response: " + providertest.ChatAnswer, "POST /api/chat", nil},
		{"ollama", "nomic-embed-text:latest", "embedding", "Embedding dimensions: 8", "POST /api/embed", nil},
		{"cohere", "command-a-03-2025", "language", "Response: " + providertest.ChatAnswer, "POST /v2/chat", nil},
		{"cohere", "embed-v4.0", "embedding", "Embedding dimensions: 8", "POST /v2/embed", nil},
		{"voyage", "voyage-3-lite", "embedding", "Embedding dimensions: 8", "POST /v1/embeddings", nil},
		{"elevenlabs", "eleven_multilingual_v2", "text_to_speech", speech, "POST /v1/text-to-speech/21m00Tcm4TlvDq8ikWAM", nil},
		{"elevenlabs", "scribe_v1", "speech_to_text", "Transcription: " + providertest.Transcript, "POST /v1/speech-to-text", nil},
		{"deepgram", "aura-2-helena-en", "text_to_speech", speech, "POST /v1/speak?model=aura-2-helena-en", nil},
		{"deepgram", "nova-3", "speech_to_text", "Transcription: " + providertest.Transcript,
			"POST /v1/listen?language=en&model=nova-3&smart_format=true", nil},
	}
	for _, tc := range cases {
		t.Run(tc.provider+" "+tc.typ, func(t *testing.T) {
			spec, _ := provider.Lookup(tc.provider)
			up := ups[spec.Family]
			id := e.createModel(tc.name, tc.provider, tc.typ, creds[tc.provider])
			up.Reset()
			r := e.do("POST", "/api/models/"+id+"/test", "")
			got := obj(t, r)
			if r.status != 200 || got["success"] != true || got["message"] != tc.message || got["status"] != "ok" ||
				got["details"] != nil {
				t.Fatalf("%d %s\nwant message %q", r.status, r.body, tc.message)
			}
			req := firstCall(t, up)
			if req.Line() != tc.request {
				t.Fatalf("request %s, want %s", req.Line(), tc.request)
			}
			if tc.check != nil {
				tc.check(t, req)
			}
		})
	}

	failures := []struct {
		name, key, failure string
		success            bool
		status, message    string
	}{
		{"a rejected key", badKey, "", false, "auth_failed", "Invalid API key"},
		{"an unknown model or wrong URL", providertest.GoodKey, "nope", false, "not_found",
			"Model not found on this provider (HTTP 404): Unknown request URL: POST /nope/v1/chat/completions"},
		{"a rate limit", providertest.GoodKey, providertest.FailRateLimited, true, "rate_limited", "Rate limited - but connection works"},
		{"a slow provider", providertest.GoodKey, providertest.FailSlow, false, "timeout", "Connection timed out - check network/endpoint"},
	}
	up := ups[provider.FamilyOpenAI]
	for i, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			base := up.BaseURL(tc.failure)
			if tc.failure == "nope" {
				base = up.URL + "/nope/v1"
			}
			cred := e.createCredential(`{"name":"f","provider":"openai","api_key":"` + tc.key + `","base_url":"` + base + `"}`)["id"].(string)
			id := e.createModel(fmt.Sprintf("gpt-failure-%d", i), "openai", "language", cred)
			got := obj(t, e.do("POST", "/api/models/"+id+"/test", ""))
			if got["success"] != tc.success || got["status"] != tc.status || got["message"] != tc.message {
				t.Fatalf("got %v", got)
			}
		})
	}
	t.Run("a model of a provider nothing configures says what to configure", func(t *testing.T) {
		id := e.createModel("deepseek-chat", "deepseek", "language", "")
		got := obj(t, e.do("POST", "/api/models/"+id+"/test", ""))
		if got["success"] != false || got["message"] != "No credential is configured for DeepSeek: add one in Settings -> API Keys, or set DEEPSEEK_API_KEY." {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("a model that does not exist is not found", func(t *testing.T) {
		if r := e.do("POST", "/api/models/model:nope/test", ""); r.status != 404 || r.body != `{"detail":"Model not found"}` {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	e.mustNotLeak(providertest.GoodKey, badKey)
}

// TestAUserConnectsAnOpenAICompatibleServer is the "done" flow:
// create a credential, test it, discover and register its models, set
// defaults and test a model, all against a local OpenAI-compatible server.
func TestAUserConnectsAnOpenAICompatibleServer(t *testing.T) {
	e := newEnv(t, store.SQLite, withKey(encKey))
	up := providertest.NewUpstream(t, provider.FamilyOpenAI)
	step := func(method, path, body string, status int) map[string]any {
		t.Helper()
		r := e.do(method, path, body)
		if r.status != status {
			t.Fatalf("%s %s: %d %s", method, path, r.status, r.body)
		}
		return obj(t, r)
	}
	good := step("POST", "/api/credentials", `{"name":"Local","provider":"openai_compatible","api_key":"`+providertest.GoodKey+
		`","base_url":"`+up.BaseURL("")+`"}`, 201)["id"].(string)
	bad := step("POST", "/api/credentials", `{"name":"Typo","provider":"openai_compatible","api_key":"`+badKey+
		`","base_url":"`+up.BaseURL("")+`"}`, 201)["id"].(string)

	if got := step("POST", "/api/credentials/"+good+"/test", "", 200); got["success"] != true || got["status"] != "ok" {
		t.Fatalf("good key: %v", got)
	}
	if got := step("POST", "/api/credentials/"+bad+"/test", "", 200); got["success"] != false || got["status"] != "auth_failed" {
		t.Fatalf("bad key: %v", got)
	}
	found := step("POST", "/api/credentials/"+good+"/discover", "", 200)["discovered"].([]any)
	var models []string
	for _, m := range found {
		mm := m.(map[string]any)
		models = append(models, fmt.Sprintf(`{"name":%q,"provider":"openai_compatible","model_type":%q}`, mm["name"], mm["model_type"]))
	}
	reg := step("POST", "/api/credentials/"+good+"/register-models", `{"models":[`+strings.Join(models, ",")+`]}`, 200)
	if reg["created"] != 4.0 {
		t.Fatalf("register: %v", reg)
	}
	assigned := step("POST", "/api/models/auto-assign", "", 200)["assigned"].(map[string]any)
	chat, _ := assigned["default_chat_model"].(string)
	if chat == "" || assigned["default_embedding_model"] == nil {
		t.Fatalf("auto-assign: %v", assigned)
	}
	got := step("POST", "/api/models/"+chat+"/test", "", 200)
	if got["success"] != true || got["message"] != "Response: "+providertest.ChatAnswer {
		t.Fatalf("model test: %v", got)
	}
	if reqs := up.Requests(); reqs[len(reqs)-1].Header.Get("Authorization") != "Bearer "+providertest.GoodKey {
		t.Fatal("the model test did not use the credential's key")
	}
	e.mustNotLeak(providertest.GoodKey, badKey)
}

func TestOpenAPIDocumentsTheProviderRoutes(t *testing.T) {
	e := newEnv(t, store.SQLite)
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(e.do("GET", "/openapi.json", "").body), &doc); err != nil {
		t.Fatal(err)
	}
	for _, route := range []string{
		"post /api/credentials/{credential_id}/test", "post /api/credentials/{credential_id}/discover",
		"post /api/credentials/{credential_id}/register-models", "get /api/models/providers",
		"get /api/models/discover/{provider}", "post /api/models/sync", "post /api/models/sync/{provider}",
		"post /api/models/{model_id}/test",
	} {
		method, path, _ := strings.Cut(route, " ")
		if _, ok := doc.Paths[path][method]; !ok {
			t.Errorf("%s is not documented", route)
		}
	}
}
