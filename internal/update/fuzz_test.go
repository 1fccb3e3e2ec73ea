package update

import "testing"

// FuzzCompare checks that version comparison, fed versions read from the
// network, is an order: antisymmetric and reflexive.
func FuzzCompare(f *testing.F) {
	for _, s := range [][2]string{{"1.10.0", "1.9.2"}, {"v1.2", "1.2.0"}, {"1.2.rc1", "1.2.0"}, {"", "0"}, {"1..2", "1.0.2"}, {"99999999999999999999", "1"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ba := Compare(a, b), Compare(b, a)
		if ab != -ba || ab < -1 || ab > 1 {
			t.Fatalf("Compare(%q, %q) = %d but Compare(%q, %q) = %d", a, b, ab, b, a, ba)
		}
		if Compare(a, a) != 0 {
			t.Fatalf("Compare(%q, %q) != 0", a, a)
		}
	})
}
