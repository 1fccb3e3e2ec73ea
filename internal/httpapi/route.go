package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/auth"
)

// Access is who may call an endpoint. Every endpoint declares one; the
// server refuses to start with an endpoint that does not, so a new
// endpoint is never public or readable by accident.
type Access int

// Accesses, from the most open.
const (
	accessUndeclared Access = iota
	// Public endpoints need no authentication: the original's public paths,
	// the docs, the UI's static pages and the login.
	Public
	// Read, Write and Admin need a principal with at least that scope.
	Read
	Write
	Admin
)

// scope is the token scope an access needs.
func (a Access) scope() auth.Scope {
	switch a {
	case Read:
		return auth.ScopeRead
	case Write:
		return auth.ScopeWrite
	}
	return auth.ScopeAdmin
}

// op declares everything about an endpoint but its code: how it is
// reached, documented, protected, limited and audited.
type op struct {
	Method, Path string
	Summary, Tag string
	Access       Access
	// Costly endpoints call a provider with a stored key, or many of them:
	// each request costs time and may cost the user money, so they share a
	// per-client rate limit.
	Costly bool
	// Audit is the audit-log action the endpoint's service records, in the
	// same transaction as the change (documented, and checked by a test
	// that calls every audited endpoint).
	Audit string
	// Status is the success status; 200 when zero.
	Status int
	// Failure is the fixed detail of a 500 from this endpoint (the
	// original's per-endpoint message); the cause is only logged.
	Failure string
	// MaxBody lowers the request body limit for this endpoint; 0 keeps the
	// server's.
	MaxBody int64
	// ChecksPassword marks the login: cross-site requests and locked-out
	// clients are refused before its body is read.
	ChecksPassword bool
	// Returns documents the body of an endpoint whose output writes its own
	// response (each event of a stream, say).
	Returns any
	// Hidden endpoints are served but not documented (the web UI's pages).
	Hidden bool
	// Pattern is the net/http mux pattern, for the rare endpoints the mux
	// cannot tell apart ("POST /api/models/sync/{provider}" and
	// "POST /api/models/{model_id}/test" both match /api/models/sync/test):
	// they share one pattern, and the request goes to the endpoint whose
	// path it matches, literal segments first.
	Pattern string
}

// route is a declared endpoint with its code.
type route struct {
	op
	in, out any // zero values of the input and output, for the OpenAPI document; nil when none
	serve   func(w http.ResponseWriter, r *http.Request) error
	err     error // a declaration the server cannot honour
}

// responder is an output that writes its own response: files, event
// streams, or JSON with cookies.
type responder interface {
	respond(w http.ResponseWriter, r *http.Request, status int) error
}

// opaque is a responder whose type says nothing about the body it writes
// (a file, an event stream); its endpoint documents op.Returns instead.
type opaque interface {
	responder
	opaque()
}

// endpoint declares an endpoint served by fn. The input is bound and
// validated from In's tags before fn runs; fn's output is written as JSON
// with the declared status, unless it is a responder.
func endpoint[In, Out any](o op, fn func(ctx context.Context, in In) (Out, error)) route {
	rt := route{op: o, in: *new(In), out: *new(Out)}
	if reflect.TypeFor[In]() == reflect.TypeFor[struct{}]() {
		rt.in = nil
	}
	if _, ok := any(*new(Out)).(opaque); ok {
		rt.out = o.Returns
	}
	b, err := newBinder(reflect.TypeFor[In]())
	if err != nil {
		rt.err = err
		return rt
	}
	status := o.Status
	if status == 0 {
		status = http.StatusOK
	}
	idle := len(b.params) == 0 && !b.body
	rt.serve = func(w http.ResponseWriter, r *http.Request) error {
		var in In
		if !idle {
			err := b.bind(r, reflect.ValueOf(&in).Elem())
			if r.MultipartForm != nil {
				defer r.MultipartForm.RemoveAll()
			}
			if err != nil {
				return err
			}
		}
		out, err := fn(r.Context(), in)
		if err != nil {
			return err
		}
		if resp, ok := any(out).(responder); ok {
			return resp.respond(w, r, status)
		}
		writeJSON(w, status, out)
		return nil
	}
	return rt
}

