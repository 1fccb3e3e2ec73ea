package google

import (
	"net/http"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
)

// testKey is echoed by some fake error bodies, as real providers do, to
// prove it never reaches an error.
const testKey = "AIzaSyTest-4f9c2a7e1b"

// family runs the tests every client family shares against Gemini's client.
var family = providertest.Family[*Client]{
	Name:       "google",
	New:        func(cfg provider.Config, hc *http.Client) *Client { return New(cfg, hc) },
	Credential: providertest.Credential{Header: "x-goog-api-key", Key: testKey},
}
