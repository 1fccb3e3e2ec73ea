package config

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestSecurityDefaults(t *testing.T) {
	logger, _ := capture()
	c, err := Load(envOf(nil), logger)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(c.SessionLifetime, c.SessionIdleTimeout, c.AuthFailureLimit, c.CostlyRateLimit, c.APIRateLimit,
		len(c.TrustedProxies), c.TLSCertFile == "", c.SlowClientTimeout)
	if want := "24h0m0s 2h0m0s 10/5m0s 30/1m0s off 0 true 30s"; got != want {
		t.Fatalf("defaults %q, want %q", got, want)
	}
}

func TestSecurityVariables(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		check   func(c *Config) bool
		wantErr string
	}{
		{"session times are durations", map[string]string{"OPEN_NOTEBOOK_SESSION_LIFETIME": "168h", "OPEN_NOTEBOOK_SESSION_IDLE_TIMEOUT": "30m"},
			func(c *Config) bool {
				return c.SessionLifetime == 168*time.Hour && c.SessionIdleTimeout == 30*time.Minute
			}, ""},
		{"a zero lifetime is refused", map[string]string{"OPEN_NOTEBOOK_SESSION_LIFETIME": "0s"}, nil, "OPEN_NOTEBOOK_SESSION_LIFETIME"},
		{"days are not a Go duration", map[string]string{"OPEN_NOTEBOOK_SESSION_IDLE_TIMEOUT": "1d"}, nil, "OPEN_NOTEBOOK_SESSION_IDLE_TIMEOUT"},
		{"rates read N per duration", map[string]string{"OPEN_NOTEBOOK_AUTH_FAILURE_LIMIT": "5/1h", "OPEN_NOTEBOOK_RATE_LIMIT_API": "600/1m"},
			func(c *Config) bool {
				return c.AuthFailureLimit == Rate{5, time.Hour} && c.APIRateLimit == Rate{600, time.Minute}
			}, ""},
		{"the costly limit can be turned off", map[string]string{"OPEN_NOTEBOOK_RATE_LIMIT_COSTLY": "off"},
			func(c *Config) bool { return c.CostlyRateLimit.Off() }, ""},
		{"the failure limit cannot be turned off", map[string]string{"OPEN_NOTEBOOK_AUTH_FAILURE_LIMIT": "off"}, nil, "cannot be turned off"},
		{"a malformed rate names its variable", map[string]string{"OPEN_NOTEBOOK_RATE_LIMIT_COSTLY": "30 per minute"}, nil, "OPEN_NOTEBOOK_RATE_LIMIT_COSTLY: want N/duration"},
		{"trusted proxies take addresses and networks", map[string]string{"OPEN_NOTEBOOK_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7,::1"},
			func(c *Config) bool {
				return fmt.Sprint(c.TrustedProxies) == "[10.0.0.0/8 192.0.2.7/32 ::1/128]"
			}, ""},
		{"a bad proxy is refused", map[string]string{"OPEN_NOTEBOOK_TRUSTED_PROXIES": "proxy.local"}, nil, "OPEN_NOTEBOOK_TRUSTED_PROXIES: invalid address"},
		{"a certificate needs a key", map[string]string{"OPEN_NOTEBOOK_TLS_CERT_FILE": "/c.pem"}, nil, "OPEN_NOTEBOOK_TLS_KEY_FILE"},
		{"a key needs a certificate", map[string]string{"OPEN_NOTEBOOK_TLS_KEY_FILE": "/k.pem"}, nil, "OPEN_NOTEBOOK_TLS_CERT_FILE"},
		{"both TLS files are kept", map[string]string{"OPEN_NOTEBOOK_TLS_CERT_FILE": "/c.pem", "OPEN_NOTEBOOK_TLS_KEY_FILE": "/k.pem"},
			func(c *Config) bool { return c.TLSCertFile == "/c.pem" && c.TLSKeyFile == "/k.pem" }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			logger, _ := capture()
			c, err := Load(envOf(tc.env), logger)
			if tc.wantErr != "" {
				var ce *Error
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Fatalf("unexpected configuration %+v", c)
			}
		})
	}
}

func TestParsePrefixesUnmapsIPv4InIPv6(t *testing.T) {
	ps, err := ParsePrefixes("::ffff:192.0.2.1")
	if err != nil || len(ps) != 1 || !ps[0].Contains(netip.MustParseAddr("192.0.2.1")) {
		t.Fatalf("%v %v", ps, err)
	}
}
