package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/open-notebook/open-notebook/internal/auth"
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

type configOut struct {
	Version       string  `json:"version"`
	LatestVersion *string `json:"latestVersion"`
	HasUpdate     bool    `json:"hasUpdate"`
	DBStatus      string  `json:"dbStatus" enum:"online,offline"`
}

func (s *Server) rootRoutes() []route {
	static := http.FileServerFS(web.Static())
	docs := func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'")
		http.ServeFileFS(w, r, web.Static(), "docs.html")
		return nil
	}
	return []route{
		{method: "GET", path: "/{$}", summary: "API banner", tag: "system", out: messageOut{},
			handle: func(w http.ResponseWriter, r *http.Request) error {
				writeJSON(w, http.StatusOK, messageOut{"Open Notebook API is running"})
				return nil
			}},
		{method: "GET", path: "/health", summary: "Liveness probe", tag: "system", out: healthOut{},
			handle: func(w http.ResponseWriter, r *http.Request) error {
				writeJSON(w, http.StatusOK, healthOut{"healthy"})
				return nil
			}},
		{method: "GET", path: "/api/auth/status", summary: "Whether a password is required", tag: "auth", out: authStatusOut{},
			handle: s.authStatus},
		{method: "GET", path: "/api/config", summary: "Version and database status", tag: "system", out: configOut{},
			handle: s.getConfig},
		{method: "GET", path: "/openapi.json", summary: "This OpenAPI document", tag: "system",
			handle: func(w http.ResponseWriter, r *http.Request) error {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(s.spec)
				return nil
			}},
		{method: "GET", path: "/docs", summary: "API reference page", tag: "system", handle: docs},
		{method: "GET", path: "/redoc", summary: "API reference page (the original's second docs path)", tag: "system", handle: docs},
		{method: "GET", path: "/static/", summary: "Static files of the docs page", tag: "system",
			handle: func(w http.ResponseWriter, r *http.Request) error {
				w.Header().Set("Cache-Control", "public, max-age=3600")
				http.StripPrefix("/static", static).ServeHTTP(w, r)
				return nil
			}},
	}
}

func (s *Server) authStatus(w http.ResponseWriter, r *http.Request) error {
	out := authStatusOut{AuthEnabled: false, Message: "Authentication is disabled", Methods: []string{}}
	if s.deps.Auth.Enabled() {
		out = authStatusOut{AuthEnabled: true, Message: "Authentication is required",
			Methods: []string{string(auth.KindPassword), string(auth.KindSession), string(auth.KindToken)}}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getConfig reports the version and whether the database answers. The
// database error is logged, never returned: the endpoint is public.
func (s *Server) getConfig(w http.ResponseWriter, r *http.Request) error {
	out := configOut{Version: s.deps.Version, DBStatus: "online"}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.deps.DB.Ping(ctx); err != nil {
		logger(r).Warn("database ping failed", "error", err)
		out.DBStatus = "offline"
	}
	if s.deps.Latest != nil {
		if latest, ok := s.deps.Latest.Latest(r.Context()); ok {
			out.LatestVersion = &latest
			out.HasUpdate = update.Compare(s.deps.Version, latest) < 0
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
