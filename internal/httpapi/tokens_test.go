package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/auth"
	"github.com/open-notebook/open-notebook/internal/store"
)

// createToken creates an API token with the password and returns its
// secret and id.
func (e *env) createToken(body string) (secret, id string) {
	e.t.Helper()
	r := e.do("POST", "/api/auth/tokens", body, bearer(password)...)
	if r.status != 201 {
		e.t.Fatalf("create token: %d %s", r.status, r.body)
	}
	m := obj(e.t, r)
	return m["token"].(string), m["id"].(string)
}

func TestScopeMatrix(t *testing.T) {
	e := newEnv(t, store.SQLite, withPassword(password))
	read, _ := e.createToken(`{"scope":"read"}`)
	write, _ := e.createToken(`{"scope":"write"}`)
	admin, _ := e.createToken(`{"scope":"admin"}`)
	session, _ := e.login(password)

	endpoints := []struct {
		class        string
		method, path string
		body         string
		need         auth.Scope
	}{
		{"reading notebooks", "GET", "/api/notebooks", "", auth.ScopeRead},
		{"reading credentials", "GET", "/api/credentials", "", auth.ScopeRead},
		{"reading settings", "GET", "/api/settings", "", auth.ScopeRead},
		{"creating a notebook", "POST", "/api/notebooks", `{"name":"n"}`, auth.ScopeWrite},
		{"deleting a credential", "DELETE", "/api/credentials/credential:nope", "", auth.ScopeWrite},
		{"testing a credential", "POST", "/api/credentials/credential:nope/test", "", auth.ScopeWrite},
		{"discovering a provider's models (a GET that uses a stored key)", "GET", "/api/models/discover/openai", "", auth.ScopeWrite},
		{"migrating environment keys", "POST", "/api/credentials/migrate-from-env", "", auth.ScopeWrite},
		{"changing settings", "PUT", "/api/settings", `{}`, auth.ScopeAdmin},
		{"listing tokens", "GET", "/api/auth/tokens", "", auth.ScopeAdmin},
		{"reading the audit log", "GET", "/api/audit", "", auth.ScopeAdmin},
		{"reading the encryption status", "GET", "/api/admin/encryption/status", "", auth.ScopeAdmin},
		{"an unclean admin path", "GET", "/api//admin/encryption/status/", "", auth.ScopeAdmin},
	}
	principals := []struct {
		name  string
		token string
		scope auth.Scope
	}{
		{"a read token", read, auth.ScopeRead},
		{"a write token", write, auth.ScopeWrite},
		{"an admin token", admin, auth.ScopeAdmin},
		{"a session", session, auth.ScopeAdmin},
		{"the password", password, auth.ScopeAdmin},
	}
	for _, p := range principals {
		for _, ep := range endpoints {
			allowed := p.scope.Allows(ep.need)
			verb := "may not"
			if allowed {
				verb = "may"
			}
			t.Run(p.name+" "+verb+" do "+ep.class, func(t *testing.T) {
				r := e.do(ep.method, ep.path, ep.body, bearer(p.token)...)
				if !allowed {
					want := "needs the " + ep.need.String() + " scope"
					if r.status != 403 || !strings.Contains(r.body, want) || !strings.Contains(r.body, "scope is "+p.scope.String()) {
						t.Fatalf("%d %s, want 403 saying %q", r.status, r.body, want)
					}
					return
				}
				if r.status == 401 || r.status == 403 {
					t.Fatalf("refused: %d %s", r.status, r.body)
				}
			})
		}
	}
}

