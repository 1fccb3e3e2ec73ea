package provider

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/netguard"
)

// Fixture strings of the original's tests/test_connection_test_classification.py.
const (
	g404    = "404 models/gemini-2.0-flash is not found for API version v1beta, or is not supported for generateContent."
	gDep    = "400 Model gemini-1.5-pro has been deprecated."
	g401    = "401 API key not valid. Please pass a valid API key."
	g403    = "403 Permission denied on resource project."
	g429    = "429 Resource has been exhausted (e.g. check quota)."
	dns     = "Connection error: [Errno -2] Name or service not known (getaddrinfo failed)"
	timeout = "Request timed out after 10s"
)

func TestConnectionFailureReason(t *testing.T) {
	tests := []struct {
		name, msg, want string
	}{
		{"a 401 is an invalid key", g401, "Invalid API key"},
		{"a 403 lacks permissions", g403, "API key lacks required permissions"},
		{"a DNS failure is a connection error", dns, "Connection error - check network/endpoint"},
		{"a timeout timed out", timeout, "Connection timed out - check network/endpoint"},
		{"a missing model is no connection failure", g404, ""},
		{"a deprecated model is no connection failure", gDep, ""},
		{"a rate limit is no connection failure", g429, ""},
		{"unauthorized in words is an invalid key", "Unauthorized: bad token", "Invalid API key"},
		{"forbidden in words lacks permissions", "FORBIDDEN", "API key lacks required permissions"},
		{"a failed connection attempt is a connection error", "Failed to establish a new connection", "Connection error - check network/endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := connectionFailureReason(tt.msg); got != tt.want {
				t.Errorf("connectionFailureReason(%q) = %q, want %q", tt.msg, got, tt.want)
			}
		})
	}
}

func TestIsRateLimit(t *testing.T) {
	tests := []struct {
		msg  string
		want bool
	}{
		{"429 Too Many Requests", true},
		{"Resource has been exhausted (e.g. check quota).", true},
		{"You have hit your rate limit", true},
		{"quota exceeded for this project", true},
		{"RESOURCE EXHAUSTED", true},
		{g404, false},
		{"the limit of this field is 10", false},
	}
	for _, tt := range tests {
		t.Run(tt.msg, func(t *testing.T) {
			if got := isRateLimit(tt.msg); got != tt.want {
				t.Errorf("isRateLimit(%q) = %v, want %v", tt.msg, got, tt.want)
			}
		})
	}
}

func TestClassifyTestMessage(t *testing.T) {
	long := strings.Repeat("é", 150) // multi-byte, so a byte cut would corrupt it
	tests := []struct {
		name        string
		msg         string
		wantSuccess bool
		wantMessage string
	}{
		{"a missing test model proves the key works", g404, true, "API key valid (test model unavailable)"},
		{"a deprecated test model proves the key works", gDep, true, "API key valid (test model unavailable)"},
		{"a rate limit proves the connection works", g429, true, "Rate limited - but connection works"},
		{"a 401 fails as an invalid key", g401, false, "Invalid API key"},
		{"a 403 fails for permissions", g403, false, "API key lacks required permissions"},
		{"a DNS failure fails as a connection error", dns, false, "Connection error - check network/endpoint"},
		{"a timeout fails as timed out", timeout, false, "Connection timed out - check network/endpoint"},
		{"anything else fails with its text", "TypeError: create_language() missing required config 'base_url'",
			false, "Error: TypeError: create_language() missing required config 'base_url'"},
		{"an unsupported model proves the key works", "model not supported", true, "API key valid (test model unavailable)"},
		{"a retired model proves the key works", "This model is no longer available", true, "API key valid (test model unavailable)"},
		{"a key failure wins over a missing model", "401 model not found", false, "Invalid API key"},
		{"a long message is cut to 100 characters", long, false, "Error: " + strings.Repeat("é", 100) + "..."},
		{"a message of exactly 100 characters is kept whole", strings.Repeat("x", 100), false, "Error: " + strings.Repeat("x", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			success, message := ClassifyTestMessage(tt.msg)
			if success != tt.wantSuccess || message != tt.wantMessage {
				t.Errorf("ClassifyTestMessage(%q) = %v, %q; want %v, %q", tt.msg, success, message, tt.wantSuccess, tt.wantMessage)
			}
		})
	}
}

