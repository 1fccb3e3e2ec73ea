package ollama

import "github.com/open-notebook/open-notebook/internal/provider/providertest"

// testKey is echoed by some fake error bodies, as real providers do, to
// prove it never reaches an error.
const testKey = "sk-test-4f9c2a7e1b"

// family runs the tests every client family shares against Ollama's client,
// with a key as for an authenticating proxy in front of the server.
var family = providertest.Family[*Client]{
	Name:       "ollama",
	New:        New,
	Credential: providertest.Credential{Header: "Authorization", Prefix: "Bearer ", Key: testKey},
}
