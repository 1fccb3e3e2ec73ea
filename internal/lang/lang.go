// Package lang lists the languages podcasts and other generated content
// can be written in, as the original's /api/languages does: each language
// with a two-letter code, under its most likely region ("pt-BR",
// "Portuguese (Brazil)"), plus the common regional variants.
package lang

import (
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// Language is one choice: a BCP 47 tag and its English name.
type Language struct {
	Code string
	Name string
}

// variants are regional forms offered besides each language's most likely
// one.
var variants = []string{"pt-PT", "en-GB", "en-AU", "en-IN", "es-MX", "es-AR", "es-CO", "fr-CA", "fr-CH",
	"zh-TW", "zh-HK", "de-AT", "de-CH", "ar-SA", "nl-BE"}

// List returns the languages sorted by name. It is computed once from
// CLDR's data in golang.org/x/text.
var List = sync.OnceValue(func() []Language {
	langs := display.English.Languages()
	regions := display.English.Regions()
	seen := map[string]bool{}
	var out []Language
	add := func(tag language.Tag) {
		base, _ := tag.Base()
		region, conf := tag.Region()
		code, name := base.String(), langs.Name(base)
		if conf != language.No && region.String() != "ZZ" {
			code += "-" + region.String()
			name += " (" + regions.Name(region) + ")"
		}
		if name == "" || seen[code] {
			return
		}
		seen[code] = true
		out = append(out, Language{Code: code, Name: name})
	}
	for _, tag := range display.Supported.Tags() {
		base, _ := tag.Base()
		// Plain two-letter languages only; their scripts and regions come
		// from the likely subtags, not from CLDR's list of variants.
		if len(base.String()) != 2 || tag.String() != base.String() {
			continue
		}
		add(tag)
	}
	for _, v := range variants {
		add(language.MustParse(v))
	}
	slices.SortFunc(out, func(a, b Language) int { return strings.Compare(a.Name, b.Name) })
	return out
})
