package httpapi_test

import (
	"io/fs"
	"net/http"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/web"
)

const uiPassword = "correct horse battery staple"

func TestUIRoutesServeStaticPagesWithAStrictPolicy(t *testing.T) {
	e := newEnv(t, store.SQLite, withPassword(uiPassword), withKey("ui-test-key"))
	cases := []struct {
		name, path  string
		status      int
		contentType string
		contains    string
	}{
		{"the notebooks page is a page", "/ui/", 200, "text/html; charset=utf-8", `src="/ui/assets/js/notebooks.js"`},
		{"the login page is a page", "/ui/login", 200, "text/html; charset=utf-8", `autocomplete="current-password"`},
		{"the settings page is a page", "/ui/settings", 200, "text/html; charset=utf-8", `src="/ui/assets/js/settings.js"`},
		{"the ask and search page is a page", "/ui/search", 200, "text/html; charset=utf-8", `src="/ui/assets/js/search.js"`},
		{"a notebook's page is the same page for any id", "/ui/notebooks/notebook:abc123", 200, "text/html; charset=utf-8", `src="/ui/assets/js/notebook.js"`},
		{"the stylesheet is CSS", "/ui/assets/app.css", 200, "text/css; charset=utf-8", "--accent"},
		{"a script is JavaScript", "/ui/assets/js/api.js", 200, "text/javascript; charset=utf-8", "export async function api"},
		{"the icon is SVG", "/ui/assets/icon.svg", 200, "image/svg+xml", "<svg"},
		{"an unknown page is an HTML 404", "/ui/nope", 404, "text/html; charset=utf-8", "Page not found"},
		{"an unknown asset is a 404", "/ui/assets/js/nope.js", 404, "text/html; charset=utf-8", "Page not found"},
		{"a path out of the assets finds nothing", "/ui/assets/%2e%2e/index.html", 404, "text/html; charset=utf-8", "Page not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", tc.path, "")
			if r.status != tc.status {
				t.Fatalf("GET %s = %d, want %d", tc.path, r.status, tc.status)
			}
			if got := r.header.Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tc.contentType)
			}
			if !strings.Contains(r.body, tc.contains) {
				t.Errorf("body lacks %q", tc.contains)
			}
			csp := r.header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
				"frame-ancestors 'none'", "base-uri 'none'", "require-trusted-types-for 'script'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("Content-Security-Policy %q lacks %s", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe") {
				t.Errorf("Content-Security-Policy allows unsafe code: %q", csp)
			}
			if got := r.header.Get("X-Frame-Options"); got != "DENY" {
				t.Errorf("X-Frame-Options = %q", got)
			}
			if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
			if r.header.Get("Cache-Control") == "" {
				t.Error("no Cache-Control")
			}
		})
	}
}

func TestUIIsPublicWhileTheAPIStaysProtected(t *testing.T) {
	e := newEnv(t, store.SQLite, withPassword(uiPassword))
	cases := []struct {
		name, path string
		status     int
		location   string
	}{
		{"the bare /ui redirects to the notebooks page", "/ui", http.StatusMovedPermanently, "/ui/"},
		{"the redirect keeps the query", "/ui?next=x", http.StatusMovedPermanently, "/ui/?next=x"},
		{"the pages need no password", "/ui/settings", http.StatusOK, ""},
		{"the assets need no password", "/ui/assets/js/settings-keys.js", http.StatusOK, ""},
		{"the API still needs one", "/api/credentials", http.StatusUnauthorized, ""},
		{"the root stays the API's JSON banner", "/", http.StatusOK, ""},
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := client.Get(e.srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("GET %s = %d, want %d", tc.path, resp.StatusCode, tc.status)
			}
			if got := resp.Header.Get("Location"); got != tc.location {
				t.Errorf("Location = %q, want %q", got, tc.location)
			}
		})
	}
	if r := e.do("GET", "/", ""); r.body != `{"message":"Open Notebook API is running"}` {
		t.Errorf("GET / = %s", r.body)
	}
}