func TestModelTestMessage(t *testing.T) {
	tests := []struct {
		name        string
		msg         string
		wantSuccess bool
		wantMessage string
	}{
		{"a missing model fails the model test", g404, false, "Model not found on this provider"},
		{"a 401 fails as an invalid key", g401, false, "Invalid API key"},
		{"a timeout fails as timed out", timeout, false, "Connection timed out - check network/endpoint"},
		{"a rate limit still proves the connection works", g429, true, "Rate limited - but connection works"},
		{"a deprecated model fails with its own text", gDep, false, gDep},
		{"not found without a model is returned as it is", "404 page not found", false, "404 page not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			success, message := ModelTestMessage(tt.msg)
			if success != tt.wantSuccess || message != tt.wantMessage {
				t.Errorf("ModelTestMessage(%q) = %v, %q; want %v, %q", tt.msg, success, message, tt.wantSuccess, tt.wantMessage)
			}
		})
	}
}

func TestTestMessageReadsTheTypedStatusFirst(t *testing.T) {
	tests := []struct {
		name        string
		err         *Error
		wantSuccess bool
		wantMessage string
	}{
		{"auth_failed is an invalid key", &Error{Status: StatusAuthFailed, HTTPStatus: 401}, false, "Invalid API key"},
		{"forbidden lacks permissions", &Error{Status: StatusForbidden, HTTPStatus: 403}, false, "API key lacks required permissions"},
		{"rate_limited proves the connection works", &Error{Status: StatusRateLimited, HTTPStatus: 429}, true, "Rate limited - but connection works"},
		{"timeout timed out", &Error{Status: StatusTimeout}, false, "Connection timed out - check network/endpoint"},
		{"unreachable is a connection error", &Error{Status: StatusUnreachable}, false, "Connection error - check network/endpoint"},
		{"tls_error names the certificate", &Error{Status: StatusTLSError}, false, "TLS error - check the endpoint's certificate"},
		{"blocked says the address is not allowed", &Error{Status: StatusBlocked}, false, "Blocked: the endpoint resolves to an address that is not allowed"},
		{"a 404 listing is a wrong URL, not a working key", &Error{Status: StatusNotFound, HTTPStatus: 404, Message: "model not found"},
			false, "Endpoint not found (HTTP 404) - check the base URL"},
		{"another HTTP status is reported with the provider's message", &Error{Status: StatusError, HTTPStatus: 503, Message: "overloaded"},
			false, "Server returned status 503: overloaded"},
		{"another HTTP status without a message is reported bare", &Error{Status: StatusError, HTTPStatus: 418},
			false, "Server returned status 418"},
		{"an HTTP status wins over words in the message", &Error{Status: StatusError, HTTPStatus: 400, Message: "model is deprecated"},
			false, "Server returned status 400: model is deprecated"},
		{"without status or code the text decides", &Error{Status: StatusError, Message: g429}, true, "Rate limited - but connection works"},
		{"without status or code an unknown text fails", &Error{Status: StatusError, Message: "the request was cancelled"},
			false, "Error: the request was cancelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			success, message := TestMessage(tt.err)
			if success != tt.wantSuccess || message != tt.wantMessage {
				t.Errorf("TestMessage(%v) = %v, %q; want %v, %q", tt.err, success, message, tt.wantSuccess, tt.wantMessage)
			}
		})
	}
}

const testKey = "sk-test-4f9d2c1b8a7e6d5c"

// fakeListing answers GET /v1/models like an OpenAI-style provider would,
// and records what it received.
type fakeListing struct {
	mu       sync.Mutex
	requests []string // "METHOD path auth"
	status   int
	body     string
	header   map[string]string
}

func (f *fakeListing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
	f.mu.Unlock()
	for k, v := range f.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.status)
	fmt.Fprint(w, f.body)
}

// listModels makes the probe a client would make and returns its failure,
// built by the shared constructors.
func listModels(t *testing.T, client *http.Client, baseURL string) *Error {
	t.Helper()
	// Only a safety net: every case answers or fails well before it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/v1/models", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := client.Do(req)
	if err != nil {
		return FromTransport("openai", err, testKey)
	}
	if resp.StatusCode/100 != 2 {
		return FromResponse("openai", resp, testKey)
	}
	resp.Body.Close()
	t.Fatalf("listing succeeded with %d", resp.StatusCode)
	return nil
}

