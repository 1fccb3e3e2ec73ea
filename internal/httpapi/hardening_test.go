package httpapi_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/auth"
	"github.com/open-notebook/open-notebook/internal/config"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// cheapHash is an Argon2id hash of "right-password" with costs that keep
// the tests fast; every wrong guess still runs the hash.
func cheapHash(t *testing.T) string {
	t.Helper()
	h, err := auth.HashPassword("right-password", auth.HashParams{Memory: 64, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// guess sends n wrong passwords at once, half as a bearer value and half
// to the login, and returns how many were refused as wrong (401) and as
// locked out (429).
func (e *env) guess(n int) (wrong, locked int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var r response
			if i%2 == 0 {
				r = e.do("GET", "/api/notebooks", "", bearer(fmt.Sprintf("guess-%d", i))...)
			} else {
				r = e.do("POST", "/api/auth/login", fmt.Sprintf(`{"password":"guess-%d"}`, i))
			}
			mu.Lock()
			defer mu.Unlock()
			switch r.status {
			case 401:
				wrong++
			case 429:
				locked++
			default:
				e.t.Errorf("guess %d: %d %s", i, r.status, r.body)
			}
		})
	}
	wg.Wait()
	return wrong, locked
}

func TestParallelGuessesAreCheckedNoMoreThanTheLimitAllows(t *testing.T) {
	limit := config.Rate{N: 10, Per: 5 * time.Minute}
	withLimit := func(c *config.Config) { c.AuthFailureLimit = limit }
	t.Run("on one server", func(t *testing.T) {
		e := newEnv(t, store.SQLite, withPassword(cheapHash(t)), withLimit, withMaxClientConns(1000))
		wrong, locked := e.guess(200)
		if runs := e.app.Auth.PasswordRuns(); runs > int64(limit.N) || wrong != limit.N || locked != 200-limit.N {
			t.Fatalf("%d password checks, %d refused as wrong, %d as locked out; want at most %d checks", runs, wrong, locked, limit.N)
		}
		if r := e.do("GET", "/api/notebooks", "", bearer("right-password")...); r.status != 429 {
			t.Fatalf("the right password during the lock-out: %d", r.status)
		}
	})
	for _, engine := range storetest.Engines() {
		t.Run("on two replicas of one "+string(engine)+" database", func(t *testing.T) {
			a := newEnv(t, engine, withPassword(cheapHash(t)), withLimit, withMaxClientConns(1000))
			b := a.replica(withPassword(cheapHash(t)), withLimit, withMaxClientConns(1000))
			var wg sync.WaitGroup
			wg.Go(func() { a.guess(100) })
			wg.Go(func() { b.guess(100) })
			wg.Wait()
			// Each replica checks one attempt per client at a time, after
			// reading the failures counted so far; at the limit, the other
			// replica may have one check in flight.
			const replicas = 2
			if runs := a.app.Auth.PasswordRuns() + b.app.Auth.PasswordRuns(); runs > int64(limit.N+replicas-1) {
				t.Fatalf("%d password checks across the replicas, want at most %d", runs, limit.N+replicas-1)
			}
		})
	}
}

