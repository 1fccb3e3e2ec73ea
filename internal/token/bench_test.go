package token

import (
	"strings"
	"testing"
)

// BenchmarkCount measures counting ordinary text and the runs that the
// segments keep from growing quadratic.
func BenchmarkCount(b *testing.B) {
	Load()
	benchmarks := []struct {
		name string
		text string
	}{
		{"notes", notes(b)},
		{"chinese", strings.Repeat(cjkSentence, 40)},
		{"base64", blob()},
		{"blanks", strings.Repeat(" ", 64<<10)},
		{"long word", strings.Repeat("a", 64<<10)},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			b.SetBytes(int64(len(bm.text)))
			for b.Loop() {
				Count(bm.text)
			}
		})
	}
}

func BenchmarkTruncate(b *testing.B) {
	text := notes(b)
	Load()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Truncate(text, 600)
	}
}
