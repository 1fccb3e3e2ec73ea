package auth

import (
	"fmt"
	"net/http"
	"path"
	"strings"
)

// Scope is what a principal may do. Scopes are ordered: each one includes
// the ones below it.
type Scope int

// Scopes, from least to most powerful.
const (
	// ScopeRead allows reading: GET and HEAD requests.
	ScopeRead Scope = iota + 1
	// ScopeWrite also allows changing notebooks, sources, notes,
	// credentials and models, and the calls that use stored provider keys
	// (test, discover, sync, register, migrations).
	ScopeWrite
	// ScopeAdmin also allows managing API tokens, sessions, the audit log,
	// encryption and settings. The password and sessions act as admin.
	ScopeAdmin
)

var scopeNames = map[Scope]string{ScopeRead: "read", ScopeWrite: "write", ScopeAdmin: "admin"}

// ParseScope parses "read", "write" or "admin".
func ParseScope(s string) (Scope, error) {
	for sc, name := range scopeNames {
		if strings.EqualFold(strings.TrimSpace(s), name) {
			return sc, nil
		}
	}
	return 0, fmt.Errorf("unknown scope %q: want read, write or admin", s)
}

// String returns the scope's name.
func (s Scope) String() string {
	if name, ok := scopeNames[s]; ok {
		return name
	}
	return fmt.Sprintf("scope(%d)", int(s))
}

// Allows reports whether a principal with scope s may do what need requires.
func (s Scope) Allows(need Scope) bool { return s >= need }

// Required returns the scope a request needs. It classifies by the cleaned
// path, so "//api/admin/x/" and "/api/admin/x" need the same scope.
// Unknown changes need write: a new route is never readable by a read token
// by accident.
func Required(method, p string) Scope {
	p = path.Clean("/" + p)
	switch {
	case under(p, "/api/admin"), under(p, "/api/audit"), under(p, "/api/auth/tokens"), under(p, "/api/auth/sessions"):
		return ScopeAdmin
	case strings.HasPrefix(p, "/api/models/discover/"):
		// A GET, but it calls the provider with a stored key, like the
		// other discovery endpoints.
		return ScopeWrite
	case method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions:
		return ScopeRead
	case under(p, "/api/settings"):
		return ScopeAdmin
	case p == "/api/auth/logout":
		// Ending one's own session is allowed to any principal that has one.
		return ScopeRead
	default:
		return ScopeWrite
	}
}

func under(p, prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }
