package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/auth"
	"github.com/open-notebook/open-notebook/internal/extract"
	"github.com/open-notebook/open-notebook/internal/lang"
	"github.com/open-notebook/open-notebook/internal/update"
	"github.com/open-notebook/open-notebook/internal/web"
)

type messageOut struct {
	Message string `json:"message"`
}

type healthOut struct {
	Status string `json:"status"`
}

type authStatusOut struct {
	AuthEnabled bool     `json:"auth_enabled"`
	Message     string   `json:"message"`
	Methods     []string `json:"methods" description:"How to authenticate: password (Bearer), session (POST /api/auth/login: cookie or Bearer), token (Bearer onb_...); empty when authentication is disabled"`
}

type languageOut struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

func toLanguageOut(l *lang.Language) languageOut { return languageOut{Code: l.Code, Name: l.Name} }

// capabilitiesOut answers the original frontend's question about external
// extraction runtimes (Docling, Crawl4AI): this server reads documents and
// pages itself, so it has none, and the frontend offers its default
// processing. Extraction says what it reads instead.
type capabilitiesOut struct {
	DoclingAvailable        bool          `json:"docling_available"`
	Crawl4AIAvailable       bool          `json:"crawl4ai_available"`
	Crawl4AIRemoteConfigure bool          `json:"crawl4ai_remote_configured"`
	Extraction              extractionOut `json:"extraction"`
}

// extractionOut lists what sources this server can read.
type extractionOut struct {
	Documents  []extract.FormatInfo `json:"documents"`
	Media      []extract.FormatInfo `json:"media" description:"audio and video, transcribed by the default speech-to-text model"`
	URLEngines []string             `json:"url_engines" description:"content engines for links usable now"`
}

func (s *Server) capabilities(ctx context.Context, _ struct{}) (capabilitiesOut, error) {
	return capabilitiesOut{Extraction: extractionOut{Documents: extract.Documents, Media: extract.Media,
		URLEngines: s.app.Sources.URLEngines()}}, nil
}

type configOut struct {
	Version       string  `json:"version"`
	LatestVersion *string `json:"latestVersion"`
	HasUpdate     bool    `json:"hasUpdate"`
	DBStatus      string  `json:"dbStatus" enum:"online,offline"`
}

func (s *Server) rootRoutes() []route {
	static := http.StripPrefix("/static", http.FileServerFS(web.Static()))
	docs := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'")
		http.ServeFileFS(w, r, web.Static(), "docs.html")
	}
	return []route{
		endpoint(op{Method: "GET", Path: "/{$}", Summary: "API banner (browsers are sent to the web UI)", Tag: "system", Access: Public, Returns: messageOut{}},
			func(context.Context, struct{}) (banner, error) { return banner{}, nil }),
		endpoint(op{Method: "GET", Path: "/health", Summary: "Liveness probe", Tag: "system", Access: Public},
			func(context.Context, struct{}) (healthOut, error) { return healthOut{"healthy"}, nil }),
		endpoint(op{Method: "GET", Path: "/api/auth/status", Summary: "Whether a password is required", Tag: "auth", Access: Public},
			s.authStatus),
		endpoint(op{Method: "GET", Path: "/api/capabilities", Summary: "What this server can extract (documents, link engines); optional runtimes (none: every format is read in-process)", Tag: "system", Access: Read},
			s.capabilities),
		endpoint(op{Method: "GET", Path: "/api/languages", Summary: "Languages generated content can be written in, by name", Tag: "system", Access: Read},
			func(context.Context, struct{}) ([]languageOut, error) {
				return mapSlice(lang.List(), toLanguageOut), nil
			}),
		endpoint(op{Method: "GET", Path: "/api/config", Summary: "Version and database status", Tag: "system", Access: Public},
			s.getConfig),
		raw(op{Method: "GET", Path: "/openapi.json", Summary: "This OpenAPI document", Tag: "system", Access: Public},
			func(w http.ResponseWriter, r *http.Request) {
				<-s.specReady
				if s.specErr != nil {
					writeError(w, r, s.specErr)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(s.spec)
			}),
		raw(op{Method: "GET", Path: "/docs", Summary: "API reference page", Tag: "system", Access: Public}, docs),
		raw(op{Method: "GET", Path: "/redoc", Summary: "API reference page (the original's second docs path)", Tag: "system", Access: Public}, docs),
		raw(op{Method: "GET", Path: "/static/", Summary: "Static files of the docs page", Tag: "system", Access: Public, Hidden: true},
			func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "public, max-age=3600")
				static.ServeHTTP(w, r)
			}),
	}
}

// banner is the API's JSON banner at /. A browser (an Accept header that
// prefers HTML) is sent to the web UI instead: the banner means nothing to
// a person, while API clients keep the compatible JSON.
type banner struct{}

func (banner) opaque() {}

func (banner) respond(w http.ResponseWriter, r *http.Request, status int) error {
	if prefersHTML(r.Header.Get("Accept")) {
		http.Redirect(w, r, "/ui/", http.StatusFound)
		return nil
	}
	writeJSON(w, status, messageOut{"Open Notebook API is running"})
	return nil
}

// prefersHTML reports whether an Accept header ranks text/html above JSON
// (and above */*, which API clients such as curl send).
func prefersHTML(accept string) bool {
	var html, other float64 = -1, -1
	for _, part := range strings.Split(accept, ",") {
		mt, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && k == "q" {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
		}
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "text/html", "application/xhtml+xml":
			html = max(html, q)
		case "application/json", "*/*":
			other = max(other, q)
		}
	}
	return html > 0 && html > other
}

func (s *Server) authStatus(context.Context, struct{}) (authStatusOut, error) {
	if s.app.Auth.Enabled() {
		return authStatusOut{AuthEnabled: true, Message: "Authentication is required",
			Methods: []string{string(auth.KindPassword), string(auth.KindSession), string(auth.KindToken)}}, nil
	}
	return authStatusOut{AuthEnabled: false, Message: "Authentication is disabled", Methods: []string{}}, nil
}

// getConfig reports the version and whether the database answers. The
// database error is logged, never returned: the endpoint is public.
func (s *Server) getConfig(ctx context.Context, _ struct{}) (configOut, error) {
	out := configOut{Version: s.opts.Version, DBStatus: "online"}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.app.DB.Ping(pctx); err != nil {
		loggerFrom(ctx).Warn("database ping failed", "error", err)
		out.DBStatus = "offline"
	}
	if s.opts.Latest != nil {
		if latest, ok := s.opts.Latest.Latest(ctx); ok {
			out.LatestVersion = &latest
			out.HasUpdate = update.Compare(s.opts.Version, latest) < 0
		}
	}
	return out, nil
}
