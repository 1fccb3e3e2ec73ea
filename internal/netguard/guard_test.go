package netguard

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// newServer starts an HTTP server on 127.0.0.1 that records every request
// and hands it to h (nil answers 200 with a model listing).
func newServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *requestLog) {
	t.Helper()
	srv, log := unstartedServer(h)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, log
}

// newTLSServer is newServer over TLS with a certificate for names.
func newTLSServer(t *testing.T, h http.HandlerFunc, names ...string) (*httptest.Server, *requestLog, *x509.CertPool) {
	t.Helper()
	cert, pool := testCertificate(t, names...)
	srv, log := unstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	// Refused handshakes are expected; the client's error is what is checked.
	srv.Config.ErrorLog = stdlog.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, log, pool
}

func unstartedServer(h http.HandlerFunc) (*httptest.Server, *requestLog) {
	log := &requestLog{}
	if h == nil {
		h = func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"object":"list","data":[{"id":"llama3","object":"model"}]}`)
		}
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.record(r)
		h(w, r)
	}))
	return srv, log
}

func port(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

func get(ctx context.Context, c *http.Client, rawURL string, header http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return c.Do(req)
}

// fetch GETs rawURL and reads the whole body.
func fetch(c *http.Client, rawURL string, header http.Header) ([]byte, error) {
	resp, err := get(context.Background(), c, rawURL, header)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %s", resp.Status)
	}
	return body, err
}

// TestDialerPinsTheCheckedAddress runs the §7.3 vectors through the client:
// the guard dials exactly the address the resolver gave for the name, while
// the request keeps the name (Host header, TLS server name). The dial is
// redirected to a local server so public addresses need no network.
func TestDialerPinsTheCheckedAddress(t *testing.T) {
	plain, plainLog := newServer(t, nil)
	secure, secureLog, pool := newTLSServer(t, nil,
		"api.example.com", "xn--bcher-kva.example", "v6.example.com", "api.ppq.ai")
	tests := []struct {
		name       string
		url        string
		dialed     string
		host       string
		serverName string // "" for plain http
		path       string
		query      string
	}{
		{"an IP literal is dialed unchanged", "http://127.0.0.1:11434/api/tags",
			"127.0.0.1:11434", "127.0.0.1:11434", "", "/api/tags", ""},
		{"a LAN name is dialed at its address and keeps its Host", "http://ollama.local:11434/api/tags",
			"192.168.1.50:11434", "ollama.local:11434", "", "/api/tags", ""},
		{"an https name is dialed at its address with the name as SNI", "https://api.example.com/v1/models",
			"93.184.216.34:443", "api.example.com", "api.example.com", "/v1/models", ""},
		{"an international name is sent in its ASCII form", "https://bücher.example/v1/models",
			"93.184.216.34:443", "xn--bcher-kva.example", "xn--bcher-kva.example", "/v1/models", ""},
		{"IPv4 is preferred when a name has both families", "http://localhost:11434/api/tags",
			"127.0.0.1:11434", "localhost:11434", "", "/api/tags", ""},
		{"Docker's host name is dialed at its address", "http://host.docker.internal:11434/v1/models",
			"192.168.65.2:11434", "host.docker.internal:11434", "", "/v1/models", ""},
		{"a LAN literal with a port is dialed unchanged", "http://192.168.1.50:1234/v1/models",
			"192.168.1.50:1234", "192.168.1.50:1234", "", "/v1/models", ""},
		{"a name without a port dials port 80 and sends no port", "http://llm.lan/v1/models",
			"10.0.1.20:80", "llm.lan", "", "/v1/models", ""},
		{"an IPv6 literal is dialed unchanged", "http://[::1]:11434/api/tags",
			"[::1]:11434", "[::1]:11434", "", "/api/tags", ""},
		{"a Tailscale name is dialed at its CGNAT address", "http://ollama.tail1234.ts.net:11434/api/tags",
			"100.101.102.103:11434", "ollama.tail1234.ts.net:11434", "", "/api/tags", ""},
		{"an IPv6-only name is dialed at its IPv6 address", "https://v6.example.com/v1/models",
			"[2606:4700::1111]:443", "v6.example.com", "v6.example.com", "/v1/models", ""},
		{"the query is kept", "https://api.ppq.ai/v1/models?type=all",
			"93.184.216.34:443", "api.ppq.ai", "api.ppq.ai", "/v1/models", "type=all"},
	}
	resolver := fakeResolver{
		"ollama.local":           "192.168.1.50",
		"api.example.com":        "93.184.216.34",
		"xn--bcher-kva.example":  "93.184.216.34",
		"localhost":              "::1,127.0.0.1",
		"host.docker.internal":   "192.168.65.2",
		"llm.lan":                "10.0.1.20",
		"ollama.tail1234.ts.net": "100.101.102.103",
		"v6.example.com":         "2606:4700::1111",
		"api.ppq.ai":             "93.184.216.34",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := New(Options{Resolver: resolver, RootCAs: pool})
			rec := &dialRecorder{target: func(address string) string {
				if strings.HasSuffix(address, ":443") {
					return secure.Listener.Addr().String()
				}
				return plain.Listener.Addr().String()
			}}
			g.dial = rec.dial
			log := plainLog
			if tt.serverName != "" {
				log = secureLog
			}
			before := len(log.all())

			if _, err := fetch(g.Client(), tt.url, nil); err != nil {
				t.Fatalf("GET %s: %v", tt.url, err)
			}

			if got := rec.addresses(); !slices.Equal(got, []string{tt.dialed}) {
				t.Errorf("dialed %v, want [%s]", got, tt.dialed)
			}
			reqs := log.all()
			if len(reqs) != before+1 {
				t.Fatalf("server saw %d new requests, want 1", len(reqs)-before)
			}
			got := reqs[len(reqs)-1]
			if got.Host != tt.host || got.ServerName != tt.serverName || got.Path != tt.path || got.Query != tt.query {
				t.Errorf("server saw Host %q, SNI %q, path %q, query %q; want %q, %q, %q, %q",
					got.Host, got.ServerName, got.Path, got.Query, tt.host, tt.serverName, tt.path, tt.query)
			}
		})
	}
}

func TestDialerRefusesBlockedAddresses(t *testing.T) {
	tests := []struct {
		name     string
		url      string
		policy   Policy
		resolver fakeResolver
	}{
		{"the metadata literal", "http://169.254.169.254/latest/meta-data", AllowPrivate, nil},
		{"the IMDSv6 literal with a zone", "http://[fd00:ec2::254%25eth0]/", AllowPrivate, nil},
		{"an octal shorthand for the metadata address", "http://0251.0376.0251.0376/", AllowPrivate, nil},
		{"a name resolving to the metadata address", "http://evil.example/v1/models", AllowPrivate,
			fakeResolver{"evil.example": "169.254.169.254"}},
		{"a name resolving to IMDSv6", "http://imds6.example/", AllowPrivate,
			fakeResolver{"imds6.example": "fd00:ec2::254"}},
		{"a name resolving to a mapped metadata address", "http://mapped.example/", AllowPrivate,
			fakeResolver{"mapped.example": "::ffff:169.254.169.254"}},
		{"a name resolving to 0.0.0.0", "http://zero.example:8000/", AllowPrivate,
			fakeResolver{"zero.example": "0.0.0.0"}},
		{"a name resolving to a good and a bad address", "http://rebind.example/", AllowPrivate,
			fakeResolver{"rebind.example": "127.0.0.1,169.254.169.254"}},
		{"a name whose bad address comes first", "http://rebind.example/", AllowPrivate,
			fakeResolver{"rebind.example": "169.254.169.254,127.0.0.1"}},
		{"a 6to4 literal of the metadata address", "http://[2002:a9fe:a9fe::]/latest/meta-data", AllowPrivate, nil},
		{"a name resolving to a Teredo address whose client is the metadata address", "http://teredo.example/", AllowPrivate,
			fakeResolver{"teredo.example": "2001:0:4136:e378:8000:63bf:5601:5601"}},
		{"a name resolving to a NAT64 metadata address", "http://nat64.example/", AllowPrivate,
			fakeResolver{"nat64.example": "64:ff9b::a9fe:a9fe"}},
		{"a name resolving to a documentation address", "http://docs.example/", AllowPrivate,
			fakeResolver{"docs.example": "192.0.2.10"}},
		{"loopback under public-only", "http://127.0.0.1:11434/api/tags", PublicOnly, nil},
		{"a name resolving to a benchmarking address under public-only", "http://fake.example/", PublicOnly,
			fakeResolver{"fake.example": "198.18.0.7"}},
		{"a name resolving to 10/8 under public-only", "http://llm.lan/v1/models", PublicOnly,
			fakeResolver{"llm.lan": "10.0.1.20"}},
		{"a name resolving to a public and a private address under public-only", "https://split.example/", PublicOnly,
			fakeResolver{"split.example": "93.184.216.34,10.0.0.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused and not dialed", func(t *testing.T) {
			g := New(Options{Policy: tt.policy, Resolver: tt.resolver})
			rec := &dialRecorder{}
			g.dial = rec.dial
			_, err := fetch(g.Client(), tt.url, nil)
			if !errors.Is(err, ErrBlocked) {
				t.Fatalf("GET %s = %v, want an error wrapping ErrBlocked", tt.url, err)
			}
			if got := rec.addresses(); len(got) != 0 {
				t.Errorf("dialed %v, want nothing dialed", got)
			}
		})
	}
}

func TestDialerReachesAResolvedLocalServer(t *testing.T) {
	srv, log := newServer(t, nil)
	g := New(Options{Resolver: fakeResolver{"ollama.local": "127.0.0.1"}})
	t.Cleanup(g.Client().CloseIdleConnections)
	target := "http://ollama.local:" + port(t, srv) + "/api/tags"

	body, err := fetch(g.Client(), target, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	if !strings.Contains(string(body), `"llama3"`) {
		t.Errorf("body = %s, want the server's listing", body)
	}
	reqs := log.all()
	if len(reqs) != 1 || reqs[0].Host != "ollama.local:"+port(t, srv) || reqs[0].Path != "/api/tags" {
		t.Errorf("server saw %+v, want one GET /api/tags for Host ollama.local:%s", reqs, port(t, srv))
	}
}

func TestDialerFallsBackToTheNextAddress(t *testing.T) {
	srv, _ := newServer(t, nil)
	g := New(Options{Resolver: fakeResolver{"multi.example": "10.9.9.9,127.0.0.1"}})
	rec := &dialRecorder{target: func(address string) string {
		if strings.HasPrefix(address, "10.9.9.9:") {
			return "127.0.0.1:1" // nothing listens there: the connection is refused
		}
		return srv.Listener.Addr().String()
	}}
	g.dial = rec.dial

	if _, err := fetch(g.Client(), "http://multi.example:8080/", nil); err != nil {
		t.Fatalf("GET with a dead first address: %v", err)
	}
	if got, want := rec.addresses(), []string{"10.9.9.9:8080", "127.0.0.1:8080"}; !slices.Equal(got, want) {
		t.Errorf("dialed %v, want %v", got, want)
	}
}

func TestDialerReportsNamesThatDoNotResolve(t *testing.T) {
	tests := []struct {
		name string
		host string
	}{
		{"a name the resolver does not know", "unknown.example"},
		{"a name with no addresses", "empty.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is a DNS error, not a block", func(t *testing.T) {
			g := New(Options{Resolver: fakeResolver{"empty.example": ""}})
			rec := &dialRecorder{}
			g.dial = rec.dial
			_, err := fetch(g.Client(), "http://"+tt.host+"/", nil)
			var dnsErr *net.DNSError
			if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
				t.Fatalf("GET = %v, want a not-found *net.DNSError", err)
			}
			if errors.Is(err, ErrBlocked) {
				t.Errorf("GET = %v, which claims a block", err)
			}
			if got := rec.addresses(); len(got) != 0 {
				t.Errorf("dialed %v, want nothing", got)
			}
		})
	}
}

func TestRedirects(t *testing.T) {
	other, otherLog := newServer(t, nil)
	otherEcho := "http://api.test:" + port(t, other) + "/echo"
	srv, srvLog := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, p, _ := net.SplitHostPort(r.Host)
		to := map[string]string{
			"/to-metadata":   "http://169.254.169.254/latest/meta-data",
			"/to-imds6":      "http://[fd00:ec2::254]/latest/meta-data",
			"/to-evil":       "http://evil.test/latest/meta-data",
			"/to-ftp":        "ftp://api.test/file",
			"/to-same-host":  "/echo",
			"/to-other-host": "http://other.test:" + p + "/echo",
			"/to-other-port": otherEcho,
			"/bounce":        "http://other.test:" + p + "/back",
			"/back":          "http://api.test:" + p + "/echo",
		}[r.URL.Path]
		if n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hops/")); err == nil && n > 0 {
			to = fmt.Sprintf("/hops/%d", n-1)
		}
		if to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		io.WriteString(w, `{"data":[]}`)
	})
	resolver := fakeResolver{"api.test": "127.0.0.1", "other.test": "127.0.0.1", "evil.test": "169.254.169.254"}
	base := "http://api.test:" + port(t, srv)

	t.Run("refusals", func(t *testing.T) {
		tests := []struct {
			name    string
			path    string
			blocked bool
			msg     string
		}{
			{"a redirect to the metadata address is refused before it is dialed", "/to-metadata", true,
				"redirect refused: destination blocked by egress policy: 169.254.169.254 is a link-local"},
			{"a redirect to the IMDSv6 address is refused before it is dialed", "/to-imds6", true,
				"redirect refused: destination blocked by egress policy: fd00:ec2::254 is a cloud metadata"},
			{"a redirect to a name resolving to the metadata address is refused at dial", "/to-evil", true, "link-local"},
			{"a redirect to ftp is refused", "/to-ftp", false, "only http and https"},
			{"a sixth redirect is refused", "/hops/6", false, "stopped after 5 redirects"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				g := New(Options{Resolver: resolver})
				rec := &dialRecorder{}
				g.dial = rec.dial
				_, err := fetch(g.Client(), base+tt.path, nil)
				if err == nil || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("GET %s = %v, want an error saying %q", tt.path, err, tt.msg)
				}
				if errors.Is(err, ErrBlocked) != tt.blocked {
					t.Errorf("errors.Is(%v, ErrBlocked) = %v, want %v", err, !tt.blocked, tt.blocked)
				}
				for _, a := range rec.addresses() {
					if !strings.HasPrefix(a, "127.0.0.1:") {
						t.Errorf("dialed %s, want only the test server dialed", a)
					}
				}
			})
		}
	})

	t.Run("five redirects are followed", func(t *testing.T) {
		g := New(Options{Resolver: resolver})
		if _, err := fetch(g.Client(), base+"/hops/5", nil); err != nil {
			t.Fatalf("GET /hops/5: %v", err)
		}
	})

	t.Run("credentials", func(t *testing.T) {
		const key = "sk-test-123"
		sent := http.Header{
			"Authorization":     {"Bearer " + key},
			"X-Api-Key":         {key},
			"Api-Key":           {key},
			"Xi-Api-Key":        {key},
			"X-Goog-Api-Key":    {key},
			"Anthropic-Version": {"2023-06-01"},
		}
		tests := []struct {
			name     string
			path     string
			log      *requestLog
			keepKeys bool
		}{
			{"a redirect on the same host keeps the keys", "/to-same-host", srvLog, true},
			{"a redirect to another host name drops the keys", "/to-other-host", srvLog, false},
			{"a redirect to another port drops the keys", "/to-other-port", otherLog, false},
			{"a chain that comes back to the first host does not restore the keys", "/bounce", srvLog, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				g := New(Options{Resolver: resolver})
				if _, err := fetch(g.Client(), base+tt.path+"?key="+key, sent); err != nil {
					t.Fatalf("GET %s: %v", tt.path, err)
				}
				reqs := tt.log.all()
				echo := reqs[len(reqs)-1]
				if echo.Path != "/echo" {
					t.Fatalf("last request on the target server was %s, want /echo", echo.Path)
				}
				for _, h := range []string{"Authorization", "X-Api-Key", "Api-Key", "Xi-Api-Key", "X-Goog-Api-Key"} {
					if got := echo.Header.Get(h) != ""; got != tt.keepKeys {
						t.Errorf("%s present after the redirect = %v, want %v", h, got, tt.keepKeys)
					}
				}
				if echo.Header.Get("Anthropic-Version") != "2023-06-01" {
					t.Errorf("Anthropic-Version = %q, want the ordinary header kept", echo.Header.Get("Anthropic-Version"))
				}
				if ref := echo.Header.Get("Referer"); ref != "" {
					t.Errorf("Referer = %q, want none: it would carry the previous query's key", ref)
				}
			})
		}
	})
}

func TestTimeouts(t *testing.T) {
	release := make(chan struct{})
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stall-body" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"data":[`)
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	resolver := fakeResolver{"slow.test": "127.0.0.1"}
	base := "http://slow.test:" + port(t, srv)
	neverConnects := func(ctx context.Context, network, address string) (net.Conn, error) {
		<-ctx.Done()
		return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
	}

	tests := []struct {
		name   string
		opts   Options
		client func(*Guard) *http.Client
		dial   func(context.Context, string, string) (net.Conn, error)
		path   string
	}{
		{"a server that never answers fails at the overall timeout",
			Options{Timeout: 150 * time.Millisecond}, (*Guard).Client, nil, "/stall"},
		{"a server that sends no headers fails at the response-header timeout",
			Options{ResponseHeaderTimeout: 150 * time.Millisecond}, (*Guard).Client, nil, "/stall"},
		{"a body that stalls fails at the overall timeout while it is read",
			Options{Timeout: 300 * time.Millisecond}, (*Guard).Client, nil, "/stall-body"},
		{"a client with its own timeout uses it",
			Options{}, func(g *Guard) *http.Client { return g.ClientWithTimeout(150 * time.Millisecond) }, nil, "/stall"},
		{"a connection that never completes fails at the connect timeout",
			Options{ConnectTimeout: 150 * time.Millisecond}, (*Guard).Client, neverConnects, "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Resolver = resolver
			g := New(tt.opts)
			if tt.dial != nil {
				g.dial = tt.dial
			}
			// A guard that ignored its timeout would still stop here, and fail.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			start := time.Now()
			resp, err := get(ctx, tt.client(g), base+tt.path, nil)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			elapsed := time.Since(start)
			var netErr net.Error
			if !errors.As(err, &netErr) || !netErr.Timeout() {
				t.Fatalf("GET %s = %v, want a timeout error", tt.path, err)
			}
			if elapsed > 2*time.Second {
				t.Errorf("took %s to time out, want about the configured timeout", elapsed)
			}
		})
	}
}

