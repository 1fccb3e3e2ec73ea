package httpapi

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestResolveClient(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	cases := []struct {
		name, remote, xff, proto string
		tls                      bool
		want                     string
		https                    bool
	}{
		{"a direct client is its peer address", "203.0.113.9:5000", "", "", false, "203.0.113.9", false},
		{"an untrusted peer cannot claim another address", "203.0.113.9:5000", "198.51.100.1", "https", false, "203.0.113.9", false},
		{"a trusted proxy's forwarded client is believed", "10.0.0.2:5000", "198.51.100.1", "https", false, "198.51.100.1", true},
		{"addresses the client wrote left of the first untrusted hop are ignored", "10.0.0.2:5000", "1.2.3.4, 198.51.100.1, 10.0.0.3", "", false, "198.51.100.1", false},
		{"a chain of trusted proxies ends at the first one", "10.0.0.2:5000", "10.0.0.7, 10.0.0.3", "", false, "10.0.0.7", false},
		{"a malformed hop stops the walk at the last good one", "10.0.0.2:5000", "198.51.100.1, junk", "", false, "10.0.0.2", false},
		{"a hop with a port is read", "10.0.0.2:5000", "198.51.100.1:4711", "", false, "198.51.100.1", false},
		{"an IPv4-mapped IPv6 peer is IPv4", "[::ffff:203.0.113.9]:5000", "", "", false, "203.0.113.9", false},
		{"a TLS connection is HTTPS", "203.0.113.9:5000", "", "", true, "203.0.113.9", true},
		{"an unparsable peer is unknown", "pipe", "", "", false, "unknown", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			if tc.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			c := resolveClient(r, trusted)
			if c.String() != tc.want || c.https != tc.https {
				t.Fatalf("got %s https=%v, want %s https=%v", c, c.https, tc.want, tc.https)
			}
		})
	}
}

func TestClientKeyGroupsIPv6Networks(t *testing.T) {
	a := client{addr: netip.MustParseAddr("2001:db8:1:2::5")}
	b := client{addr: netip.MustParseAddr("2001:db8:1:2:ffff::9")}
	c := client{addr: netip.MustParseAddr("2001:db8:1:3::5")}
	if a.key() != b.key() || a.key() == c.key() {
		t.Fatalf("keys %s %s %s", a.key(), b.key(), c.key())
	}
}

// TestBusyHandlerOutlivesTheStallTimeout checks that a handler still
// working after reading its whole body (a provider call, a sync) is not
// cancelled by the body's deadline: once the body has been read, the server
// watches the connection in the background, and a deadline left there
// would cancel the request's context.
func TestBusyHandlerOutlivesTheStallTimeout(t *testing.T) {
	const stall = 100 * time.Millisecond
	h := guardSlowClients(stall)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			t.Error(err)
		}
		time.Sleep(3 * stall)
		if err := r.Context().Err(); err != nil {
			http.Error(w, "cancelled: "+err.Error(), http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "done")
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := srv.Client().Post(srv.URL, "text/plain", strings.NewReader("payload"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "done" {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}
