package lang_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/lang"
)

func TestListHasLikelyRegionsVariantsAndNoRepeats(t *testing.T) {
	list := lang.List()
	if len(list) < 80 {
		t.Fatalf("only %d languages", len(list))
	}
	byCode := map[string]string{}
	for _, l := range list {
		if _, dup := byCode[l.Code]; dup {
			t.Errorf("%s twice", l.Code)
		}
		byCode[l.Code] = l.Name
	}
	for code, name := range map[string]string{
		"pt-BR": "Portuguese (Brazil)", "pt-PT": "Portuguese (Portugal)", "en-US": "English (United States)",
		"en-GB": "English (United Kingdom)", "de-DE": "German (Germany)", "ja-JP": "Japanese (Japan)", "zh-CN": "Chinese (China)",
		"zh-TW": "Chinese (Taiwan)",
	} {
		if byCode[code] != name {
			t.Errorf("%s is %q, want %q", code, byCode[code], name)
		}
	}
	if !slices.IsSortedFunc(list, func(a, b lang.Language) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("not sorted by name")
	}
}