// raw declares an endpoint that handles the request itself (static files).
func raw(o op, h http.HandlerFunc) route {
	return route{op: o, serve: func(w http.ResponseWriter, r *http.Request) error {
		h(w, r)
		return nil
	}}
}

// check reports a declaration the server cannot honour.
func (rt *route) check() error {
	switch {
	case rt.err != nil:
		return rt.err
	case rt.Access == accessUndeclared:
		return fmt.Errorf("declares no access (Public, Read, Write or Admin)")
	case rt.Access == Public && (rt.Costly || rt.Audit != ""):
		return fmt.Errorf("is public, so it can be neither costly nor audited")
	case rt.Method == "" || !strings.HasPrefix(rt.Path, "/"):
		return fmt.Errorf("needs a method and a path")
	}
	return nil
}

// pattern is the route's net/http mux pattern.
func (rt *route) pattern() string {
	if rt.Pattern != "" {
		return rt.Pattern
	}
	return rt.Method + " " + rt.Path
}

// match reports whether path fits the route's path template and sets the
// template's path values on r.
func (rt *route) match(r *http.Request) bool {
	want, got := strings.Split(rt.Path, "/"), strings.Split(r.URL.Path, "/")
	if len(want) != len(got) {
		return false
	}
	values := map[string]string{}
	for i, w := range want {
		if strings.HasPrefix(w, "{") && strings.HasSuffix(w, "}") {
			if got[i] == "" {
				return false
			}
			values[strings.Trim(w, "{}")] = got[i]
		} else if w != got[i] {
			return false
		}
	}
	for k, v := range values {
		r.SetPathValue(k, v)
	}
	return true
}

// shared serves routes that share a mux pattern, the ones with the most
// literal segments first.
func (s *Server) shared(routes []*route) http.Handler {
	slices.SortStableFunc(routes, func(a, b *route) int {
		return strings.Count(b.Path, "{") - strings.Count(a.Path, "{")
	})
	handlers := make([]http.Handler, len(routes))
	for i, rt := range routes {
		handlers[i] = s.handler(rt)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i, rt := range routes {
			if rt.match(r) {
				handlers[i].ServeHTTP(w, r)
				return
			}
		}
		s.miss(w, r)
	})
}

// handler applies the route's policy (authentication, scope, rate limit,
// body limit) and serves it.
func (s *Server) handler(rt *route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, err := s.admit(w, r, rt)
		if err == nil {
			err = rt.serve(w, r)
		}
		if err != nil {
			if rt.Failure != "" && hidden(err) {
				err = apperr.Wrap(apperr.Internal, rt.Failure, err)
			}
			writeError(w, r, err)
		}
	})
}

// hidden reports an error whose cause a user must not see: anything but an
// error meant for users, a refused body or a broken one.
func hidden(err error) bool {
	if e, ok := apperr.As(err); ok {
		return e.Code == apperr.Internal && e.Message == ""
	}
	var tooLarge *http.MaxBytesError
	return !errors.As(err, &tooLarge) && !isBodyFailure(err)
}

// admit authenticates the request as the route requires and applies its
// limits. The request it returns carries the principal and the audit
// actor in its context.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, rt *route) (*http.Request, error) {
	if rt.MaxBody > 0 && r.Body != nil && r.Body != http.NoBody {
		if r.ContentLength > rt.MaxBody {
			w.Header().Set("Connection", "close")
			return r, &http.MaxBytesError{Limit: rt.MaxBody}
		}
		r.Body = http.MaxBytesReader(w, r.Body, rt.MaxBody)
	}
	if rt.ChecksPassword && s.app.Auth.Enabled() {
		if err := s.csrf.Check(r); err != nil {
			return r, errCrossOrigin
		}
		if err := s.checkLockout(r); err != nil {
			return r, err
		}
	}
	var principal *auth.Principal
	if rt.Access != Public && s.app.Auth.Enabled() {
		p, err := s.authenticate(w, r)
		if err != nil {
			return r, err
		}
		if need := rt.Access.scope(); !p.Scope.Allows(need) {
			return r, apperr.Newf(apperr.Forbidden,
				"This API token's scope is %s; %s %s needs the %s scope", p.Scope, r.Method, r.URL.Path, need)
		}
		principal = &p
	}
	r = s.withPrincipal(r, principal)
	if rt.Costly && s.app.Costly != nil {
		if ok, wait := s.app.Costly.Allow(clientOf(r).key()); !ok {
			return r, rateLimited("Too many provider tests, discoveries or syncs", wait)
		}
	}
	return r, nil
}

