package voyage

import (
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/secret"
)

// testKey is echoed by some fake error bodies, as real providers do, to
// prove it never reaches an error.
const testKey = "pa-test-3c9e7d1b5a"

// newClient returns a client with the test key pointed at the fake.
func newClient(f *providertest.Server) *Client {
	return New(provider.Config{Provider: "voyage", APIKey: secret.New(testKey), BaseURL: f.URL}, f.Client())
}

// wantAuth checks the request carried the key as a bearer token, and
// nowhere else.
func wantAuth(t *testing.T, req providertest.Request) {
	t.Helper()
	if got := req.Header.Get("Authorization"); got != "Bearer "+testKey {
		t.Errorf("Authorization = %q, want the bearer key", got)
	}
	if strings.Contains(req.Query, testKey) {
		t.Errorf("the key was sent in the query %q", req.Query)
	}
}

// wantProviderError checks err is a *provider.Error with the given
// classification that does not reveal the key.
func wantProviderError(t *testing.T, err error, status provider.Status, httpStatus int, message string) *provider.Error {
	t.Helper()
	return providertest.WantError(t, err, status, httpStatus, message, testKey)
}
