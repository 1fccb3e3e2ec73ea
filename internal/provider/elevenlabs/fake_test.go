package elevenlabs

import "github.com/open-notebook/open-notebook/internal/provider/providertest"

// testKey is echoed by some fake error bodies, as real providers do, to
// prove it never reaches an error.
const testKey = "sk_test_e1f2a3b4c5d6"

// family runs the tests every client family shares against ElevenLabs' client.
var family = providertest.Family[*Client]{
	Name:       "elevenlabs",
	New:        New,
	Credential: providertest.Credential{Header: "xi-api-key", Key: testKey},
}
