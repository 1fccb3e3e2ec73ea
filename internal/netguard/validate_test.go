package netguard

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// specResolver answers for the names the validation vectors use. Names not
// listed (my-resource.openai.azure.com, api.together.xyz...) do not resolve.
var specResolver = fakeResolver{
	"api.openai.com":                    "104.18.6.192",
	"example.com":                       "93.184.216.34",
	"localhost":                         "::1,127.0.0.1",
	"api.anthropic.com":                 "160.79.104.10",
	"generativelanguage.googleapis.com": "142.250.74.42,2a00:1450:4001:82b::200a",
	"api.groq.com":                      "104.18.40.49",
	"evil.example":                      "169.254.169.254",
	"imds6.example":                     "fd00:ec2::254",
	"mapped.example":                    "::ffff:169.254.169.254",
	"zero.example":                      "0.0.0.0",
	"rebind.example":                    "93.184.216.34,169.254.169.254",
	"alibaba.example":                   "100.100.100.200",
	"mdns.example":                      "224.0.0.251",
	"ollama.local":                      "192.168.1.50",
	"xn--mnchen-3ya.example":            "169.254.169.254",
	"ollama.tail1234.ts.net":            "100.101.102.103",
	"sixtofour.example":                 "2002:a9fe:a9fe::",
	"fakeip.example":                    "198.18.0.5",
	"docs.example":                      "2001:db8::10",
}

const (
	linkLocalMsg = "Link-local addresses (169.254.x.x) are not allowed for security reasons. These addresses are used for cloud metadata endpoints."
	imdsMsg      = "The AWS IMDSv6 metadata address (fd00:ec2::254) is not allowed for security reasons."
	schemeMsg    = "Invalid URL scheme: '%s'. Only http and https are allowed."
	credsMsg     = "URLs with embedded credentials are not allowed. Put the API key in the API key field."
	formatMsg    = "Invalid URL format. Check server logs for details."
)

