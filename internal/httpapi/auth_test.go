package httpapi_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/auth"
	"github.com/open-notebook/open-notebook/internal/config"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// clock is a settable clock for sessions, tokens, lock-outs and limits.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newClockedEnv is newEnv with a settable clock.
func newClockedEnv(t *testing.T, engine store.Engine, opts ...option) (*env, *clock) {
	t.Helper()
	e := newEnv(t, engine, opts...)
	e.clock = newClock()
	e.start(opts...)
	return e, e.clock
}

// replica starts a second server on the env's database, as a second
// replica behind a load balancer would be.
func (e *env) replica(opts ...option) *env {
	e.t.Helper()
	r := &env{t: e.t, dbURL: e.dbURL, dbDir: e.dbDir, logs: &syncBuffer{}, vars: testEnv{}, engine: e.engine,
		uploads: e.uploads, clock: e.clock}
	r.start(opts...)
	return r
}

// rawDB opens the env's database directly, as someone with access to the
// database files (not the application) would.
func (e *env) rawDB() *sql.DB {
	e.t.Helper()
	driver, dsn := "pgx", e.dbURL
	if e.engine == store.SQLite {
		// The server's workers write too: wait for them as the server's
		// own connections do, instead of failing with SQLITE_BUSY.
		driver, dsn = "sqlite", "file:"+filepath.Join(e.dbDir, store.FileName)+"?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	return db
}

func withSessions(lifetime, idle time.Duration) option {
	return func(c *config.Config) { c.SessionLifetime, c.SessionIdleTimeout = lifetime, idle }
}

func withTrustedProxies(cidrs string) option {
	return func(c *config.Config) {
		ps, err := config.ParsePrefixes(cidrs)
		if err != nil {
			panic(err)
		}
		c.TrustedProxies = ps
	}
}

func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// login logs in and returns the session's bearer token and the response.
func (e *env) login(pw string, headers ...string) (string, response) {
	e.t.Helper()
	r := e.do("POST", "/api/auth/login", fmt.Sprintf(`{"password":%q}`, pw), headers...)
	if r.status != 200 {
		return "", r
	}
	return obj(e.t, r)["token"].(string), r
}

// auditEntries returns every audit entry, oldest first.
func (e *env) auditEntries() []audit.Entry {
	e.t.Helper()
	var out []audit.Entry
	log := audit.NewLog(e.db, time.Now)
	var b strings.Builder
	if _, err := log.Export(e.t.Context(), &b); err != nil {
		e.t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var en audit.Entry
		if err := json.Unmarshal([]byte(line), &en); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, en)
	}
	return out
}

func countActions(es []audit.Entry, action, outcome string) int {
	n := 0
	for _, en := range es {
		if en.Action == action && en.Outcome == outcome {
			n++
		}
	}
	return n
}

