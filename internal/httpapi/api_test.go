package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/ai"
	"github.com/open-notebook/open-notebook/internal/app"
	"github.com/open-notebook/open-notebook/internal/config"
	"github.com/open-notebook/open-notebook/internal/crypto/keyring"
	"github.com/open-notebook/open-notebook/internal/httpapi"
	"github.com/open-notebook/open-notebook/internal/secret"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type env struct {
	t       testing.TB
	srv     *httptest.Server
	db      *store.DB
	app     *app.App
	dbURL   string // to reopen the same database
	dbDir   string
	logs    *syncBuffer
	vars    testEnv
	engine  store.Engine
	uploads string
	// aiTimeouts bound the calls to fake providers; zero values are the
	// production defaults.
	aiTimeouts ai.Timeouts
	clock      *clock // sessions' and lock-outs' clock (auth_test.go); nil: time.Now
}

type option func(*config.Config)

// testEnv is the process environment the services see: provider keys for
// the environment fallback and migration tests.
type testEnv map[string]string

func (e testEnv) lookup(k string) (string, bool) { v, ok := e[k]; return v, ok }

func withPassword(p string) option { return func(c *config.Config) { c.Password = secret.New(p) } }
func withKey(k string, previous ...string) option {
	return func(c *config.Config) {
		c.EncryptionKey = secret.New(k)
		c.EncryptionKeyPrevious = nil
		for _, p := range previous {
			c.EncryptionKeyPrevious = append(c.EncryptionKeyPrevious, secret.New(p))
		}
	}
}
func withMaxBody(n int64) option { return func(c *config.Config) { c.MaxUploadBytes = n } }
func withCORS(origins ...string) option {
	return func(c *config.Config) { c.CORSOrigins, c.CORSWildcard, c.CORSAllowCred = origins, false, true }
}

// newEnv serves the real API over a real database (SQLite unless engine
// says otherwise) on a loopback test server.
func newEnv(t testing.TB, engine store.Engine, opts ...option) *env {
	t.Helper()
	url, dir := storetest.URL(t, engine)
	e := &env{t: t, dbURL: url, dbDir: dir, logs: &syncBuffer{}, vars: testEnv{}, engine: engine, uploads: t.TempDir()}
	e.start(opts...)
	return e
}

// testKDF keeps Argon2id cheap in tests; production uses the defaults.
var testKDF = keyring.KDFParams{Memory: 64, Time: 1, Threads: 1}

// start (re)starts the API on the env's database with a configuration,
// as a restart of the server would.
func (e *env) start(opts ...option) {
	t := e.t
	t.Helper()
	if e.srv != nil {
		e.srv.Close()
		e.app.Close()
	}
	cfg, err := config.Load(func(string) (string, bool) { return "", false }, storetest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	cfg.DatabaseURL, cfg.DataDir = secret.New(e.dbURL), e.dbDir
	if cfg.DataDir == "" {
		cfg.DataDir = e.uploads
	}
	// Tests of other features call provider endpoints many times from one
	// address; the costly limit applies only where a test sets its own.
	cfg.CostlyRateLimit = config.Rate{}
	for _, o := range opts {
		o(cfg)
	}
	now := time.Now
	if e.clock != nil {
		now = e.clock.Now
	}
	a, err := app.Open(t.Context(), cfg, app.Options{Env: e.vars.lookup, Now: now, KDF: testKDF, Resolver: fakeResolver{},
		AITimeouts: e.aiTimeouts, JobPollInterval: 20 * time.Millisecond, Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.WithoutCancel(t.Context())); err != nil {
		t.Fatal(err)
	}
	<-a.Credentials.Vault().Ready() // tests start from a settled key ring
	api, err := httpapi.New(a, httpapi.Options{Version: "9.9.9"})
	if err != nil {
		t.Fatal(err)
	}
	db := a.DB
	e.app = a
	srv := httptest.NewUnstartedServer(api)
	srv.Listener = api.Listener(srv.Listener)
	srv.Config.MaxHeaderBytes = 64 << 10 // as serve sets it
	srv.Start()
	e.db, e.srv = db, srv
	t.Cleanup(func() { e.srv.Close(); a.Close() })
}

// fakeResolver answers like DNS with no network: names under .internal
// resolve to the cloud metadata address, everything else to a public one.
type fakeResolver struct{}

func (fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if strings.HasSuffix(host, ".internal") {
		return []netip.Addr{netip.MustParseAddr("169.254.169.254")}, nil
	}
	return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
}

type response struct {
	status int
	header http.Header
	body   string
}

func (r response) json(t testing.TB) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("body is not JSON: %q", r.body)
	}
	return v
}

