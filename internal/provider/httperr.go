package provider

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxErrorBody bounds how much of an error response is read for its message.
const maxErrorBody = 64 << 10

// FromResponse turns a non-2xx response into an *Error. It reads (a bounded
// part of) the body for the provider's own message, understanding the common
// shapes: {"error":{"message":..}}, {"error":".."}, {"message":..},
// {"detail":..}, {"err_msg":..} and plain text. The status is classified from
// the HTTP code first. key is redacted from the message. The body is closed.
func FromResponse(providerName string, resp *http.Response, key string) *Error {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &Error{
		Provider:   providerName,
		HTTPStatus: resp.StatusCode,
		Status:     StatusForHTTP(resp.StatusCode),
		Message:    errorMessage(body, key),
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	if e.Message == "" { // a status with no name, such as 461
		e.Message = "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return e
}

// StatusForHTTP maps an HTTP status code from a provider to a Status.
func StatusForHTTP(code int) Status {
	switch {
	case code >= 200 && code < 300:
		return StatusOK
	case code == http.StatusUnauthorized:
		return StatusAuthFailed
	case code == http.StatusForbidden:
		return StatusForbidden
	case code == http.StatusNotFound:
		return StatusNotFound
	case code == http.StatusTooManyRequests:
		return StatusRateLimited
	case code == http.StatusRequestTimeout || code == http.StatusGatewayTimeout:
		return StatusTimeout
	default:
		return StatusError
	}
}

// FromTransport classifies an error returned by http.Client.Do (or by
// reading a body) into an *Error: blocked by the egress policy, timeout, TLS
// failure, unreachable, or an answer over the egress guard's size cap. key
// is redacted from the message.
func FromTransport(providerName string, err error, key string) *Error {
	e := &Error{Provider: providerName, Err: err, Status: StatusError}
	var (
		netErr   net.Error
		certErr  *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		recErr   tls.RecordHeaderError
		dnsErr   *net.DNSError
		opErr    *net.OpError
	)
	switch {
	case is(err, func(e interface{ EgressBlocked() bool }) bool { return e.EgressBlocked() }):
		e.Status, e.Message = StatusBlocked, "the destination address is blocked by the egress policy"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		e.Status, e.Message = StatusTimeout, "the provider did not answer in time"
	case errors.As(err, &certErr), errors.As(err, &unknown), errors.As(err, &hostname),
		errors.As(err, &invalid), errors.As(err, &recErr):
		e.Status, e.Message = StatusTLSError, "TLS handshake with the provider failed"
	case is(err, func(e interface{ ResponseTooLarge() bool }) bool { return e.ResponseTooLarge() }):
		e.Message = "the provider's answer is larger than the size limit"
	case errors.As(err, &dnsErr):
		e.Status, e.Message = StatusUnreachable, "the provider's host name could not be resolved"
	case errors.As(err, &opErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		e.Status, e.Message = StatusUnreachable, "could not connect to the provider"
	case errors.Is(err, context.Canceled):
		e.Status, e.Message = StatusError, "the request was cancelled"
	default:
		e.Message = Redact(err.Error(), key)
	}
	if e.Status == StatusTLSError && strings.Contains(err.Error(), "http: server gave HTTP response") {
		e.Status = StatusError
	}
	return e
}

// is reports whether an error in err's chain has the behaviour T and test
// holds for it. Transport errors are classified by behaviour, so this
// package needs none of the packages that raise them (the egress guard).
func is[T any](err error, test func(T) bool) bool {
	var target T
	return errors.As(err, &target) && test(target)
}

// Malformed reports a 2xx response whose body could not be understood.
func Malformed(providerName string, err error) *Error {
	return &Error{Provider: providerName, Status: StatusError, Err: err,
		Message: "the provider returned a response that could not be read"}
}

// errorMessage finds the provider's message in an error body, with key
// redacted before it is shortened: shortening first could cut the key and
// leave its start, which no longer matches it, in the message.
func errorMessage(body []byte, key string) string {
	trimmed := strings.TrimSpace(string(body))
	if trimmed == "" {
		return ""
	}
	var doc map[string]any
	if json.Unmarshal(body, &doc) == nil {
		for _, k := range []string{"error", "message", "detail", "err_msg", "error_description"} {
			if msg := messageFrom(doc[k]); msg != "" {
				return truncate(Redact(msg, key), 300)
			}
		}
	}
	if strings.HasPrefix(trimmed, "<") { // an HTML error page says nothing useful
		return ""
	}
	return truncate(Redact(trimmed, key), 300)
}

func messageFrom(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		for _, k := range []string{"message", "msg", "detail", "status"} {
			if s, ok := t[k].(string); ok && s != "" {
				return s
			}
		}
	case []any:
		if len(t) > 0 {
			return messageFrom(t[0])
		}
	}
	return ""
}

// truncate shortens s to at most n bytes and "...", never inside a
// character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// maxRetryAfter caps the wait a provider may ask for: beyond a day the
// number means nothing to a user, and seconds far larger overflow.
const maxRetryAfter = 24 * time.Hour

func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return min(time.Duration(min(secs, int(maxRetryAfter/time.Second)))*time.Second, maxRetryAfter)
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfter)
	}
	return 0
}
