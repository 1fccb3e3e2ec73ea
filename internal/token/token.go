// Package token counts text in the tokens of OpenAI's o200k_base encoding,
// the count the original uses for chunk sizes, context sizes and model
// selection. The encoding's data is compiled into the binary, so nothing is
// fetched at run time; it is parsed on first use (a few hundred
// milliseconds), once, and is safe for concurrent use after that.
//
// The tokenizer's cost grows with the square of the longest run of text
// that it cannot split (a long word, a base64 blob, CJK prose, a run of
// blanks), so text is encoded in segments of at most MaxSegment bytes. A
// segment ends before a space that precedes a letter, where the encoding
// splits anyway, so the count of ordinary text is exact; only a run longer
// than MaxSegment without such a space is cut elsewhere, which may change
// its count by a token at each cut.
package token

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	tiktoken "github.com/pkoukk/tiktoken-go"
	loader "github.com/pkoukk/tiktoken-go-loader"
)

// Encoding is the name of the encoding the package counts in.
const Encoding = "o200k_base"

// MaxSegment bounds the text encoded at once.
const MaxSegment = 1 << 10

var encoding = sync.OnceValue(func() *tiktoken.Tiktoken {
	// The library's default loader downloads the encoding and caches it in
	// a temporary directory; the offline loader reads the copy embedded in
	// the binary.
	tiktoken.SetBpeLoader(loader.NewOfflineLoader())
	enc, err := tiktoken.GetEncoding(Encoding)
	if err != nil {
		// The data is compiled in: this is a broken build, not bad input.
		panic("token: loading the embedded " + Encoding + " encoding: " + err.Error())
	}
	return enc
})

// Load parses the encoding now rather than on the first count, for a
// server that would rather pay the cost at start.
func Load() { encoding() }

// Count returns the number of tokens in text. Invalid UTF-8 counts as
// U+FFFD.
func Count(text string) int {
	n := 0
	for seg := range segments(valid(text)) {
		n += len(encoding().EncodeOrdinary(seg))
	}
	return n
}

// Truncate returns the longest prefix of text, ending on a character
// boundary, that Count puts at max tokens or fewer; text itself when it
// fits. It costs about two counts of the prefix. Invalid UTF-8 is replaced
// by U+FFFD in a truncated result.
func Truncate(text string, max int) string {
	if max <= 0 {
		return ""
	}
	whole := text
	text = valid(text)
	offset, n := 0, 0
	for seg := range segments(text) {
		tokens := encoding().EncodeOrdinary(seg)
		if n+len(tokens) <= max {
			offset += len(seg)
			n += len(tokens)
			continue
		}
		// The tokens decode to the segment's bytes, so the first ones within
		// max make a prefix of it. A prefix may encode differently from its
		// share of the whole, and be cut into other segments, so it is
		// counted again.
		for k := max - n; k > 0; k-- {
			cut := offset + runeBoundary(seg, len(encoding().Decode(tokens[:k])))
			if Count(text[:cut]) <= max {
				return text[:cut]
			}
		}
		if Count(text[:offset]) > max { // whole segments, cut otherwise alone
			return Truncate(text[:offset], max)
		}
		return text[:offset]
	}
	return whole
}

// valid returns text with each invalid byte sequence replaced by U+FFFD,
// as the tokenizer reads it, so that byte offsets agree with its tokens.
func valid(text string) string {
	if utf8.ValidString(text) {
		return text
	}
	return strings.ToValidUTF8(text, "\uFFFD")
}

// segments yields text in pieces of at most MaxSegment bytes, each ending,
// where one can be found, before a space that precedes a letter.
func segments(text string) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for len(text) > MaxSegment {
			cut := split(text)
			if !yield(text[:cut]) {
				return
			}
			text = text[cut:]
		}
		if text != "" {
			yield(text)
		}
	}
}

// split returns where the first segment of text, longer than MaxSegment,
// ends: the last space before a letter within the bound, else the last
// character boundary within it.
func split(text string) int {
	for i := MaxSegment; i > 0; i-- {
		if text[i] == ' ' {
			if r, _ := utf8.DecodeRuneInString(text[i+1:]); unicode.IsLetter(r) {
				return i
			}
		}
	}
	return runeBoundary(text, MaxSegment)
}

// runeBoundary returns the last character boundary of text at or before n.
func runeBoundary(text string, n int) int {
	if n >= len(text) {
		return len(text)
	}
	for n > 0 && !utf8.RuneStart(text[n]) {
		n--
	}
	return n
}
