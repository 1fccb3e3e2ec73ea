package httpapi_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

var timeFormat = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00$`)

func TestNotebooksAPI(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine, withPassword(password))
			auth := []string{"Authorization", "Bearer " + password}
			call := func(method, path, body string) response {
				t.Helper()
				return e.do(method, path, body, auth...)
			}

			created := call("POST", "/api/notebooks", `{"name":"Research","description":"papers"}`)
			if created.status != 200 {
				t.Fatalf("create: %d %s", created.status, created.body)
			}
			nb := created.json(t).(map[string]any)
			id := nb["id"].(string)
			if !strings.HasPrefix(id, "notebook:") || nb["name"] != "Research" || nb["archived"] != false ||
				nb["source_count"] != 0.0 || nb["note_count"] != 0.0 || !timeFormat.MatchString(nb["created"].(string)) {
				t.Fatalf("created %v", nb)
			}
			call("POST", "/api/notebooks", `{"name":"Archive me"}`)

			cases := []struct {
				name, method, path, body string
				status                   int
				want                     string // substring of the body
			}{
				{"get by full id", "GET", "/api/notebooks/" + id, "", 200, `"name":"Research"`},
				{"get by bare key", "GET", "/api/notebooks/" + strings.TrimPrefix(id, "notebook:"), "", 200, `"name":"Research"`},
				{"an id of another table is not found", "GET", "/api/notebooks/source:abc", "", 404, `{"detail":"Notebook not found"}`},
				{"a missing notebook is not found", "GET", "/api/notebooks/notebook:missing", "", 404, `{"detail":"Notebook not found"}`},
				{"an empty name is refused", "POST", "/api/notebooks", `{"name":"  "}`, 400, `{"detail":"Notebook name cannot be empty"}`},
				{"a missing name is a validation error", "POST", "/api/notebooks", `{"description":"x"}`,
					422, `{"detail":[{"type":"missing","loc":["body","name"],"msg":"Field required","input":null}]}`},
				{"a name of the wrong type is a validation error", "POST", "/api/notebooks", `{"name":5}`,
					422, `"type":"string_type","loc":["body","name"]`},
				{"a body that is not JSON is a validation error", "POST", "/api/notebooks", `{"name":`, 422, `"type":"json_invalid"`},
				{"a body that is not an object is a validation error", "POST", "/api/notebooks", `["x"]`, 422, `"type":"model_attributes_type"`},
				{"update keeps absent fields", "PUT", "/api/notebooks/" + id, `{"archived":true}`, 200, `"name":"Research","description":"papers","archived":true`},
				{"update ignores null fields", "PUT", "/api/notebooks/" + id, `{"name":null,"description":"new"}`, 200, `"name":"Research","description":"new"`},
				{"update refuses an empty name", "PUT", "/api/notebooks/" + id, `{"name":""}`, 400, "Notebook name cannot be empty"},
				{"update of a missing notebook is not found", "PUT", "/api/notebooks/notebook:missing", `{"name":"x"}`, 404, "Notebook not found"},
				{"an unknown order field is refused", "GET", "/api/notebooks?order_by=color", "", 400,
					`{"detail":"Invalid order_by field: 'color'. Allowed fields: created, name, updated"}`},
				{"an unknown direction is refused", "GET", "/api/notebooks?order_by=name%20up", "", 400, "Invalid order_by direction"},
				{"archived must be a boolean", "GET", "/api/notebooks?archived=perhaps", "", 422, `"type":"bool_parsing","loc":["query","archived"]`},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					r := call(tc.method, tc.path, tc.body)
					if r.status != tc.status || !strings.Contains(r.body, tc.want) {
						t.Fatalf("%d %s; want %d containing %s", r.status, r.body, tc.status, tc.want)
					}
				})
			}

			t.Run("list filters and orders", func(t *testing.T) {
				names := func(query string) string {
					r := call("GET", "/api/notebooks"+query, "")
					var out []string
					for _, n := range r.json(t).([]any) {
						out = append(out, n.(map[string]any)["name"].(string))
					}
					return strings.Join(out, ",")
				}
				if got := names("?order_by=name%20asc"); got != "Archive me,Research" {
					t.Errorf("by name: %s", got)
				}
				if got := names("?order_by=name%20desc"); got != "Research,Archive me" {
					t.Errorf("by name desc: %s", got)
				}
				if got := names("?archived=true"); got != "Research" {
					t.Errorf("archived: %s", got)
				}
				if got := names("?archived=false"); got != "Archive me" {
					t.Errorf("active: %s", got)
				}
			})
			t.Run("delete removes and reports", func(t *testing.T) {
				r := call("DELETE", "/api/notebooks/"+id, "")
				want := `{"message":"Notebook deleted successfully","deleted_notes":0,"deleted_sources":0,"unlinked_sources":0,"deleted_chat_sessions":0}`
				if r.status != 200 || r.body != want {
					t.Fatalf("%d %s", r.status, r.body)
				}
				if r := call("DELETE", "/api/notebooks/"+id, ""); r.status != 404 {
					t.Fatalf("second delete: %d", r.status)
				}
			})
		})
	}
}

func TestSettingsAPI(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine)
			defaults := `{"default_content_processing_engine_doc":"auto","default_content_processing_engine_url":"auto",` +
				`"default_embedding_option":"ask","auto_delete_files":"yes","docling_ocr":true,"docling_formulas":false,` +
				`"docling_vision":false,"youtube_preferred_languages":["en","pt","es","de","nl","en-GB","fr","de","hi","ja"]}`
			if r := e.do("GET", "/api/settings", ""); r.status != 200 || r.body != defaults {
				t.Fatalf("defaults: %d %s", r.status, r.body)
			}
			r := e.do("PUT", "/api/settings", `{"default_embedding_option":"always","docling_ocr":false,"auto_delete_files":null}`)
			if r.status != 200 || !strings.Contains(r.body, `"default_embedding_option":"always"`) ||
				!strings.Contains(r.body, `"docling_ocr":false`) || !strings.Contains(r.body, `"auto_delete_files":"yes"`) {
				t.Fatalf("update: %d %s", r.status, r.body)
			}
			if got := e.do("GET", "/api/settings", "").body; got != r.body {
				t.Fatalf("not persisted: %s", got)
			}
			bad := e.do("PUT", "/api/settings", `{"default_embedding_option":"sometimes","auto_delete_files":"no"}`)
			want := `{"detail":[{"type":"literal_error","loc":["body","default_embedding_option"],"msg":"Input should be 'ask', 'always' or 'never'","input":"sometimes"}]}`
			if bad.status != 422 || bad.body != want {
				t.Fatalf("invalid enum: %d %s", bad.status, bad.body)
			}
			if got := e.do("GET", "/api/settings", "").body; !strings.Contains(got, `"auto_delete_files":"yes"`) {
				t.Fatalf("a refused update must change nothing: %s", got)
			}
		})
	}
}
