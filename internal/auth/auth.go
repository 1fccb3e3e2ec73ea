// Package auth decides who a request comes from and what it may do: the
// configured password (plaintext or an Argon2id hash), server-side
// sessions, and scoped API tokens. Sessions and tokens live in the database
// (so every replica sees the same ones) and only their SHA-256 hashes are
// stored: the secrets are 256-bit random strings, so a fast hash is enough
// and a database dump yields nothing usable.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/record"
)

// Secret prefixes: they tell a bearer value's kind without a lookup, and
// make leaked tokens easy to find with secret scanners.
const (
	TokenPrefix   = "onb_"
	SessionPrefix = "ons_"
)

// Record id tables.
const (
	SessionTable = "session"
	TokenTable   = "token"
)

// ErrBadCredential is the cause of an authentication failure that counts
// against the client's failure limit: a wrong password, or a token or
// session secret that was never issued. Expired and revoked ones do not
// count: their holder once had a valid secret and is not guessing.
var ErrBadCredential = errors.New("bad credential")

// Kind is how a principal authenticated.
type Kind string

// Kinds of principal.
const (
	KindPassword Kind = "password"
	KindSession  Kind = "session"
	KindToken    Kind = "token"
)

// Principal is who a request comes from.
type Principal struct {
	Kind    Kind
	Scope   Scope
	Session *Session // for KindSession
	Token   *Token   // for KindToken
}

// Actor names the principal in the audit log: "password", a session id or
// a token id. It is never a secret.
func (p Principal) Actor() string {
	switch {
	case p.Session != nil:
		return p.Session.ID
	case p.Token != nil:
		return p.Token.ID
	}
	return string(p.Kind)
}

// Session is a server-side login session.
type Session struct {
	ID        string // public id ("session:..."), distinct from the secret
	Created   time.Time
	LastSeen  time.Time
	Expires   time.Time // absolute end, whatever the activity
	ClientIP  string
	UserAgent string
	Revoked   *time.Time
}

// Token is an API token.
type Token struct {
	ID         string // "token:..."
	Name       string
	Scope      Scope
	Created    time.Time
	Expires    *time.Time // nil: never
	LastUsed   *time.Time
	LastUsedIP string
	Revoked    *time.Time
}

// Store persists sessions and tokens by the hash of their secret. Lookups of
// an unknown hash or id return an apperr NotFound error.
type Store interface {
	CreateSession(ctx context.Context, s *Session, secretHash string) error
	SessionBySecret(ctx context.Context, secretHash string) (*Session, error)
	TouchSession(ctx context.Context, id string, at time.Time) error
	RevokeSession(ctx context.Context, id string, at time.Time) error
	RevokeAllSessions(ctx context.Context, at time.Time) (int, error)
	DeleteSessionsExpiredBefore(ctx context.Context, t time.Time) error

	CreateToken(ctx context.Context, t *Token, secretHash string) error
	TokenBySecret(ctx context.Context, secretHash string) (*Token, error)
	Tokens(ctx context.Context) ([]Token, error)
	RevokeToken(ctx context.Context, id string, at time.Time) (*Token, error)
	TouchToken(ctx context.Context, id string, at time.Time, clientIP string) error
}

// Options configure a Service.
type Options struct {
	SessionLifetime time.Duration // absolute session lifetime
	SessionIdle     time.Duration // a session unused this long expires
	Now             func() time.Time
}

// Lockout is the failed-authentication lock-out (ratelimit.Failures).
type Lockout interface {
	// Attempt runs check as one attempt by client, refusing a locked-out
	// client first; a bad credential is counted, and lockedFor is how long
	// this attempt's failure locked the client out (0 if it did not).
	Attempt(ctx context.Context, client string, check func() (bad bool, err error)) (lockedFor time.Duration, err error)
	// Check refuses a locked-out client with an apperr RateLimited error.
	Check(ctx context.Context, client string) error
	// Limit returns the failures allowed per window, and the window.
	Limit() (int, time.Duration)
}

// Service authenticates requests and manages sessions and tokens. Every
// change it makes, and every failed attempt, is recorded in the audit log.
type Service struct {
	store    Store
	password *Password
	opts     Options
	lockout  Lockout
	audit    audit.Recorder
}

// NewService returns a Service.
func NewService(store Store, password *Password, lockout Lockout, rec audit.Recorder, opts Options) *Service {
	return &Service{store: store, password: password, lockout: lockout, audit: rec, opts: opts}
}

// Enabled reports whether authentication is on (a password is configured).
func (s *Service) Enabled() bool { return s.password.Enabled() }

