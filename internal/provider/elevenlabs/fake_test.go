package elevenlabs

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/secret"
)

// testKey is echoed by some fake error bodies, as real providers do, to
// prove it never reaches an error.
const testKey = "sk_test_e1f2a3b4c5d6"

// received is one request as the fake provider saw it.
type received struct {
	Method string
	Path   string // escaped, as sent on the wire
	Query  string
	Header http.Header
	Body   []byte
}

// fake is an httptest ElevenLabs API that records every request and answers
// with the handler under test.
type fake struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []received
}

func newFake(t *testing.T, answer http.HandlerFunc) *fake {
	t.Helper()
	f := &fake{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, received{
			Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
			Header: r.Header.Clone(), Body: body,
		})
		f.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		answer(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) requests() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.reqs...)
}

// only returns the single request the client was expected to send.
func (f *fake) only(t *testing.T) received {
	t.Helper()
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("the provider received %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// client returns a client with the test key pointed at the fake.
func (f *fake) client() *Client {
	return New(provider.Config{Provider: "elevenlabs", APIKey: secret.New(testKey), BaseURL: f.URL}, f.Client())
}

// reply answers with status, a body (JSON unless a Content-Type pair says
// otherwise) and header pairs.
func reply(status int, body string, headerPairs ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for i := 0; i+1 < len(headerPairs); i += 2 {
			w.Header().Set(headerPairs[i], headerPairs[i+1])
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// stall answers only after the client has given up.
func stall(_ http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

// wantJSON checks that body is the JSON document want, ignoring layout.
func wantJSON(t *testing.T, body []byte, want string) {
	t.Helper()
	var got, exp any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("the request body is not JSON: %v: %s", err, body)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("bad expectation: %v", err)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("request body = %s\nwant %s", body, want)
	}
}

// wantProviderError checks err is a *provider.Error with the given
// classification that does not reveal the key.
func wantProviderError(t *testing.T, err error, status provider.Status, httpStatus int, message string) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v (%T), want *provider.Error", err, err)
	}
	if pe.Status != status || pe.HTTPStatus != httpStatus {
		t.Errorf("status = %s (HTTP %d), want %s (HTTP %d)", pe.Status, pe.HTTPStatus, status, httpStatus)
	}
	if !strings.Contains(pe.Message, message) {
		t.Errorf("message = %q, want it to contain %q", pe.Message, message)
	}
	if strings.Contains(err.Error(), testKey) {
		t.Errorf("the key leaked into the error: %q", err.Error())
	}
	return pe
}

// wantAuth checks the request carried the key in xi-api-key, and nowhere
// else.
func wantAuth(t *testing.T, req received) {
	t.Helper()
	if got := req.Header.Get("xi-api-key"); got != testKey {
		t.Errorf("xi-api-key = %q, want the key", got)
	}
	if req.Header.Get("Authorization") != "" || strings.Contains(req.Query, testKey) {
		t.Errorf("the key was sent elsewhere too")
	}
}
