package netguard

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// ErrInvalidURL is wrapped by every error ValidateURL returns for a URL that
// must not be saved. The error's message is written for the user (the HTTP
// API returns it as a 400 detail). Refusals by the egress policy also wrap
// ErrBlocked; a malformed URL's error also wraps the parser's reason, for the
// server log its message points to.
var ErrInvalidURL = errors.New("invalid URL")

// Messages the original API returns, kept word for word.
const (
	msgNoHostname         = "Invalid URL: hostname could not be determined."
	msgMalformed          = "Invalid URL format. Check server logs for details."
	msgLinkLocal          = "Link-local addresses (169.254.x.x) are not allowed for security reasons. These addresses are used for cloud metadata endpoints."
	msgIMDSv6             = "The AWS IMDSv6 metadata address (fd00:ec2::254) is not allowed for security reasons."
	msgResolvesLinkLocal  = "Hostname '%s' resolves to a link-local address (169.254.x.x) which is not allowed for security reasons. These addresses are used for cloud metadata endpoints."
	msgResolvesIMDSv6     = "Hostname '%s' resolves to the AWS IMDSv6 metadata address (fd00:ec2::254), which is not allowed for security reasons."
	msgEmbeddedCredential = "URLs with embedded credentials are not allowed. Put the API key in the API key field."
	publicOnlyNote        = "this server only reaches public addresses (OPEN_NOTEBOOK_EGRESS=public-only)."
)

// ValidateURL checks a URL a user is saving (a provider base URL, a source
// link) and returns an error wrapping ErrInvalidURL, with the original API's
// messages, when it must not be saved. An empty URL is valid: the field is
// unset. The scheme must be http or https, the URL must not carry
// credentials, and its host, an IP address or every address the name
// resolves to, must pass the Guard's policy. A name that does not resolve
// passes, as in the original: it is checked again when it is dialed. Only a
// cancelled ctx yields an error that does not wrap ErrInvalidURL.
func (g *Guard) ValidateURL(ctx context.Context, raw string) error {
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil
	}
	// The URL is split as Python's urlsplit does, so the original's checks
	// see the same scheme and host; Go's parser then has to agree.
	scheme, netloc := splitURL(s)
	if scheme != "http" && scheme != "https" {
		return invalid(fmt.Sprintf("Invalid URL scheme: '%s'. Only http and https are allowed.", scheme))
	}
	host := hostname(netloc)
	if host == "" {
		return invalid(msgNoHostname)
	}
	if strings.Contains(netloc, "@") {
		return invalid(msgEmbeddedCredential)
	}
	literal, err := netip.ParseAddr(host)
	isLiteral := err == nil
	if isLiteral {
		// Before Go's parser, which rejects the unescaped zone the original
		// accepts in http://[fd00:ec2::254%eth0]/.
		if r := judge(literal, g.policy); r != nil {
			return blocked(literalRefusal(r))
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // without the URL, which may carry a key
		}
		return malformed(err)
	}
	if !strings.EqualFold(u.Hostname(), host) {
		return malformed(fmt.Errorf("the host is %q to Go and %q to Python", u.Hostname(), host))
	}
	if isLiteral {
		return nil
	}
	ascii, err := idna.Lookup.ToASCII(host)
	if err != nil {
		return malformed(fmt.Errorf("host name: %w", err))
	}
	addrs, err := g.lookup(ctx, "ip", ascii)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("validate URL: %w", ctx.Err())
		}
		return nil
	}
	for _, a := range addrs {
		if r := judge(a, g.policy); r != nil {
			return blocked(resolvedRefusal(r, host))
		}
	}
	return nil
}

// literalRefusal words r for a URL whose host is the refused address. The
// original's messages are kept for the kinds it refuses; an IPv6 address that
// carries a refused IPv4 address (other than as a mere spelling of it) is
// named before the IPv4 address's message.
func literalRefusal(r *refusal) string {
	if r.outerRange != nil && r.outerRange.flags&ipv4Spelling == 0 {
		return fmt.Sprintf("The address %s is %s, whose %s is %s. ",
			r.outer, r.outerRange.describe(), r.role, r.addr) + addressRefusal(r)
	}
	return addressRefusal(r)
}

func addressRefusal(r *refusal) string {
	if r.rng == nil {
		return fmt.Sprintf("The address %s is not allowed.", r.addr)
	}
	switch r.rng.kind {
	case kindLinkLocal:
		return msgLinkLocal
	case kindMetadata:
		if r.addr == imdsV6 {
			return msgIMDSv6
		}
		return fmt.Sprintf("The cloud metadata address (%s) is not allowed for security reasons.", r.addr)
	case kindUnspecified:
		return "The unspecified address (0.0.0.0 or ::) is not allowed. Use a specific address such as 127.0.0.1."
	case kindMulticast:
		return "Multicast and broadcast addresses are not allowed."
	case kindLocal:
		return "Private and loopback addresses are not allowed: " + publicOnlyNote
	}
	return fmt.Sprintf("The address %s is %s, which is not allowed%s", r.addr, r.rng.describe(), policyTail(r))
}

