package httpapi

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/apperr"
)

// FuzzBind feeds arbitrary bodies, query strings and path values to the
// binder of inputs shaped like the API's: it must never panic, every
// refusal must be an error for users (a status, never a 500), and nothing
// it accepts may hold a NUL character.
func FuzzBind(f *testing.F) {
	f.Add([]byte(`{"name":"x","provider":"openai","num_ctx":5}`), "application/json", "limit=5", "credential:abc")
	f.Add([]byte(`{"models":[{"name":"m","model_type":"language"}]}`), "application/json; charset=utf-8", "", "x")
	f.Add([]byte(`{"name":"a\u0000"}`), "application/json", "order_by=%00", "%00")
	f.Add([]byte(`[1,2,3]`), "text/plain", "limit=abc", "")
	f.Add([]byte(`{"password":{"x":1}}`), "application/vnd.api+json", "archived=maybe", "id")
	binders := []struct {
		typ reflect.Type
		b   *binder
	}{}
	for _, typ := range []reflect.Type{
		reflect.TypeFor[credentialCreateIn](), reflect.TypeFor[credentialUpdateIn](), reflect.TypeFor[registerIn](),
		reflect.TypeFor[sourceListIn](), reflect.TypeFor[notebookListIn](), reflect.TypeFor[loginIn](), reflect.TypeFor[defaultsIn](),
		reflect.TypeFor[searchIn](),
	} {
		b, err := newBinder(typ)
		if err != nil {
			f.Fatalf("%s: %v", typ, err)
		}
		binders = append(binders, struct {
			typ reflect.Type
			b   *binder
		}{typ, b})
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType, query, pathValue string) {
		for _, bd := range binders {
			r := httptest.NewRequest("POST", "/x", bytes.NewReader(body))
			r.URL.RawQuery = query
			r.Header.Set("Content-Type", contentType)
			r.SetPathValue("credential_id", pathValue)
			dst := reflect.New(bd.typ).Elem()
			err := bd.b.bind(r, dst)
			if err != nil {
				var tooLarge *http.MaxBytesError
				if _, ok := apperr.As(err); !ok && !errors.As(err, &tooLarge) {
					t.Fatalf("%s: a refusal that is not for users: %v", bd.typ, err)
				}
				if e, _ := apperr.As(err); e != nil && e.Code == apperr.Internal {
					t.Fatalf("%s: an internal error: %v", bd.typ, err)
				}
				continue
			}
			if hasNUL(dst) {
				t.Fatalf("%s: accepted a NUL: %#v", bd.typ, dst.Interface())
			}
		}
	})
}

// hasNUL reports whether any string reachable from v holds a NUL.
func hasNUL(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return strings.IndexByte(v.String(), 0) >= 0
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && hasNUL(v.Elem())
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if hasNUL(v.Index(i)) {
				return true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if hasNUL(it.Key()) || hasNUL(it.Value()) {
				return true
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && hasNUL(v.Field(i)) {
				return true
			}
		}
	}
	return false
}
