package providertest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/provider"
)

// WantError checks that err is a *provider.Error with the given status
// and HTTP status whose message contains message, and that no secret
// appears in it. It returns the error for further checks.
func WantError(t testing.TB, err error, status provider.Status, httpStatus int, message string, secrets ...string) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v (%T), want *provider.Error", err, err)
	}
	if pe.Status != status || pe.HTTPStatus != httpStatus {
		t.Errorf("status = %s (HTTP %d), want %s (HTTP %d)", pe.Status, pe.HTTPStatus, status, httpStatus)
	}
	if !strings.Contains(pe.Message, message) {
		t.Errorf("message = %q, want it to contain %q", pe.Message, message)
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) || strings.Contains(pe.Message, s) {
			t.Errorf("a secret leaked into the error: %q", err.Error())
		}
	}
	return pe
}

// WantJSON checks that a request body is the JSON document want (a string
// of JSON, or a value that encodes to it), and nothing more.
func WantJSON(t testing.TB, body []byte, want any) {
	t.Helper()
	var got, exp any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("the request body is not JSON: %v: %s", err, body)
	}
	doc, ok := want.(string)
	if !ok {
		b, err := json.Marshal(want)
		if err != nil {
			t.Fatalf("bad expectation: %v", err)
		}
		doc = string(b)
	}
	if err := json.Unmarshal([]byte(doc), &exp); err != nil {
		t.Fatalf("bad expectation: %v", err)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("request body = %s\nwant %s", body, doc)
	}
}

// WantRequest checks req's method, path and query against want, written as
// in a request line ("GET /v1/models?page_size=1000") with the path escaped
// and the query raw, as they were sent.
func WantRequest(t testing.TB, req Request, want string) {
	t.Helper()
	got := req.Method + " " + req.Path
	if req.Query != "" {
		got += "?" + req.Query
	}
	if got != want {
		t.Errorf("request = %s, want %s", got, want)
	}
}

// WantJSONRequest checks req as WantRequest does, and that it carried the
// JSON document body (as WantJSON) labelled application/json.
func WantJSONRequest(t testing.TB, req Request, want string, body any) {
	t.Helper()
	WantRequest(t, req, want)
	if ct := req.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	WantJSON(t, req.Body, body)
}

// credentialHeaders are the headers the families send credentials in.
var credentialHeaders = []string{"Authorization", "Api-Key", "X-Api-Key", "X-Goog-Api-Key", "Xi-Api-Key"}

// WantCredential checks that req carried key in header, after prefix (as
// in "Bearer "), and nowhere else: in no other credential header, no other
// header and not in the URL.
func WantCredential(t testing.TB, req Request, header, prefix, key string) {
	t.Helper()
	if key == "" {
		t.Fatal("bad expectation: no key to look for")
	}
	header = http.CanonicalHeaderKey(header)
	if got := req.Header.Get(header); got != prefix+key {
		t.Errorf("%s = %q, want %q followed by the key", header, got, prefix)
	}
	for name, values := range req.Header {
		switch {
		case name == header:
		case slices.Contains(credentialHeaders, name):
			t.Errorf("the request carried %s too: %q", name, values)
		case slices.ContainsFunc(values, func(v string) bool { return strings.Contains(v, key) }):
			t.Errorf("the key was sent in %s too", name)
		}
	}
	if strings.Contains(req.Path+"?"+req.Query, key) {
		t.Errorf("the key was sent in the URL %s?%s", req.Path, req.Query)
	}
}

// Texts returns n inputs to embed, "t0" to "t{n-1}". The embedding tests'
// fakes answer each with a vector whose first value is its number, so that
// a test can tell the order was kept.
func Texts(n int) []string {
	texts := make([]string, n)
	for i := range texts {
		texts[i] = fmt.Sprintf("t%d", i)
	}
	return texts
}

// WantVectors checks that vectors are, in order, one [i, last] for each
// text i of Texts(n).
func WantVectors(t testing.TB, vectors [][]float64, n int, last float64) {
	t.Helper()
	if len(vectors) != n {
		t.Fatalf("%d vectors for %d inputs", len(vectors), n)
	}
	for i, v := range vectors {
		if len(v) != 2 || v[0] != float64(i) || v[1] != last {
			t.Fatalf("vector %d = %v, want [%d %v]", i, v, i, last)
		}
	}
}

// WantBatches checks that reqs carried input in batches of sizes, in
// order, and has check examine each request with the batch it carried.
func WantBatches(t testing.TB, reqs []Request, input []string, sizes []int, check func(req Request, batch []string)) {
	t.Helper()
	if len(reqs) != len(sizes) {
		t.Fatalf("%d requests, want %d", len(reqs), len(sizes))
	}
	first := 0
	for i, req := range reqs {
		if first+sizes[i] > len(input) {
			t.Fatalf("bad expectation: batches of %v for %d inputs", sizes, len(input))
		}
		check(req, input[first:first+sizes[i]])
		first += sizes[i]
	}
}

// FormPart is one part of a multipart request.
type FormPart struct {
	Filename    string
	ContentType string
	Data        string
}

// ParseForm reads a multipart/form-data request's parts by name.
func ParseForm(t testing.TB, req Request) map[string]FormPart {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" {
		t.Fatalf("Content-Type = %q, want multipart/form-data", req.Header.Get("Content-Type"))
	}
	parts := map[string]FormPart{}
	mr := multipart.NewReader(bytes.NewReader(req.Body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return parts
		}
		if err != nil {
			t.Fatalf("reading the multipart body: %v", err)
		}
		data, _ := io.ReadAll(p)
		parts[p.FormName()] = FormPart{Filename: p.FileName(), ContentType: p.Header.Get("Content-Type"), Data: string(data)}
	}
}
