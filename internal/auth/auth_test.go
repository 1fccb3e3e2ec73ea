package auth_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/auth"
	"github.com/open-notebook/open-notebook/internal/ratelimit"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func TestScopesAreOrdered(t *testing.T) {
	cases := []struct {
		have, need auth.Scope
		ok         bool
	}{
		{auth.ScopeRead, auth.ScopeRead, true},
		{auth.ScopeRead, auth.ScopeWrite, false},
		{auth.ScopeWrite, auth.ScopeRead, true},
		{auth.ScopeWrite, auth.ScopeAdmin, false},
		{auth.ScopeAdmin, auth.ScopeWrite, true},
		{0, auth.ScopeRead, false},
	}
	for _, tc := range cases {
		if got := tc.have.Allows(tc.need); got != tc.ok {
			t.Errorf("%s allows %s = %v", tc.have, tc.need, got)
		}
	}
	for _, name := range []string{"read", "Write", " admin "} {
		if _, err := auth.ParseScope(name); err != nil {
			t.Errorf("ParseScope(%q): %v", name, err)
		}
	}
	if _, err := auth.ParseScope("root"); err == nil {
		t.Error("an unknown scope parsed")
	}
}

func TestParseLifetime(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 30 * 24 * time.Hour, true},
		{"12h", 12 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"3650d", 3650 * 24 * time.Hour, true},
		{"3651d", 0, false},
		{"0d", 0, false},
		{"-1h", 0, false},
		{"soon", 0, false},
		{"1.5d", 0, false},
		{"100000h", 0, false},
	}
	for _, tc := range cases {
		got, err := auth.ParseLifetime(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseLifetime(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func newService(t *testing.T, db *store.DB, password string, clk *clock) *auth.Service {
	t.Helper()
	pw, err := auth.NewPassword(password, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	return auth.NewService(db, pw, ratelimit.NewFailures(db, 10, 5*time.Minute, clk.Now), audit.NewLog(db, clk.Now),
		auth.Options{SessionLifetime: 8 * time.Hour, SessionIdle: time.Hour, Now: clk.Now})
}

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		clk := newClock()
		svc := newService(t, db, "pw", clk)

		if _, _, err := svc.Login(ctx, "nope", client("192.0.2.1", "ua")); !errors.Is(err, auth.ErrBadCredential) || apperr.CodeOf(err) != apperr.Unauthorized {
			t.Fatalf("wrong password: %v", err)
		}
		secret, sess, err := svc.Login(ctx, "pw", client("192.0.2.1", strings.Repeat("u", 300)))
		if err != nil {
			t.Fatal(err)
		}
		t.Run("the session is stored with its client, a bounded user agent and its end", func(t *testing.T) {
			if !strings.HasPrefix(secret, auth.SessionPrefix) || strings.Contains(sess.ID, secret[4:]) ||
				sess.ClientIP != "192.0.2.1" || len(sess.UserAgent) != 256 || !sess.Expires.Equal(clk.Now().Add(8*time.Hour)) {
				t.Fatalf("%+v", sess)
			}
		})
		t.Run("the secret identifies the session as admin", func(t *testing.T) {
			p, err := svc.Bearer(ctx, secret, client("192.0.2.1", ""))
			if err != nil || p.Kind != auth.KindSession || p.Scope != auth.ScopeAdmin || p.Actor() != sess.ID {
				t.Fatalf("%+v %v", p, err)
			}
		})
		t.Run("use moves the idle timeout", func(t *testing.T) {
			clk.Advance(50 * time.Minute)
			p, err := svc.Bearer(ctx, secret, client("192.0.2.1", ""))
			if err != nil || !p.Session.LastSeen.Equal(clk.Now()) || !svc.IdleExpires(p.Session).Equal(clk.Now().Add(time.Hour)) {
				t.Fatalf("%+v %v", p.Session, err)
			}
			clk.Advance(50 * time.Minute)
			if _, err := svc.Bearer(ctx, secret, client("192.0.2.1", "")); err != nil {
				t.Fatalf("still within the idle timeout: %v", err)
			}
		})
		t.Run("an idle session expires and does not count as a guess", func(t *testing.T) {
			clk.Advance(time.Hour)
			_, err := svc.Bearer(ctx, secret, client("192.0.2.1", ""))
			if apperr.CodeOf(err) != apperr.Unauthorized || errors.Is(err, auth.ErrBadCredential) || !strings.Contains(err.Error(), "Session expired") {
				t.Fatalf("err = %v", err)
			}
		})
		t.Run("an unknown secret counts as a guess", func(t *testing.T) {
			_, err := svc.Bearer(ctx, auth.SessionPrefix+"unknown", client("192.0.2.9", ""))
			if !errors.Is(err, auth.ErrBadCredential) || !strings.Contains(err.Error(), "Invalid session") {
				t.Fatalf("err = %v", err)
			}
		})
		t.Run("logout revokes", func(t *testing.T) {
			s2, sess2, _ := svc.Login(ctx, "pw", client("192.0.2.1", ""))
			if err := svc.Logout(ctx, sess2.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Bearer(ctx, s2, client("192.0.2.1", "")); err == nil || !strings.Contains(err.Error(), "Session revoked") {
				t.Fatalf("err = %v", err)
			}
		})
		t.Run("the idle expiry never passes the absolute end", func(t *testing.T) {
			s := &auth.Session{LastSeen: clk.Now(), Expires: clk.Now().Add(time.Minute)}
			if !svc.IdleExpires(s).Equal(s.Expires) {
				t.Fatalf("%v", svc.IdleExpires(s))
			}
		})
	})
}

func TestTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		clk := newClock()
		svc := newService(t, db, "pw", clk)
		secret, tok, err := svc.CreateToken(ctx, auth.NewToken{Name: " ci ", Scope: auth.ScopeWrite, Lifetime: 2 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if tok.Name != "ci" || tok.Expires == nil || !tok.Expires.Equal(clk.Now().Add(2*time.Hour)) {
			t.Fatalf("%+v", tok)
		}
		t.Run("a token authenticates with its scope and records its use", func(t *testing.T) {
			p, err := svc.Bearer(ctx, secret, client("198.51.100.4", ""))
			if err != nil || p.Scope != auth.ScopeWrite || p.Actor() != tok.ID {
				t.Fatalf("%+v %v", p, err)
			}
			ts, _ := svc.Tokens(ctx)
			if ts[0].LastUsed == nil || ts[0].LastUsedIP != "198.51.100.4" {
				t.Fatalf("%+v", ts[0])
			}
		})
		t.Run("an expired token is refused without counting as a guess", func(t *testing.T) {
			clk.Advance(2 * time.Hour)
			_, err := svc.Bearer(ctx, secret, client("198.51.100.4", ""))
			if errors.Is(err, auth.ErrBadCredential) || err == nil || !strings.Contains(err.Error(), "API token expired") {
				t.Fatalf("%v", err)
			}
		})
		invalid := []struct {
			name string
			in   auth.NewToken
		}{
			{"an unknown scope", auth.NewToken{Scope: 9}},
			{"a negative lifetime", auth.NewToken{Scope: auth.ScopeRead, Lifetime: -time.Second}},
			{"a long name", auth.NewToken{Scope: auth.ScopeRead, Name: strings.Repeat("é", 101)}},
		}
		for _, tc := range invalid {
			t.Run("a token with "+tc.name+" is refused", func(t *testing.T) {
				if _, _, err := svc.CreateToken(ctx, tc.in); apperr.CodeOf(err) != apperr.Invalid {
					t.Fatalf("err = %v", err)
				}
			})
		}
		t.Run("revoking takes the bare key too", func(t *testing.T) {
			s2, t2, _ := svc.CreateToken(ctx, auth.NewToken{Scope: auth.ScopeRead})
			if _, err := svc.RevokeToken(ctx, strings.TrimPrefix(t2.ID, "token:")); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Bearer(ctx, s2, client("198.51.100.4", "")); err == nil || !strings.Contains(err.Error(), "API token revoked") {
				t.Fatalf("err = %v", err)
			}
		})
	})
}

func TestCheckPassword(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	svc := auth.NewService(db, mustPassword(t, "onb_looks-like-a-token"), ratelimit.NewFailures(db, 100, time.Minute, time.Now),
		audit.NewLog(db, time.Now), auth.Options{Now: time.Now})
	cases := []struct {
		name, candidate, detail string
		ok                      bool
	}{
		{"the password passes even with a token's prefix", "onb_looks-like-a-token", "", true},
		{"a wrong password has the original's detail", "guess", "Invalid password", false},
		{"a wrong token-like value says so", "onb_guess", "Invalid API token", false},
		{"a wrong session-like value says so", "ons_guess", "Invalid session", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := svc.Bearer(t.Context(), tc.candidate, client("192.0.2.7", ""))
			if tc.ok {
				if err != nil || p.Kind != auth.KindPassword || p.Scope != auth.ScopeAdmin || p.Actor() != "password" {
					t.Fatalf("%+v %v", p, err)
				}
				return
			}
			e, _ := apperr.As(err)
			if e == nil || e.Message != tc.detail || !errors.Is(err, auth.ErrBadCredential) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

// client is a test client at addr.
func client(addr, userAgent string) auth.Client {
	return auth.Client{Key: addr, Addr: addr, UserAgent: userAgent}
}

func mustPassword(t *testing.T, configured string) *auth.Password {
	t.Helper()
	p, err := auth.NewPassword(configured, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