func TestValidateURL(t *testing.T) {
	type verdict int
	const (
		ok      verdict = iota
		invalid         // wraps ErrInvalidURL only
		blocked         // wraps ErrInvalidURL and ErrBlocked
	)
	tests := []struct {
		name   string
		url    string
		policy Policy
		want   verdict
		msg    string // the exact message, when the URL is refused
	}{
		// §7.2, allowed.
		{"the OpenAI API is allowed", "https://api.openai.com", AllowPrivate, ok, ""},
		{"a public host with a path is allowed", "https://example.com/api", AllowPrivate, ok, ""},
		{"plain http to a public host is allowed", "http://example.com", AllowPrivate, ok, ""},
		{"localhost is allowed for self-hosted providers", "http://localhost:8000", AllowPrivate, ok, ""},
		{"127.0.0.1 is allowed", "http://127.0.0.1:8000", AllowPrivate, ok, ""},
		{"Ollama on localhost is allowed", "http://localhost:11434", AllowPrivate, ok, ""},
		{"Ollama on 127.0.0.1 is allowed", "http://127.0.0.1:11434", AllowPrivate, ok, ""},
		{"10/8 is allowed", "http://10.0.0.1", AllowPrivate, ok, ""},
		{"172.16/12 with a port is allowed", "http://172.16.0.1:8080", AllowPrivate, ok, ""},
		{"192.168/16 is allowed", "http://192.168.1.1", AllowPrivate, ok, ""},
		{"Ollama on the LAN is allowed", "http://192.168.1.100:11434", AllowPrivate, ok, ""},
		{"Ollama on 10/8 is allowed", "http://10.0.0.50:11434", AllowPrivate, ok, ""},
		{"another loopback address is allowed", "http://127.0.0.2", AllowPrivate, ok, ""},
		{"IPv6 loopback is allowed", "http://[::1]:8000", AllowPrivate, ok, ""},
		{"an empty URL is a no-op", "", AllowPrivate, ok, ""},
		{"a whitespace URL is a no-op", "  \t ", AllowPrivate, ok, ""},
		{"the OpenAI API with a path is allowed", "https://api.openai.com/v1", AllowPrivate, ok, ""},
		{"the Anthropic API is allowed", "https://api.anthropic.com", AllowPrivate, ok, ""},
		{"the Gemini API is allowed", "https://generativelanguage.googleapis.com", AllowPrivate, ok, ""},
		{"the Groq API is allowed", "https://api.groq.com", AllowPrivate, ok, ""},
		{"an Azure resource that does not resolve is allowed", "https://my-resource.openai.azure.com", AllowPrivate, ok, ""},
		{"Together is allowed", "https://api.together.xyz", AllowPrivate, ok, ""},
		{"an OpenAI-compatible LAN server is allowed", "http://192.168.1.1:8080", AllowPrivate, ok, ""},
		{"an IPv4-mapped private address is allowed", "http://[::ffff:192.168.1.1]", AllowPrivate, ok, ""},
		{"surrounding spaces are trimmed", "  https://api.openai.com/v1  ", AllowPrivate, ok, ""},
		{"an upper-case scheme is accepted", "HTTPS://api.openai.com", AllowPrivate, ok, ""},
		{"a CGNAT (Tailscale) name is allowed", "http://ollama.tail1234.ts.net:11434", AllowPrivate, ok, ""},
		{"a decimal shorthand for loopback is allowed", "http://2130706433:11434", AllowPrivate, ok, ""},

		// §7.2, refused.
		{"ftp is refused", "ftp://example.com", AllowPrivate, invalid, fmt.Sprintf(schemeMsg, "ftp")},
		{"file is refused", "file:///etc/passwd", AllowPrivate, invalid, fmt.Sprintf(schemeMsg, "file")},
		{"a string without a scheme is refused", "not-a-url", AllowPrivate, invalid, fmt.Sprintf(schemeMsg, "")},
		{"host:port without a scheme reads host as the scheme", "localhost:8000", AllowPrivate, invalid, fmt.Sprintf(schemeMsg, "localhost")},
		{"the metadata address is refused", "http://169.254.169.254", AllowPrivate, blocked, linkLocalMsg},
		{"the metadata address is refused under public-only too", "http://169.254.169.254/latest/meta-data", PublicOnly, blocked, linkLocalMsg},
		{"an IPv4-mapped metadata address is refused", "http://[::ffff:169.254.169.254]", AllowPrivate, blocked, linkLocalMsg},
		{"the IMDSv6 address is refused", "http://[fd00:ec2::254]/", AllowPrivate, blocked, imdsMsg},
		{"the IMDSv6 address with a raw zone is refused", "http://[fd00:ec2::254%eth0]/", AllowPrivate, blocked, imdsMsg},
		{"the IMDSv6 address with an escaped zone is refused", "http://[fd00:ec2::254%25eth0]/", AllowPrivate, blocked, imdsMsg},
		{"IPv6 link-local with a zone is refused", "http://[fe80::1%25eth0]:8080/", AllowPrivate, blocked, linkLocalMsg},
		{"a URL without a host is refused", "http:///path", AllowPrivate, invalid, "Invalid URL: hostname could not be determined."},
		{"a URL without // has no host", "http:example.com", AllowPrivate, invalid, "Invalid URL: hostname could not be determined."},

		// Names checked by what they resolve to.
		{"a name resolving to the metadata address is refused", "http://evil.example/v1/models", AllowPrivate, blocked,
			"Hostname 'evil.example' resolves to a link-local address (169.254.x.x) which is not allowed for security reasons. These addresses are used for cloud metadata endpoints."},
		{"a name resolving to IMDSv6 is refused", "http://imds6.example/", AllowPrivate, blocked,
			"Hostname 'imds6.example' resolves to the AWS IMDSv6 metadata address (fd00:ec2::254), which is not allowed for security reasons."},
		{"a name resolving to a mapped metadata address is refused", "http://mapped.example/", AllowPrivate, blocked,
			"Hostname 'mapped.example' resolves to a link-local address (169.254.x.x) which is not allowed for security reasons. These addresses are used for cloud metadata endpoints."},
		{"one bad address among good ones refuses the name", "https://rebind.example/", AllowPrivate, blocked,
			"Hostname 'rebind.example' resolves to a link-local address (169.254.x.x) which is not allowed for security reasons. These addresses are used for cloud metadata endpoints."},
		{"the host name is matched case-insensitively", "http://EVIL.example", AllowPrivate, blocked,
			"Hostname 'evil.example' resolves to a link-local address (169.254.x.x) which is not allowed for security reasons. These addresses are used for cloud metadata endpoints."},
		{"an international name is resolved in its ASCII form", "https://münchen.example/v1", AllowPrivate, blocked,
			"Hostname 'münchen.example' resolves to a link-local address (169.254.x.x) which is not allowed for security reasons. These addresses are used for cloud metadata endpoints."},
		{"an octal shorthand for the metadata address is refused as getaddrinfo reads it", "http://0251.0376.0251.0376/", AllowPrivate, blocked,
			"Hostname '0251.0376.0251.0376' resolves to a link-local address (169.254.x.x) which is not allowed for security reasons. These addresses are used for cloud metadata endpoints."},
		{"a hexadecimal shorthand for the metadata address is refused", "http://0xa9fea9fe/", AllowPrivate, blocked,
			"Hostname '0xa9fea9fe' resolves to a link-local address (169.254.x.x) which is not allowed for security reasons. These addresses are used for cloud metadata endpoints."},

		// Improvements over the original.
		{"embedded credentials are refused", "http://user:pass@example.com", AllowPrivate, invalid, credsMsg},
		{"an embedded key alone is refused", "https://sk-secret-key@api.openai.com/v1", AllowPrivate, invalid, credsMsg},
		{"an @ in the path is not userinfo", "https://example.com/users/@me", AllowPrivate, ok, ""},
		{"0.0.0.0 is refused", "http://0.0.0.0:8000", AllowPrivate, blocked,
			"The unspecified address (0.0.0.0 or ::) is not allowed. Use a specific address such as 127.0.0.1."},
		{"the IPv6 unspecified address is refused", "http://[::]:8000", AllowPrivate, blocked,
			"The unspecified address (0.0.0.0 or ::) is not allowed. Use a specific address such as 127.0.0.1."},
		{"a name resolving to 0.0.0.0 is refused", "http://zero.example", AllowPrivate, blocked,
			"Hostname 'zero.example' resolves to an unspecified address (0.0.0.0 or ::), which is not allowed."},
		{"Alibaba Cloud's metadata address is refused", "http://100.100.100.200/latest/meta-data", AllowPrivate, blocked,
			"The cloud metadata address (100.100.100.200) is not allowed for security reasons."},
		{"a name resolving to Alibaba Cloud's metadata address is refused", "http://alibaba.example", AllowPrivate, blocked,
			"Hostname 'alibaba.example' resolves to the cloud metadata address (100.100.100.200), which is not allowed for security reasons."},
		{"a multicast address is refused", "http://224.0.0.251:5353", AllowPrivate, blocked,
			"Multicast and broadcast addresses are not allowed."},
		{"a name resolving to multicast is refused", "http://mdns.example", AllowPrivate, blocked,
			"Hostname 'mdns.example' resolves to a multicast or broadcast address, which is not allowed."},
		{"an unparsable port is a format error", "http://localhost:abc/", AllowPrivate, invalid, formatMsg},
		{"a space in the host is a format error", "http://exa mple.com/", AllowPrivate, invalid, formatMsg},
		{"an unbalanced bracket is a format error", "http://[::1/", AllowPrivate, invalid, formatMsg},

		// Special-purpose ranges, judged by the same table as a dial.
		{"a 6to4 address of the metadata address is refused", "http://[2002:a9fe:a9fe::]/", AllowPrivate, blocked,
			"The address 2002:a9fe:a9fe:: is a 6to4 address in 2002::/16 (RFC 3056), whose IPv4 address is 169.254.169.254. " + linkLocalMsg},
		{"a Teredo address whose client is the metadata address is refused", "http://[2001:0:4136:e378:8000:63bf:5601:5601]:8080/", AllowPrivate, blocked,
			"The address 2001:0:4136:e378:8000:63bf:5601:5601 is a Teredo address in 2001::/32 (RFC 4380), whose client is 169.254.169.254. " + linkLocalMsg},
		{"a name resolving to a 6to4 metadata address is refused", "http://sixtofour.example/", AllowPrivate, blocked,
			"Hostname 'sixtofour.example' resolves to 2002:a9fe:a9fe::, a 6to4 address in 2002::/16 (RFC 3056), whose IPv4 address is 169.254.169.254. " + linkLocalMsg},
		{"a documentation address is refused", "http://192.0.2.1/", AllowPrivate, blocked,
			"The address 192.0.2.1 is a documentation address in 192.0.2.0/24 (TEST-NET-1, RFC 5737), which is not allowed."},
		{"a name resolving to a documentation address is refused", "http://docs.example/", AllowPrivate, blocked,
			"Hostname 'docs.example' resolves to 2001:db8::10, a documentation address in 2001:db8::/32 (RFC 3849), which is not allowed."},
		{"a local-use NAT64 address is refused", "http://[64:ff9b:1::a9fe:a9fe]/", AllowPrivate, blocked,
			"The address 64:ff9b:1::a9fe:a9fe is a local-use NAT64 address in 64:ff9b:1::/48 (RFC 8215; which IPv4 address it reaches depends on the translator's prefix length, so it cannot be checked), which is not allowed."},
		{"a name a fake-IP proxy answers is allowed by default", "https://fakeip.example/v1", AllowPrivate, ok, ""},

		// The public-only policy.
		{"public-only allows a public host", "https://api.openai.com/v1", PublicOnly, ok, ""},
		{"public-only allows a name that does not resolve", "https://my-resource.openai.azure.com", PublicOnly, ok, ""},
		{"public-only refuses 127.0.0.1", "http://127.0.0.1:11434", PublicOnly, blocked,
			"Private and loopback addresses are not allowed: this server only reaches public addresses (OPEN_NOTEBOOK_EGRESS=public-only)."},
		{"public-only refuses 10/8", "http://10.0.0.1", PublicOnly, blocked,
			"Private and loopback addresses are not allowed: this server only reaches public addresses (OPEN_NOTEBOOK_EGRESS=public-only)."},
		{"public-only refuses IPv6 loopback", "http://[::1]:8000", PublicOnly, blocked,
			"Private and loopback addresses are not allowed: this server only reaches public addresses (OPEN_NOTEBOOK_EGRESS=public-only)."},
		{"public-only refuses an IPv4-mapped private address", "http://[::ffff:192.168.1.1]", PublicOnly, blocked,
			"Private and loopback addresses are not allowed: this server only reaches public addresses (OPEN_NOTEBOOK_EGRESS=public-only)."},
		{"public-only refuses CGNAT", "http://100.64.1.1", PublicOnly, blocked,
			"Private and loopback addresses are not allowed: this server only reaches public addresses (OPEN_NOTEBOOK_EGRESS=public-only)."},
		{"public-only refuses localhost by its addresses", "http://localhost:11434", PublicOnly, blocked,
			"Hostname 'localhost' resolves to a private or loopback address (::1), which is not allowed: this server only reaches public addresses (OPEN_NOTEBOOK_EGRESS=public-only)."},
		{"public-only refuses a benchmarking address", "http://198.18.0.1/", PublicOnly, blocked,
			"The address 198.18.0.1 is a benchmarking address in 198.18.0.0/15 (RFC 2544, used by fake-IP proxies), which is not allowed: this server only reaches public addresses (OPEN_NOTEBOOK_EGRESS=public-only)."},
		{"public-only refuses a name a fake-IP proxy answers", "https://fakeip.example/v1", PublicOnly, blocked,
			"Hostname 'fakeip.example' resolves to 198.18.0.5, a benchmarking address in 198.18.0.0/15 (RFC 2544, used by fake-IP proxies), which is not allowed: this server only reaches public addresses (OPEN_NOTEBOOK_EGRESS=public-only)."},
		{"public-only refuses a site-local address", "http://[fec0::1]/", PublicOnly, blocked,
			"Private and loopback addresses are not allowed: this server only reaches public addresses (OPEN_NOTEBOOK_EGRESS=public-only)."},
		{"public-only refuses a LAN name", "http://ollama.local:11434", PublicOnly, blocked,
			"Hostname 'ollama.local' resolves to a private or loopback address (192.168.1.50), which is not allowed: this server only reaches public addresses (OPEN_NOTEBOOK_EGRESS=public-only)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := New(Options{Policy: tt.policy, Resolver: specResolver})
			err := g.ValidateURL(context.Background(), tt.url)
			if tt.want == ok {
				if err != nil {
					t.Fatalf("ValidateURL(%q) = %q, want nil", tt.url, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateURL(%q) = nil, want %q", tt.url, tt.msg)
			}
			if err.Error() != tt.msg {
				t.Errorf("ValidateURL(%q) message\n got: %s\nwant: %s", tt.url, err, tt.msg)
			}
			if !errors.Is(err, ErrInvalidURL) {
				t.Errorf("ValidateURL(%q) = %v, want it to wrap ErrInvalidURL", tt.url, err)
			}
			if got := errors.Is(err, ErrBlocked); got != (tt.want == blocked) {
				t.Errorf("errors.Is(ValidateURL(%q), ErrBlocked) = %v, want %v", tt.url, got, tt.want == blocked)
			}
		})
	}
}

func TestValidateURLKeepsSecretsOutOfErrors(t *testing.T) {
	const key = "sk-proj-SECRET123"
	tests := []struct {
		name string
		url  string
	}{
		{"a key as the user name", "https://" + key + "@api.openai.com/v1"},
		{"a key as the password", "https://user:" + key + "@api.openai.com/v1"},
		{"a key in the query of a malformed URL", "http://localhost:abc/v1?key=" + key},
		{"a key in the query of a blocked URL", "http://169.254.169.254/?key=" + key},
		{"a key in the query with a bad escape", "http://example.com/%zz?key=" + key},
	}
	g := New(Options{Resolver: specResolver})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := g.ValidateURL(context.Background(), tt.url)
			if err == nil {
				t.Fatalf("ValidateURL(%q) = nil, want a refusal", tt.url)
			}
			for _, msg := range errorTreeMessages(err) {
				if strings.Contains(msg, key) {
					t.Errorf("an error in the chain says %q, which contains the key", msg)
				}
			}
		})
	}
}

