package httpapi

import (
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/ratelimit"
)

// costlyEndpoints call a provider with a stored key or sync many of them:
// each request costs time, and may cost the user money or the provider's
// patience, so they have their own per-client limit. They are matched by
// pattern, like the mux does, so the limit holds whichever file serves
// them.
var costlyEndpoints = []struct{ method, pattern string }{
	{http.MethodPost, "/api/credentials/{credential_id}/test"},
	{http.MethodPost, "/api/credentials/{credential_id}/discover"},
	{http.MethodPost, "/api/models/sync"},
	{http.MethodPost, "/api/models/sync/{provider}"},
	{http.MethodGet, "/api/models/discover/{provider}"},
	{http.MethodPost, "/api/models/{model_id}/test"},
}

// isCostly reports whether a request is for one of the costly endpoints.
func isCostly(method, p string) bool {
	p = path.Clean("/" + p)
	return slices.ContainsFunc(costlyEndpoints, func(e struct{ method, pattern string }) bool {
		return (method == e.method || method == http.MethodHead && e.method == http.MethodGet) && matchPattern(e.pattern, p)
	})
}

// matchPattern matches a path against a pattern whose "{name}" segments
// match any one non-empty segment.
func matchPattern(pattern, p string) bool {
	want, got := strings.Split(pattern, "/"), strings.Split(p, "/")
	if len(want) != len(got) {
		return false
	}
	for i, w := range want {
		if strings.HasPrefix(w, "{") && strings.HasSuffix(w, "}") {
			if got[i] == "" {
				return false
			}
			continue
		}
		if w != got[i] {
			return false
		}
	}
	return true
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

// limitCostly applies the costly endpoints' per-client limit. It runs after
// authentication, so requests that would be refused anyway use none of it.
func limitCostly(l *ratelimit.Limiter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if l == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if isCostly(r.Method, r.URL.Path) {
				if ok, wait := l.Allow(clientOf(r).key()); !ok {
					writeError(w, r, rateLimited("Too many provider tests, discoveries or syncs", wait))
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
