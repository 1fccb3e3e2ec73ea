package cohere

import "github.com/open-notebook/open-notebook/internal/provider/providertest"

// testKey is echoed by some fake error bodies, as real providers do, to
// prove it never reaches an error.
const testKey = "co-test-8b1f4e2a9c"

// family runs the tests every client family shares against Cohere's client.
var family = providertest.Family[*Client]{
	Name:       "cohere",
	New:        New,
	Credential: providertest.Credential{Header: "Authorization", Prefix: "Bearer ", Key: testKey},
}
