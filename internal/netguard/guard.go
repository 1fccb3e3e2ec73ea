// Package netguard is the product's one way out to the network: every
// request to an AI provider or to a user-supplied URL goes through the
// http.Client a Guard builds. The Guard checks the resolved address of every
// connection when it is dialed (so a DNS answer cannot change between the
// check and the connect), re-checks redirects, keeps provider keys from
// following a redirect to another host, bounds every phase of a request with
// a timeout, and caps the size of response bodies. ValidateURL checks a URL
// when it is saved, with the messages the original API returns.
package netguard

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults for the zero values of Options.
const (
	DefaultConnectTimeout        = 10 * time.Second
	DefaultTLSHandshakeTimeout   = 10 * time.Second
	DefaultResponseHeaderTimeout = 30 * time.Second
	DefaultTimeout               = 120 * time.Second
	DefaultMaxResponseBytes      = 32 << 20
)

// maxRedirects is how many redirects one request follows.
const maxRedirects = 5

// sensitiveHeaders carry credentials and are dropped when a redirect leaves
// the origin of the first request.
var sensitiveHeaders = []string{
	"Authorization", "Proxy-Authorization", "Cookie",
	"X-Api-Key", "Api-Key", "Xi-Api-Key", "X-Goog-Api-Key",
}

// Resolver looks up the addresses of a host name. *net.Resolver satisfies it;
// tests inject a fake.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Options configures a Guard. Zero values select the defaults.
type Options struct {
	Policy Policy
	// Resolver defaults to net.DefaultResolver.
	Resolver Resolver
	// RootCAs defaults to the system's certificate pool.
	RootCAs *x509.CertPool
	// ConnectTimeout bounds establishing the TCP connection, across all the
	// addresses a name resolves to.
	ConnectTimeout        time.Duration
	TLSHandshakeTimeout   time.Duration
	ResponseHeaderTimeout time.Duration
	// Timeout bounds a whole request, redirects and reading the body included.
	Timeout          time.Duration
	MaxResponseBytes int64
}

// Guard builds HTTP clients whose every connection obeys an egress Policy.
// It is safe for concurrent use.
type Guard struct {
	policy         Policy
	resolver       Resolver
	connectTimeout time.Duration
	timeout        time.Duration
	// dial connects to an address already checked; tests replace it to see
	// what would have been dialed.
	dial      func(ctx context.Context, network, address string) (net.Conn, error)
	transport *cappedTransport
	client    *http.Client
}

// New returns a Guard configured by o.
func New(o Options) *Guard {
	g := &Guard{
		policy:         o.Policy,
		resolver:       o.Resolver,
		connectTimeout: orDefault(o.ConnectTimeout, DefaultConnectTimeout),
		timeout:        orDefault(o.Timeout, DefaultTimeout),
		dial:           (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext,
	}
	if g.resolver == nil {
		g.resolver = net.DefaultResolver
	}
	g.transport = &cappedTransport{
		max: orDefault(o.MaxResponseBytes, DefaultMaxResponseBytes),
		next: &http.Transport{
			// A proxy from the environment would make the connection on our
			// behalf, to an address this package never sees.
			Proxy:       nil,
			DialContext: g.dialContext,
			// The transport still sets ServerName to the URL's host name, so
			// certificates are verified against the name, not the dialed IP.
			TLSClientConfig:        &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:    orDefault(o.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout),
			ResponseHeaderTimeout:  orDefault(o.ResponseHeaderTimeout, DefaultResponseHeaderTimeout),
			ForceAttemptHTTP2:      true,
			MaxIdleConns:           100,
			MaxIdleConnsPerHost:    16,
			IdleConnTimeout:        90 * time.Second,
			ExpectContinueTimeout:  time.Second,
			MaxResponseHeaderBytes: 1 << 20,
		},
	}
	g.client = g.ClientWithTimeout(g.timeout)
	return g
}

// Client returns the shared client. Callers must not modify it; reusing it
// reuses connections.
func (g *Guard) Client() *http.Client { return g.client }

// ClientWithTimeout returns a client sharing the Guard's transport (and its
// connections) with another overall timeout d. A d that is not positive
// selects the Guard's own timeout, so no client is ever unbounded.
func (g *Guard) ClientWithTimeout(d time.Duration) *http.Client {
	return &http.Client{
		Transport:     g.transport,
		CheckRedirect: g.checkRedirect,
		Timeout:       orDefault(d, g.timeout),
	}
}

// dialContext resolves the host of address, refuses the connection if any of
// its addresses is blocked, and dials the checked addresses themselves, so the
// address connected to is the address checked. One blocked address refuses
// all: whoever controls the DNS answer controls the whole set.
func (g *Guard) dialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", address, err)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("dial %s: invalid port: %w", address, err)
	}
	addrs, err := g.lookup(ctx, ipNetwork(network), host)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", address, err)
	}
	for _, a := range addrs {
		if err := CheckIP(a, g.policy); err != nil {
			return nil, fmt.Errorf("dial %s: %w", address, err)
		}
	}
	return g.dialFirst(ctx, network, preferIPv4(addrs), uint16(port))
}

