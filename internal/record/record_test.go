package record

import (
	"strings"
	"testing"
)

func TestNewIDHasTheTableAndTwentyKeyCharacters(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewID("notebook")
		key, ok := strings.CutPrefix(id, "notebook:")
		if !ok || len(key) != 20 || strings.Trim(key, "abcdefghijklmnopqrstuvwxyz234567") != "" {
			t.Fatalf("bad id %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
}

func TestNormalize(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"notebook:abc", "notebook:abc", true},
		{"abc", "notebook:abc", true},
		{" notebook:abc ", "notebook:abc", true},
		{"source:abc", "", false},
		{"notebook:", "", false},
		{"", "", false},
	}
	for _, tc := range cases {
		got, ok := Normalize("notebook", tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Normalize(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