// PasswordRuns reports how many Argon2id password verifications have run.
func (s *Service) PasswordRuns() int64 { return s.password.Runs() }

// Options returns the service's options.
func (s *Service) Options() Options { return s.opts }

// touchEvery bounds how often a session's last use (for the idle timeout)
// and a token's last use are written: at most once per interval, not on
// every request.
func (s *Service) touchEvery() time.Duration {
	return min(time.Minute, s.opts.SessionIdle/8)
}

func unauthorized(msg string, counts bool) error {
	if counts {
		return apperr.Wrap(apperr.Unauthorized, msg, ErrBadCredential)
	}
	return apperr.New(apperr.Unauthorized, msg)
}

// Client is who is authenticating: the key its failures are counted by
// (its address, or its IPv6 /64), its address, and its user agent.
type Client struct {
	Key, Addr, UserAgent string
}

// CheckLockout refuses a locked-out client, so the login can turn it away
// before reading its body.
func (s *Service) CheckLockout(ctx context.Context, c Client) error {
	return s.lockout.Check(ctx, c.Key)
}

// attempt runs check as one authentication attempt of c under the
// lock-out, and records a failure that counts as action (the kind of
// credential in its details), plus the lock-out it may cause.
func (s *Service) attempt(ctx context.Context, c Client, action, kind string, check func() (Principal, error)) (Principal, error) {
	var p Principal
	lockedFor, err := s.lockout.Attempt(ctx, c.Key, func() (bool, error) {
		var err error
		p, err = check()
		return errors.Is(err, ErrBadCredential), err
	})
	if !errors.Is(err, ErrBadCredential) {
		return p, err
	}
	events := []audit.Event{{Action: action, Outcome: audit.Failure, Actor: "anonymous", ClientIP: c.Addr,
		Details: map[string]any{"credential": kind}}}
	if lockedFor > 0 {
		limit, window := s.lockout.Limit()
		events = append(events, audit.Event{Action: "auth.lockout", Outcome: audit.Failure, Actor: "anonymous", ClientIP: c.Addr,
			Details: map[string]any{"failures": limit, "window_seconds": int(window.Seconds()), "retry_after_seconds": int(lockedFor.Seconds())}})
	}
	for _, ev := range events {
		if rerr := s.audit.Record(ctx, ev); rerr != nil {
			return p, rerr
		}
	}
	return p, err
}

// Bearer authenticates a bearer value: an issued API token or session
// secret, else the password. A valid token or session is not subject to
// the lock-out, since its 256-bit secret cannot be guessed; anything else
// is checked under it. Failures are apperr Unauthorized errors with the
// original's details.
func (s *Service) Bearer(ctx context.Context, bearer string, c Client) (Principal, error) {
	var (
		p   Principal
		err error
	)
	switch {
	case strings.HasPrefix(bearer, TokenPrefix):
		p, err = s.tokenPrincipal(ctx, bearer, c.Addr)
	case strings.HasPrefix(bearer, SessionPrefix):
		p, err = s.sessionPrincipal(ctx, bearer)
	default:
		err = errNotIssued
	}
	if !apperr.IsNotFound(err) {
		return p, err
	}
	return s.attempt(ctx, c, "auth.failure", credentialKind(bearer), func() (Principal, error) {
		return s.checkPassword(bearer)
	})
}

var errNotIssued = apperr.New(apperr.NotFound, "not an issued secret")

func credentialKind(bearer string) string {
	switch {
	case strings.HasPrefix(bearer, TokenPrefix):
		return "api_token"
	case strings.HasPrefix(bearer, SessionPrefix):
		return "session"
	}
	return "password"
}

// Cookie authenticates the session cookie of a browser. An unknown secret
// counts against the client like a wrong password.
func (s *Service) Cookie(ctx context.Context, secret string, c Client) (Principal, error) {
	p, err := s.sessionPrincipal(ctx, secret)
	if !apperr.IsNotFound(err) {
		return p, err
	}
	return s.attempt(ctx, c, "auth.failure", "session", func() (Principal, error) {
		return Principal{}, unauthorized("Invalid session", true)
	})
}