// dialFirst dials addrs in order until one connects, sharing the connect
// timeout among them as net.Dialer does, so one silent address does not use
// up the whole budget.
func (g *Guard) dialFirst(ctx context.Context, network string, addrs []netip.Addr, port uint16) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, g.connectTimeout)
	defer cancel()
	var first error
	for i, a := range addrs {
		attempt, cancelAttempt := context.WithDeadline(ctx, attemptDeadline(ctx, len(addrs)-i))
		conn, err := g.dial(attempt, network, netip.AddrPortFrom(a.Unmap(), port).String())
		cancelAttempt()
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// attemptDeadline gives the next of left attempts its share of the time
// remaining before ctx's deadline, but at least two seconds when there is
// that much.
func attemptDeadline(ctx context.Context, left int) time.Time {
	const minShare = 2 * time.Second
	deadline, _ := ctx.Deadline()
	remaining := time.Until(deadline)
	return time.Now().Add(min(remaining, max(remaining/time.Duration(left), minShare)))
}

// lookup returns the addresses host stands for: itself when it is an IP
// address, else what the resolver answers.
func (g *Guard) lookup(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if a, ok := literalAddr(host); ok {
		return []netip.Addr{a}, nil
	}
	addrs, err := g.resolver.LookupNetIP(ctx, network, host)
	if err != nil {
		return nil, err // net.Resolver's *net.DNSError already names the host
	}
	if len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return addrs, nil
}

// checkRedirect follows a redirect only to an http or https URL, at most
// maxRedirects times, and refuses a blocked IP literal before anything is
// sent (a host name is checked when it is dialed). Credentials are dropped
// once the chain has left the first request's origin.
func (g *Guard) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	if s := req.URL.Scheme; s != "http" && s != "https" {
		return fmt.Errorf("redirect to a %q URL refused: only http and https are followed", s)
	}
	if a, ok := literalAddr(req.URL.Hostname()); ok {
		if err := CheckIP(a, g.policy); err != nil {
			return fmt.Errorf("redirect refused: %w", err)
		}
	}
	// The previous URL may carry a key in its query (Google's ?key=).
	req.Header.Del("Referer")
	if leftOrigin(via, req) {
		for _, h := range sensitiveHeaders {
			req.Header.Del(h)
		}
	}
	return nil
}

// leftOrigin reports whether any hop after the first request, req included,
// went to another origin. The client copies the first request's headers onto
// every hop, so once the chain has left, coming back does not restore them.
func leftOrigin(via []*http.Request, req *http.Request) bool {
	start := origin(via[0].URL)
	if origin(req.URL) != start {
		return true
	}
	for _, r := range via[1:] {
		if origin(r.URL) != start {
			return true
		}
	}
	return false
}

// origin is scheme, host and port, with the scheme's default port filled in.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return u.Scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// cappedTransport fails the reading of a response body past max bytes.
type cappedTransport struct {
	next *http.Transport
	max  int64
}

func (t *cappedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b := &cappedBody{body: resp.Body, left: t.max, max: t.max}
	if resp.ContentLength > t.max && resp.Body != http.NoBody { // a HEAD response has no body to refuse
		b.left = -1 // fail at once rather than read what is known to be too much
	}
	resp.Body = b
	return resp, nil
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// wrapped transport.
func (t *cappedTransport) CloseIdleConnections() { t.next.CloseIdleConnections() }

type cappedBody struct {
	body io.ReadCloser
	left int64 // bytes still allowed; negative once over the cap
	max  int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, b.tooLarge()
	}
	// Ask for one byte more than allowed to see whether the body goes on.
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.body.Read(p)
	if int64(n) > b.left {
		n, b.left = int(b.left), -1
		return n, b.tooLarge()
	}
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.body.Close() }

func (b *cappedBody) tooLarge() error {
	return fmt.Errorf("%w of %d bytes", ErrResponseTooLarge, b.max)
}

// preferIPv4 returns addrs with IPv4 addresses first, as the original does;
// the resolver's order is kept otherwise.
func preferIPv4(addrs []netip.Addr) []netip.Addr {
	family := func(a netip.Addr) int {
		if a.Unmap().Is4() {
			return 4
		}
		return 6
	}
	sorted := slices.Clone(addrs)
	slices.SortStableFunc(sorted, func(a, b netip.Addr) int { return cmp.Compare(family(a), family(b)) })
	return sorted
}

// ipNetwork maps a dial network to the resolver network of the same family.
func ipNetwork(network string) string {
	switch network {
	case "tcp4":
		return "ip4"
	case "tcp6":
		return "ip6"
	}
	return "ip"
}

func orDefault[T time.Duration | int64](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
