package httpapi

import (
	"context"
	"errors"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/auth"
)

// sessionCookie holds the session secret for the web UI. It is HttpOnly
// (scripts cannot read it), SameSite=Lax, and Secure over HTTPS.
const sessionCookie = "onb_session"

const loginPath = "/api/auth/login"

type principalKey struct{}

// principalOf returns who the request was authenticated as; ok is false
// when authentication is off or the path is public.
func principalOf(r *http.Request) (auth.Principal, bool) {
	p, ok := r.Context().Value(principalKey{}).(auth.Principal)
	return p, ok
}

// actorOf names the request's principal for the audit log.
func actorOf(r *http.Request) string {
	if p, ok := principalOf(r); ok {
		return p.Actor()
	}
	return "anonymous"
}

// authenticate is the authentication middleware. It keeps the original's
// password check exactly (the same 401 details, public paths and OPTIONS
// pass-through) and adds sessions (cookie or bearer), API tokens, scopes,
// the failed-authentication lock-out and cross-site protection for cookie-
// authenticated writes. With no password configured it lets everything
// through, as the original does.
func (s *Server) authenticate(next http.Handler) http.Handler {
	if !s.deps.Auth.Enabled() {
		return next
	}
	csrf := http.NewCrossOriginProtection()
	for _, o := range s.deps.Config.CORSOrigins {
		// The UI may be served from an origin the operator allowed for
		// CORS; "*" trusts nobody in particular.
		if o != "*" {
			if err := csrf.AddTrustedOrigin(o); err != nil {
				s.deps.Logger.Warn("CORS_ORIGINS entry is not an origin; cookie-authenticated requests from it are refused", "origin", o)
			}
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == loginPath {
			if err := csrf.Check(r); err != nil {
				writeError(w, r, errCrossOrigin)
				return
			}
		}
		if r.Method == http.MethodOptions || isPublic(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		p, fromCookie, err := s.identify(w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if fromCookie {
			if err := csrf.Check(r); err != nil {
				writeError(w, r, errCrossOrigin)
				return
			}
		}
		if need := auth.Required(r.Method, r.URL.Path); !p.Scope.Allows(need) {
			writeError(w, r, apperr.Newf(apperr.Forbidden,
				"This API token's scope is %s; %s %s needs the %s scope", p.Scope, r.Method, path.Clean(r.URL.Path), need))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

var errCrossOrigin = apperr.New(apperr.Forbidden,
	"Cross-origin request refused: a session cookie cannot authorize changes from another site (API clients send Authorization: Bearer instead)")

// identify authenticates a request by its Authorization header or, without
// one, its session cookie. fromCookie reports the latter.
func (s *Server) identify(w http.ResponseWriter, r *http.Request) (p auth.Principal, fromCookie bool, err error) {
	ctx := r.Context()
	header := r.Header.Get("Authorization")
	if header == "" {
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" {
			return p, false, apperr.New(apperr.Unauthorized, "Missing authorization header")
		}
		p, err = s.deps.Auth.SessionPrincipal(ctx, c.Value)
		if apperr.IsNotFound(err) {
			if err = s.checkLockout(r); err == nil {
				err = s.badCredential(r, "auth.failure", "session", apperr.Wrap(apperr.Unauthorized, "Invalid session", auth.ErrBadCredential))
			}
		}
		if apperr.CodeOf(err) == apperr.Unauthorized {
			s.clearSessionCookie(w, r)
		}
		return p, true, err
	}
	scheme, bearer, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return p, false, apperr.New(apperr.Unauthorized, "Invalid authorization header format")
	}
	p, issued, err := s.deps.Auth.Issued(ctx, bearer, clientOf(r).String())
	if issued || err != nil {
		return p, false, err
	}
	if err := s.checkLockout(r); err != nil {
		return p, false, err
	}
	if p, err = s.deps.Auth.CheckPassword(bearer); err != nil {
		return p, false, s.badCredential(r, "auth.failure", credentialKind(bearer), err)
	}
	return p, false, nil
}

func credentialKind(bearer string) string {
	switch {
	case strings.HasPrefix(bearer, auth.TokenPrefix):
		return "api_token"
	case strings.HasPrefix(bearer, auth.SessionPrefix):
		return "session"
	}
	return "password"
}

// checkLockout refuses a client that failed authentication too often (429
// with Retry-After), before anything is checked: while locked out, the
// right password is refused like a wrong one, so guesses reveal nothing.
func (s *Server) checkLockout(r *http.Request) error {
	wait, err := s.deps.Failures.Locked(r.Context(), clientOf(r).key())
	if err != nil {
		return err
	}
	if wait > 0 {
		return rateLimited("Too many failed authentication attempts", wait)
	}
	return nil
}

// badCredential handles an authentication failure found after the
// client's lock-out was checked. If it counts (a wrong password, an unknown
// token or session), it is counted against the client's failure limit and
// recorded in the audit log as action; the returned error is what to
// answer.
func (s *Server) badCredential(r *http.Request, action, kind string, cause error) error {
	if !errors.Is(cause, auth.ErrBadCredential) {
		return cause
	}
	wait, locked, err := s.deps.Failures.Fail(r.Context(), clientOf(r).key())
	if err != nil {
		return err
	}
	s.auditAs(r, "anonymous", action, "", audit.Failure, map[string]any{"credential": kind})
	if locked {
		limit, window := s.deps.Failures.Limit()
		s.auditAs(r, "anonymous", "auth.lockout", "", audit.Failure, map[string]any{
			"failures": limit, "window_seconds": int(window.Seconds()), "retry_after_seconds": int(wait.Seconds())})
	}
	return cause
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, secret string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/",
		MaxAge: int(s.deps.Auth.Options().SessionLifetime / time.Second), HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: clientOf(r).https})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: clientOf(r).https})
}

