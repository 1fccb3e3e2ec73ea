package google

import (
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/secret"
)

// testKey is echoed by some fake error bodies, as real providers do, to
// prove it never reaches an error.
const testKey = "AIzaSyTest-4f9c2a7e1b"

// newClient returns a Gemini client pointed at the fake.
func newClient(f *providertest.Server) *Client {
	return New(provider.Config{Provider: "google", APIKey: secretKey(), BaseURL: f.URL}, f.Client())
}

func secretKey() secret.String { return secret.New(testKey) }

// wantAuth checks the request authenticated the way Gemini expects: the key
// in x-goog-api-key, never in the URL or another header.
func wantAuth(t *testing.T, req providertest.Request) {
	t.Helper()
	if got := req.Header.Get("x-goog-api-key"); got != testKey {
		t.Errorf("x-goog-api-key = %q, want the key", got)
	}
	if req.Header.Get("Authorization") != "" || strings.Contains(req.Query, testKey) {
		t.Errorf("the key was sent elsewhere too: Authorization %q, query %q", req.Header.Get("Authorization"), req.Query)
	}
}

// wantProviderError checks err is a *provider.Error with the given
// classification that does not reveal the key.
func wantProviderError(t *testing.T, err error, status provider.Status, httpStatus int, message string) *provider.Error {
	t.Helper()
	return providertest.WantError(t, err, status, httpStatus, message, testKey)
}