func TestUIFilesRevalidateWithTheirETag(t *testing.T) {
	e := newEnv(t, store.SQLite)
	first := e.do("GET", "/ui/assets/js/dom.js", "")
	etag := first.header.Get("ETag")
	if first.status != 200 || !strings.HasPrefix(etag, `"`) {
		t.Fatalf("first GET = %d, ETag %q", first.status, etag)
	}
	cases := []struct {
		name, ifNoneMatch string
		status            int
	}{
		{"the same ETag is answered with 304", etag, http.StatusNotModified},
		{"another ETag gets the file", `"stale"`, http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", "/ui/assets/js/dom.js", "", "If-None-Match", tc.ifNoneMatch)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d", r.status, tc.status)
			}
			if tc.status == http.StatusOK && r.body != first.body {
				t.Error("the body changed between requests")
			}
		})
	}
	if r := e.do("HEAD", "/ui/settings", ""); r.status != 200 || r.body != "" || r.header.Get("Content-Length") == "" {
		t.Errorf("HEAD /ui/settings = %d, %d bytes, Content-Length %q", r.status, len(r.body), r.header.Get("Content-Length"))
	}
}

// uiURLs returns the URL of every embedded UI file: pages through their
// routes, assets under /ui/assets/.
func uiURLs(t *testing.T) []string {
	t.Helper()
	pages := map[string]string{"index.html": "/ui/", "login.html": "/ui/login", "settings.html": "/ui/settings",
		"notebook.html": "/ui/notebooks/notebook:any", "notfound.html": "/ui/missing",
		"transformations.html": "/ui/transformations", "search.html": "/ui/search", "podcasts.html": "/ui/podcasts"}
	var urls []string
	err := fs.WalkDir(web.UI(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasPrefix(name, "assets/") {
			urls = append(urls, "/ui/"+name)
			return nil
		}
		u, ok := pages[name]
		if !ok {
			t.Errorf("the page %s has no route in this test; add it", name)
		}
		urls = append(urls, u)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return urls
}

func TestUIFilesCarryNoDataAndNoSecrets(t *testing.T) {
	const apiKey = "sk-ui-secret-key-5c1d9e"
	e := newEnv(t, store.SQLite, withPassword(uiPassword), withKey("ui-encryption-passphrase"))
	auth := []string{"Authorization", "Bearer " + uiPassword}
	nb := e.do("POST", "/api/notebooks", `{"name":"Private research 8f2a"}`, auth...)
	cred := e.do("POST", "/api/credentials", `{"name":"Team key 3b7e","provider":"openai","api_key":"`+apiKey+`"}`, auth...)
	if nb.status != 200 || cred.status != 201 {
		t.Fatalf("setup: notebook %d %s, credential %d %s", nb.status, nb.body, cred.status, cred.body)
	}
	nbID := nb.json(t).(map[string]any)["id"].(string)
	credID := cred.json(t).(map[string]any)["id"].(string)
	forbidden := []string{uiPassword, apiKey, "ui-encryption-passphrase", "Private research 8f2a", "Team key 3b7e", nbID, credID}

	urls := uiURLs(t)
	if len(urls) < 10 {
		t.Fatalf("only %d UI files", len(urls))
	}
	for _, u := range append(urls, "/ui/notebooks/"+strings.TrimPrefix(nbID, "notebook:")) {
		for _, authenticated := range []bool{false, true} {
			var h []string
			if authenticated {
				h = auth
			}
			r := e.do("GET", u, "", h...)
			if r.status != 200 && !(u == "/ui/missing" && r.status == 404) {
				t.Errorf("GET %s = %d", u, r.status)
			}
			for _, s := range forbidden {
				if strings.Contains(r.body, s) {
					t.Errorf("GET %s (authenticated: %v) contains %q", u, authenticated, s)
				}
			}
		}
	}
}
