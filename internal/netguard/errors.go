package netguard

// ErrBlocked is wrapped by every error that refuses a destination because of
// the egress policy (a metadata, link-local, unspecified or other
// special-purpose address, or a private address under the public-only
// policy). Callers test it with errors.Is to report "blocked" rather than
// "unreachable", or, without importing this package, look for an error
// with an EgressBlocked method.
var ErrBlocked error = guardError{"destination blocked by egress policy", true}

// ErrResponseTooLarge is returned when an answer exceeds the size limit
// (Options.MaxResponseBytes); callers that do not import this package look
// for an error with a ResponseTooLarge method.
var ErrResponseTooLarge error = guardError{"response body exceeds the size limit", false}

// guardError is one of the guard's sentinel errors. Its methods let
// packages classify it by behaviour (provider clients report "blocked"
// without depending on the guard).
type guardError struct {
	msg     string
	blocked bool
}

func (e guardError) Error() string { return e.msg }

// EgressBlocked reports whether the egress policy refused the destination.
func (e guardError) EgressBlocked() bool { return e.blocked }

// ResponseTooLarge reports whether the answer was over the size limit.
func (e guardError) ResponseTooLarge() bool { return !e.blocked }