func TestResponseSizeCap(t *testing.T) {
	const limit = 1024
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Get("stream") != "" {
			w.(http.Flusher).Flush() // no Content-Length: the body is chunked
		} else {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		chunk := strings.Repeat("x", 512)
		for n > 0 {
			m := min(n, len(chunk))
			if _, err := io.WriteString(w, chunk[:m]); err != nil {
				return
			}
			n -= m
		}
	})
	g := New(Options{Resolver: fakeResolver{"big.test": "127.0.0.1"}, MaxResponseBytes: limit})
	base := "http://big.test:" + port(t, srv)

	tests := []struct {
		name     string
		query    string
		tooLarge bool
		maxRead  int
	}{
		{"a body of exactly the cap is read whole", "n=1024", false, limit},
		{"a streamed body of exactly the cap is read whole", "n=1024&stream=1", false, limit},
		{"a declared length over the cap fails before anything is read", "n=1025", true, 0},
		{"a streamed body over the cap fails after at most the cap", "n=1048576&stream=1", true, limit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := get(context.Background(), g.Client(), base+"/?"+tt.query, nil)
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if errors.Is(err, ErrResponseTooLarge) != tt.tooLarge {
				t.Fatalf("reading the body: err = %v, want ErrResponseTooLarge %v", err, tt.tooLarge)
			}
			if !tt.tooLarge && err != nil {
				t.Fatalf("reading the body: %v", err)
			}
			if len(body) > tt.maxRead || (!tt.tooLarge && len(body) != tt.maxRead) {
				t.Errorf("read %d bytes, want at most %d (exactly, when it fits)", len(body), tt.maxRead)
			}
		})
	}
}