// Login checks the password and opens a session. It returns the session's
// secret, which the caller hands to the client once (cookie and bearer
// token) and which is stored only as a hash.
func (s *Service) Login(ctx context.Context, password string, c Client) (string, *Session, error) {
	if !s.Enabled() {
		return "", nil, apperr.New(apperr.Invalid, "Authentication is disabled: no password is configured, so there is nothing to log in to")
	}
	if _, err := s.attempt(ctx, c, "auth.login", "password", func() (Principal, error) {
		if !s.password.Verify(password) {
			return Principal{}, unauthorized("Invalid password", true)
		}
		return Principal{}, nil
	}); err != nil {
		return "", nil, err
	}
	now := s.opts.Now().UTC()
	secret, hash, err := newSecret(SessionPrefix)
	if err != nil {
		return "", nil, err
	}
	sess := &Session{ID: record.NewID(SessionTable), Created: now, LastSeen: now, Expires: now.Add(s.opts.SessionLifetime),
		ClientIP: c.Addr, UserAgent: truncate(c.UserAgent, 256)}
	err = s.audit.Within(ctx, func(ctx context.Context) (audit.Event, error) {
		// Sessions past their absolute end are useless; dropping them here
		// keeps the table small without a background job. A day of grace
		// lets a late request still be told its session expired rather
		// than that it never existed.
		if err := s.store.DeleteSessionsExpiredBefore(ctx, now.Add(-24*time.Hour)); err != nil {
			return audit.Event{}, fmt.Errorf("prune sessions: %w", err)
		}
		ev := audit.Event{Action: "auth.login", Target: sess.ID, Actor: string(KindPassword), ClientIP: c.Addr}
		if err := s.store.CreateSession(ctx, sess, hash); err != nil {
			return ev, fmt.Errorf("create session: %w", err)
		}
		return ev, nil
	})
	if err != nil {
		return "", nil, err
	}
	return secret, sess, nil
}

// IdleExpires reports when sess expires if it is not used again.
func (s *Service) IdleExpires(sess *Session) time.Time {
	idle := sess.LastSeen.Add(s.opts.SessionIdle)
	if idle.After(sess.Expires) {
		return sess.Expires
	}
	return idle
}

// checkPassword authenticates a bearer value as the password. A wrong one
// is an apperr Unauthorized error wrapping ErrBadCredential, with the
// original's detail ("Invalid password"), or a token's or session's when
// the value has their prefix (the password may have one too, so it is
// still checked).
func (s *Service) checkPassword(candidate string) (Principal, error) {
	if s.password.Verify(candidate) {
		return Principal{Kind: KindPassword, Scope: ScopeAdmin}, nil
	}
	switch {
	case strings.HasPrefix(candidate, TokenPrefix):
		return Principal{}, unauthorized("Invalid API token", true)
	case strings.HasPrefix(candidate, SessionPrefix):
		return Principal{}, unauthorized("Invalid session", true)
	}
	return Principal{}, unauthorized("Invalid password", true)
}

// sessionPrincipal identifies the holder of a session secret (from the
// cookie or a bearer value). An unknown secret is an apperr NotFound error.
func (s *Service) sessionPrincipal(ctx context.Context, secret string) (Principal, error) {
	sess, err := s.store.SessionBySecret(ctx, hashSecret(secret))
	if err != nil {
		return Principal{}, err
	}
	now := s.opts.Now()
	switch {
	case sess.Revoked != nil:
		return Principal{}, unauthorized("Session revoked", false)
	case !now.Before(sess.Expires), !now.Before(sess.LastSeen.Add(s.opts.SessionIdle)):
		return Principal{}, unauthorized("Session expired", false)
	}
	if now.Sub(sess.LastSeen) >= s.touchEvery() {
		if err := s.store.TouchSession(ctx, sess.ID, now.UTC()); err != nil {
			return Principal{}, fmt.Errorf("touch session: %w", err)
		}
		sess.LastSeen = now.UTC()
	}
	return Principal{Kind: KindSession, Scope: ScopeAdmin, Session: sess}, nil
}

func (s *Service) tokenPrincipal(ctx context.Context, secret, clientIP string) (Principal, error) {
	t, err := s.store.TokenBySecret(ctx, hashSecret(secret))
	if err != nil {
		return Principal{}, err
	}
	now := s.opts.Now()
	switch {
	case t.Revoked != nil:
		return Principal{}, unauthorized("API token revoked", false)
	case t.Expires != nil && !now.Before(*t.Expires):
		return Principal{}, unauthorized("API token expired", false)
	}
	if t.LastUsed == nil || now.Sub(*t.LastUsed) >= s.touchEvery() || t.LastUsedIP != clientIP {
		if err := s.store.TouchToken(ctx, t.ID, now.UTC(), clientIP); err != nil {
			return Principal{}, fmt.Errorf("touch token: %w", err)
		}
		at := now.UTC()
		t.LastUsed, t.LastUsedIP = &at, clientIP
	}
	return Principal{Kind: KindToken, Scope: t.Scope, Token: t}, nil
}

