// Package httpapi serves the HTTP API: routing, middleware, request
// decoding and the handlers, one file per resource. It is the one place
// where errors become HTTP statuses (respond.go).
package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/ai"
	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/auth"
	"github.com/open-notebook/open-notebook/internal/config"
	"github.com/open-notebook/open-notebook/internal/credential"
	"github.com/open-notebook/open-notebook/internal/model"
	"github.com/open-notebook/open-notebook/internal/notebook"
	"github.com/open-notebook/open-notebook/internal/ratelimit"
	"github.com/open-notebook/open-notebook/internal/settings"
)

// Pinger checks that the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// LatestVersion reports the newest released version, when checking is on.
type LatestVersion interface {
	Latest(ctx context.Context) (version string, ok bool)
}

// AuditEvent is one security-relevant action: what, on which record, how it
// ended, who (Actor) and from where. Details carry field names and counts,
// never secret values.
type AuditEvent = audit.Event

// Auditor records audit events.
type Auditor interface {
	Record(ctx context.Context, e AuditEvent) error
}

// Deps is what the API needs from the rest of the program.
type Deps struct {
	Logger      *slog.Logger
	Config      *config.Config
	DB          Pinger
	Notebooks   *notebook.Service
	Content     *notebook.Content
	Ask         *notebook.Asker
	Settings    *settings.Service
	Credentials *credential.Service
	Models      *model.Service
	AI          *ai.Service         // connection tests, discovery, sync and model tests
	Audit       Auditor             // nil: audit events go to the log only
	AuditTrail  AuditTrail          // lists and verifies the audit log; nil: its endpoints are 404
	Auth        *auth.Service       // the password, sessions and API tokens
	Failures    *ratelimit.Failures // failed-authentication lock-out
	APILimit    *ratelimit.Limiter  // per-client limit of every /api request; nil: none
	Costly      *ratelimit.Limiter  // per-client limit of provider tests, discovery and sync; nil: none
	Version     string
	Latest      LatestVersion // nil: no outbound version check
}

// Server is the HTTP API.
type Server struct {
	deps    Deps
	routes  []route
	handler http.Handler
	spec    []byte
}

// route is one endpoint: how it is served and how it is documented.
type route struct {
	method, path string
	summary      string
	tag          string
	in           any // request shape for the OpenAPI document (path, query and body fields)
	out          any // success body for the OpenAPI document
	status       int // success status; 200 when zero
	handle       func(w http.ResponseWriter, r *http.Request) error
	// pattern registers the route under another mux pattern than
	// "method path": routes whose paths net/http's mux cannot tell apart
	// share one pattern (and one handler), registered once.
	pattern string
}

// New builds the API.
func New(d Deps) (*Server, error) {
	if d.Auth == nil || d.Failures == nil {
		return nil, errors.New("httpapi: Deps.Auth and Deps.Failures are required (with no password they let every request through)")
	}
	s := &Server{deps: d}
	s.routes = s.allRoutes()
	spec, err := buildSpec(s.routes, d.Version)
	if err != nil {
		return nil, err
	}
	s.spec = spec

	mux := http.NewServeMux()
	registered := map[string]bool{}
	for _, rt := range s.routes {
		pattern := rt.method + " " + rt.path
		if rt.pattern != "" {
			pattern = rt.pattern
		}
		if !registered[pattern] {
			registered[pattern] = true
			mux.Handle(pattern, s.adapt(rt.handle))
		}
	}
	if err := mountUI(mux); err != nil {
		return nil, err
	}
	cfg := d.Config
	s.handler = chain(jsonNotFound(mux),
		requestLog(d.Logger),
		securityHeaders,
		identifyClient(cfg.TrustedProxies),
		guardSlowClients(cfg.SlowClientTimeout),
		corsPolicy{origins: cfg.CORSOrigins, allowAll: slices.Contains(cfg.CORSOrigins, "*"), credentials: cfg.CORSAllowCred}.middleware,
		limitBody(cfg.MaxUploadBytes),
		limitAPI(d.APILimit),
		s.authenticate,
		limitCostly(d.Costly),
		recoverPanics,
	)
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) allRoutes() []route {
	var rs []route
	rs = append(rs, s.rootRoutes()...)
	rs = append(rs, s.settingsRoutes()...)
	rs = append(rs, s.notebookRoutes()...)
	rs = append(rs, s.sourceRoutes()...)
	rs = append(rs, s.noteRoutes()...)
	rs = append(rs, s.searchRoutes()...)
	rs = append(rs, s.askRoutes()...)
	rs = append(rs, s.credentialRoutes()...)
	rs = append(rs, s.modelRoutes()...)
	rs = append(rs, s.connectRoutes()...)
	rs = append(rs, s.adminRoutes()...)
	rs = append(rs, s.sessionRoutes()...)
	rs = append(rs, s.tokenRoutes()...)
	rs = append(rs, s.auditRoutes()...)
	return rs
}

// adapt turns a handler that returns an error into an http.Handler.
func (s *Server) adapt(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, err)
		}
	})
}

// audit records an event by the request's principal in the log and, when
// configured, the audit log. Details carry names and counts only, never
// secret values.
func (s *Server) audit(r *http.Request, action, target, outcome string, details map[string]any) {
	s.auditAs(r, actorOf(r), action, target, outcome, details)
}

// jsonNotFound answers route misses with the original's JSON bodies
// (404 "Not Found", 405 "Method Not Allowed" with Allow) instead of the
// standard mux's plain text. The mux routes once; its own plain-text error
// replies (the only text/plain 404 and 405 in this server) are rewritten
// as they are written.
func jsonNotFound(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(&missWriter{ResponseWriter: w}, r)
	})
}

// missWriter rewrites plain-text 404 and 405 replies as JSON.
type missWriter struct {
	http.ResponseWriter
	rewritten bool
}

func (m *missWriter) WriteHeader(code int) {
	if (code == http.StatusNotFound || code == http.StatusMethodNotAllowed) &&
		strings.HasPrefix(m.Header().Get("Content-Type"), "text/plain") {
		m.rewritten = true
		msg := "Not Found"
		if code == http.StatusMethodNotAllowed {
			msg = "Method Not Allowed"
		}
		m.Header().Del("Content-Length")
		writeJSON(m.ResponseWriter, code, detail{Detail: msg})
		return
	}
	m.ResponseWriter.WriteHeader(code)
}

func (m *missWriter) Write(b []byte) (int, error) {
	if m.rewritten {
		return len(b), nil // the mux's plain-text body, already replaced
	}
	return m.ResponseWriter.Write(b)
}

func (m *missWriter) Flush() {
	if f, ok := m.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (m *missWriter) Unwrap() http.ResponseWriter { return m.ResponseWriter }

// formatTime renders a time the way the original does (Python's
// str(datetime) of an aware UTC value): "2026-01-02 03:04:05.123456+00:00",
// without the fraction when it is zero.
func formatTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02 15:04:05") + "+00:00"
	}
	return t.Format("2006-01-02 15:04:05.000000") + "+00:00"
}
