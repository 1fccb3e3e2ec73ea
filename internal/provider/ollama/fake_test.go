package ollama

import (
	"testing"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
)

// testKey is echoed by some fake error bodies, as real providers do, to
// prove it never reaches an error.
const testKey = "sk-test-4f9c2a7e1b"

// wantProviderError checks err is a *provider.Error with the given
// classification that does not reveal the key.
func wantProviderError(t *testing.T, err error, status provider.Status, httpStatus int, message string) *provider.Error {
	t.Helper()
	return providertest.WantError(t, err, status, httpStatus, message, testKey)
}
