package web_test

import (
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/web"
)

// uiFiles returns every UI file's content by name.
func uiFiles(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := fs.WalkDir(web.UI(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(web.UI(), name)
		files[name] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("the UI has no files")
	}
	return files
}

func TestEveryReferenceInThePagesPointsAtAnEmbeddedFile(t *testing.T) {
	files := uiFiles(t)
	ref := regexp.MustCompile(`(?:src|href)="(/ui/assets/[^"]+)"`)
	imp := regexp.MustCompile(`(?m)^import [^'"]*['"](\./[^'"]+)['"];`)
	checked := 0
	for name, body := range files {
		switch path.Ext(name) {
		case ".html":
			for _, m := range ref.FindAllStringSubmatch(body, -1) {
				checked++
				if _, ok := files[strings.TrimPrefix(m[1], "/ui/")]; !ok {
					t.Errorf("%s refers to %s, which is not embedded", name, m[1])
				}
			}
		case ".js":
			for _, m := range imp.FindAllStringSubmatch(body, -1) {
				checked++
				target := path.Join(path.Dir(name), m[1])
				if _, ok := files[target]; !ok {
					t.Errorf("%s imports %s, which is not embedded", name, m[1])
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d references were found; the patterns no longer match the files", checked)
	}
}

func TestThePagesHaveNoInlineCodeAndTheScriptsNoHTMLSinks(t *testing.T) {
	// The Content-Security-Policy forbids inline code and (through Trusted
	// Types) HTML sinks; these checks name the file at fault before a
	// browser would refuse it.
	htmlRules := []struct {
		name string
		re   *regexp.Regexp
	}{
		{"an inline script", regexp.MustCompile(`<script(?:\s+type="module")?\s*>`)},
		{"a style element", regexp.MustCompile(`<style[\s>]`)},
		{"a style attribute", regexp.MustCompile(`\sstyle=`)},
		{"an event handler attribute", regexp.MustCompile(`\son[a-z]+=`)},
		{"a javascript: URL", regexp.MustCompile(`javascript:`)},
		{"an external resource", regexp.MustCompile(`(?:src|href)="(?:https?:)?//`)},
	}
	jsRules := []struct {
		name string
		re   *regexp.Regexp
	}{
		{"innerHTML", regexp.MustCompile(`\.innerHTML\b`)},
		{"outerHTML", regexp.MustCompile(`\.outerHTML\b`)},
		{"insertAdjacentHTML", regexp.MustCompile(`insertAdjacentHTML`)},
		{"document.write", regexp.MustCompile(`document\.write`)},
		{"eval", regexp.MustCompile(`\beval\(|new Function\(`)},
		// The original kept the password in localStorage (its §12.4 flaw);
		// this UI keeps nothing in browser storage. It only reads the
		// server's secret-free sign-in hint cookie.
		{"browser storage", regexp.MustCompile(`localStorage|sessionStorage|indexedDB|document\.cookie\s*=[^=]`)},
	}
	for name, body := range uiFiles(t) {
		switch path.Ext(name) {
		case ".html":
			for _, r := range htmlRules {
				if loc := r.re.FindStringIndex(body); loc != nil {
					t.Errorf("%s has %s: %q", name, r.name, body[loc[0]:min(loc[1]+20, len(body))])
				}
			}
		case ".js":
			for _, r := range jsRules {
				if loc := r.re.FindStringIndex(body); loc != nil {
					t.Errorf("%s uses %s: %q", name, r.name, body[max(loc[0]-20, 0):loc[1]])
				}
			}
		}
	}
}

func TestThePagesAreAccessibleDocuments(t *testing.T) {
	for name, body := range uiFiles(t) {
		if path.Ext(name) != ".html" {
			continue
		}
		for _, want := range []string{`<html lang="en">`, `<meta name="viewport"`, `<title>`, `<main id="main"`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %s", name, want)
			}
		}
		// Every form control in the static markup has a label that names it.
		for _, m := range regexp.MustCompile(`<(?:input|select|textarea)\b[^>]*\bid="([^"]+)"`).FindAllStringSubmatch(body, -1) {
			if !strings.Contains(body, `for="`+m[1]+`"`) && !regexp.MustCompile(`<label[^>]*>\s*<input[^>]*id="`+regexp.QuoteMeta(m[1])).MatchString(body) {
				t.Errorf("%s: the control #%s has no label", name, m[1])
			}
		}
	}
}
