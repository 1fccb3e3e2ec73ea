package anthropic

import (
	"net/http"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
)

// testKey is echoed by some fake error bodies, as real providers do, to
// prove it never reaches an error.
const testKey = "sk-test-4f9c2a7e1b"

// family runs the tests every client family shares against Anthropic's
// client.
var family = providertest.Family[*Client]{
	Name:       "anthropic",
	New:        func(cfg provider.Config, hc *http.Client) *Client { return New(cfg, hc, Options{}) },
	Credential: providertest.Credential{Header: "x-api-key", Key: testKey},
	// Every request carries the API version the client was written
	// against and, as Anthropic's SDKs send it, a JSON content type.
	Headers: provider.Header("anthropic-version", "2023-06-01", "content-type", "application/json"),
}
