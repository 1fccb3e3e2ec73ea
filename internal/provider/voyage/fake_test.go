package voyage

import "github.com/open-notebook/open-notebook/internal/provider/providertest"

// testKey is echoed by some fake error bodies, as real providers do, to
// prove it never reaches an error.
const testKey = "pa-test-3c9e7d1b5a"

// family runs the tests every client family shares against Voyage AI's client.
var family = providertest.Family[*Client]{
	Name:       "voyage",
	New:        New,
	Credential: providertest.Credential{Header: "Authorization", Prefix: "Bearer ", Key: testKey},
}
