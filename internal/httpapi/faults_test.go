package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// cutProxy forwards TCP connections to a database server until it is cut:
// cutting closes every open connection and turns new ones away, as a
// network partition or a database restart would; restoring lets
// connections through again.
type cutProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.Cut()
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Go(func() { p.forward(c) })
	}
}

func (p *cutProxy) forward(client net.Conn) {
	defer client.Close()
	p.mu.Lock()
	cut := p.cut
	p.mu.Unlock()
	if cut {
		return
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	if !p.track(client, server) {
		return
	}
	defer p.untrack(client, server)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(server, client); done <- struct{}{} }()
	go func() { _, _ = io.Copy(client, server); done <- struct{}{} }()
	<-done
	client.Close()
	server.Close()
	<-done
}

// track registers an open pair, unless the proxy was cut meanwhile.
func (p *cutProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *cutProxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}

// Cut closes every forwarded connection and refuses new ones.
func (p *cutProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
}

// Restore lets new connections through again.
func (p *cutProxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// TestDatabaseOutage cuts the server off from PostgreSQL mid-run and
// restores it: meanwhile requests that need the database are clear 503s
// and GET /api/config says the database is offline; afterwards the server
// works again without a restart.
func TestDatabaseOutage(t *testing.T) {
	dbURL, _ := storetest.URL(t, store.Postgres)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newCutProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	e := &env{t: t, dbURL: u.String(), logs: &syncBuffer{}, vars: testEnv{}, engine: store.Postgres, uploads: t.TempDir()}
	e.start(withPassword(password))
	auth := bearer(password)

	nb := obj(t, e.do("POST", "/api/notebooks", `{"name":"Before the outage"}`, auth...))
	if got := obj(t, e.do("GET", "/api/config", "")); got["dbStatus"] != "online" {
		t.Fatalf("before the outage: %v", got)
	}

	proxy.Cut()
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/notebooks", ""},
		{"GET", "/api/notebooks/" + nb["id"].(string), ""},
		{"POST", "/api/notebooks", `{"name":"During the outage"}`},
		{"POST", "/api/search", `{"query":"outage","type":"text"}`},
		{"GET", "/api/credentials", ""},
	} {
		r := e.do(c.method, c.path, c.body, auth...)
		if r.status != 503 {
			t.Fatalf("%s %s during the outage = %d %s, want 503", c.method, c.path, r.status, r.body)
		}
		if d, _ := obj(t, r)["detail"].(string); !strings.Contains(d, "database") {
			t.Fatalf("%s %s: detail %q does not say the database is unavailable", c.method, c.path, d)
		}
		if r.header.Get("Retry-After") == "" {
			t.Fatalf("%s %s: a 503 without Retry-After", c.method, c.path)
		}
	}
	if got := obj(t, e.do("GET", "/api/config", "")); got["dbStatus"] != "offline" {
		t.Fatalf("during the outage: %v", got)
	}
	if r := e.do("GET", "/health", ""); r.status != 200 {
		t.Fatalf("health during the outage: %d %s", r.status, r.body)
	}
	if strings.Contains(e.logs.String(), password) {
		t.Fatal("the logs hold the password")
	}

	proxy.Restore()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := e.do("GET", "/api/notebooks", "", auth...)
		if r.status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not recovered 15 s after the database returned: %d %s", r.status, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := obj(t, e.do("GET", "/api/config", "")); got["dbStatus"] != "online" {
		t.Fatalf("after the outage: %v", got)
	}
	if r := e.do("GET", "/api/notebooks/"+nb["id"].(string), "", auth...); r.status != 200 {
		t.Fatalf("the notebook written before the outage: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/notebooks", `{"name":"After the outage"}`, auth...); r.status != 200 {
		t.Fatalf("a write after the outage: %d %s", r.status, r.body)
	}
	// The job queue, which lost its connections too, runs new work.
	src := obj(t, e.do("POST", "/api/sources/json", `{"type":"text","notebook_id":"`+nb["id"].(string)+
		`","content":"Written after the outage.","async_processing":true,"transformations":[]}`, auth...))
	for {
		st := obj(t, e.do("GET", "/api/sources/"+src["id"].(string)+"/status", "", auth...))
		if st["status"] == "completed" {
			break
		}
		if st["status"] == "failed" || time.Now().After(deadline.Add(15*time.Second)) {
			t.Fatalf("a source processed after the outage: %v", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestMixedLoadLeaksNothing sends a few thousand requests of every kind
// (reads, writes, searches, refusals) from concurrent clients through the
// real server on loopback. Every request must get its expected status, and
// once the clients hang up the process must hold no more goroutines or
// file descriptors than before the load.
func TestMixedLoadLeaksNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("a load test")
	}
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine, withPassword(password))
			// 3,072 requests; under the race detector, which slows each
			// one several times over, 960 keep the package's tests within
			// go test's default timeout.
			clients, rounds := 16, 16
			if raceDetector {
				rounds = 5
			}
			run := func(rounds int) []string {
				var (
					mu       sync.Mutex
					failures []string
					wg       sync.WaitGroup
				)
				for c := range clients {
					wg.Go(func() {
						for i := range rounds {
							for _, f := range mixedRound(e, c, i) {
								mu.Lock()
								failures = append(failures, f)
								mu.Unlock()
							}
						}
					})
				}
				wg.Wait()
				return failures
			}
			client := e.srv.Client()
			// Warm up at full concurrency, so pools and caches are at their
			// working size before the baseline is taken.
			if f := run(2); len(f) > 0 {
				t.Fatalf("warm-up: %d failures, first: %s", len(f), f[0])
			}
			client.CloseIdleConnections()
			goroutines, fds := settled(t, 0, 0)

			start := time.Now()
			failures := run(rounds)
			elapsed := time.Since(start)
			total := clients * rounds * len(mixedRound(nil, 0, 0))
			if len(failures) > 0 {
				t.Fatalf("%d of %d requests failed, first: %s", len(failures), total, failures[0])
			}
			client.CloseIdleConnections()
			g, f := settled(t, goroutines, fds)
			t.Logf("%s: %d requests in %v (%.0f/s); goroutines %d → %d, open files %d → %d",
				engine, total, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(), goroutines, g, fds, f)
		})
	}
}

