package httpapi_test

import (
	"io"
	"net"
	"net/url"
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
