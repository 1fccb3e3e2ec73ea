package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/auth"
)

// sessionCookie holds the session secret for the web UI. It is HttpOnly
// (scripts cannot read it), SameSite=Lax, and Secure over HTTPS.
const sessionCookie = "onb_session"

// signedInCookie tells the web UI's scripts that a session cookie was
// set, so that a page without one goes to sign in rather than asking the
// server and logging a 401. It carries no secret: the session cookie
// alone authenticates.
const signedInCookie = "onb_signed_in"

// setSessionCookies sets (maxAge > 0) or clears (maxAge < 0) the session
// cookie and its hint.
func setSessionCookies(w http.ResponseWriter, r *http.Request, secret string, maxAge int) {
	https := clientOf(r).https
	hint := "1"
	if maxAge < 0 {
		hint = ""
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: https})
	http.SetCookie(w, &http.Cookie{Name: signedInCookie, Value: hint, Path: "/", MaxAge: maxAge,
		SameSite: http.SameSiteLaxMode, Secure: https})
}

const loginPath = "/api/auth/login"

// principalFrom returns who the request was authenticated as; ok is false
// when authentication is off or the endpoint is public.
func principalFrom(ctx context.Context) (auth.Principal, bool) {
	if i := infoFrom(ctx); i != nil && i.principal != nil {
		return *i.principal, true
	}
	return auth.Principal{}, false
}

// withPrincipal records who is asking (nil: nobody authenticated) in the
// request's context, for handlers and, as the actor with the client's
// address, for the audit entries the services write.
func (s *Server) withPrincipal(r *http.Request, p *auth.Principal) *http.Request {
	ctx := r.Context()
	actor := "anonymous"
	if p != nil {
		if i := infoFrom(ctx); i != nil {
			i.principal = p
		}
		actor = p.Actor()
	}
	return r.WithContext(audit.WithActor(ctx, actor, clientOf(r).String()))
}

// newCrossOriginProtection refuses cookie-authenticated changes from other
// sites. The UI may be served from an origin the operator allowed for
// CORS; "*" trusts nobody in particular.
func newCrossOriginProtection(origins []string, logger *slog.Logger) *http.CrossOriginProtection {
	csrf := http.NewCrossOriginProtection()
	for _, o := range origins {
		if o != "*" {
			if err := csrf.AddTrustedOrigin(o); err != nil {
				logger.Warn("CORS_ORIGINS entry is not an origin; cookie-authenticated requests from it are refused", "origin", o)
			}
		}
	}
	return csrf
}

// authenticate identifies the principal of a request that needs one. It
// keeps the original's password check exactly (the same 401 details) and
// adds sessions (cookie or bearer), API tokens, the failed-authentication
// lock-out and cross-site protection for cookie-authenticated writes.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (auth.Principal, error) {
	p, fromCookie, err := s.identify(w, r)
	if err != nil {
		return p, err
	}
	if fromCookie {
		if err := s.csrf.Check(r); err != nil {
			return p, errCrossOrigin
		}
	}
	return p, nil
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
		p, err = s.app.Auth.Cookie(ctx, c.Value, authClient(r))
		if apperr.CodeOf(err) == apperr.Unauthorized {
			s.clearSessionCookie(w, r)
		}
		return p, true, err
	}
	scheme, bearer, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return p, false, apperr.New(apperr.Unauthorized, "Invalid authorization header format")
	}
	p, err = s.app.Auth.Bearer(ctx, bearer, authClient(r))
	return p, false, err
}

// authClient describes the request's client to the auth service.
func authClient(r *http.Request) auth.Client {
	c := clientOf(r)
	return auth.Client{Key: c.key(), Addr: c.String(), UserAgent: r.UserAgent()}
}

// checkLockout refuses a locked-out client before anything is read.
func (s *Server) checkLockout(r *http.Request) error {
	return s.app.Auth.CheckLockout(r.Context(), authClient(r))
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	setSessionCookies(w, r, "", -1)
}

