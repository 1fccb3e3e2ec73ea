package record

import (
	"strings"
	"testing"
)

// FuzzNormalize checks ids read from paths and bodies: an accepted id is in
// the table, normalizing it again changes nothing, and ids of other tables
// are refused.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"notebook:abc", "abc", "source:abc", " notebook:x ", "notebook:", ":", "", "notebook:a:b"} {
		f.Add("notebook", s)
	}
	f.Fuzz(func(t *testing.T, table, id string) {
		// Tables are names in the code, such as "notebook".
		if table == "" || strings.Trim(table, "abcdefghijklmnopqrstuvwxyz_") != "" {
			return
		}
		got, ok := Normalize(table, id)
		if !ok {
			return
		}
		if !strings.HasPrefix(got, table+":") || len(got) == len(table)+1 {
			t.Fatalf("Normalize(%q, %q) = %q, not an id in the table", table, id, got)
		}
		if again, ok := Normalize(table, got); !ok || again != got {
			t.Fatalf("Normalize(%q) = %q, then %q, %v", id, got, again, ok)
		}
	})
}
