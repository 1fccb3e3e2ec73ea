package httpapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/store"
)

const password = "correct-horse-battery-staple"

func TestPasswordAuth(t *testing.T) {
	e := newEnv(t, store.SQLite, withPassword(password))
	cases := []struct {
		name, method, path, auth string
		status                   int
		detail                   string
	}{
		{"the banner is public", "GET", "/", "", 200, ""},
		{"health is public", "GET", "/health", "", 200, ""},
		{"the docs are public", "GET", "/docs", "", 200, ""},
		{"the OpenAPI document is public", "GET", "/openapi.json", "", 200, ""},
		{"redoc is public", "GET", "/redoc", "", 200, ""},
		{"auth status is public", "GET", "/api/auth/status", "", 200, ""},
		{"config is public", "GET", "/api/config", "", 200, ""},
		{"a trailing-slash variant is not public", "GET", "/health/", "", 401, "Missing authorization header"},
		{"no header is refused", "GET", "/api/notebooks", "", 401, "Missing authorization header"},
		{"a scheme with no space is malformed", "GET", "/api/notebooks", "Bearer", 401, "Invalid authorization header format"},
		{"another scheme is malformed", "GET", "/api/notebooks", "Basic " + password, 401, "Invalid authorization header format"},
		{"a wrong password is refused", "GET", "/api/notebooks", "Bearer wrong", 401, "Invalid password"},
		{"an empty bearer is malformed (HTTP trims trailing blanks)", "GET", "/api/notebooks", "Bearer ", 401, "Invalid authorization header format"},
		{"a blank bearer token is a wrong password", "GET", "/api/notebooks", "Bearer  x", 401, "Invalid password"},
		{"a longer password is refused", "GET", "/api/notebooks", "Bearer " + password + "x", 401, "Invalid password"},
		{"the right password passes", "GET", "/api/notebooks", "Bearer " + password, 200, ""},
		{"the scheme is case-insensitive", "GET", "/api/notebooks", "bearer " + password, 200, ""},
		{"unknown routes need auth first", "GET", "/api/nope", "", 401, "Missing authorization header"},
		{"unknown routes are 404 once authenticated", "GET", "/api/nope", "Bearer " + password, 404, "Not Found"},
		{"OPTIONS always passes", "OPTIONS", "/api/notebooks", "", 405, "Method Not Allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var headers []string
			if tc.auth != "" {
				headers = []string{"Authorization", tc.auth}
			}
			r := e.do(tc.method, tc.path, "", headers...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d (%s)", r.status, tc.status, r.body)
			}
			if tc.status == 401 {
				if r.header.Get("WWW-Authenticate") != "Bearer" {
					t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
				}
			}
			if tc.detail != "" && r.body != `{"detail":"`+tc.detail+`"}` {
				t.Errorf("body %s, want detail %q", r.body, tc.detail)
			}
		})
	}
	if got := e.do("GET", "/api/auth/status", "").body; got != `{"auth_enabled":true,"message":"Authentication is required","methods":["password","session","token"]}` {
		t.Errorf("auth status %s", got)
	}
	if strings.Contains(e.logs.String(), password) {
		t.Fatal("the password appears in the log")
	}
}

func TestNoPasswordMeansNoAuth(t *testing.T) {
	e := newEnv(t, store.SQLite)
	if r := e.do("GET", "/api/notebooks", ""); r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	if r := e.do("GET", "/api/notebooks", "", "Authorization", "Bearer not-required"); r.status != 200 {
		t.Fatalf("the original UI's placeholder token must be ignored: %d", r.status)
	}
}

