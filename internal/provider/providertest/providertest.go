// Package providertest provides fake AI providers for tests: an httptest
// server that records every request it receives, Upstream, a fake of each
// client family's API that answers like the real one, and Family, the test
// scaffolding every client family shares.
package providertest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
)

// Request is one request as a fake provider received it.
type Request struct {
	Method string
	Path   string // escaped, as sent on the wire
	Query  string
	Header http.Header
	Body   []byte
}

// Line is the request's method, path and unescaped query, like the request
// line of HTTP, for comparing recorded requests.
func (r Request) Line() string {
	if r.Query == "" {
		return r.Method + " " + r.Path
	}
	q, _ := url.QueryUnescape(r.Query)
	return r.Method + " " + r.Path + "?" + q
}

// Server is an httptest server that records every request before its
// handler answers. It is closed when the test ends.
type Server struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []Request
}

// New starts a recording server that answers with h.
func New(t testing.TB, h http.HandlerFunc) *Server {
	t.Helper()
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, Request{
			Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
			Header: r.Header.Clone(), Body: body,
		})
		s.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// Requests returns what the server has received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Reset forgets the requests received so far.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = nil
}

// Only returns the single request the server was expected to receive.
func (s *Server) Only(t testing.TB) Request {
	t.Helper()
	reqs := s.Requests()
	if len(reqs) != 1 {
		t.Fatalf("the provider received %d requests, want 1: %+v", len(reqs), reqs)
	}
	return reqs[0]
}

// Reply answers with status, a body (JSON unless a Content-Type pair says
// otherwise) and header pairs.
func Reply(status int, body string, headerPairs ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for i := 0; i+1 < len(headerPairs); i += 2 {
			w.Header().Set(headerPairs[i], headerPairs[i+1])
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// Stall answers only once the client has given up (or after ten seconds,
// so a broken test cannot hang).
func Stall(_ http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

// Deadline is the context timeout for a call whose expected outcome is
// status: short when the fake stalls on purpose, generous otherwise so a
// loaded machine never turns a normal answer into a timeout.
func Deadline(status provider.Status) time.Duration {
	if status == provider.StatusTimeout {
		return 200 * time.Millisecond
	}
	return 10 * time.Second
}
