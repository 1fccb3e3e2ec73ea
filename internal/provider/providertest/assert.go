package providertest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"reflect"
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
