package openai

import (
	"testing"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/secret"
)

// testKey is echoed by some fake error bodies, as real providers do, to
// prove it never reaches an error.
const testKey = "sk-test-4f9c2a7e1b"

// family runs the tests every client family shares against the OpenAI
// client.
var family = providertest.Family[*Client]{
	Name:       "openai",
	Make:       func(_ *testing.T, f *providertest.Server) *Client { return newClient(f) },
	Credential: providertest.Credential{Header: "Authorization", Prefix: "Bearer ", Key: testKey},
}

// newClient returns an openai client with the test key whose base is the
// fake's /v1.
func newClient(f *providertest.Server) *Client {
	return New(provider.Config{Provider: "openai", APIKey: secret.New(testKey), Settings: provider.Settings{BaseURL: f.URL + "/v1"}}, f.Client(), Options{})
}