func (e *env) do(method, path, body string, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		// What every JSON client sends; tests of other bodies set their own.
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func TestRootEndpoints(t *testing.T) {
	e := newEnv(t, store.SQLite)
	cases := []struct {
		path, want string
	}{
		{"/", `{"message":"Open Notebook API is running"}`},
		{"/health", `{"status":"healthy"}`},
		{"/api/auth/status", `{"auth_enabled":false,"message":"Authentication is disabled","methods":[]}`},
		{"/api/config", `{"version":"9.9.9","latestVersion":null,"hasUpdate":false,"dbStatus":"online"}`},
		{"/api/nope", `{"detail":"Not Found"}`},
	}
	for _, tc := range cases {
		r := e.do("GET", tc.path, "")
		if r.body != tc.want {
			t.Errorf("GET %s = %d %s, want %s", tc.path, r.status, r.body, tc.want)
		}
	}
	if r := e.do("GET", "/api/nope", ""); r.status != 404 {
		t.Errorf("unknown route status %d", r.status)
	}
	r := e.do("PATCH", "/api/notebooks", "")
	if r.status != 405 || r.body != `{"detail":"Method Not Allowed"}` || !strings.Contains(r.header.Get("Allow"), "POST") {
		t.Errorf("wrong method: %d %s allow=%q", r.status, r.body, r.header.Get("Allow"))
	}
	if id := r.header.Get("X-Request-ID"); len(id) != 16 {
		t.Errorf("X-Request-ID = %q", id)
	}
	for _, h := range []string{"X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"} {
		if r.header.Get(h) == "" {
			t.Errorf("missing security header %s", h)
		}
	}
}

func TestConfigReportsOfflineDatabaseWithoutTheError(t *testing.T) {
	e := newEnv(t, store.SQLite, withPassword("pw"))
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	r := e.do("GET", "/api/config", "")
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	got := r.json(t).(map[string]any)
	if got["dbStatus"] != "offline" || len(got) != 4 {
		t.Fatalf("got %v", got)
	}
	if strings.Contains(r.body, "closed") || strings.Contains(r.body, "error") {
		t.Fatalf("body leaks the database error: %s", r.body)
	}
	if !strings.Contains(e.logs.String(), "database ping failed") {
		t.Fatal("the failure should be logged")
	}
}

func TestOpenAPIDocumentCoversEveryRoute(t *testing.T) {
	e := newEnv(t, store.SQLite, withPassword("pw"))
	r := e.do("GET", "/openapi.json", "")
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	want := map[string][]string{
		"/": {"get"}, "/health": {"get"}, "/api/auth/status": {"get"}, "/api/config": {"get"},
		"/api/settings":                {"get", "put"},
		"/api/notebooks":               {"get", "post"},
		"/api/notebooks/{notebook_id}": {"get", "put", "delete"},
	}
	for path, methods := range want {
		for _, m := range methods {
			op, ok := doc.Paths[path][m].(map[string]any)
			if !ok {
				t.Errorf("%s %s is not documented", m, path)
				continue
			}
			if _, ok := op["responses"].(map[string]any)["200"]; !ok {
				t.Errorf("%s %s has no 200 response", m, path)
			}
		}
	}
	post := doc.Paths["/api/notebooks"]["post"].(map[string]any)
	if _, ok := post["requestBody"]; !ok {
		t.Error("POST /api/notebooks documents no request body")
	}
	if _, ok := post["security"]; !ok {
		t.Error("POST /api/notebooks documents no security")
	}
	if d := e.do("GET", "/docs", ""); d.status != 200 || !strings.Contains(d.body, "/static/vendor/swagger-ui/swagger-ui-bundle.js") {
		t.Fatalf("docs page: %d", d.status)
	}
	if a := e.do("GET", "/static/vendor/swagger-ui/swagger-ui-bundle.js", ""); a.status != 200 || len(a.body) < 100000 {
		t.Fatalf("docs asset: %d %d bytes", a.status, len(a.body))
	}
	t.Run("the docs page names its icon and leads back to the web UI", func(t *testing.T) {
		d := e.do("GET", "/docs", "")
		if !strings.Contains(d.body, `rel="icon" href="/ui/assets/icon.svg"`) || !strings.Contains(d.body, `href="/ui/"`) {
			t.Fatalf("docs page: %s", d.body)
		}
		for _, path := range []string{"/favicon.ico", "/static/docs.css"} {
			if r := e.do("GET", path, ""); r.status != 200 || r.body == "" {
				t.Errorf("%s: %d", path, r.status)
			}
		}
	})
}

func TestABrowserOpeningTheRootIsSentToTheUI(t *testing.T) {
	e := newEnv(t, store.SQLite, withPassword(password))
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cases := []struct {
		name, accept string
		redirect     bool
	}{
		{"a browser's Accept prefers HTML", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true},
		{"curl accepts anything", "*/*", false},
		{"an API client asks for JSON", "application/json", false},
		{"no Accept at all", "", false},
		{"HTML ranked below JSON", "application/json, text/html;q=0.5", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.srv.URL+"/", nil)
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
			}
			resp, err := noFollow.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if tc.redirect {
				if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/ui/" {
					t.Fatalf("%d Location %q", resp.StatusCode, resp.Header.Get("Location"))
				}
				return
			}
			if resp.StatusCode != 200 || string(body) != `{"message":"Open Notebook API is running"}` {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
		})
	}
}

func TestAPathWithATrailingSlashIsRedirectedLikeTheOriginal(t *testing.T) {
	e := newEnv(t, store.SQLite)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(e.srv.URL + "/api/notebooks/?archived=false")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != "/api/notebooks?archived=false" {
		t.Fatalf("%d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if r := e.do("GET", "/api/notebooks/", ""); r.status != 200 {
		t.Fatalf("following the redirect: %d %s", r.status, r.body)
	}
}