func TestTLSVerifiesTheHostName(t *testing.T) {
	srv, _, pool := newTLSServer(t, nil, "secure.test")
	resolver := fakeResolver{"secure.test": "127.0.0.1", "wrong.test": "127.0.0.1"}
	p := port(t, srv)

	tests := []struct {
		name    string
		url     string
		roots   *x509.CertPool
		wantErr any // nil, or a pointer to the error type expected
	}{
		{"a trusted certificate for the name works", "https://secure.test:" + p + "/v1/models", pool, nil},
		{"a certificate for another name is refused although it covers the dialed IP",
			"https://wrong.test:" + p + "/v1/models", pool, new(x509.HostnameError)},
		{"the system pool does not trust a private certificate",
			"https://secure.test:" + p + "/v1/models", nil, new(x509.UnknownAuthorityError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := New(Options{Resolver: resolver, RootCAs: tt.roots})
			_, err := fetch(g.Client(), tt.url, nil)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("GET %s: %v", tt.url, err)
				}
				return
			}
			if !errors.As(err, tt.wantErr) {
				t.Fatalf("GET %s = %v, want %T", tt.url, err, tt.wantErr)
			}
		})
	}
}

func TestTLSSendsTheHostNameAsServerName(t *testing.T) {
	srv, log, pool := newTLSServer(t, nil, "secure.test")
	g := New(Options{Resolver: fakeResolver{"secure.test": "127.0.0.1"}, RootCAs: pool})
	if _, err := fetch(g.Client(), "https://secure.test:"+port(t, srv)+"/v1/models", nil); err != nil {
		t.Fatal(err)
	}
	if reqs := log.all(); len(reqs) != 1 || reqs[0].ServerName != "secure.test" {
		t.Errorf("server saw %+v, want one request with SNI secure.test", reqs)
	}
}

