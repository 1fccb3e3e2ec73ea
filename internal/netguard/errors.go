package netguard

import "errors"

// ErrBlocked is wrapped by every error that refuses a destination because of
// the egress policy (a metadata, link-local, unspecified or other
// special-purpose address, or a private address under the public-only
// policy). Callers test it with errors.Is to report "blocked" rather than
// "unreachable".
var ErrBlocked = errors.New("destination blocked by egress policy")