// mixedRound sends one round of a client's requests and returns what went
// wrong. With a nil env it only sizes a round.
func mixedRound(e *env, c, i int) []string {
	type step struct {
		method, path, body string
		want               int
	}
	steps := []step{
		{"GET", "/health", "", 200},
		{"POST", "/api/notebooks", fmt.Sprintf(`{"name":"Load %d-%d","description":"tides and moons"}`, c, i), 200},
		{"GET", "/api/notebooks/{id}", "", 200},
		{"PUT", "/api/notebooks/{id}", `{"name":"Renamed"}`, 200},
		{"POST", "/api/notes", `{"content":"A note about tides","notebook_id":"{id}"}`, 200},
		{"GET", "/api/notebooks?order_by=name", "", 200},
		{"POST", "/api/search", `{"query":"tides","type":"text","limit":5}`, 200},
		{"GET", "/api/config", "", 200},
		{"GET", "/api/notebooks/notebook:doesnotexist", "", 404},
		{"POST", "/api/notebooks", `{"name":`, 422},
		{"GET", "/api/notebooks", "", 401},
		{"DELETE", "/api/notebooks/{id}", "", 200},
	}
	if e == nil {
		return make([]string, len(steps))
	}
	var (
		id       string
		failures []string
	)
	for n, s := range steps {
		path := strings.ReplaceAll(s.path, "{id}", id)
		body := strings.ReplaceAll(s.body, "{id}", id)
		req, err := http.NewRequest(s.method, e.srv.URL+path, strings.NewReader(body))
		if err != nil {
			return append(failures, err.Error())
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if s.want != 401 {
			req.Header.Set("Authorization", "Bearer "+password)
		}
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			failures = append(failures, fmt.Sprintf("%s %s: %v", s.method, path, err))
			continue
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != s.want {
			failures = append(failures, fmt.Sprintf("%s %s = %d %s (%v), want %d", s.method, path, resp.StatusCode, b, err, s.want))
			continue
		}
		if n == 1 {
			var created struct{ ID string }
			if json.Unmarshal(b, &created) != nil || created.ID == "" {
				return append(failures, "create answered "+string(b))
			}
			id = created.ID
		}
	}
	return failures
}

// settled waits until the goroutines and open file descriptors of the
// process come down to at most the given counts (plus a small allowance
// for the runtime's and the database driver's own), and returns them; with
// zero counts it waits for them to stop falling and returns the baseline.
//
// The job queue's goroutines are not counted: their number is set by its
// configuration and by whether this process holds the queue's leadership,
// which it may win at any moment, not by requests (the load queues no job).
func settled(t *testing.T, goroutines, fds int) (int, int) {
	t.Helper()
	const allowance = 4
	count := func() (int, int) {
		entries, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skipf("cannot count open files: %v", err)
		}
		return requestGoroutines(), len(entries)
	}
	deadline := time.Now().Add(10 * time.Second)
	g, f := count()
	for {
		time.Sleep(100 * time.Millisecond)
		g2, f2 := count()
		if goroutines == 0 && g2 >= g && f2 >= f {
			return g2, f2 // stopped falling: the baseline
		}
		g, f = g2, f2
		if goroutines > 0 && g <= goroutines+allowance && f <= fds+allowance {
			return g, f
		}
		if time.Now().After(deadline) {
			if goroutines == 0 {
				return g, f
			}
			buf := make([]byte, 1<<20)
			t.Fatalf("after the load: %d goroutines besides the job queue's (before: %d), %d open files (before: %d)\n%s",
				g, goroutines, f, fds, buf[:runtime.Stack(buf, true)])
		}
	}
}

// requestGoroutines counts the goroutines that were not started by the
// job queue (River).
func requestGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.HasPrefix(g, "goroutine ") && !strings.Contains(g, "created by github.com/riverqueue/river") {
			count++
		}
	}
	return count
}