// allocated runs f and reports how many bytes the whole process allocated
// meanwhile (the server runs in this process).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// zeros is an endless body that allocates nothing.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestOversizedUnauthenticatedBodiesCostTheServerNoMemory(t *testing.T) {
	e := newEnv(t, store.SQLite, withPassword(cheapHash(t)), withMaxBody(100<<20))
	const size = 95 << 20
	post := func(path string) {
		req, _ := http.NewRequest("POST", e.srv.URL+path, io.LimitReader(zeros{}, size))
		req.ContentLength = size
		req.Header.Set("Content-Type", "application/json")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	for _, tc := range []struct{ name, path string }{
		{"the login", "/api/auth/login"},
		{"a protected endpoint", "/api/notebooks"},
	} {
		t.Run("sixteen 95 MB bodies posted to "+tc.name, func(t *testing.T) {
			n := allocated(func() {
				var wg sync.WaitGroup
				for range 16 {
					wg.Go(func() { post(tc.path) })
				}
				wg.Wait()
			})
			if n > 64<<20 {
				t.Fatalf("the process allocated %d MB for bodies it should not read", n>>20)
			}
		})
	}
	t.Run("a password longer than any password is refused unread", func(t *testing.T) {
		r := e.do("POST", "/api/auth/login", `{"password":"`+strings.Repeat("p", 2000)+`"}`)
		if r.status != 422 || strings.Contains(r.body, "pppp") {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	t.Run("a locked-out client's login body is not read", func(t *testing.T) {
		e.guess(12)
		n := allocated(func() { post("/api/auth/login") })
		if n > 16<<20 {
			t.Fatalf("allocated %d MB", n>>20)
		}
	})
}

func TestNULCharactersAreRefusedEverywhere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db.Engine(), withKey(encKey))
		nb := obj(t, e.do("POST", "/api/notebooks", `{"name":"n"}`))["id"].(string)
		note := obj(t, e.do("POST", "/api/notes", `{"content":"c","notebook_id":"`+nb+`"}`))["id"].(string)
		src := obj(t, e.do("POST", "/api/sources/json", `{"type":"text","content":"c"}`))["id"].(string)
		cred := obj(t, e.do("POST", "/api/credentials", `{"name":"c","provider":"openai","api_key":"sk-abcdefgh12345678"}`))["id"].(string)
		const nul = `\u0000`
		cases := []struct{ method, path, body string }{
			{"POST", "/api/notebooks", `{"name":"a` + nul + `b"}`},
			{"POST", "/api/notebooks", `{"name":"a","description":"` + nul + `"}`},
			{"PUT", "/api/notebooks/" + nb, `{"name":"` + nul + `"}`},
			{"GET", "/api/notebooks/%00", ""},
			{"PUT", "/api/notebooks/notebook:%00x", `{"name":"x"}`},
			{"DELETE", "/api/notebooks/%00", ""},
			{"GET", "/api/notebooks/%00/delete-preview", ""},
			{"GET", "/api/notebooks?order_by=%00", ""},
			{"POST", "/api/notes", `{"content":"` + nul + `"}`},
			{"POST", "/api/notes", `{"content":"x","title":"` + nul + `"}`},
			{"POST", "/api/notes", `{"content":"x","notebook_id":"` + nul + `"}`},
			{"PUT", "/api/notes/" + note, `{"content":"a` + nul + `"}`},
			{"GET", "/api/notes/%00", ""},
			{"DELETE", "/api/notes/note:%00", ""},
			{"GET", "/api/notes?notebook_id=%00", ""},
			{"POST", "/api/sources/json", `{"type":"text","content":"a` + nul + `b"}`},
			{"POST", "/api/sources/json", `{"type":"text","content":"x","title":"` + nul + `"}`},
			{"POST", "/api/sources/json", `{"type":"link","url":"http://example.com/` + nul + `"}`},
			{"POST", "/api/sources/json", `{"type":"text","content":"x","notebooks":["` + nul + `"]}`},
			{"PUT", "/api/sources/" + src, `{"title":"` + nul + `"}`},
			{"PUT", "/api/sources/" + src, `{"topics":["` + nul + `"]}`},
			{"GET", "/api/sources/%00", ""},
			{"DELETE", "/api/sources/source:%00", ""},
			{"GET", "/api/sources?notebook_id=%00", ""},
			{"POST", "/api/notebooks/" + nb + "/sources/%00", ""},
			{"DELETE", "/api/notebooks/%00/sources/" + src, ""},
			{"POST", "/api/credentials", `{"name":"a` + nul + `","provider":"openai"}`},
			{"POST", "/api/credentials", `{"name":"a","provider":"openai","api_key":"sk-` + nul + `"}`},
			{"POST", "/api/credentials", `{"name":"a","provider":"openai","base_url":"http://x/` + nul + `"}`},
			{"PUT", "/api/credentials/" + cred, `{"project":"` + nul + `"}`},
			{"GET", "/api/credentials/%00", ""},
			{"DELETE", "/api/credentials/" + cred + "?migrate_to=%00", ""},
			{"POST", "/api/credentials/%00/test", ""},
			{"GET", "/api/credentials?provider=%00", ""},
			{"GET", "/api/credentials/by-provider/%00", ""},
			{"POST", "/api/models", `{"name":"m` + nul + `","provider":"openai","type":"language"}`},
			{"PUT", "/api/models/defaults", `{"default_chat_model":"model:` + nul + `"}`},
			{"DELETE", "/api/models/%00", ""},
			{"GET", "/api/models/count/%00", ""},
			{"GET", "/api/models?type=%00", ""},
			{"POST", "/api/search", `{"query":"a` + nul + `"}`},
			{"POST", "/api/search", `{"query":"a` + nul + `","type":"vector"}`},
			{"PUT", "/api/settings", `{"youtube_preferred_languages":["` + nul + `"]}`},
			{"POST", "/api/auth/tokens", `{"scope":"read","name":"` + nul + `"}`},
		}
		before := e.rowCounts()
		for _, tc := range cases {
			t.Run(tc.method+" "+tc.path+" "+tc.body, func(t *testing.T) {
				r := e.do(tc.method, tc.path, tc.body)
				if r.status < 400 || r.status >= 500 {
					t.Fatalf("%d %s", r.status, r.body)
				}
			})
		}
		if after := e.rowCounts(); after != before {
			t.Fatalf("rows changed: %s, then %s", before, after)
		}
		t.Run("a form field", func(t *testing.T) {
			r := e.upload(map[string]string{"type": "text", "content": "x", "title": "a\x00b"}, "", nil)
			if r.status != 422 {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
		t.Run("a Markdown file keeps its text without the NUL", func(t *testing.T) {
			r := e.upload(map[string]string{"type": "upload"}, "notes.md", []byte("# Title\nbefore\x00after"))
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			s := obj(t, r)
			if s["full_text"] != "# Title\nbeforeafter" {
				t.Fatalf("full_text %q", s["full_text"])
			}
		})
		t.Run("nothing is left behind by a refused upload", func(t *testing.T) {
			r := e.upload(map[string]string{"type": "upload", "notebook_id": "notebook:nope"}, "x.md", []byte("x"))
			if r.status != 404 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			entries, _ := os.ReadDir(filepath.Join(e.app.Config.DataDir, "uploads"))
			for _, d := range entries {
				files, _ := os.ReadDir(filepath.Join(e.app.Config.DataDir, "uploads", d.Name()))
				if len(files) == 0 {
					t.Errorf("an empty folder %s was left behind", d.Name())
				}
			}
		})
	})
}

// rowCounts summarises what the API lists, to prove a refused request
// changed nothing.
func (e *env) rowCounts() string {
	e.t.Helper()
	count := func(path string) int {
		var list []any
		if v, ok := e.do("GET", path, "").json(e.t).([]any); ok {
			list = v
		}
		return len(list)
	}
	return fmt.Sprintf("notebooks=%d notes=%d sources=%d credentials=%d models=%d",
		count("/api/notebooks"), count("/api/notes"), count("/api/sources"), count("/api/credentials"), count("/api/models"))
}

func withMaxClientConns(n int) option { return func(c *config.Config) { c.MaxClientConns = n } }

// raw sends a request by hand and returns what came back before the
// server closed the connection (or after wait).
func (e *env) raw(t *testing.T, req string, then func(c net.Conn), wait time.Duration) string {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, req)
	if then != nil {
		then(c)
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	b, _ := io.ReadAll(c)
	return string(b)
}

func TestBrokenBodiesAreTheClientsFaultAndLoggedAsSuch(t *testing.T) {
	e := newEnv(t, store.SQLite, withSlowClientTimeout(time.Second))
	t.Run("a body cut off before its length is a 400", func(t *testing.T) {
		got := e.raw(t, "POST /api/notebooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":",
			func(c net.Conn) { c.(*net.TCPConn).CloseWrite() }, 5*time.Second)
		if !strings.HasPrefix(got, "HTTP/1.1 400") || !strings.Contains(got, `{"detail":"The request body ended before its declared length"}`) {
			t.Fatalf("%q", got)
		}
	})
	t.Run("a stalled body is a 408", func(t *testing.T) {
		start := time.Now()
		got := e.raw(t, "POST /api/notebooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":", nil, 10*time.Second)
		if !strings.HasPrefix(got, "HTTP/1.1 408") || !strings.Contains(got, `"The request body stopped arriving"`) {
			t.Fatalf("%q", got)
		}
		if held := time.Since(start); held > 8*time.Second {
			t.Fatalf("held %v", held)
		}
	})
	t.Run("a body trickled just fast enough to never stall still ends", func(t *testing.T) {
		done := make(chan string, 1)
		go func() {
			done <- e.raw(t, "POST /api/notebooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
				func(c net.Conn) {
					// A byte every 0.6 s, inside the 1 s stall timeout.
					for range 60 {
						if _, err := c.Write([]byte(" ")); err != nil {
							return
						}
						time.Sleep(600 * time.Millisecond)
					}
				}, 5*time.Second)
		}()
		got := <-done
		if !strings.HasPrefix(got, "HTTP/1.1 408") {
			t.Fatalf("the trickle was not ended: %q", got)
		}
	})
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(line, `"level":"ERROR"`) {
			t.Errorf("a broken body was logged as an error: %s", line)
		}
	}
}

func TestAClientHoldsABoundedNumberOfConnections(t *testing.T) {
	e := newEnv(t, store.SQLite, withMaxClientConns(3))
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	addr := strings.TrimPrefix(e.srv.URL, "http://")
	for range 3 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		// A request proves the server took the connection.
		fmt.Fprintf(c, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
		if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
			t.Fatalf("%q %v", line, err)
		}
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, _ := io.ReadAll(c); len(b) != 0 {
		t.Fatalf("a fourth connection was served: %q", b)
	}
	conns[0].Close()
	conns = conns[1:]
	// The closed connection's share is released (the server notices the
	// close when its read fails).
	deadline := time.Now().Add(5 * time.Second)
	for {
		if r, err := http.Get(e.srv.URL + "/health"); err == nil {
			r.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a connection was refused after another closed")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestOversizedHeadersGetTheJSONErrorShape(t *testing.T) {
	e := newEnv(t, store.SQLite)
	got := e.raw(t, "GET /api/notebooks HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 200<<10)+"\r\n\r\n", nil, 5*time.Second)
	if !strings.HasPrefix(got, "HTTP/1.1 431") || !strings.Contains(got, "Content-Type: application/json") ||
		!strings.HasSuffix(got, `{"detail":"Request header fields are too large"}`) {
		t.Fatalf("%q", got)
	}
}

func TestJSONEndpointsTakeOnlyJSON(t *testing.T) {
	e := newEnv(t, store.SQLite)
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "none"} {
		t.Run("a body sent as "+ct+" is refused", func(t *testing.T) {
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/notebooks", strings.NewReader(`{"name":"simple request"}`))
			if ct != "none" {
				req.Header.Set("Content-Type", ct)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 415 || !strings.Contains(string(b), "Content-Type: application/json") {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
		})
	}
	if r := e.do("GET", "/api/notebooks", ""); r.body != "[]" {
		t.Fatalf("a notebook was created: %s", r.body)
	}
	t.Run("a JSON type with parameters is JSON", func(t *testing.T) {
		r := e.do("POST", "/api/notebooks", `{"name":"ok"}`, "Content-Type", "application/json; charset=utf-8")
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}

func TestValidationErrorsNeverEchoASecret(t *testing.T) {
	e := newEnv(t, store.SQLite, withPassword(password), withKey(encKey))
	cases := []struct{ path, body, secret string }{
		{"/api/auth/login", `{"password":"` + strings.Repeat("s3cr3t", 200) + `"}`, "s3cr3t"},
		{"/api/auth/login", `{"password":["hunter2-secret"]}`, "hunter2-secret"},
		{"/api/credentials", `{"name":"x","provider":"openai","api_key":{"k":"sk-live-echo-me"}}`, "sk-live-echo-me"},
		{"/api/credentials", `{"name":"x","provider":"openai","api_key":"sk-live-nul\u0000-echo"}`, "sk-live-nul"},
	}
	for _, tc := range cases {
		t.Run(tc.path+" "+tc.body[:20], func(t *testing.T) {
			r := e.do("POST", tc.path, tc.body, bearer(password)...)
			if r.status != 422 || strings.Contains(r.body, tc.secret) {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
}

func TestAFilePathNamingADirectoryIsRefused(t *testing.T) {
	e := newEnv(t, store.SQLite)
	if err := os.MkdirAll(filepath.Join(e.app.Config.DataDir, "uploads", "folder"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"folder", ".", filepath.Join(e.app.Config.DataDir, "uploads", "folder")} {
		r := e.do("POST", "/api/sources/json", `{"type":"upload","file_path":"`+p+`"}`)
		if r.status != 400 || !strings.Contains(r.body, "Invalid file path") {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
	}
}
