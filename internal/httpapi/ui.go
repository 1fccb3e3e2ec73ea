package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"time"

	"github.com/open-notebook/open-notebook/internal/web"
)

// uiCSP is the Content-Security-Policy of every UI response. Scripts and
// styles come only from this server's files, never inline; the pages talk
// only to this origin and cannot be framed. Trusted Types with no policy
// turn off every DOM sink that parses HTML (innerHTML and the like), so
// whatever the API returns can only ever become text on the page.
const uiCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; media-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; " +
	"require-trusted-types-for 'script'; trusted-types 'none'"

// uiPages maps the UI's routes to the static page that serves them. Pages
// are the same for every request: the data comes from the API, which stays
// behind authentication.
var uiPages = []struct{ path, file string }{
	{"/ui/{$}", "index.html"},
	{"/ui/login", "login.html"},
	{"/ui/settings", "settings.html"},
	{"/ui/transformations", "transformations.html"},
	{"/ui/search", "search.html"},
	{"/ui/podcasts", "podcasts.html"},
	{"/ui/notebooks/{notebook_id}", "notebook.html"},
}

// uiTypes are the content types of the UI's files, by extension. They are
// fixed here rather than read from the system's MIME database, which may
// differ between machines: with nosniff, a script served under the wrong
// type does not run.
var uiTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

// uiFile is one embedded UI file, read once at start.
type uiFile struct {
	name  string
	body  []byte
	etag  string
	ctype string
}

// uiFiles reads the UI's files into memory with strong ETags: the files
// are embedded, so their content only changes with the binary.
func uiFiles(fsys fs.FS) (map[string]*uiFile, error) {
	files := map[string]*uiFile{}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		ctype, ok := uiTypes[path.Ext(name)]
		if !ok {
			return fmt.Errorf("%s: no content type for %q files", name, path.Ext(name))
		}
		sum := sha256.Sum256(body)
		files[name] = &uiFile{name: name, body: body, ctype: ctype,
			etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the web UI files: %w", err)
	}
	return files, nil
}

// uiRoutes serve the web UI under /ui/. Its pages are public static
// files; `GET /` stays the API's JSON banner for API clients.
func (s *Server) uiRoutes() []route {
	files, err := uiFiles(web.UI())
	if err == nil && files["notfound.html"] == nil {
		err = fmt.Errorf("the web UI has no notfound.html")
	}
	if err != nil {
		return []route{{op: op{Method: "GET", Path: "/ui/"}, err: err}}
	}
	serve := func(w http.ResponseWriter, r *http.Request, f *uiFile, status int) {
		h := w.Header()
		h.Set("Content-Security-Policy", uiCSP)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		// Revalidate every time (a 304 is cheap): file names carry no
		// version, and an upgraded binary must not run stale scripts.
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Type", f.ctype)
		if status != http.StatusOK {
			h.Set("Cache-Control", "no-store")
			h.Set("Content-Length", fmt.Sprint(len(f.body)))
			w.WriteHeader(status)
			if r.Method != http.MethodHead {
				_, _ = w.Write(f.body)
			}
			return
		}
		h.Set("ETag", f.etag)
		http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.body))
	}
	notFound := func(w http.ResponseWriter, r *http.Request) {
		serve(w, r, files["notfound.html"], http.StatusNotFound)
	}
	page := func(path string) op {
		return op{Method: "GET", Path: path, Tag: "ui", Access: Public, Hidden: true}
	}
	routes := []route{
		raw(page("/ui"), func(w http.ResponseWriter, r *http.Request) {
			target := "/ui/"
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, target, http.StatusMovedPermanently)
		}),
		raw(page("/ui/assets/{file...}"), func(w http.ResponseWriter, r *http.Request) {
			f := files["assets/"+r.PathValue("file")]
			if f == nil {
				notFound(w, r)
				return
			}
			serve(w, r, f, http.StatusOK)
		}),
		raw(page("/ui/"), notFound),
		// Browsers ask for /favicon.ico on pages that name no icon (and some
		// always do): the product's icon answers instead of a 404.
		raw(page("/favicon.ico"), func(w http.ResponseWriter, r *http.Request) {
			serve(w, r, files["assets/icon.svg"], http.StatusOK)
		}),
	}
	for _, p := range uiPages {
		f := files[p.file]
		if f == nil {
			return []route{{op: page(p.path), err: fmt.Errorf("the web UI has no %s", p.file)}}
		}
		routes = append(routes, raw(page(p.path), func(w http.ResponseWriter, r *http.Request) { serve(w, r, f, http.StatusOK) }))
	}
	return routes
}