// Logout revokes a session.
func (s *Service) Logout(ctx context.Context, sessionID string) error {
	return s.audit.Within(ctx, func(ctx context.Context) (audit.Event, error) {
		err := s.store.RevokeSession(ctx, sessionID, s.opts.Now().UTC())
		return audit.Event{Action: "auth.logout", Target: sessionID}, err
	})
}

// RevokeAllSessions revokes every session (after a password change, or a
// suspected theft) and returns how many were active.
func (s *Service) RevokeAllSessions(ctx context.Context) (int, error) {
	var n int
	err := s.audit.Within(ctx, func(ctx context.Context) (audit.Event, error) {
		var err error
		n, err = s.store.RevokeAllSessions(ctx, s.opts.Now().UTC())
		return audit.Event{Action: "auth.sessions_revoke_all", Details: map[string]any{"revoked": n}}, err
	})
	return n, err
}

// NewToken describes a token to create.
type NewToken struct {
	Name     string
	Scope    Scope
	Lifetime time.Duration // 0: never expires
}

// CreateToken issues an API token and returns its secret, which is shown
// once and stored only as a hash.
func (s *Service) CreateToken(ctx context.Context, in NewToken) (string, *Token, error) {
	name := strings.TrimSpace(in.Name)
	if utf8.RuneCountInString(name) > 100 {
		return "", nil, apperr.New(apperr.Invalid, "A token name is at most 100 characters")
	}
	if _, ok := scopeNames[in.Scope]; !ok {
		return "", nil, apperr.New(apperr.Invalid, "The scope must be read, write or admin")
	}
	if in.Lifetime < 0 {
		return "", nil, apperr.New(apperr.Invalid, "A token's lifetime must be positive")
	}
	secret, hash, err := newSecret(TokenPrefix)
	if err != nil {
		return "", nil, err
	}
	now := s.opts.Now().UTC()
	t := &Token{ID: record.NewID(TokenTable), Name: name, Scope: in.Scope, Created: now}
	if in.Lifetime > 0 {
		exp := now.Add(in.Lifetime)
		t.Expires = &exp
	}
	details := map[string]any{"scope": t.Scope.String(), "name": t.Name}
	if t.Expires != nil {
		details["expires"] = t.Expires.Format(time.RFC3339)
	}
	err = s.audit.Within(ctx, func(ctx context.Context) (audit.Event, error) {
		ev := audit.Event{Action: "token.create", Target: t.ID, Details: details}
		if err := s.store.CreateToken(ctx, t, hash); err != nil {
			return ev, fmt.Errorf("create token: %w", err)
		}
		return ev, nil
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// Tokens lists every token, revoked ones included, newest first.
func (s *Service) Tokens(ctx context.Context) ([]Token, error) { return s.store.Tokens(ctx) }

// RevokeToken revokes a token by id (with or without the "token:" prefix).
// Revoking a revoked token changes nothing, and records nothing.
func (s *Service) RevokeToken(ctx context.Context, id string) (*Token, error) {
	full, ok := record.Normalize(TokenTable, id)
	if !ok {
		return nil, apperr.New(apperr.NotFound, "API token not found")
	}
	var t *Token
	err := s.audit.Within(ctx, func(ctx context.Context) (audit.Event, error) {
		at := s.opts.Now().UTC().Truncate(time.Microsecond)
		var err error
		if t, err = s.store.RevokeToken(ctx, full, at); err != nil {
			return audit.Event{}, err
		}
		if t.Revoked == nil || !t.Revoked.Equal(at) {
			return audit.Event{}, nil // revoked before: nothing changed
		}
		return audit.Event{Action: "token.revoke", Target: t.ID}, nil
	})
	return t, err
}

// ParseLifetime parses a lifetime such as "30d", "12h" or "90m" (Go
// durations, plus whole days with "d").
func ParseLifetime(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 3650 {
			return 0, fmt.Errorf("invalid lifetime %q: want a number of days from 1 to 3650 (e.g. 30d), or a duration such as 12h", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d <= 0 {
			return 0, fmt.Errorf("invalid lifetime %q: want a positive duration such as 30d, 12h or 90m", s)
		}
	}
	if d > 3650*24*time.Hour {
		return 0, fmt.Errorf("invalid lifetime %q: at most 3650d", s)
	}
	return d, nil
}

// newSecret returns a new secret with a prefix and the hash to store.
func newSecret(prefix string) (secret, hash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("read random secret: %w", err)
	}
	secret = prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, hashSecret(secret), nil
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