type loginIn struct {
	Password *string `json:"password" required:"true"`
}

type sessionOut struct {
	ID            string `json:"id"`
	Created       string `json:"created"`
	LastSeen      string `json:"last_seen"`
	ExpiresAt     string `json:"expires_at" description:"Absolute end of the session"`
	IdleExpiresAt string `json:"idle_expires_at" description:"When the session ends if it is not used before"`
}

type loginOut struct {
	Token     string     `json:"token" description:"The session's bearer token, for API clients; shown once. Browsers use the HttpOnly cookie instead."`
	TokenType string     `json:"token_type" enum:"bearer"`
	Session   sessionOut `json:"session"`
}

type whoamiOut struct {
	AuthEnabled bool        `json:"auth_enabled"`
	Kind        string      `json:"kind" enum:"password,session,token,anonymous"`
	Scope       string      `json:"scope" enum:"read,write,admin"`
	Session     *sessionOut `json:"session,omitempty"`
	Token       *tokenOut   `json:"token,omitempty"`
}

type messageCountOut struct {
	Message string `json:"message"`
	Revoked int    `json:"revoked"`
}

func (s *Server) sessionRoutes() []route {
	return []route{
		{method: "POST", path: loginPath, summary: "Log in with the password: opens a session (HttpOnly cookie and a bearer token)", tag: "auth",
			in: loginIn{}, out: loginOut{}, handle: s.login},
		{method: "POST", path: "/api/auth/logout", summary: "End the current session", tag: "auth",
			out: messageOut{}, handle: s.logout},
		{method: "GET", path: "/api/auth/session", summary: "Describe the current principal (session, token or password)", tag: "auth",
			out: whoamiOut{}, handle: s.whoami},
		{method: "DELETE", path: "/api/auth/sessions", summary: "Revoke every session (admin)", tag: "auth",
			out: messageCountOut{}, handle: s.revokeAllSessions},
	}
}

func (s *Server) toSessionOut(sess *auth.Session) sessionOut {
	return sessionOut{ID: sess.ID, Created: formatTime(sess.Created), LastSeen: formatTime(sess.LastSeen),
		ExpiresAt: formatTime(sess.Expires), IdleExpiresAt: formatTime(s.deps.Auth.IdleExpires(sess))}
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var in loginIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Password == nil {
		return apperr.InvalidFields(missing("password"))
	}
	if s.deps.Auth.Enabled() {
		if err := s.checkLockout(r); err != nil {
			return err
		}
	}
	secret, sess, err := s.deps.Auth.Login(r.Context(), *in.Password, clientOf(r).String(), r.UserAgent())
	if err != nil {
		return s.badCredential(r, "auth.login", "password", err)
	}
	s.setSessionCookie(w, r, secret)
	w.Header().Set("Cache-Control", "no-store")
	s.auditAs(r, string(auth.KindPassword), "auth.login", sess.ID, audit.Success, nil)
	writeJSON(w, http.StatusOK, loginOut{Token: secret, TokenType: "bearer", Session: s.toSessionOut(sess)})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	p, _ := principalOf(r)
	if p.Session == nil {
		return apperr.New(apperr.Invalid, "Only a session can log out; API tokens are revoked with DELETE /api/auth/tokens/{token_id}")
	}
	if err := s.deps.Auth.Logout(r.Context(), p.Session.ID); err != nil && !apperr.IsNotFound(err) {
		return err
	}
	s.clearSessionCookie(w, r)
	s.audit(r, "auth.logout", p.Session.ID, audit.Success, nil)
	writeJSON(w, http.StatusOK, messageOut{"Logged out"})
	return nil
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) error {
	p, ok := principalOf(r)
	if !ok {
		writeJSON(w, http.StatusOK, whoamiOut{AuthEnabled: false, Kind: "anonymous", Scope: auth.ScopeAdmin.String()})
		return nil
	}
	out := whoamiOut{AuthEnabled: true, Kind: string(p.Kind), Scope: p.Scope.String()}
	if p.Session != nil {
		so := s.toSessionOut(p.Session)
		out.Session = &so
	}
	if p.Token != nil {
		to := toTokenOut(p.Token)
		out.Token = &to
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) revokeAllSessions(w http.ResponseWriter, r *http.Request) error {
	n, err := s.deps.Auth.RevokeAllSessions(r.Context())
	if err != nil {
		return err
	}
	if p, _ := principalOf(r); p.Session != nil {
		s.clearSessionCookie(w, r)
	}
	s.audit(r, "auth.sessions_revoke_all", "", audit.Success, map[string]any{"revoked": n})
	writeJSON(w, http.StatusOK, messageCountOut{Message: "Every session was revoked", Revoked: n})
	return nil
}
