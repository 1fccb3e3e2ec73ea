package provider

import (
	"testing"

	"github.com/open-notebook/open-notebook/internal/secret"
)

func TestBaseURL(t *testing.T) {
	tests := []struct {
		name     string
		raw      string
		suffixes []string
		want     string
	}{
		{"a base is used as it is", "https://api.example.com", nil, "https://api.example.com"},
		{"blanks and trailing slashes are dropped", " https://api.example.com// ", nil, "https://api.example.com"},
		{"a pasted suffix is dropped", "https://api.example.com/v1/", []string{"/v1"}, "https://api.example.com"},
		{"suffixes are dropped in turn", "https://api.example.com/v2/v1", []string{"/v1", "/v2"}, "https://api.example.com"},
		{"a suffix is dropped once", "https://api.example.com/v1/v1", []string{"/v1"}, "https://api.example.com/v1"},
		{"an empty base is the fallback", "  ", nil, "https://fallback.example.com"},
		{"a base that was only a suffix is the fallback", "/v1/", []string{"/v1"}, "https://fallback.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BaseURL(tt.raw, "https://fallback.example.com", tt.suffixes...); got != tt.want {
				t.Errorf("BaseURL(%q, %q) = %q, want %q", tt.raw, tt.suffixes, got, tt.want)
			}
		})
	}
}

func TestConfigKeyDropsPastedBlanks(t *testing.T) {
	if got := (Config{APIKey: secret.New(" \t" + testKey + "\n")}).Key().Reveal(); got != testKey {
		t.Errorf("Key() = %q, want %q", got, testKey)
	}
	if !(Config{APIKey: secret.New("  ")}).Key().Empty() {
		t.Error("a blank key is not empty")
	}
}
