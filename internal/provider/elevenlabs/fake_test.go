package elevenlabs

import (
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/secret"
)

// testKey is echoed by some fake error bodies, as real providers do, to
// prove it never reaches an error.
const testKey = "sk_test_e1f2a3b4c5d6"

// newClient returns a client with the test key pointed at the fake.
func newClient(f *providertest.Server) *Client {
	return New(provider.Config{Provider: "elevenlabs", APIKey: secret.New(testKey), BaseURL: f.URL}, f.Client())
}

// wantAuth checks the request carried the key in xi-api-key, and nowhere
// else.
func wantAuth(t *testing.T, req providertest.Request) {
	t.Helper()
	if got := req.Header.Get("xi-api-key"); got != testKey {
		t.Errorf("xi-api-key = %q, want the key", got)
	}
	if req.Header.Get("Authorization") != "" || strings.Contains(req.Query, testKey) {
		t.Errorf("the key was sent elsewhere too")
	}
}

// wantProviderError checks err is a *provider.Error with the given
// classification that does not reveal the key.
func wantProviderError(t *testing.T, err error, status provider.Status, httpStatus int, message string) *provider.Error {
	t.Helper()
	return providertest.WantError(t, err, status, httpStatus, message, testKey)
}
