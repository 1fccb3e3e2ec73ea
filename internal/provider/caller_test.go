package provider

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/secret"
)

func TestCaller(t *testing.T) {
	var got *http.Request
	var gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		switch r.URL.Path {
		case "/big":
			_, _ = io.WriteString(w, strings.Repeat("x", 65))
		case "/refused":
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":{"message":"Incorrect API key provided: `+testKey+`"}}`)
		default:
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, `{"ok":true}`)
		}
	}))
	defer srv.Close()
	c := &Caller{Provider: "openai", HTTP: srv.Client(), MaxBody: 64,
		Authorize: KeyHeader("Authorization", "Bearer ", secret.New(testKey))}

	t.Run("a JSON call sends the body, the headers and the key and reads the answer", func(t *testing.T) {
		var out struct{ OK bool }
		err := c.CallJSON(t.Context(), Request{Method: "POST", URL: srv.URL + "/x", JSON: map[string]int{"n": 1},
			Header: Header("Accept", "application/json")}, &out)
		if err != nil || !out.OK {
			t.Fatalf("%v, %+v", err, out)
		}
		if gotBody != `{"n":1}` || got.Header.Get("Content-Type") != "application/json" ||
			got.Header.Get("Accept") != "application/json" || got.Header.Get("Authorization") != "Bearer "+testKey {
			t.Fatalf("sent %s with %v", gotBody, got.Header)
		}
	})
	t.Run("a raw body keeps its content type and the answer's is returned", func(t *testing.T) {
		body, ct, err := c.Call(t.Context(), Request{Method: "POST", URL: srv.URL, Body: strings.NewReader("RIFF"), ContentType: "audio/wav"})
		if err != nil || string(body) != `{"ok":true}` || ct != "text/plain" || got.Header.Get("Content-Type") != "audio/wav" {
			t.Fatalf("%s %s %v, sent %v", body, ct, err, got.Header)
		}
	})
	t.Run("an answer over the bound is malformed", func(t *testing.T) {
		_, _, err := c.Call(t.Context(), Request{Method: "GET", URL: srv.URL + "/big"})
		var pe *Error
		if !errors.As(err, &pe) || pe.Message != "the provider returned a response that could not be read" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a refusal is classified and the key redacted", func(t *testing.T) {
		_, _, err := c.Call(t.Context(), Request{Method: "GET", URL: srv.URL + "/refused"})
		var pe *Error
		if !errors.As(err, &pe) || pe.Status != StatusAuthFailed || strings.Contains(err.Error(), testKey) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("an authorizer's error is returned as it is and nothing is sent", func(t *testing.T) {
		got = nil
		refused := &Error{Provider: "vertex", Status: StatusError, Message: "no credentials file"}
		c := &Caller{Provider: "vertex", HTTP: srv.Client(),
			Authorize: func(context.Context, *http.Request) (string, error) { return "", refused }}
		if _, _, err := c.Call(t.Context(), Request{Method: "GET", URL: srv.URL}); err != refused || got != nil {
			t.Fatalf("err = %v, sent %v", err, got)
		}
	})
	t.Run("a URL that cannot be parsed is reported without a request", func(t *testing.T) {
		_, _, err := c.Call(t.Context(), Request{Method: "GET", URL: "http://[::1"})
		var pe *Error
		if !errors.As(err, &pe) || pe.Message != "invalid base URL" {
			t.Fatalf("err = %v", err)
		}
	})
}
