// Package record makes and reads the product's record ids. Ids keep the
// original's "table:key" form (e.g. "notebook:8f3kq0x2m1c9v7b4n6zt") so
// clients that store or compare them keep working.
package record

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// NewID returns a new random id in table: 20 lowercase characters of
// crypto/rand's base32 text, 100 bits of randomness.
func NewID(table string) string {
	return table + ":" + strings.ToLower(rand.Text()[:20])
}

// Normalize returns id in table's full form. A bare key gets the table
// prefix; an id of another table returns ok=false, because such an id can
// never name a row of this one.
func Normalize(table, id string) (string, bool) {
	id = strings.TrimSpace(id)
	if id == "" {
		return "", false
	}
	t, key, found := strings.Cut(id, ":")
	if !found {
		return table + ":" + id, true
	}
	if t != table || key == "" {
		return "", false
	}
	return id, true
}

// DerivedID returns the id in table that seed always gives: 20 characters
// of the SHA-256 of seed, in the alphabet of NewID. A job that may run
// twice uses it so that its second run finds the row of its first.
func DerivedID(table, seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return table + ":" + strings.ToLower(base32.StdEncoding.EncodeToString(sum[:])[:20])
}
