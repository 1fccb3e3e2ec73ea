package token

import (
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// The expected counts below were computed with OpenAI's own tokenizer
// (the tiktoken npm package 1.0.22, the WASM build of its Rust core):
// get_encoding("o200k_base").encode_ordinary(text).length.

func notes(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/notes.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// blob is 6,000 bytes as base64: a run of 8,000 characters the encoding
// cannot split, as a data: URI in an extracted page is.
func blob() string {
	b := make([]byte, 6000)
	for i := range b {
		b[i] = byte(i * 7919 % 256)
	}
	return base64.StdEncoding.EncodeToString(b)
}

const cjkSentence = "研究笔记的价值在于保留问题，而不只是答案。每条笔记都应当注明出处、日期和当时的疑问。"

func TestCountAgreesWithOpenAIsTokenizer(t *testing.T) {
	tests := []struct {
		name string
		text string
		want int
	}{
		{"an empty text has no tokens", "", 0},
		{"two common words are two tokens", "hello world", 2},
		{"punctuation is counted", "Hello, world!", 4},
		{"a sentence", "Open Notebook keeps your research private.", 7},
		{"Chinese", "你好，世界。这是一个测试。", 8},
		{"accents, dashes and emoji with a skin tone", "naïve café — déjà vu 🙂👍🏽", 11},
		{"code with indentation and a comment", "def f(x):\n    return x**2  # square\n", 13},
		{"numbers are split in groups of three", "1234567890 3.14159", 9},
		{"contractions in any case", "don't YOU'LL we've", 5},
		{"special tokens are ordinary text", "<|endoftext|>", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Count(tt.text); got != tt.want {
				t.Errorf("Count(%q) = %d, want %d", tt.text, got, tt.want)
			}
		})
	}
}

func TestCountIsExactAcrossSegments(t *testing.T) {
	// Markdown, code, numbers, six languages, emoji, tabs and runs of
	// blanks, several segments long; then five copies of it.
	text := notes(t)
	if len(text) < 3*MaxSegment {
		t.Fatalf("the sample is %d bytes, too short to span segments", len(text))
	}
	if got := Count(text); got != 888 {
		t.Errorf("Count(notes) = %d, want 888", got)
	}
	five := strings.Join([]string{text, text, text, text, text}, "\n\n")
	if got := Count(five); got != 4440 {
		t.Errorf("Count(five notes) = %d, want 4440", got)
	}
}

func TestCountStaysCloseWhereRunsMustBeCut(t *testing.T) {
	tests := []struct {
		name string
		text string
		want int // OpenAI's count of the whole text
	}{
		{"Chinese prose without spaces", strings.Repeat(cjkSentence, 40), 1320},
		{"a base64 blob", blob(), 5489},
		{"a run of blanks", strings.Repeat(" ", 5000) + "x", 41},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cuts := len(tt.text) / MaxSegment
			if got := Count(tt.text); got < tt.want-cuts || got > tt.want+cuts {
				t.Errorf("Count = %d, want %d give or take a token at each of %d cuts", got, tt.want, cuts)
			}
		})
	}
}

func TestCountReadsInvalidUTF8AsReplacementCharacters(t *testing.T) {
	if got, want := Count("caf\xe9 ok"), Count("caf\uFFFD ok"); got != want {
		t.Errorf("Count = %d, want %d, as for U+FFFD", got, want)
	}
}

func TestTruncateKeepsTheLongestPrefixWithinTheLimit(t *testing.T) {
	text := notes(t)
	tests := []struct {
		name string
		text string
		max  int
	}{
		{"a prefix within one segment", text, 10},
		{"a prefix over several segments", text, 600},
		{"a prefix in a run that had to be cut", blob(), 3000},
		{"a prefix of Chinese", strings.Repeat(cjkSentence, 40), 700},
		{"a prefix of emoji, which take several tokens each", strings.Repeat("👍🏽", 50), 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Truncate(tt.text, tt.max)
			if !strings.HasPrefix(tt.text, got) || !utf8.ValidString(got) {
				t.Fatalf("Truncate = %q, want a prefix that ends on a character boundary", got)
			}
			if n := Count(got); n > tt.max {
				t.Errorf("Count(Truncate) = %d, want at most %d", n, tt.max)
			}
			// One more character would not fit.
			_, size := utf8.DecodeRuneInString(tt.text[len(got):])
			if n := Count(tt.text[:len(got)+size]); n <= tt.max {
				t.Errorf("the prefix could take one more character and still count %d", n)
			}
		})
	}
}

func TestTruncateLeavesAFittingTextAlone(t *testing.T) {
	tests := []struct {
		name string
		text string
		max  int
		want string
	}{
		{"a text within the limit is whole", "hello world", 2, "hello world"},
		{"an empty text stays empty", "", 5, ""},
		{"no tokens leaves nothing", "hello world", 0, ""},
		{"a negative limit leaves nothing", "hello world", -1, ""},
		{"invalid UTF-8 that fits is returned as it is", "caf\xe9", 10, "caf\xe9"},
		{"invalid UTF-8 that is cut is replaced", "caf\xe9 au lait, s'il vous plaît", 2, "caf\uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Truncate(tt.text, tt.max); got != tt.want {
				t.Errorf("Truncate(%q, %d) = %q, want %q", tt.text, tt.max, got, tt.want)
			}
		})
	}
}

func TestCountIsSafeForConcurrentUse(t *testing.T) {
	text := notes(t)
	var wg sync.WaitGroup
	counts := make([]int, 8)
	for i := range counts {
		wg.Go(func() { counts[i] = Count(text) })
	}
	wg.Wait()
	for i, n := range counts {
		if n != 888 {
			t.Errorf("goroutine %d counted %d, want 888", i, n)
		}
	}
}

// TestLoadingFetchesNothing loads the encoding in a fresh process, where it
// has not been loaded yet, with every HTTP request refused and the
// library's download cache pointed at an empty directory.
func TestLoadingFetchesNothing(t *testing.T) {
	if os.Getenv("TOKEN_OFFLINE_CHILD") == "1" {
		loadOffline(t)
		return
	}
	cache := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadingFetchesNothing$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TOKEN_OFFLINE_CHILD=1", "TIKTOKEN_CACHE_DIR="+cache)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("loading offline failed: %v\n%s", err, out)
	}
	if entries, _ := os.ReadDir(cache); len(entries) != 0 {
		t.Errorf("the download cache received %d files", len(entries))
	}
}

type refuse struct{ requests *int }

func (r refuse) RoundTrip(req *http.Request) (*http.Response, error) {
	*r.requests++
	return nil, errors.New("no network in this test: " + req.URL.String())
}

func loadOffline(t *testing.T) {
	requests := 0
	http.DefaultTransport = refuse{&requests}
	if n := Count("hello world"); n != 2 {
		t.Errorf("Count = %d, want 2", n)
	}
	if requests != 0 {
		t.Errorf("loading made %d HTTP requests", requests)
	}
}
