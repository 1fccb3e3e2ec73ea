package httpapi_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

func (e *env) upload(fields map[string]string, fileName string, content []byte) response {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if fileName != "" {
		fw, _ := mw.CreateFormFile("file", fileName)
		fw.Write(content)
	}
	mw.Close()
	return e.do("POST", "/api/sources", body.String(), "Content-Type", mw.FormDataContentType())
}

func TestSourcesNotesAndSearch(t *testing.T) {
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/article":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, `<html><head><title>Photosynthesis explained</title><style>p{}</style></head>
				<body><nav>menu</nav><h1>Light reactions</h1><p>Chlorophyll absorbs photons.</p><script>evil()</script></body></html>`)
		case "/missing":
			http.NotFound(w, r)
		case "/hop":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data", http.StatusFound)
		}
	}))
	defer page.Close()
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine)
			nb := obj(t, e.do("POST", "/api/notebooks", `{"name":"Biology"}`))["id"].(string)
			other := obj(t, e.do("POST", "/api/notebooks", `{"name":"Chemistry"}`))["id"].(string)

			link := obj(t, e.do("POST", "/api/sources/json", `{"type":"link","url":"`+page.URL+`/article","notebooks":["`+nb+`"]}`))
			if link["title"] != "Photosynthesis explained" || link["status"] != "completed" ||
				!strings.Contains(link["full_text"].(string), "Chlorophyll absorbs photons.") ||
				strings.Contains(link["full_text"].(string), "evil") || strings.Contains(link["full_text"].(string), "menu") {
				t.Fatalf("link source %v", link)
			}
			text := obj(t, e.do("POST", "/api/sources/json", `{"type":"text","content":"Mitochondria make ATP.\nMore text.","notebook_id":"`+nb+`"}`))
			if text["title"] != "Mitochondria make ATP." || fmt.Sprint(text["notebooks"]) != "["+nb+"]" {
				t.Fatalf("text source %v", text)
			}
			up := e.upload(map[string]string{"type": "upload", "notebooks": `["` + nb + `","` + other + `"]`}, "../../notes.md", []byte("# Enzymes\nCatalase speeds reactions."))
			if up.status != 200 {
				t.Fatalf("upload %d %s", up.status, up.body)
			}
			file := obj(t, up)
			if file["file_available"] != true || file["title"] != "notes.md" || !strings.Contains(file["full_text"].(string), "Catalase") {
				t.Fatalf("upload %v", file)
			}
			dl := e.do("GET", "/api/sources/"+file["id"].(string)+"/download", "")
			if dl.status != 200 || dl.body != "# Enzymes\nCatalase speeds reactions." || !strings.Contains(dl.header.Get("Content-Disposition"), "notes.md") {
				t.Fatalf("download %d %v %q", dl.status, dl.header, dl.body)
			}
			pdf := obj(t, e.upload(map[string]string{"type": "upload", "notebook_id": nb}, "scan.pdf", []byte("%PDF-1.4 binary\x00\x01")))
			if pdf["status"] != "failed" || !strings.Contains(fmt.Sprint(pdf["processing_info"]), "The PDF file is damaged and could not be read.") {
				t.Fatalf("pdf %v", pdf)
			}

			refusals := []struct {
				name, body string
				status     int
				want       string
			}{
				{"a link without a URL", `{"type":"link"}`, 400, `{"detail":"URL is required for link type"}`},
				{"text without content", `{"type":"text","content":"  "}`, 400, `{"detail":"Content is required for text type"}`},
				{"an upload without a file", `{"type":"upload"}`, 400, `{"detail":"File upload or file_path is required for upload type"}`},
				{"a file path outside the uploads", `{"type":"upload","file_path":"../../etc/passwd"}`, 400, `{"detail":"Invalid file path: must be within the uploads directory"}`},
				{"an unknown type", `{"type":"video"}`, 400, `{"detail":"Invalid source type. Must be link, upload, or text"}`},
				{"an unknown notebook", `{"type":"text","content":"x","notebook_id":"notebook:nope"}`, 404, `{"detail":"Notebook notebook:nope not found"}`},
				{"a metadata URL", `{"type":"link","url":"http://169.254.169.254/latest"}`, 400, `Link-local addresses`},
				{"a redirect to a metadata address", `{"type":"link","url":"` + page.URL + `/hop"}`, 502, `the address is not allowed`},
				{"a page that is not there", `{"type":"link","url":"` + page.URL + `/missing"}`, 502, `HTTP 404`},
			}
			for _, rf := range refusals {
				t.Run(rf.name, func(t *testing.T) {
					r := e.do("POST", "/api/sources/json", rf.body)
					if r.status != rf.status || !strings.Contains(r.body, rf.want) {
						t.Fatalf("%d %s", r.status, r.body)
					}
				})
			}
			if r := e.upload(map[string]string{"type": "text", "content": "x", "notebooks": "[not json"}, "", nil); r.status != 422 ||
				r.body != `{"detail":"Invalid JSON in notebooks field"}` {
				t.Fatalf("bad notebooks field: %d %s", r.status, r.body)
			}

			list := e.do("GET", "/api/sources?notebook_id="+nb+"&sort_by=title&sort_order=asc", "")
			if strings.Count(list.body, `"id"`) != 4 || strings.Contains(list.body, "full_text") {
				t.Fatalf("list %s", list.body)
			}
			for q, want := range map[string]string{
				"?sort_by=color":   `{"detail":"sort_by must be one of: type, title, created, updated, insights_count, embedded"}`,
				"?sort_order=up":   `{"detail":"sort_order must be 'asc' or 'desc'"}`,
				"?limit=0":         `"type":"greater_than_equal"`,
				"?limit=101":       `"type":"less_than_equal"`,
				"?notebook_id=xyz": `{"detail":"Notebook not found"}`,
			} {
				if r := e.do("GET", "/api/sources"+q, ""); !strings.Contains(r.body, want) {
					t.Errorf("GET /api/sources%s = %d %s", q, r.status, r.body)
				}
			}
			if n := strings.Count(e.do("GET", "/api/sources?limit=2&offset=3", "").body, `"id"`); n != 1 {
				t.Errorf("paging returned %d", n)
			}

			note := obj(t, e.do("POST", "/api/notes", `{"content":"## Summary of ATP\nCells store energy.","note_type":"ai","notebook_id":"`+nb+`"}`))
			if note["title"] != "Summary of ATP" || note["note_type"] != "ai" {
				t.Fatalf("note %v", note)
			}
			human := obj(t, e.do("POST", "/api/notes", `{"title":"Mine","content":"Krebs cycle details"}`))
			for body, want := range map[string]string{
				`{"content":"x","note_type":"robot"}`:           `{"detail":"note_type must be 'human' or 'ai'"}`,
				`{"content":"x","notebook_id":"notebook:nope"}`: `{"detail":"Notebook not found"}`,
				`{"title":"no content"}`:                        `"loc":["body","content"]`,
			} {
				if r := e.do("POST", "/api/notes", body); !strings.Contains(r.body, want) {
					t.Errorf("POST /api/notes %s = %d %s", body, r.status, r.body)
				}
			}
			upd := obj(t, e.do("PUT", "/api/notes/"+human["id"].(string), `{"content":"Krebs cycle, revised","title":null}`))
			if upd["content"] != "Krebs cycle, revised" || upd["title"] != "Mine" {
				t.Fatalf("note update %v", upd)
			}
			if n := strings.Count(e.do("GET", "/api/notes?notebook_id="+nb, "").body, `"id"`); n != 1 {
				t.Fatalf("notes of the notebook: %d", n)
			}

			nbGot := obj(t, e.do("GET", "/api/notebooks/"+nb, ""))
			if nbGot["source_count"] != 4.0 || nbGot["note_count"] != 1.0 {
				t.Fatalf("counts %v", nbGot)
			}

			search := func(body string) map[string]any {
				t.Helper()
				r := e.do("POST", "/api/search", body)
				if r.status != 200 {
					t.Fatalf("search %s: %d %s", body, r.status, r.body)
				}
				return obj(t, r)
			}
			res := search(`{"query":"chlorophyll photons"}`)
			if res["total_count"] != 1.0 || res["search_type"] != "text" {
				t.Fatalf("search %v", res)
			}
			hit := res["results"].([]any)[0].(map[string]any)
			if hit["id"] != link["id"] || !strings.Contains(fmt.Sprint(hit["matches"]), "**Chlorophyll**") {
				t.Fatalf("hit %v", hit)
			}
			if res := search(`{"query":"revised","search_sources":false}`); res["total_count"] != 1.0 {
				t.Fatalf("notes only %v", res)
			}
			if res := search(`{"query":"revised","search_notes":false}`); res["total_count"] != 0.0 {
				t.Fatalf("sources only %v", res)
			}
			if res := search(`{"query":"\"AND OR NOT * ( ) :"}`); res["total_count"] != 0.0 {
				t.Fatalf("query syntax must be treated as words: %v", res)
			}
			if r := e.do("POST", "/api/search", `{"query":"  "}`); r.status != 400 || r.body != `{"detail":"Search keyword cannot be empty"}` {
				t.Fatalf("empty search %d %s", r.status, r.body)
			}
			if r := e.do("POST", "/api/search", `{"query":"x","type":"vector"}`); r.status != 400 || !strings.Contains(r.body, "Vector search requires an embedding model") {
				t.Fatalf("vector search %d %s", r.status, r.body)
			}

			preview := obj(t, e.do("GET", "/api/notebooks/"+nb+"/delete-preview", ""))
			if preview["note_count"] != 1.0 || preview["exclusive_source_count"] != 3.0 || preview["shared_source_count"] != 1.0 {
				t.Fatalf("preview %v", preview)
			}
			del := e.do("DELETE", "/api/notebooks/"+nb+"?delete_exclusive_sources=true", "")
			if del.body != `{"message":"Notebook deleted successfully","deleted_notes":1,"deleted_sources":3,"unlinked_sources":1,"deleted_chat_sessions":0}` {
				t.Fatalf("delete %s", del.body)
			}
			if r := e.do("GET", "/api/sources/"+file["id"].(string), ""); r.status != 200 || !strings.Contains(r.body, `"notebooks":["`+other+`"]`) {
				t.Fatalf("the shared source must survive, linked to the other notebook: %d %s", r.status, r.body)
			}
			if r := e.do("GET", "/api/sources/"+link["id"].(string), ""); r.status != 404 || r.body != `{"detail":"Source not found"}` {
				t.Fatalf("the exclusive source must be gone: %d %s", r.status, r.body)
			}
			if res := search(`{"query":"chlorophyll"}`); res["total_count"] != 0.0 {
				t.Fatalf("deleted sources must leave the index: %v", res)
			}
			if r := e.do("DELETE", "/api/notebooks/"+other+"/sources/"+file["id"].(string), ""); r.body != `{"message":"Source removed from notebook successfully"}` {
				t.Fatal(r.body)
			}
			if r := e.do("POST", "/api/notebooks/"+other+"/sources/"+file["id"].(string), ""); r.body != `{"message":"Source linked to notebook successfully"}` {
				t.Fatal(r.body)
			}
			if r := e.do("POST", "/api/notebooks/"+other+"/sources/source:nope", ""); r.status != 404 || r.body != `{"detail":"Notebook or source not found"}` {
				t.Fatal(r.body)
			}
			if r := e.do("DELETE", "/api/sources/"+file["id"].(string), ""); r.status != 200 {
				t.Fatal(r.body)
			}
			if r := e.do("GET", "/api/sources/"+file["id"].(string)+"/download", ""); r.status != 404 {
				t.Fatalf("download after delete: %d", r.status)
			}
		})
	}
}
