package auth

import (
	"fmt"
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