// resolvedRefusal words r for a URL whose host name resolves to the refused
// address.
func resolvedRefusal(r *refusal, host string) string {
	if r.outerRange != nil && r.outerRange.flags&ipv4Spelling == 0 {
		return fmt.Sprintf("Hostname '%s' resolves to %s, %s, whose %s is %s. ",
			host, r.outer, r.outerRange.describe(), r.role, r.addr) + addressRefusal(r)
	}
	if r.rng == nil {
		return fmt.Sprintf("Hostname '%s' resolves to an invalid address, which is not allowed.", host)
	}
	switch r.rng.kind {
	case kindLinkLocal:
		return fmt.Sprintf(msgResolvesLinkLocal, host)
	case kindMetadata:
		if r.addr == imdsV6 {
			return fmt.Sprintf(msgResolvesIMDSv6, host)
		}
		return fmt.Sprintf("Hostname '%s' resolves to the cloud metadata address (%s), which is not allowed for security reasons.", host, r.addr)
	case kindUnspecified:
		return fmt.Sprintf("Hostname '%s' resolves to an unspecified address (0.0.0.0 or ::), which is not allowed.", host)
	case kindMulticast:
		return fmt.Sprintf("Hostname '%s' resolves to a multicast or broadcast address, which is not allowed.", host)
	case kindLocal:
		return fmt.Sprintf("Hostname '%s' resolves to a private or loopback address (%s), which is not allowed: %s", host, r.addr, publicOnlyNote)
	}
	return fmt.Sprintf("Hostname '%s' resolves to %s, %s, which is not allowed%s", host, r.addr, r.rng.describe(), policyTail(r))
}

// policyTail ends a refusal: with the public-only note when the default
// policy would have allowed the address.
func policyTail(r *refusal) string {
	if r.rng.allow == allowedByDefault {
		return ": " + publicOnlyNote
	}
	return "."
}

// splitURL returns the lower-cased scheme and the network location of s the
// way Python's urllib.parse.urlsplit finds them.
func splitURL(s string) (scheme, netloc string) {
	if i := strings.IndexByte(s, ':'); i > 0 && isScheme(s[:i]) {
		scheme, s = strings.ToLower(s[:i]), s[i+1:]
	}
	if rest, ok := strings.CutPrefix(s, "//"); ok {
		if end := strings.IndexAny(rest, "/?#"); end >= 0 {
			rest = rest[:end]
		}
		netloc = rest
	}
	return scheme, netloc
}

func isScheme(s string) bool {
	for i, c := range []byte(s) {
		letter := 'a' <= c|0x20 && c|0x20 <= 'z'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// hostname returns the lower-cased host of a network location the way
// Python's SplitResult.hostname does: without userinfo, port or brackets.
func hostname(netloc string) string {
	hostinfo := netloc[strings.LastIndexByte(netloc, '@')+1:]
	var host string
	if _, bracketed, ok := strings.Cut(hostinfo, "["); ok {
		host, _, _ = strings.Cut(bracketed, "]")
	} else {
		host, _, _ = strings.Cut(hostinfo, ":")
	}
	return strings.ToLower(host)
}

// literalAddr parses host as an IP address, also in the shorthand forms
// inet_aton accepts ("127.1", "2130706433", "0x7f.0.0.1", "0177.0.0.1"),
// which getaddrinfo, and so the original, resolves to that address.
func literalAddr(host string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(host); err == nil {
		return a, true
	}
	parts := strings.Split(host, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var v uint64
	for i, p := range parts {
		n, ok := inetNumber(p)
		bits := 8
		if i == len(parts)-1 {
			bits = 8 * (4 - i) // the last part fills the remaining bytes
		}
		if !ok || n >= 1<<bits {
			return netip.Addr{}, false
		}
		v = v<<bits | n
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// inetNumber parses one part of an inet_aton address: hexadecimal after 0x,
// octal after a leading 0, decimal otherwise.
func inetNumber(p string) (uint64, bool) {
	base, digits := 10, p
	switch {
	case len(p) > 2 && (p[:2] == "0x" || p[:2] == "0X"):
		base, digits = 16, p[2:]
	case len(p) > 1 && p[0] == '0':
		base, digits = 8, p[1:]
	}
	n, err := strconv.ParseUint(digits, base, 32)
	return n, err == nil
}

// urlError is a ValidateURL refusal: a message for the user and the errors
// it wraps for the caller.
type urlError struct {
	msg   string
	wraps []error
}

func (e *urlError) Error() string   { return e.msg }
func (e *urlError) Unwrap() []error { return e.wraps }

func invalid(msg string) error { return &urlError{msg, []error{ErrInvalidURL}} }
func blocked(msg string) error { return &urlError{msg, []error{ErrInvalidURL, ErrBlocked}} }
func malformed(cause error) error {
	return &urlError{msgMalformed, []error{ErrInvalidURL, cause}}
}
