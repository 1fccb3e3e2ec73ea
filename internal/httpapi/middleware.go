package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/auth"
	"github.com/open-notebook/open-notebook/internal/ratelimit"
)

// bodyTooLargeDetail is the original's exact 413 detail.
const bodyTooLargeDetail = "Request body exceeds the maximum allowed upload size"

// chain wraps h in middleware, the first one outermost.
func chain(h http.Handler, mw ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// statusRecorder remembers the status and size of a response for the
// access log. It forwards Flush so streaming responses keep working.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// requestLog gives every request an id (the X-Request-ID response header),
// a logger carrying it, and one access-log line. The query string is not
// logged: it is the one part of a URL a client might put a secret in.
func requestLog(base *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			info := &requestInfo{id: newRequestID(), base: base}
			w.Header()["X-Request-Id"] = []string{info.id}
			rec := &statusRecorder{ResponseWriter: w}
			next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			// Typed attributes: the line is written for every request, and
			// this form boxes nothing.
			base.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("request_id", info.id),
				slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", rec.status),
				slog.Int64("bytes", rec.bytes), slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
				slog.String("remote", r.RemoteAddr))
		})
	}
}

// requestInfo is what the server knows of a request: its id, a logger
// carrying it (made only when a handler logs something), and, once the
// middleware after requestLog has found them, the client and the
// principal. They live in this one context value, set before the handler
// runs, rather than in a context and a request copy each.
type requestInfo struct {
	id     string
	base   *slog.Logger
	once   sync.Once
	logger *slog.Logger

	client    client
	hasClient bool
	principal *auth.Principal
}

// infoFrom returns the request's requestInfo (nil outside requestLog, as
// in tests of single handlers).
func infoFrom(ctx context.Context) *requestInfo {
	i, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return i
}

func (i *requestInfo) log() *slog.Logger {
	i.once.Do(func() { i.logger = i.base.With("request_id", i.id) })
	return i.logger
}

// Request ids need only be unique, not secret: a random prefix chosen at
// start and a counter make one without a system call per request.
var (
	requestPrefix  = newRequestPrefix()
	requestCounter atomic.Uint64
)

func newRequestPrefix() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

func newRequestID() string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], requestPrefix+requestCounter.Add(1))
	return hex.EncodeToString(b[:])
}

// recoverPanics turns a panic in a handler into a logged 500 with a fixed
// message. http.ErrAbortHandler is re-raised: it is how a handler asks the
// server to drop the connection.
func recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			loggerFrom(r.Context()).Error("panic while serving request", "panic", fmt.Sprint(v))
			writeJSON(w, http.StatusInternalServerError, detail{Detail: internalDetail, RequestID: requestID(r.Context())})
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets headers every response carries.
var (
	nosniff    = []string{"nosniff"}
	noReferrer = []string{"no-referrer"}
	frameDeny  = []string{"DENY"}
)

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The values are shared by every response (a slice of length and
		// capacity one, so an Add elsewhere copies rather than writes into
		// it); keys are already canonical.
		h := w.Header()
		h["X-Content-Type-Options"] = nosniff
		h["Referrer-Policy"] = noReferrer
		h["X-Frame-Options"] = frameDeny
		next.ServeHTTP(w, r)
	})
}

// corsPolicy reproduces the original's CORS setup (Starlette's
// CORSMiddleware with allow_methods and allow_headers "*"): credentials are
// allowed only with an explicit origin list.
type corsPolicy struct {
	origins     []string
	allowAll    bool
	credentials bool
}

const corsMethods = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"

func (c corsPolicy) allowed(origin string) bool {
	return c.allowAll || slices.Contains(c.origins, origin)
}

func (c corsPolicy) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Origin")
			if !c.allowed(origin) {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte("Disallowed CORS origin"))
				return
			}
			if c.allowAll && !c.credentials {
				h.Set("Access-Control-Allow-Origin", "*")
			} else {
				h.Set("Access-Control-Allow-Origin", origin)
			}
			if c.credentials {
				h.Set("Access-Control-Allow-Credentials", "true")
			}
			h.Set("Access-Control-Allow-Methods", corsMethods)
			if reqHeaders := r.Header.Get("Access-Control-Request-Headers"); reqHeaders != "" {
				h.Set("Access-Control-Allow-Headers", reqHeaders)
			}
			h.Set("Access-Control-Max-Age", "600")
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("OK"))
			return
		}
		switch {
		case c.allowAll && !c.credentials && r.Header.Get("Cookie") == "":
			h.Set("Access-Control-Allow-Origin", "*")
		case c.allowed(origin):
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
		}
		if c.credentials && c.allowed(origin) {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody refuses bodies over max bytes with the original's 413: at once
// when Content-Length says so, and while reading for streamed bodies (the
// handler's read then fails with *http.MaxBytesError, which writeError turns
// into the same 413).
func limitBody(max int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > max {
				// Close the connection rather than drain an upload we refuse.
				w.Header().Set("Connection", "close")
				writeJSON(w, http.StatusRequestEntityTooLarge, detail{Detail: bodyTooLargeDetail})
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(w, r.Body, max)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// limitAPI applies the general per-client limit to every /api request. It
// runs before authentication, so floods of unauthenticated requests are
// limited too.
func limitAPI(l *ratelimit.Limiter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if l == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodOptions && strings.HasPrefix(r.URL.Path, "/api/") {
				if ok, wait := l.Allow(clientOf(r).key()); !ok {
					writeError(w, r, rateLimited("Too many requests", wait))
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// rateLimited is a 429 whose detail and Retry-After say when to come back.
func rateLimited(what string, wait time.Duration) error {
	secs := int((wait + time.Second - 1) / time.Second)
	return &apperr.Error{Code: apperr.RateLimited, RetryAfter: wait,
		Message: fmt.Sprintf("%s. Try again in %d seconds.", what, secs)}
}