func TestAuthStatusListsTheMethods(t *testing.T) {
	cases := []struct {
		name string
		opts []option
		want string
	}{
		{"without a password there is no method", nil, `{"auth_enabled":false,"message":"Authentication is disabled","methods":[]}`},
		{"with a password, sessions and tokens are offered too", []option{withPassword(password)},
			`{"auth_enabled":true,"message":"Authentication is required","methods":["password","session","token"]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, store.SQLite, tc.opts...)
			if got := e.do("GET", "/api/auth/status", "").body; got != tc.want {
				t.Fatalf("got %s", got)
			}
		})
	}
}

func TestLoginOpensASessionUsableByCookieAndBearer(t *testing.T) {
	e := newEnv(t, store.SQLite, withPassword(password))

	t.Run("a wrong password is refused like the original's bearer check", func(t *testing.T) {
		_, r := e.login("wrong")
		if r.status != 401 || r.body != `{"detail":"Invalid password"}` || r.header.Get("WWW-Authenticate") != "Bearer" {
			t.Fatalf("%d %s %v", r.status, r.body, r.header)
		}
		if r.header.Get("Set-Cookie") != "" {
			t.Fatal("a failed login set a cookie")
		}
	})
	t.Run("a missing password is a validation error", func(t *testing.T) {
		if r := e.do("POST", "/api/auth/login", `{}`); r.status != 422 || !strings.Contains(r.body, `"password"`) {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})

	token, r := e.login(password)
	if r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	cookie := r.header.Get("Set-Cookie")
	body := obj(t, r)
	sess := body["session"].(map[string]any)
	t.Run("the response carries the session's token once and is not cached", func(t *testing.T) {
		if !strings.HasPrefix(token, auth.SessionPrefix) || len(token) < 40 || body["token_type"] != "bearer" ||
			!strings.HasPrefix(sess["id"].(string), "session:") || r.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("%s %v", r.body, r.header)
		}
	})
	t.Run("the cookie holds the same secret, HttpOnly and SameSite=Lax, not Secure over plain HTTP", func(t *testing.T) {
		for _, want := range []string{"onb_session=" + token, "Path=/", "Max-Age=86400", "HttpOnly", "SameSite=Lax"} {
			if !strings.Contains(cookie, want) {
				t.Errorf("cookie %q lacks %q", cookie, want)
			}
		}
		if strings.Contains(cookie, "Secure") {
			t.Errorf("cookie %q is Secure over plain HTTP", cookie)
		}
	})
	cookieHeader := []string{"Cookie", "onb_session=" + token}
	cases := []struct {
		name    string
		method  string
		path    string
		body    string
		headers []string
		status  int
		detail  string
	}{
		{"the cookie authenticates a read", "GET", "/api/notebooks", "", cookieHeader, 200, ""},
		{"the session token authenticates as a bearer", "GET", "/api/notebooks", "", bearer(token), 200, ""},
		{"a same-origin write with the cookie passes", "POST", "/api/notebooks", `{"name":"a"}`,
			append([]string{"Sec-Fetch-Site", "same-origin"}, cookieHeader...), 200, ""},
		{"a cookie write from another site is refused", "POST", "/api/notebooks", `{"name":"b"}`,
			append([]string{"Sec-Fetch-Site", "cross-site"}, cookieHeader...), 403, "Cross-origin request refused"},
		{"a cookie write whose Origin is another host is refused", "POST", "/api/notebooks", `{"name":"c"}`,
			append([]string{"Origin", "https://evil.example"}, cookieHeader...), 403, "Cross-origin request refused"},
		{"a cookie read from another site is allowed (reads change nothing)", "GET", "/api/notebooks", "",
			append([]string{"Sec-Fetch-Site", "cross-site"}, cookieHeader...), 200, ""},
		{"bearer clients are not affected by the cross-site check", "POST", "/api/notebooks", `{"name":"d"}`,
			append([]string{"Sec-Fetch-Site", "cross-site", "Origin", "https://app.example"}, bearer(token)...), 200, ""},
		{"an unknown session cookie is refused", "GET", "/api/notebooks", "", []string{"Cookie", "onb_session=ons_nope"}, 401, "Invalid session"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.body, tc.headers...)
			if r.status != tc.status || !strings.Contains(r.body, tc.detail) {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
	t.Run("the session describes itself", func(t *testing.T) {
		got := obj(t, e.do("GET", "/api/auth/session", "", cookieHeader...))
		s := got["session"].(map[string]any)
		if got["kind"] != "session" || got["scope"] != "admin" || got["auth_enabled"] != true || s["id"] != sess["id"] ||
			s["expires_at"] == "" || s["idle_expires_at"] == "" {
			t.Fatalf("%v", got)
		}
		if got := obj(t, e.do("GET", "/api/auth/session", "", bearer(password)...)); got["kind"] != "password" || got["scope"] != "admin" {
			t.Fatalf("password principal: %v", got)
		}
	})
	t.Run("logout revokes the session for cookie and bearer alike", func(t *testing.T) {
		r := e.do("POST", "/api/auth/logout", "", append([]string{"Sec-Fetch-Site", "same-origin"}, cookieHeader...)...)
		if r.status != 200 || !strings.Contains(r.header.Get("Set-Cookie"), "Max-Age=0") {
			t.Fatalf("logout: %d %s %v", r.status, r.body, r.header)
		}
		for _, h := range [][]string{cookieHeader, bearer(token)} {
			if r := e.do("GET", "/api/notebooks", "", h...); r.status != 401 || r.body != `{"detail":"Session revoked"}` {
				t.Fatalf("after logout: %d %s", r.status, r.body)
			}
		}
	})
	t.Run("a revoked session does not count as a failed attempt", func(t *testing.T) {
		for range 12 {
			e.do("GET", "/api/notebooks", "", bearer(token)...)
		}
		if r := e.do("GET", "/api/notebooks", "", bearer(password)...); r.status != 200 {
			t.Fatalf("the client was locked out by a revoked session: %d %s", r.status, r.body)
		}
	})
	t.Run("logging out without a session says why it cannot", func(t *testing.T) {
		if r := e.do("POST", "/api/auth/logout", "", bearer(password)...); r.status != 400 || !strings.Contains(r.body, "Only a session") {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	t.Run("login, logout and the failures are audited against the session id", func(t *testing.T) {
		es := e.auditEntries()
		var login, logout *audit.Entry
		for i := range es {
			switch {
			case es[i].Action == "auth.login" && es[i].Outcome == audit.Success:
				login = &es[i]
			case es[i].Action == "auth.logout":
				logout = &es[i]
			}
		}
		if login == nil || login.Target != sess["id"] || login.Actor != "password" || login.ClientIP != "127.0.0.1" {
			t.Fatalf("login entry %+v", login)
		}
		if logout == nil || logout.Actor != sess["id"] || logout.Target != sess["id"] {
			t.Fatalf("logout entry %+v", logout)
		}
		if countActions(es, "auth.login", audit.Failure) != 1 || countActions(es, "auth.failure", audit.Failure) != 1 {
			t.Fatalf("failures: %d logins, %d others", countActions(es, "auth.login", audit.Failure), countActions(es, "auth.failure", audit.Failure))
		}
	})
}

func TestLoginWithoutAPasswordIsRefused(t *testing.T) {
	e := newEnv(t, store.SQLite)
	if r := e.do("POST", "/api/auth/login", `{"password":"x"}`); r.status != 400 || !strings.Contains(r.body, "Authentication is disabled") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if got := obj(t, e.do("GET", "/api/auth/session", "")); got["auth_enabled"] != false || got["kind"] != "anonymous" {
		t.Fatalf("%v", got)
	}
}

func TestSessionExpiresAfterIdleTimeoutAndLifetime(t *testing.T) {
	const lifetime, idle = 3 * time.Hour, time.Hour
	cases := []struct {
		name string
		// gaps between uses after login; the last use must fail
		gaps []time.Duration
	}{
		{"a session unused for the idle timeout expires", []time.Duration{idle}},
		{"each use restarts the idle timeout", []time.Duration{idle - time.Minute, idle - time.Minute, idle - time.Minute, idle + time.Second}},
		{"a session in constant use still ends at its lifetime", []time.Duration{50 * time.Minute, 50 * time.Minute, 50 * time.Minute, 30 * time.Minute}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, clk := newClockedEnv(t, store.SQLite, withPassword(password), withSessions(lifetime, idle))
			token, r := e.login(password)
			if r.status != 200 {
				t.Fatal(r.body)
			}
			for i, gap := range tc.gaps {
				clk.Advance(gap)
				r := e.do("GET", "/api/notebooks", "", bearer(token)...)
				last := i == len(tc.gaps)-1
				switch {
				case !last && r.status != 200:
					t.Fatalf("use %d after %v: %d %s", i+1, gap, r.status, r.body)
				case last && (r.status != 401 || r.body != `{"detail":"Session expired"}`):
					t.Fatalf("last use: %d %s", r.status, r.body)
				}
			}
			// An expired cookie is cleared.
			r = e.do("GET", "/api/notebooks", "", "Cookie", "onb_session="+token)
			if r.status != 401 || !strings.Contains(r.header.Get("Set-Cookie"), "Max-Age=0") {
				t.Fatalf("expired cookie: %d %v", r.status, r.header)
			}
		})
	}
}

func TestEverySessionCanBeRevokedAtOnce(t *testing.T) {
	e := newEnv(t, store.SQLite, withPassword(password))
	a, _ := e.login(password)
	b, _ := e.login(password)
	r := e.do("DELETE", "/api/auth/sessions", "", bearer(a)...)
	if r.status != 200 || obj(t, r)["revoked"] != float64(2) {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, tok := range []string{a, b} {
		if r := e.do("GET", "/api/notebooks", "", bearer(tok)...); r.status != 401 {
			t.Fatalf("session still valid: %d", r.status)
		}
	}
	if r := e.do("GET", "/api/notebooks", "", bearer(password)...); r.status != 200 {
		t.Fatalf("the password stops working: %d", r.status)
	}
}

func TestBruteForceIsLockedOutUntilTheWindowPasses(t *testing.T) {
	e, clk := newClockedEnv(t, store.SQLite, withPassword(password))
	token, _ := e.login(password)
	for i := range 10 {
		r := e.do("GET", "/api/notebooks", "", bearer(fmt.Sprintf("guess-%d", i))...)
		if r.status != 401 || r.body != `{"detail":"Invalid password"}` {
			t.Fatalf("attempt %d: %d %s", i+1, r.status, r.body)
		}
		clk.Advance(10 * time.Second)
	}
	locked := []struct {
		name    string
		method  string
		path    string
		body    string
		headers []string
	}{
		{"another wrong password", "GET", "/api/notebooks", "", bearer("guess-11")},
		{"even the right password", "GET", "/api/notebooks", "", bearer(password)},
		{"even a login with the right password", "POST", "/api/auth/login", `{"password":"` + password + `"}`, nil},
		{"an unknown token", "GET", "/api/notebooks", "", bearer("onb_guess")},
	}
	for _, tc := range locked {
		t.Run(tc.name+" is refused while locked out", func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.body, tc.headers...)
			if r.status != 429 || !strings.Contains(r.body, "Too many failed authentication attempts") {
				t.Fatalf("%d %s", r.status, r.body)
			}
			// The window began with the first failure, 100 s ago.
			if got, _ := strconv.Atoi(r.header.Get("Retry-After")); got != 200 {
				t.Fatalf("Retry-After %q, want 200", r.header.Get("Retry-After"))
			}
		})
	}
	t.Run("a valid session keeps working: its secret cannot be guessed", func(t *testing.T) {
		if r := e.do("GET", "/api/notebooks", "", bearer(token)...); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	t.Run("the client recovers once the window has passed", func(t *testing.T) {
		clk.Advance(199 * time.Second)
		if r := e.do("GET", "/api/notebooks", "", bearer(password)...); r.status != 429 {
			t.Fatalf("one second early: %d", r.status)
		}
		clk.Advance(time.Second)
		if r := e.do("GET", "/api/notebooks", "", bearer(password)...); r.status != 200 {
			t.Fatalf("after the window: %d %s", r.status, r.body)
		}
		if r := e.do("GET", "/api/notebooks", "", bearer("wrong-again")...); r.status != 401 {
			t.Fatalf("a new window: %d %s", r.status, r.body)
		}
	})
	t.Run("the failures and the lock-out are audited once each", func(t *testing.T) {
		es := e.auditEntries()
		if n := countActions(es, "auth.failure", audit.Failure); n != 11 {
			t.Fatalf("%d failures audited, want 11 (locked-out attempts are not)", n)
		}
		if n := countActions(es, "auth.lockout", audit.Failure); n != 1 {
			t.Fatalf("%d lock-outs audited", n)
		}
	})
}

func TestClientAddressComesFromTrustedProxiesOnly(t *testing.T) {
	cases := []struct {
		name      string
		trusted   string
		separated bool // failures from different forwarded addresses count apart
		hsts      bool // X-Forwarded-Proto: https is believed
	}{
		{"behind a trusted proxy each forwarded client is counted apart", "127.0.0.0/8", true, true},
		{"from an untrusted peer the forwarded headers are ignored", "10.0.0.0/8", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, store.SQLite, withPassword(password), withTrustedProxies(tc.trusted))
			from := func(client string) []string { return []string{"X-Forwarded-For", "198.51.100.1, " + client} }
			for range 10 {
				e.do("GET", "/api/notebooks", "", append(from("203.0.113.5"), bearer("wrong")...)...)
			}
			r := e.do("GET", "/api/notebooks", "", append(from("203.0.113.6"), bearer(password)...)...)
			if (r.status == 200) != tc.separated {
				t.Fatalf("another forwarded client: %d %s", r.status, r.body)
			}
			wantIP := "127.0.0.1"
			if tc.separated {
				wantIP = "203.0.113.5"
			}
			if es := e.auditEntries(); len(es) == 0 || es[0].ClientIP != wantIP {
				t.Fatalf("audited client %v, want %s", es, wantIP)
			}
			r = e.do("GET", "/health", "", "X-Forwarded-Proto", "https")
			if (r.header.Get("Strict-Transport-Security") != "") != tc.hsts {
				t.Fatalf("HSTS %q", r.header.Get("Strict-Transport-Security"))
			}
		})
	}
}

func TestArgon2idPasswordHash(t *testing.T) {
	hash, err := auth.HashPassword(password, auth.HashParams{Memory: 1024, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, store.SQLite, withPassword(hash))
	cases := []struct {
		name, token string
		status      int
	}{
		{"the password matching the hash passes", password, 200},
		{"it passes again from the verification cache", password, 200},
		{"a wrong password is refused", "wrong", 401},
		{"the hash itself is not the password", hash, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if r := e.do("GET", "/api/notebooks", "", bearer(tc.token)...); r.status != tc.status {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
	if _, r := e.login(password); r.status != 200 {
		t.Fatalf("login with a hashed password: %d %s", r.status, r.body)
	}
}

func TestNoSecretAppearsInLogsOrTheAuditLog(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine, withPassword(password), withKey(encKey))
			sessionToken, _ := e.login(password)
			created := obj(t, e.do("POST", "/api/auth/tokens", `{"name":"ci","scope":"write"}`, bearer(sessionToken)...))
			apiToken := created["token"].(string)
			e.do("GET", "/api/notebooks", "", bearer(apiToken)...)
			e.do("GET", "/api/notebooks", "", "Cookie", "onb_session="+sessionToken)
			e.do("GET", "/api/notebooks", "", bearer("wrong-"+password)...)
			e.do("POST", "/api/auth/login", `{"password":"another-wrong-guess"}`)
			e.do("GET", "/api/notebooks", "", bearer(apiToken+"x")...)
			if r := e.do("POST", "/api/credentials", `{"name":"k","provider":"openai","api_key":"`+secretKey+`"}`, bearer(apiToken)...); r.status != 201 {
				t.Fatalf("create credential: %d %s", r.status, r.body)
			}
			e.do("POST", "/api/auth/logout", "", bearer(sessionToken)...)

			secrets := []string{password, "wrong-" + password, "another-wrong-guess", sessionToken, apiToken, secretKey}
			e.mustNotLeak(secrets...)
			var exported strings.Builder
			if _, err := audit.NewLog(e.db, time.Now).Export(t.Context(), &exported); err != nil {
				t.Fatal(err)
			}
			stored := e.securityRows()
			for _, s := range secrets {
				if strings.Contains(exported.String(), s) {
					t.Errorf("the audit log contains %q", s)
				}
				if strings.Contains(stored, s) {
					t.Errorf("the database's security tables contain %q", s)
				}
			}
			if !strings.Contains(exported.String(), created["id"].(string)) {
				t.Error("the audit log does not name the token by id")
			}
		})
	}
}

// securityRows returns the sessions, tokens, failures and audit rows as
// text, read directly from the database.
func (e *env) securityRows() string {
	e.t.Helper()
	db := e.rawDB()
	var b strings.Builder
	queries := map[store.Engine][]string{
		store.SQLite: {`SELECT id || secret_hash || client_ip || user_agent FROM sessions`,
			`SELECT id || secret_hash || name || scope FROM api_tokens`,
			`SELECT client FROM auth_failures`,
			`SELECT actor || client_ip || action || target || details FROM audit_log`},
		store.Postgres: {`SELECT s::text FROM sessions s`, `SELECT t::text FROM api_tokens t`,
			`SELECT f::text FROM auth_failures f`, `SELECT a::text FROM audit_log a`},
	}
	for _, q := range queries[e.engine] {
		rows, err := db.Query(q)
		if err != nil {
			e.t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				e.t.Fatal(err)
			}
			b.WriteString(s + "\n")
		}
		rows.Close()
	}
	if b.Len() == 0 {
		e.t.Fatal("nothing read from the security tables")
	}
	return b.String()
}
