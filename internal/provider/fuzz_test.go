package provider

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzFromResponse feeds provider error answers that echo the key inside
// arbitrary text, in each of the shapes the classifier reads. Whatever the
// text, the message must not hold any part of the key's first 8 characters
// that the provider did not also send elsewhere, must stay short and valid
// UTF-8, and a Retry-After must be a sane wait.
func FuzzFromResponse(f *testing.F) {
	long := strings.Repeat("x", 290)
	for _, s := range []struct {
		status             int
		before, after, key string
		shape              uint8
		retry              string
	}{
		{401, "Incorrect API key provided: ", ".", "sk-proj-abcdefgh12345678", 0, ""},
		{429, "slow down ", "", "AIzaSyA-0123456789", 1, "20"},
		{429, "", "", "sk-ant-0123456789", 2, "Wed, 21 Oct 2099 07:28:00 GMT"},
		{500, long, " and more", "sk-proj-abcdefgh12345678", 3, ""},
		{500, long, "", "sk-proj-abcdefgh12345678", 0, "99999999999"},
		{403, strings.Repeat("é", 160), "", "key-0123456789", 3, "-5"},
		{404, "<html>", "</html>", "sk-html-12345678", 3, ""},
		{500, "x" + strings.Repeat("é", 160), "", "key-0123456789", 3, ""},
	} {
		f.Add(s.status, s.before, s.after, s.key, s.shape, s.retry)
	}
	f.Fuzz(func(t *testing.T, status int, before, after, key string, shape uint8, retry string) {
		// Stored keys are trimmed, and are never shorter than a fragment.
		if len(key) < 8 || key != strings.TrimSpace(key) || !utf8.ValidString(key) || !utf8.ValidString(before+key+after) || status < 100 || status > 999 {
			return
		}
		text := before + key + after
		var body string
		switch shape % 4 {
		case 0:
			body = jsonDoc(map[string]any{"error": map[string]any{"message": text}})
		case 1:
			body = jsonDoc(map[string]any{"error": text})
		case 2:
			body = jsonDoc(map[string]any{"detail": []any{map[string]any{"msg": text}}})
		default:
			body = text
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
		resp.Header.Set("Retry-After", retry)
		e := FromResponse("openai", resp, key)
		// frag is the start of the key; it must not survive into a message
		// unless the provider also sent it apart from the key (or the text
		// around the redaction makes it up).
		frag := key[:8]
		shown := fmt.Sprintf("Server returned status %d: %s", status, strings.ReplaceAll(text, key, "[REDACTED]"))
		sentApart := strings.Contains(shown, frag)
		if !sentApart && strings.Contains(e.Message, frag) {
			t.Fatalf("message %q holds the start of the key %q", e.Message, key)
		}
		if !utf8.ValidString(e.Message) {
			t.Fatalf("message %q is not valid UTF-8", e.Message)
		}
		if e.Message == "" || len(e.Message) > 300+len("...")+len("[REDACTED]") {
			t.Fatalf("message of %d bytes: %q", len(e.Message), e.Message)
		}
		if e.RetryAfter < 0 || e.RetryAfter > maxRetryAfter {
			t.Fatalf("Retry-After %q gave %v", retry, e.RetryAfter)
		}
		if success, msg := TestMessage(e); success && e.Status != StatusRateLimited || strings.Contains(msg, frag) && !sentApart {
			t.Fatalf("TestMessage = %v, %q", success, msg)
		}
	})
}

func jsonDoc(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// FuzzClassifyTestMessage checks the text classifiers the connection and
// model tests fall back on: short answers, never a panic, and a failure
// that disproves the connection is never read as a success.
func FuzzClassifyTestMessage(f *testing.F) {
	for _, s := range []string{
		"401 Unauthorized", "rate limit exceeded", "model not found", "Resource has been exhausted",
		"dial tcp: connection refused", "", strings.Repeat("界", 150), "403 quota",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		success, message := ClassifyTestMessage(msg)
		if utf8.RuneCountInString(message) > 110 {
			t.Fatalf("ClassifyTestMessage(%q) = %q, too long", msg, message)
		}
		if success && connectionFailureReason(msg) != "" {
			t.Fatalf("ClassifyTestMessage(%q) succeeds for a connection failure", msg)
		}
		if utf8.ValidString(msg) && !utf8.ValidString(message) {
			t.Fatalf("ClassifyTestMessage(%q) = %q, not valid UTF-8", msg, message)
		}
		if ok, _ := ModelTestMessage(msg); ok && !isRateLimit(msg) {
			t.Fatalf("ModelTestMessage(%q) succeeds without a rate limit", msg)
		}
	})
}

// FuzzParseRetryAfter checks both forms of Retry-After: never negative,
// never beyond the cap, and seconds read exactly below it.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "20", "-1", "99999999999999", "Wed, 21 Oct 2099 07:28:00 GMT", "Mon, 01 Jan 2001 00:00:00 GMT", " 7 ", "1e3"} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d := parseRetryAfter(v, now)
		if d < 0 || d > maxRetryAfter {
			t.Fatalf("parseRetryAfter(%q) = %v", v, d)
		}
	})
}
