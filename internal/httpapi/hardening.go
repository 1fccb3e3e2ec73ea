package httpapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/ratelimit"
)

// client is where a request comes from.
type client struct {
	addr  netip.Addr // zero when the peer address cannot be parsed
	https bool       // reached us over HTTPS, directly or through a trusted proxy
}

// String returns the address for logs and the audit log.
func (c client) String() string {
	if !c.addr.IsValid() {
		return "unknown"
	}
	return c.addr.String()
}

// key returns the key rate limits count the client by.
func (c client) key() string {
	if !c.addr.IsValid() {
		return "unknown"
	}
	return ratelimit.ClientKey(c.addr)
}

// clientFrom returns the client identifyClient found in a request's
// context.
func clientFrom(ctx context.Context) client {
	if i := infoFrom(ctx); i != nil {
		return i.client
	}
	return client{}
}

// clientOf returns the client identifyClient found. Outside that middleware
// (tests of single handlers) it falls back to the peer address.
func clientOf(r *http.Request) client {
	if i := infoFrom(r.Context()); i != nil && i.hasClient {
		return i.client
	}
	return resolveClient(r, nil)
}

// hstsHeader asks browsers to use HTTPS only, for a year. It is sent only
// on HTTPS responses, as the standard requires.
const hstsHeader = "max-age=31536000"

// identifyClient finds the client's address and whether it used HTTPS,
// believing X-Forwarded-For and X-Forwarded-Proto only from a trusted
// proxy (anyone else could claim any address and escape every per-client
// limit), and sets HSTS on HTTPS responses.
func identifyClient(trusted []netip.Prefix) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c := resolveClient(r, trusted)
			if c.https {
				w.Header().Set("Strict-Transport-Security", hstsHeader)
			}
			// The server's chain runs this inside requestLog, whose
			// requestInfo carries the client to every later layer.
			if i := infoFrom(r.Context()); i != nil {
				i.client, i.hasClient = c, true
			}
			next.ServeHTTP(w, r)
		})
	}
}

func resolveClient(r *http.Request, trusted []netip.Prefix) client {
	c := client{https: r.TLS != nil}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		c.addr = ap.Addr().Unmap()
	}
	isTrusted := func(a netip.Addr) bool {
		return slices.ContainsFunc(trusted, func(p netip.Prefix) bool { return p.Contains(a) })
	}
	if !c.addr.IsValid() || !isTrusted(c.addr) {
		return c
	}
	// Each proxy appends the address it received the request from; walk
	// back from the nearest and stop at the first one we do not trust:
	// everything left of it could have been written by the client.
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(strings.TrimSpace(hops[i]))
		if !ok {
			break
		}
		c.addr = a
		if !isTrusted(a) {
			break
		}
	}
	if proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ","); strings.EqualFold(strings.TrimSpace(proto), "https") {
		c.https = true
	}
	return c
}

func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// guardSlowClients drops a request whose body stops arriving, or whose
// response stops being read, for longer than d. Unlike a whole-request
// ReadTimeout or WriteTimeout this never cuts off a large upload or a long
// response that keeps moving, nor a handler that takes long to answer: the
// deadline is moved forward on every read and write that makes progress.
func guardSlowClients(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rc := http.NewResponseController(w)
			// A keep-alive connection may still carry the deadline of the
			// previous response's last write; this one starts afresh.
			_ = rc.SetWriteDeadline(time.Time{})
			if r.Body != nil && r.Body != http.NoBody {
				now := time.Now()
				_ = rc.SetReadDeadline(now.Add(d))
				r.Body = &progressReader{ReadCloser: r.Body, rc: rc, d: d, start: now}
			}
			next.ServeHTTP(&progressWriter{ResponseWriter: w, rc: rc, d: d}, r)
			// Bound the flush of what the handler left buffered.
			_ = rc.SetWriteDeadline(time.Now().Add(d))
		})
	}
}

// progressReader moves the read deadline forward while the body arrives.
// At the end of the body the server starts reading the connection in the
// background (to notice a client hanging up) and clears the deadline; a
// deadline set after that would cancel a handler that is still working, so
// the final read (which may carry data and EOF together) clears it rather
// than extending it.
//
// A body must also keep an average pace: after the first d it must have
// arrived at minBodyRate at least, so a client cannot hold a connection
// for ever by sending a byte just before each stall timeout.
type progressReader struct {
	io.ReadCloser
	rc    *http.ResponseController
	d     time.Duration
	start time.Time
	n     int64
}

// minBodyRate is the slowest average a body may arrive at (bytes per
// second), after its first stall timeout: far below any real link.
const minBodyRate = 512

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.ReadCloser.Read(b)
	switch {
	case errors.Is(err, io.EOF):
		_ = p.rc.SetReadDeadline(time.Time{})
	case err != nil:
		// Keep the expired deadline: after the handler, the server drains
		// the rest of the body, and that must fail at once, not wait.
		var tooLarge *http.MaxBytesError
		if !errors.As(err, &tooLarge) {
			err = &bodyError{err}
		}
	case n > 0:
		p.n += int64(n)
		next := time.Now().Add(p.d)
		if paced := p.start.Add(p.d + time.Duration(p.n)*time.Second/minBodyRate); paced.Before(next) {
			next = paced
		}
		_ = p.rc.SetReadDeadline(next)
	}
	return n, err
}

// bodyError is a failure to read the request body: the client cut it off
// or stopped sending. It is the client's doing, so it is answered as such
// (400 or 408) wherever it surfaces, and never confused with a failure of
// a call this server made.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return "reading the request body: " + e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// RequestBody marks the error for packages that cannot name its type.
func (e *bodyError) RequestBody() bool { return true }

// progressWriter gives every write of the response d to complete.
type progressWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
	d  time.Duration
}

func (p *progressWriter) Write(b []byte) (int, error) {
	_ = p.rc.SetWriteDeadline(time.Now().Add(p.d))
	return p.ResponseWriter.Write(b)
}

func (p *progressWriter) Flush() {
	_ = p.rc.SetWriteDeadline(time.Now().Add(p.d))
	_ = p.rc.Flush()
}

func (p *progressWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }
