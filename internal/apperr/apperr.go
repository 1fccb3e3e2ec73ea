// Package apperr defines the product's error codes. Domain packages return
// *Error values with a code and a message meant for the user; the HTTP layer
// maps codes to statuses in exactly one place. Anything that is not an *Error
// is an internal failure: it is logged and never shown.
package apperr

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Code classifies an error for the API.
type Code int

// Codes. The HTTP statuses they map to are noted for readers; the mapping
// itself lives in the HTTP package.
const (
	Internal      Code = iota // 500, message hidden
	Invalid                   // 400
	Unprocessable             // 422 (also the original's ConfigurationError)
	NotFound                  // 404
	Conflict                  // 409
	Unauthorized              // 401
	Forbidden                 // 403
	RateLimited               // 429
	Upstream                  // 502: a provider failed
	Locked                    // 409: the key ring cannot open stored data
	TooLarge                  // 413
	Unsupported               // 415
	Unavailable               // 503: the database cannot be reached; retry later
)

// Error is an error meant for the user.
type Error struct {
	Code       Code
	Message    string
	RetryAfter time.Duration // for RateLimited
	Fields     []FieldError  // for Unprocessable: per-field failures
	Err        error         // cause, for logs only
}

// FieldError is one invalid input, in the shape of the original's request
// validation errors: where it is (e.g. ["body", "provider"]), a machine type
// (e.g. "missing", "literal_error"), a readable message and the input seen.
type FieldError struct {
	Loc   []any
	Type  string
	Msg   string
	Input any
}

// InvalidFields returns an Unprocessable error for the given field failures.
func InvalidFields(fields ...FieldError) *Error {
	msgs := make([]string, len(fields))
	for i, f := range fields {
		msgs[i] = f.Msg
	}
	return &Error{Code: Unprocessable, Message: strings.Join(msgs, "; "), Fields: fields}
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an *Error with code and message.
func New(code Code, message string) *Error { return &Error{Code: code, Message: message} }

// Newf returns an *Error with a formatted message.
func Newf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with code and message that keeps err as its cause.
func Wrap(code Code, message string, err error) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// CodeOf returns the code of err: Internal for anything that is not an *Error.
func CodeOf(err error) Code {
	if e, ok := As(err); ok {
		return e.Code
	}
	return Internal
}

// IsNotFound reports whether err carries the NotFound code.
func IsNotFound(err error) bool { return err != nil && CodeOf(err) == NotFound }