// TestEnvironmentProxyIsNotUsed runs in a child process: net/http reads the
// proxy variables once per process, so only a process whose first read sees
// them can show that the guard ignores them.
func TestEnvironmentProxyIsNotUsed(t *testing.T) {
	if os.Getenv("NETGUARD_PROXY_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEnvironmentProxyIsNotUsed$", "-test.count=1")
		cmd.Env = append(os.Environ(), "NETGUARD_PROXY_CHILD=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("child process: %v\n%s", err, out)
		}
		return
	}
	var proxied atomic.Int32
	proxy, _ := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		proxied.Add(1)
		io.WriteString(w, `{"data":[]}`)
	})
	target, log := newServer(t, nil)
	for _, v := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"} {
		t.Setenv(v, proxy.URL)
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	u := "http://ollama.local:" + port(t, target) + "/api/tags"
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if p, err := http.ProxyFromEnvironment(req); err != nil || p == nil {
		t.Fatalf("net/http does not see the proxy set for this test (%v, %v)", p, err)
	}

	g := New(Options{Resolver: fakeResolver{"ollama.local": "127.0.0.1"}})
	if _, err := fetch(g.Client(), u, nil); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	if n := proxied.Load(); n != 0 {
		t.Errorf("the environment's proxy received %d requests, want 0", n)
	}
	if len(log.all()) != 1 {
		t.Errorf("the target received %d requests, want 1", len(log.all()))
	}
}

func TestNewAppliesTheDefaults(t *testing.T) {
	g := New(Options{})
	tr := g.transport.next
	checks := []struct {
		name      string
		got, want any
	}{
		{"the overall timeout", g.Client().Timeout, DefaultTimeout},
		{"the connect timeout", g.connectTimeout, DefaultConnectTimeout},
		{"the TLS handshake timeout", tr.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout},
		{"the response header timeout", tr.ResponseHeaderTimeout, DefaultResponseHeaderTimeout},
		{"the body cap", g.transport.max, int64(DefaultMaxResponseBytes)},
		{"a non-positive client timeout", g.ClientWithTimeout(0).Timeout, DefaultTimeout},
		{"another client's timeout", g.ClientWithTimeout(10 * time.Second).Timeout, 10 * time.Second},
		{"another client's transport", g.ClientWithTimeout(10*time.Second).Transport == g.Client().Transport, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}