func TestAPITokens(t *testing.T) {
	e, clk := newClockedEnv(t, store.SQLite, withPassword(password))

	invalid := []struct {
		name, body string
		status     int
		want       string
	}{
		{"a token needs a scope", `{"name":"x"}`, 422, `"scope"`},
		{"the scope must be known", `{"scope":"root"}`, 422, "'read', 'write' or 'admin'"},
		{"the lifetime must parse", `{"scope":"read","expires_in":"soon"}`, 422, "expires_in"},
		{"the lifetime is bounded", `{"scope":"read","expires_in":"4000d"}`, 422, "3650"},
		{"a name is at most 100 characters", `{"scope":"read","name":"` + strings.Repeat("n", 101) + `"}`, 400, "at most 100"},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/api/auth/tokens", tc.body, bearer(password)...)
			if r.status != tc.status || !strings.Contains(r.body, tc.want) {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}

	r := e.do("POST", "/api/auth/tokens", `{"name":"ci","scope":"read","expires_in":"30d"}`, bearer(password)...)
	if r.status != 201 || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	created := obj(t, r)
	secret, id := created["token"].(string), created["id"].(string)
	t.Run("a token is shown once with its prefix, scope and expiry", func(t *testing.T) {
		want := formatTestTime(clk.Now().Add(30 * 24 * time.Hour))
		if !strings.HasPrefix(secret, auth.TokenPrefix) || len(secret) != len(auth.TokenPrefix)+43 || !strings.HasPrefix(id, "token:") ||
			created["scope"] != "read" || created["name"] != "ci" || created["expires_at"] != want || created["last_used_at"] != nil {
			t.Fatalf("%v (want expiry %s)", created, want)
		}
	})
	t.Run("use records the time and client address", func(t *testing.T) {
		clk.Advance(time.Hour)
		if r := e.do("GET", "/api/notebooks", "", bearer(secret)...); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		list := e.do("GET", "/api/auth/tokens", "", bearer(password)...)
		if strings.Contains(list.body, secret) {
			t.Fatal("the list shows the secret")
		}
		tok := list.json(t).([]any)[0].(map[string]any)
		if tok["id"] != id || tok["last_used_at"] != formatTestTime(clk.Now()) || tok["last_used_ip"] != "127.0.0.1" {
			t.Fatalf("%v", tok)
		}
	})
	t.Run("a token describes itself", func(t *testing.T) {
		got := obj(t, e.do("GET", "/api/auth/session", "", bearer(secret)...))
		if got["kind"] != "token" || got["scope"] != "read" || got["token"].(map[string]any)["id"] != id {
			t.Fatalf("%v", got)
		}
	})
	t.Run("a token cannot log out", func(t *testing.T) {
		if r := e.do("POST", "/api/auth/logout", "", bearer(secret)...); r.status != 400 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	t.Run("an expired token is refused", func(t *testing.T) {
		short, _ := e.createToken(`{"scope":"read","expires_in":"1h"}`)
		clk.Advance(time.Hour)
		if r := e.do("GET", "/api/notebooks", "", bearer(short)...); r.status != 401 || r.body != `{"detail":"API token expired"}` {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	t.Run("an unknown token is refused", func(t *testing.T) {
		if r := e.do("GET", "/api/notebooks", "", bearer("onb_unknown")...); r.status != 401 || r.body != `{"detail":"Invalid API token"}` {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	t.Run("a revoked token is refused, and revoking again keeps the first time", func(t *testing.T) {
		r := e.do("DELETE", "/api/auth/tokens/"+id, "", bearer(password)...)
		revokedAt := obj(t, r)["revoked_at"]
		if r.status != 200 || revokedAt == nil {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if r := e.do("GET", "/api/notebooks", "", bearer(secret)...); r.status != 401 || r.body != `{"detail":"API token revoked"}` {
			t.Fatalf("%d %s", r.status, r.body)
		}
		clk.Advance(time.Minute)
		bare := strings.TrimPrefix(id, "token:")
		if again := obj(t, e.do("DELETE", "/api/auth/tokens/"+bare, "", bearer(password)...)); again["revoked_at"] != revokedAt {
			t.Fatalf("revoked_at changed: %v", again)
		}
	})
	t.Run("revoking an unknown token is not found", func(t *testing.T) {
		if r := e.do("DELETE", "/api/auth/tokens/token:nope", "", bearer(password)...); r.status != 404 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if r := e.do("DELETE", "/api/auth/tokens/session:x", "", bearer(password)...); r.status != 404 {
			t.Fatalf("another table's id: %d %s", r.status, r.body)
		}
	})
	t.Run("creation and revocation are audited", func(t *testing.T) {
		es := e.auditEntries()
		var created, revoked bool
		for _, en := range es {
			created = created || en.Action == "token.create" && en.Target == id && en.Actor == "password" &&
				strings.Contains(string(en.Details), `"scope":"read"`)
			revoked = revoked || en.Action == "token.revoke" && en.Target == id
		}
		if !created || !revoked {
			t.Fatalf("entries %+v", es)
		}
	})
}

// formatTestTime renders a time as the API does.
func formatTestTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02 15:04:05") + "+00:00"
	}
	return t.Format("2006-01-02 15:04:05.000000") + "+00:00"
}
