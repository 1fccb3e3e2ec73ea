package httpapi

import (
	"bytes"
	"net"
	"net/netip"
	"slices"
	"sync"
)

// Listener wraps the server's listener with what has to happen below
// HTTP: each client address may hold at most the configured number of
// open connections (trusted proxies, which carry many clients, are not
// limited), and the one error net/http writes itself without asking the
// handler, 431 for oversized headers, gets the API's JSON error shape.
func (s *Server) Listener(ln net.Listener) net.Listener {
	return &clientListener{Listener: ln, max: s.app.Config.MaxClientConns, trusted: s.app.Config.TrustedProxies,
		open: map[netip.Addr]int{}}
}

type clientListener struct {
	net.Listener
	max     int
	trusted []netip.Prefix

	mu   sync.Mutex
	open map[netip.Addr]int
}

func (l *clientListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := peer(c)
		if !l.admit(addr) {
			// Refused before a byte is read: the client already holds its
			// share of connections.
			c.Close()
			continue
		}
		return &clientConn{Conn: c, release: sync.OnceFunc(func() { l.release(addr) })}, nil
	}
}

func peer(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

func (l *clientListener) admit(a netip.Addr) bool {
	if l.max <= 0 || !a.IsValid() || slices.ContainsFunc(l.trusted, func(p netip.Prefix) bool { return p.Contains(a) }) {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[a] >= l.max {
		return false
	}
	l.open[a]++
	return true
}

func (l *clientListener) release(a netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n, ok := l.open[a]; ok {
		if n <= 1 {
			delete(l.open, a)
		} else {
			l.open[a] = n - 1
		}
	}
}

// clientConn releases its client's share when it closes, and rewrites
// net/http's plain-text 431.
type clientConn struct {
	net.Conn
	release func()
}

func (c *clientConn) Close() error {
	c.release()
	return c.Conn.Close()
}

// plain431 is how net/http begins the 431 it writes by itself, in one
// write, straight to the connection.
var plain431 = []byte("HTTP/1.1 431 Request Header Fields Too Large\r\n")

var json431 = []byte("HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: application/json\r\n" +
	"Connection: close\r\nContent-Length: 48\r\n\r\n" + `{"detail":"Request header fields are too large"}`)

func (c *clientConn) Write(b []byte) (int, error) {
	if bytes.HasPrefix(b, plain431) {
		if _, err := c.Conn.Write(json431); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}
