package deepgram

import "github.com/open-notebook/open-notebook/internal/provider/providertest"

// testKey is echoed by some fake error bodies, as real providers do, to
// prove it never reaches an error.
const testKey = "dg-test-0a1b2c3d4e5f"

// family runs the tests every client family shares against Deepgram's client.
var family = providertest.Family[*Client]{
	Name:       "deepgram",
	New:        New,
	Credential: providertest.Credential{Header: "Authorization", Prefix: "Token ", Key: testKey},
}