// miss answers a request no route matches: 405 with Allow when another
// method serves the path, else 404, both after authentication (as the
// original, whose middleware runs before routing), so an unauthenticated
// client learns nothing about which paths exist.
func (s *Server) miss(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodOptions && s.app.Auth.Enabled() {
		if _, err := s.authenticate(w, r); err != nil {
			writeError(w, r, err)
			return
		}
	}
	if target, ok := s.slashTwin(r); ok {
		// As the original (FastAPI's redirect_slashes): a path that differs
		// from an endpoint's only by a trailing slash is redirected to it,
		// keeping the method and the body.
		http.Redirect(w, r, target, http.StatusTemporaryRedirect)
		return
	}
	var allow []string
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		_, pattern := s.mux.Handler(probe)
		if pattern == "" || pattern == "/" {
			continue
		}
		if group := s.sharedPatterns[pattern]; group != nil && !slices.ContainsFunc(group, func(rt *route) bool { return rt.match(probe) }) {
			continue
		}
		allow = append(allow, m)
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, detail{Detail: "Method Not Allowed"})
		return
	}
	writeJSON(w, http.StatusNotFound, detail{Detail: "Not Found"})
}

// slashTwin returns the request's URL with the trailing slash removed or
// added, when that is an endpoint's path.
func (s *Server) slashTwin(r *http.Request) (string, bool) {
	p := r.URL.Path
	if p == "/" {
		return "", false
	}
	twin := p + "/"
	if strings.HasSuffix(p, "/") {
		twin = strings.TrimSuffix(p, "/")
	}
	probe := r.Clone(r.Context())
	probe.URL.Path, probe.URL.RawPath = twin, ""
	if _, pattern := s.mux.Handler(probe); pattern == "" || pattern == "/" || strings.HasSuffix(pattern, "/") {
		return "", false
	}
	u := *probe.URL
	u.Scheme, u.Host = "", ""
	return u.String(), true
}

// mount registers every route on a new mux, refusing a table with a
// mistake in it.
func (s *Server) mount(routes []route) (*http.ServeMux, error) {
	mux := http.NewServeMux()
	byPattern := map[string][]*route{}
	var order []string
	seen := map[string]bool{}
	for i := range routes {
		rt := &routes[i]
		if err := rt.check(); err != nil {
			return nil, fmt.Errorf("%s %s %w", rt.Method, rt.Path, err)
		}
		if key := rt.Method + " " + rt.Path; seen[key] {
			return nil, fmt.Errorf("%s is declared twice", key)
		} else {
			seen[key] = true
		}
		if byPattern[rt.pattern()] == nil {
			order = append(order, rt.pattern())
		}
		byPattern[rt.pattern()] = append(byPattern[rt.pattern()], rt)
	}
	for _, p := range order {
		if rs := byPattern[p]; len(rs) == 1 && rs[0].Pattern == "" {
			mux.Handle(p, s.handler(rs[0]))
		} else {
			s.sharedPatterns[p] = rs
			mux.Handle(p, s.shared(rs))
		}
	}
	mux.HandleFunc("/", s.miss)
	return mux, nil
}

// accessNames label accesses in the OpenAPI document.
var accessNames = map[Access]string{Public: "public", Read: "read", Write: "write", Admin: "admin"}

func (a Access) String() string {
	if n, ok := accessNames[a]; ok {
		return n
	}
	return "undeclared"
}