func TestTestMessageForProviderResponses(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		body        string
		header      map[string]string
		wantSuccess bool
		wantMessage string
	}{
		{"a rejected key", http.StatusUnauthorized,
			`{"error":{"message":"Incorrect API key provided: ` + testKey + `. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`,
			nil, false, "Invalid API key"},
		{"a key without permission", http.StatusForbidden,
			`{"type":"error","error":{"type":"permission_error","message":"Your API key does not have permission to use the specified resource."}}`,
			nil, false, "API key lacks required permissions"},
		{"a rate limit", http.StatusTooManyRequests,
			`{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}`,
			map[string]string{"Retry-After": "2"}, true, "Rate limited - but connection works"},
		{"a listing that is not found", http.StatusNotFound, `404 page not found`,
			nil, false, "Endpoint not found (HTTP 404) - check the base URL"},
		{"a server error that echoes the key", http.StatusInternalServerError,
			`{"error":{"message":"upstream refused key ` + testKey + `","type":"server_error"}}`,
			nil, false, "Server returned status 500: upstream refused key [REDACTED]"},
		{"google's bad key, which is a 400", http.StatusBadRequest,
			`{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}`,
			nil, false, "Server returned status 400: API key not valid. Please pass a valid API key."},
		{"an HTML gateway error", http.StatusBadGateway, `<html><body><h1>502 Bad Gateway</h1></body></html>`,
			nil, false, "Server returned status 502: Bad Gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeListing{status: tt.status, body: tt.body, header: tt.header}
			srv := httptest.NewServer(fake)
			defer srv.Close()

			success, message := TestMessage(listModels(t, srv.Client(), srv.URL))
			if success != tt.wantSuccess || message != tt.wantMessage {
				t.Errorf("TestMessage = %v, %q; want %v, %q", success, message, tt.wantSuccess, tt.wantMessage)
			}
			if strings.Contains(message, testKey) {
				t.Errorf("the key leaked into %q", message)
			}
			want := "GET /v1/models Bearer " + testKey
			if len(fake.requests) != 1 || fake.requests[0] != want {
				t.Errorf("the provider received %q, want [%q]", fake.requests, want)
			}
		})
	}
}

func TestTestMessageForTransportFailures(t *testing.T) {
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers before the client gives up
	}))
	defer hung.Close()
	untrusted := httptest.NewUnstartedServer(http.NotFoundHandler())
	untrusted.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	untrusted.StartTLS()
	defer untrusted.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	blocking := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return nil, fmt.Errorf("dial %s: %w", addr, netguard.ErrBlocked)
		},
	}}
	tests := []struct {
		name        string
		client      *http.Client
		url         string
		wantMessage string
	}{
		{"a provider that never answers timed out", &http.Client{Timeout: 50 * time.Millisecond}, hung.URL,
			"Connection timed out - check network/endpoint"},
		{"a certificate nobody trusts is a TLS error", &http.Client{}, untrusted.URL,
			"TLS error - check the endpoint's certificate"},
		{"a closed port is a connection error", &http.Client{}, closedURL,
			"Connection error - check network/endpoint"},
		{"an address the egress policy refuses is blocked", blocking, "http://169.254.169.254",
			"Blocked: the endpoint resolves to an address that is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			success, message := TestMessage(listModels(t, tt.client, tt.url))
			if success || message != tt.wantMessage {
				t.Errorf("TestMessage = %v, %q; want false, %q", success, message, tt.wantMessage)
			}
		})
	}
}

func TestConnectedMessage(t *testing.T) {
	named := func(names ...string) []Model {
		var out []Model
		for _, n := range names {
			out = append(out, Model{Name: n})
		}
		return out
	}
	tests := []struct {
		name   string
		models []Model
		want   string
	}{
		{"no models say none were listed", nil, "Connected successfully (no models listed)"},
		{"one model is named", named("llama3"), "Connected. 1 models available: llama3"},
		{"three models are all named", named("a", "b", "c"), "Connected. 3 models available: a, b, c"},
		{"more than three name three and count the rest", named("a", "b", "c", "d", "e"), "Connected. 5 models available: a, b, c (+2 more)"},
		{"a model without a name shows as unknown", named("a", ""), "Connected. 2 models available: a, unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ConnectedMessage(tt.models); got != tt.want {
				t.Errorf("ConnectedMessage() = %q, want %q", got, tt.want)
			}
		})
	}
}
