package credential

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/provider"
)

// Limits on credential fields.
const (
	MaxNameLength = 200
	MaxNumCtx     = 10_000_000
)

// fieldErrors collects request-validation failures in the original's shape.
type fieldErrors []apperr.FieldError

func (f *fieldErrors) add(field any, typ, msg string, input any) {
	loc := []any{"body"}
	switch v := field.(type) {
	case []any:
		loc = append(loc, v...)
	default:
		loc = append(loc, v)
	}
	*f = append(*f, apperr.FieldError{Loc: loc, Type: typ, Msg: msg, Input: input})
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return apperr.InvalidFields(f...)
}

func (f *fieldErrors) name(name string) {
	switch {
	case name == "":
		f.add("name", "string_too_short", "String should have at least 1 character", name)
	case strings.TrimSpace(name) == "":
		f.add("name", "value_error", "Value error, Name cannot be blank", name)
	case utf8.RuneCountInString(name) > MaxNameLength:
		f.add("name", "string_too_long", fmt.Sprintf("String should have at most %d characters", MaxNameLength), name)
	}
}

func (f *fieldErrors) provider(name string) {
	if _, ok := provider.Lookup(name); !ok {
		f.add("provider", "literal_error", "Input should be "+quotedList(provider.Names()), name)
	}
}

func (f *fieldErrors) modalities(ms []string) {
	for i, m := range ms {
		if !provider.IsModelType(m) {
			f.add([]any{"modalities", i}, "literal_error", "Input should be "+quotedList(provider.ModelTypes()), m)
		}
	}
}

// numCtx checks a context window; 0 means none.
func (f *fieldErrors) numCtx(n int) {
	switch {
	case n < 0:
		f.add("num_ctx", "greater_than_equal", "Input should be greater than or equal to 1", n)
	case n > MaxNumCtx:
		f.add("num_ctx", "less_than_equal", fmt.Sprintf("Input should be less than or equal to %d", MaxNumCtx), n)
	}
}

func (f *fieldErrors) apiKey(key string) {
	if key != "" && strings.TrimSpace(key) == "" {
		f.add("api_key", "value_error", "Value error, API key cannot be blank", key)
	}
}

// quotedList renders values as pydantic does: 'a', 'b' or 'c'.
func quotedList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = "'" + v + "'"
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// keyHint is the last four characters of a key, shown so a user can match
// it against the provider's dashboard; only for keys long enough that four
// characters give nothing useful away.
func keyHint(key string) string {
	if utf8.RuneCountInString(key) < 12 {
		return ""
	}
	r := []rune(key)
	return string(r[len(r)-4:])
}

// truncate cuts a message to n characters, as the original does for URL
// validation errors.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