func TestCORSDefaultWildcard(t *testing.T) {
	e := newEnv(t, store.SQLite, withPassword(password))
	r := e.do("GET", "/health", "", "Origin", "https://evil.example.com")
	if r.status != 200 || r.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("status %d, ACAC %q", r.status, r.header.Get("Access-Control-Allow-Credentials"))
	}
	if acao := r.header.Get("Access-Control-Allow-Origin"); acao != "*" && acao != "https://evil.example.com" {
		t.Fatalf("ACAO %q", acao)
	}
	// A 401 produced by auth still carries CORS headers: CORS is outermost.
	r = e.do("GET", "/api/notebooks", "", "Origin", "https://app.example.com")
	if r.status != 401 || r.header.Get("Access-Control-Allow-Origin") == "" {
		t.Fatalf("401 without CORS: %d %v", r.status, r.header)
	}
	// A preflight never reaches auth.
	r = e.do("OPTIONS", "/api/notebooks", "", "Origin", "https://app.example.com",
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type")
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(r.header.Get("Access-Control-Allow-Methods"), "POST") ||
		r.header.Get("Access-Control-Allow-Headers") != "authorization,content-type" {
		t.Fatalf("preflight: %d %v", r.status, r.header)
	}
}

func TestCORSExplicitOrigins(t *testing.T) {
	e := newEnv(t, store.SQLite, withCORS("https://notebook.example.com", "https://other.example.com"))
	r := e.do("GET", "/health", "", "Origin", "https://notebook.example.com")
	if r.header.Get("Access-Control-Allow-Origin") != "https://notebook.example.com" ||
		r.header.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(r.header.Get("Vary"), "Origin") {
		t.Fatalf("allowed origin: %v", r.header)
	}
	r = e.do("GET", "/health", "", "Origin", "https://evil.example.com")
	if r.header.Get("Access-Control-Allow-Origin") != "" || r.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("disallowed origin got CORS headers: %v", r.header)
	}
	r = e.do("OPTIONS", "/api/notebooks", "", "Origin", "https://evil.example.com", "Access-Control-Request-Method", "GET")
	if r.status != 400 || r.body != "Disallowed CORS origin" {
		t.Fatalf("disallowed preflight: %d %q", r.status, r.body)
	}
}

const tooLarge = `{"detail":"Request body exceeds the maximum allowed upload size"}`

func TestBodySizeLimit(t *testing.T) {
	e := newEnv(t, store.SQLite, withPassword(password), withMaxBody(20), withCORS("http://example.com"))
	send := func(body io.Reader, length int64, headers ...string) response {
		t.Helper()
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/notebooks", body)
		req.ContentLength = length
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return response{resp.StatusCode, resp.Header, string(b)}
	}
	exactly := `{"name":"0123456789"}`             // 21 bytes
	exactly = exactly[:0] + `{"name":"012345678"}` // 20 bytes: the limit itself is allowed
	cases := []struct {
		name    string
		body    string
		length  int64 // -1: streamed without Content-Length
		auth    bool
		status  int
		created bool
	}{
		{"a declared length over the limit is refused before auth", strings.Repeat("x", 1000), 1000, false, 413, false},
		{"a body exactly at the limit passes", exactly, 20, true, 200, true},
		{"one byte over the limit is refused", exactly + " ", 21, true, 413, false},
		{"a streamed body over the limit is refused", strings.Repeat(" ", 15) + `{"name":"abc"}`, -1, true, 413, false},
		{"a small streamed body passes", `{"name":"small"}`, -1, true, 200, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(tc.body)
			if tc.length < 0 {
				body = io.MultiReader(strings.NewReader(tc.body)) // hides the length: chunked
			}
			headers := []string{"Origin", "http://example.com", "Content-Type", "application/json"}
			if tc.auth {
				headers = append(headers, "Authorization", "Bearer "+password)
			}
			r := send(body, tc.length, headers...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status == 413 {
				if r.body != tooLarge || r.header.Get("Content-Type") != "application/json" {
					t.Fatalf("413 body %q, type %q", r.body, r.header.Get("Content-Type"))
				}
				if r.header.Get("Access-Control-Allow-Origin") != "http://example.com" {
					t.Fatalf("413 without CORS headers: %v", r.header)
				}
			}
		})
	}
	list := e.do("GET", "/api/notebooks", "", "Authorization", "Bearer "+password)
	if n := strings.Count(list.body, `"id"`); n != 2 {
		t.Fatalf("want exactly the 2 accepted notebooks, got %d: %s", n, list.body)
	}
}