// errorTreeMessages returns the message of err and of every error it wraps.
func errorTreeMessages(err error) []string {
	if err == nil {
		return nil
	}
	msgs := []string{err.Error()}
	switch e := err.(type) {
	case interface{ Unwrap() error }:
		msgs = append(msgs, errorTreeMessages(e.Unwrap())...)
	case interface{ Unwrap() []error }:
		for _, inner := range e.Unwrap() {
			msgs = append(msgs, errorTreeMessages(inner)...)
		}
	}
	return msgs
}

func TestValidateURLReportsACancelledContext(t *testing.T) {
	g := New(Options{Resolver: specResolver})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := g.ValidateURL(ctx, "https://api.openai.com/v1")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ValidateURL with a cancelled context = %v, want context.Canceled", err)
	}
	if errors.Is(err, ErrInvalidURL) {
		t.Errorf("ValidateURL with a cancelled context = %v, which blames the URL", err)
	}
}

func FuzzValidateURL(f *testing.F) {
	for _, seed := range []string{
		"", "https://api.openai.com/v1", "http://localhost:11434", "http://[::1]:8000",
		"http://169.254.169.254/latest/meta-data", "http://[::ffff:169.254.169.254]",
		"http://[fd00:ec2::254%eth0]/", "http://[fd00:ec2::254%25eth0]/", "ftp://example.com",
		"file:///etc/passwd", "not-a-url", "http://user:pass@example.com", "http://0251.0376.0251.0376/",
		"http://127.1", "http://0x7f.1:80/", "https://bücher.example/v1", "http://[::1/", "http://evil.example",
		"http://a@b@c/", "http://[fe80::1%25eth0]/", "http://0.0.0.0", "HTTP://EVIL.EXAMPLE#@127.0.0.1",
		"http://127.0.0.1\\@evil.example/", "http://[v1.fe80::1]/",
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, raw string, publicOnly bool) {
		p := AllowPrivate
		if publicOnly {
			p = PublicOnly
		}
		err := New(Options{Policy: p, Resolver: specResolver}).ValidateURL(context.Background(), raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidURL) {
				t.Fatalf("ValidateURL(%q) = %v, which does not wrap ErrInvalidURL", raw, err)
			}
			return
		}
		s := strings.TrimSpace(raw)
		if s == "" {
			return
		}
		// What passes must be a URL the client will send where it was checked.
		u, perr := url.Parse(s)
		if perr != nil {
			t.Fatalf("ValidateURL(%q) = nil, but Go cannot parse it: %v", raw, perr)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			t.Fatalf("ValidateURL(%q) = nil with scheme %q", raw, u.Scheme)
		}
		if u.User != nil {
			t.Fatalf("ValidateURL(%q) = nil for a URL with userinfo", raw)
		}
		if u.Hostname() == "" {
			t.Fatalf("ValidateURL(%q) = nil for a URL without a host", raw)
		}
		if a, ok := literalAddr(u.Hostname()); ok {
			if err := CheckIP(a, p); err != nil {
				t.Fatalf("ValidateURL(%q) = nil, but the client would connect to %s: %v", raw, a, err)
			}
		}
	})
}
