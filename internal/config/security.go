package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Rate is a limit of N events per period. N = 0 means no limit.
type Rate struct {
	N   int
	Per time.Duration
}

// Off reports whether the rate sets no limit.
func (r Rate) Off() bool { return r.N == 0 }

// String renders the rate the way it is configured ("10/5m0s", or "off").
func (r Rate) String() string {
	if r.Off() {
		return "off"
	}
	return strconv.Itoa(r.N) + "/" + r.Per.String()
}

// ParseRate parses "N/duration" (e.g. "10/5m", "30/1m"), or "off" or "0"
// for no limit.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "off" || s == "0" {
		return Rate{}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err != nil || count <= 0 {
		return Rate{}, fmt.Errorf("want N/duration such as 30/1m, or off; not %q", s)
	}
	d, err := time.ParseDuration(strings.TrimSpace(per))
	if err != nil || d <= 0 {
		return Rate{}, fmt.Errorf("want N/duration such as 30/1m, or off; not %q", s)
	}
	return Rate{N: count, Per: d}, nil
}

// ParsePrefixes parses a comma-separated list of IP addresses and CIDR
// networks (e.g. "10.0.0.0/8, 192.0.2.7").
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		if strings.Contains(item, "/") {
			p, err := netip.ParsePrefix(item)
			if err != nil {
				return nil, fmt.Errorf("invalid network %q", item)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("invalid address %q: want an IP address or a CIDR network", item)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// Security defaults.
const (
	DefaultSessionLifetime   = 24 * time.Hour
	DefaultSessionIdle       = 2 * time.Hour
	DefaultSlowClientTimeout = 30 * time.Second
	// DefaultMaxClientConns bounds the connections one address may hold
	// open: far more than a browser (6) or a busy script needs, far fewer
	// than it takes to exhaust the server's file descriptors.
	DefaultMaxClientConns = 128
)

// Security rate defaults: 10 failed authentications per 5 minutes per
// client; 30 costly calls (tests, discovery, sync) per minute per client;
// no general limit, since one browser or script may legitimately make many
// cheap calls and a reverse proxy is the better place for one.
var (
	DefaultAuthFailureLimit = Rate{N: 10, Per: 5 * time.Minute}
	DefaultCostlyRateLimit  = Rate{N: 30, Per: time.Minute}
)

// loadSecurity reads the variables of sessions, rate limits, proxies, TLS
// and client timeouts into c.
func (c *Config) loadSecurity(get func(string) string) error {
	c.SessionLifetime, c.SessionIdleTimeout = DefaultSessionLifetime, DefaultSessionIdle
	c.SlowClientTimeout = DefaultSlowClientTimeout
	c.AuthFailureLimit, c.CostlyRateLimit = DefaultAuthFailureLimit, DefaultCostlyRateLimit
	durations := []struct {
		name string
		dst  *time.Duration
	}{
		{"OPEN_NOTEBOOK_SESSION_LIFETIME", &c.SessionLifetime},
		{"OPEN_NOTEBOOK_SESSION_IDLE_TIMEOUT", &c.SessionIdleTimeout},
		{"OPEN_NOTEBOOK_SLOW_CLIENT_TIMEOUT", &c.SlowClientTimeout},
	}
	for _, d := range durations {
		if v := get(d.name); v != "" {
			parsed, err := time.ParseDuration(v)
			if err != nil || parsed <= 0 {
				return &Error{d.name, fmt.Sprintf("must be a positive duration such as 2h or 30m, not %q", v)}
			}
			*d.dst = parsed
		}
	}
	rates := []struct {
		name string
		dst  *Rate
	}{
		{"OPEN_NOTEBOOK_AUTH_FAILURE_LIMIT", &c.AuthFailureLimit},
		{"OPEN_NOTEBOOK_RATE_LIMIT_COSTLY", &c.CostlyRateLimit},
		{"OPEN_NOTEBOOK_RATE_LIMIT_API", &c.APIRateLimit},
	}
	for _, r := range rates {
		if v := get(r.name); v != "" {
			parsed, err := ParseRate(v)
			if err != nil {
				return &Error{r.name, err.Error()}
			}
			*r.dst = parsed
		}
	}
	if c.AuthFailureLimit.Off() {
		return &Error{"OPEN_NOTEBOOK_AUTH_FAILURE_LIMIT", "cannot be turned off: it is what stops password guessing; raise it instead (e.g. 100/5m)"}
	}
	c.MaxClientConns = DefaultMaxClientConns
	if v := get("OPEN_NOTEBOOK_MAX_CONNECTIONS_PER_CLIENT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return &Error{"OPEN_NOTEBOOK_MAX_CONNECTIONS_PER_CLIENT", fmt.Sprintf("must be a positive number, not %q", v)}
		}
		c.MaxClientConns = n
	}
	var err error
	if c.TrustedProxies, err = ParsePrefixes(get("OPEN_NOTEBOOK_TRUSTED_PROXIES")); err != nil {
		return &Error{"OPEN_NOTEBOOK_TRUSTED_PROXIES", err.Error()}
	}
	c.TLSCertFile, c.TLSKeyFile = get("OPEN_NOTEBOOK_TLS_CERT_FILE"), get("OPEN_NOTEBOOK_TLS_KEY_FILE")
	switch {
	case c.TLSCertFile != "" && c.TLSKeyFile == "":
		return &Error{"OPEN_NOTEBOOK_TLS_KEY_FILE", "must be set with OPEN_NOTEBOOK_TLS_CERT_FILE"}
	case c.TLSKeyFile != "" && c.TLSCertFile == "":
		return &Error{"OPEN_NOTEBOOK_TLS_CERT_FILE", "must be set with OPEN_NOTEBOOK_TLS_KEY_FILE"}
	}
	return nil
}
