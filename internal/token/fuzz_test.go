package token

import (
	"strings"
	"testing"
)

// FuzzTruncate checks Truncate on any text, including invalid UTF-8 and
// text longer than a segment: the result is a prefix of what the tokenizer
// reads, within the budget, and the whole text when that fits.
func FuzzTruncate(f *testing.F) {
	for _, s := range []string{
		"Hello, world! This is a test.", "", "\xff\xfe broken", strings.Repeat("a", MaxSegment+7),
		strings.Repeat("日本語のテキスト ", 40), "   \n\n\t  ", strings.Repeat("ab ", 3000),
	} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, text string, max int) {
		if len(text) > 4*MaxSegment {
			return // keep each run fast; segments already split long text
		}
		max = max % 200
		got := Truncate(text, max)
		n := Count(text)
		switch {
		case max <= 0:
			if got != "" {
				t.Fatalf("Truncate(_, %d) = %q", max, got)
			}
		case n <= max:
			if got != text {
				t.Fatalf("Truncate(%q, %d) = %q, but the text has %d tokens", text, max, got, n)
			}
		default:
			if !strings.HasPrefix(valid(text), got) {
				t.Fatalf("Truncate(%q, %d) = %q, not a prefix", text, max, got)
			}
			if c := Count(got); c > max {
				t.Fatalf("Truncate(%q, %d) = %q with %d tokens", text, max, got, c)
			}
		}
	})
}
