// Package secret holds values that must never be printed: provider keys,
// passwords and tokens. A String redacts itself in every output path Go offers
// (fmt verbs, slog, encoding/json), so a secret that reaches a log line or a
// response by accident shows up as "[REDACTED]" instead of its value.
package secret

import (
	"log/slog"
)

const redacted = "[REDACTED]"

// String is a secret string value. The zero value is the empty secret.
type String struct {
	v string
}

// New wraps s as a secret.
func New(s string) String { return String{v: s} }

// Reveal returns the plaintext. Call it only where the value leaves the
// process on purpose: an outbound request header or the cipher.
func (s String) Reveal() string { return s.v }

// Empty reports whether no value is held.
func (s String) Empty() bool { return s.v == "" }

// String implements fmt.Stringer.
func (s String) String() string { return redacted }

// GoString implements fmt.GoStringer, so %#v does not print the value either.
func (s String) GoString() string { return redacted }

// LogValue implements slog.LogValuer.
func (s String) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON implements json.Marshaler.
func (s String) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler.
func (s String) MarshalText() ([]byte, error) { return []byte(redacted), nil }
