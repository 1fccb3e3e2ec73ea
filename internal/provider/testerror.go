package provider

import (
	"fmt"
	"strings"
)

// Connection-test messages. The typed and the text classifiers share them so
// that one failure reads the same whichever path reported it.
const (
	msgInvalidKey       = "Invalid API key"
	msgNoPermission     = "API key lacks required permissions"
	msgTimedOut         = "Connection timed out - check network/endpoint"
	msgConnectionError  = "Connection error - check network/endpoint"
	msgRateLimited      = "Rate limited - but connection works"
	msgTestModelMissing = "API key valid (test model unavailable)"
	msgModelNotFound    = "Model not found on this provider"
)

// TestMessage turns a failed connection test into the compatible
// (success, message) pair, from the error's typed status first. A rate limit
// proves the key authenticated, so it is a success. A 404 is a failure: the
// test lists models, and a listing that is not found means a wrong base URL,
// where the original reported any "not found" as a working key. Only an
// error that carries neither a status nor an HTTP code falls back to
// ClassifyTestMessage on its text. e must not be nil.
func TestMessage(e *Error) (success bool, message string) {
	switch e.Status {
	case StatusAuthFailed:
		return false, msgInvalidKey
	case StatusForbidden:
		return false, msgNoPermission
	case StatusRateLimited:
		return true, msgRateLimited
	case StatusTimeout:
		return false, msgTimedOut
	case StatusUnreachable:
		return false, msgConnectionError
	case StatusTLSError:
		return false, "TLS error - check the endpoint's certificate"
	case StatusBlocked:
		return false, "Blocked: the endpoint resolves to an address that is not allowed"
	case StatusNotFound:
		return false, "Endpoint not found (HTTP 404) - check the base URL"
	}
	if e.HTTPStatus != 0 {
		message = fmt.Sprintf("Server returned status %d", e.HTTPStatus)
		if e.Message != "" {
			message += ": " + e.Message
		}
		return false, message
	}
	return ClassifyTestMessage(e.Message)
}

// ClassifyTestMessage classifies the text of a failed connection test the
// way the original does (classify_provider_test_error): a rejected key,
// missing permissions or an unreachable endpoint fail; a rate limit or a
// missing, retired or unsupported test model succeed, since the provider
// answered after authenticating; anything else fails with "Error: " and the
// first 100 characters. Substring rules are easily fooled (a model id with
// "401" in it reads as a bad key), so use it only where no typed status
// exists.
func ClassifyTestMessage(msg string) (success bool, message string) {
	if reason := connectionFailureReason(msg); reason != "" {
		return false, reason
	}
	if isRateLimit(msg) {
		return true, msgRateLimited
	}
	if containsAny(strings.ToLower(msg),
		"not found", "not supported", "does not exist", "deprecated", "unavailable", "no longer available") {
		return true, msgTestModelMissing
	}
	return false, "Error: " + clipRunes(msg, 100)
}

// ModelTestMessage classifies the text of a failed test of one registered
// model (the original's _normalize_error_message). Unlike a connection
// test, a missing model is a failure here: the user asked about that model.
// An unrecognised message is returned as it is.
func ModelTestMessage(msg string) (success bool, message string) {
	if reason := connectionFailureReason(msg); reason != "" {
		return false, reason
	}
	if isRateLimit(msg) {
		return true, msgRateLimited
	}
	lower := strings.ToLower(msg)
	if strings.Contains(lower, "not found") && strings.Contains(lower, "model") {
		return false, msgModelNotFound
	}
	return false, msg
}

// connectionFailureReason returns the message for the only failures that
// disprove a working connection (a rejected key, missing permissions, a
// timeout, a network error), or "" when msg is none of them.
func connectionFailureReason(msg string) string {
	lower := strings.ToLower(msg)
	switch {
	case strings.Contains(msg, "401") || strings.Contains(lower, "unauthorized"):
		return msgInvalidKey
	case strings.Contains(msg, "403") || strings.Contains(lower, "forbidden"):
		return msgNoPermission
	case strings.Contains(lower, "timeout") || strings.Contains(lower, "timed out"):
		return msgTimedOut
	case containsAny(lower, "connection", "network", "getaddrinfo", "name resolution", "failed to establish"):
		return msgConnectionError
	default:
		return ""
	}
}

// isRateLimit reports whether msg describes throttling or an exhausted
// quota, in any of the phrasings providers use.
func isRateLimit(msg string) bool {
	lower := strings.ToLower(msg)
	return (strings.Contains(lower, "rate") && strings.Contains(lower, "limit")) ||
		strings.Contains(msg, "429") ||
		containsAny(lower, "quota", "resource has been exhausted", "resource exhausted")
}

func containsAny(s string, substrs ...string) bool {
	for _, sub := range substrs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// clipRunes shortens s to n characters followed by "...", counting runes as
// the original counts characters, so a multi-byte character is never cut.
func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "..."
}

// ConnectedMessage describes a successful test that listed models: their
// count and the first three names, or that none were listed.
func ConnectedMessage(models []Model) string {
	if len(models) == 0 {
		return "Connected successfully (no models listed)"
	}
	names := make([]string, 0, 3)
	for _, m := range models[:min(3, len(models))] {
		name := m.Name
		if name == "" {
			name = "unknown"
		}
		names = append(names, name)
	}
	list := strings.Join(names, ", ")
	if len(models) > 3 {
		list += fmt.Sprintf(" (+%d more)", len(models)-3)
	}
	return fmt.Sprintf("Connected. %d models available: %s", len(models), list)
}