type loginIn struct {
	Password  *string `json:"password" required:"true" maxLength:"1024"`
	UserAgent string  `header:"User-Agent" json:"-"`
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
	lifetime  time.Duration
}

// respond sets the session cookie beside the JSON, which is never cached.
func (o loginOut) respond(w http.ResponseWriter, r *http.Request, status int) error {
	setSessionCookies(w, r, o.Token, int(o.lifetime/time.Second))
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, o)
	return nil
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

// signedOut is a JSON answer that also clears the session cookie, when
// the request came with a session.
type signedOut[T any] struct {
	body  T
	clear bool
}

func (o signedOut[T]) respond(w http.ResponseWriter, r *http.Request, status int) error {
	if o.clear {
		setSessionCookies(w, r, "", -1)
	}
	writeJSON(w, status, o.body)
	return nil
}

func (signedOut[T]) opaque() {}

func (s *Server) sessionRoutes() []route {
	svc := s.app.Auth
	return []route{
		endpoint(op{Method: "POST", Path: loginPath, Summary: "Log in with the password: opens a session (HttpOnly cookie and a bearer token)", Tag: "auth",
			Access: Public, ChecksPassword: true, MaxBody: 4 << 10},
			func(ctx context.Context, in loginIn) (loginOut, error) {
				secret, sess, err := svc.Login(ctx, *in.Password, auth.Client{Key: clientFrom(ctx).key(),
					Addr: clientFrom(ctx).String(), UserAgent: in.UserAgent})
				if err != nil {
					return loginOut{}, err
				}
				return loginOut{Token: secret, TokenType: "bearer", Session: s.toSessionOut(sess),
					lifetime: svc.Options().SessionLifetime}, nil
			}),
		endpoint(op{Method: "POST", Path: "/api/auth/logout", Summary: "End the current session", Tag: "auth", Access: Read, Audit: "auth.logout",
			Returns: messageOut{}},
			func(ctx context.Context, _ struct{}) (signedOut[messageOut], error) {
				p, _ := principalFrom(ctx)
				if p.Session == nil {
					return signedOut[messageOut]{}, apperr.New(apperr.Invalid, "Only a session can log out; API tokens are revoked with DELETE /api/auth/tokens/{token_id}")
				}
				if err := svc.Logout(ctx, p.Session.ID); err != nil && !apperr.IsNotFound(err) {
					return signedOut[messageOut]{}, err
				}
				return signedOut[messageOut]{body: messageOut{"Logged out"}, clear: true}, nil
			}),
		endpoint(op{Method: "GET", Path: "/api/auth/session", Summary: "Describe the current principal (session, token or password)", Tag: "auth", Access: Read},
			func(ctx context.Context, _ struct{}) (whoamiOut, error) {
				p, ok := principalFrom(ctx)
				if !ok {
					return whoamiOut{AuthEnabled: false, Kind: "anonymous", Scope: auth.ScopeAdmin.String()}, nil
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
				return out, nil
			}),
		endpoint(op{Method: "DELETE", Path: "/api/auth/sessions", Summary: "Revoke every session (admin)", Tag: "auth", Access: Admin, Audit: "auth.sessions_revoke_all",
			Returns: messageCountOut{}},
			func(ctx context.Context, _ struct{}) (signedOut[messageCountOut], error) {
				n, err := svc.RevokeAllSessions(ctx)
				p, _ := principalFrom(ctx)
				return signedOut[messageCountOut]{body: messageCountOut{Message: "Every session was revoked", Revoked: n},
					clear: p.Session != nil}, err
			}),
	}
}

func (s *Server) toSessionOut(sess *auth.Session) sessionOut {
	return sessionOut{ID: sess.ID, Created: formatTime(sess.Created), LastSeen: formatTime(sess.LastSeen),
		ExpiresAt: formatTime(sess.Expires), IdleExpiresAt: formatTime(s.app.Auth.IdleExpires(sess))}
}
