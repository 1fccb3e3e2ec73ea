// Package httpapi serves the HTTP API: routing, middleware, request
// decoding and the handlers, one file per resource. It is the one place
// where errors become HTTP statuses (respond.go).
package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/open-notebook/open-notebook/internal/app"
)

// LatestVersion reports the newest released version, when checking is on.
type LatestVersion interface {
	Latest(ctx context.Context) (version string, ok bool)
}

// Options are the API's settings beyond the application.
type Options struct {
	Version string
	Latest  LatestVersion // nil: no outbound version check
}

// Server is the HTTP API.
type Server struct {
	app    *app.App
	opts   Options
	routes []route
	mux    *http.ServeMux
	csrf   *http.CrossOriginProtection
	// sharedPatterns are the mux patterns several routes share.
	sharedPatterns map[string][]*route
	chain          http.Handler
	// spec is the OpenAPI document, generated in the background at start
	// (reflection over every route takes a noticeable share of start-up);
	// specReady is closed once spec or specErr is set.
	spec      []byte
	specErr   error
	specReady chan struct{}
}

// New builds the API over the application.
func New(a *app.App, o Options) (*Server, error) {
	cfg := a.Config
	s := &Server{app: a, opts: o, csrf: newCrossOriginProtection(cfg.CORSOrigins, a.Logger), sharedPatterns: map[string][]*route{}}
	s.routes = s.allRoutes()
	mux, err := s.mount(s.routes)
	if err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	s.mux = mux
	s.specReady = make(chan struct{})
	go func() {
		defer close(s.specReady)
		s.spec, s.specErr = buildSpec(s.routes, o.Version)
	}()
	s.chain = chain(mux,
		requestLog(a.Logger),
		securityHeaders,
		identifyClient(cfg.TrustedProxies),
		guardSlowClients(cfg.SlowClientTimeout),
		corsPolicy{origins: cfg.CORSOrigins, allowAll: slices.Contains(cfg.CORSOrigins, "*"), credentials: cfg.CORSAllowCred}.middleware,
		limitBody(cfg.MaxUploadBytes),
		limitAPI(a.APILimit),
		recoverPanics,
	)
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.chain.ServeHTTP(w, r) }

func (s *Server) allRoutes() []route {
	var rs []route
	for _, group := range [][]route{
		s.rootRoutes(), s.uiRoutes(), s.settingsRoutes(), s.notebookRoutes(), s.sourceRoutes(), s.noteRoutes(),
		s.searchRoutes(), s.askRoutes(), s.transformationRoutes(), s.insightRoutes(), s.commandRoutes(), s.embeddingRoutes(), s.chatRoutes(), s.sourceChatRoutes(), s.podcastRoutes(), s.credentialRoutes(), s.modelRoutes(), s.connectRoutes(),
		s.adminRoutes(), s.sessionRoutes(), s.tokenRoutes(), s.auditRoutes(),
	} {
		rs = append(rs, group...)
	}
	return rs
}

// formatTime renders a time the way the original does (Python's
// str(datetime) of an aware UTC value): "2026-01-02 03:04:05.123456+00:00",
// without the fraction when it is zero.
func formatTime(t time.Time) string {
	t = t.UTC()
	layout := "2006-01-02 15:04:05.000000+00:00"
	if t.Nanosecond()/1000 == 0 {
		layout = "2006-01-02 15:04:05+00:00"
	}
	var b [len("2006-01-02 15:04:05.000000+00:00")]byte
	return string(t.AppendFormat(b[:0], layout))
}
