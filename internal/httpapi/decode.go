package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/swaggest/jsonschema-go"

	"github.com/open-notebook/open-notebook/internal/apperr"
)

// Opt is a request field whose presence matters: the original's PUT
// endpoints keep a field that is absent and clear one that is null.
type Opt[T any] struct {
	Set   bool // the key was present
	Null  bool // its value was null
	Value T
}

// UnmarshalJSON implements json.Unmarshaler. encoding/json calls it only
// for keys that are present, including for an explicit null.
func (o *Opt[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(bytes.TrimSpace(b)) == "null" {
		o.Null = true
		var zero T
		o.Value = zero
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// Ptr returns a pointer to the value when one was given (present and not
// null), else nil.
func (o Opt[T]) Ptr() *T {
	if !o.Set || o.Null {
		return nil
	}
	v := o.Value
	return &v
}

// JSONSchema documents an Opt as its value's schema that also allows null.
func (Opt[T]) JSONSchema() (jsonschema.Schema, error) {
	var r jsonschema.Reflector
	s, err := r.Reflect(*new(T), jsonschema.InlineRefs)
	if err != nil {
		return s, err
	}
	s.AddType(jsonschema.Null)
	return s, nil
}

// InlineJSONSchema keeps Opt fields inline in the OpenAPI document.
func (Opt[T]) InlineJSONSchema() {}

// decodeJSON reads a JSON object body into dst and reports problems the way
// the original's request validation does (422 with a detail list). A body
// over the size limit surfaces as *http.MaxBytesError (413).
func decodeJSON(r *http.Request, dst any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body"}, Type: "missing", Msg: "Field required"})
	}
	err = json.Unmarshal(body, dst)
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &syntax):
		return apperr.InvalidFields(apperr.FieldError{
			Loc: []any{"body", int(syntax.Offset)}, Type: "json_invalid", Msg: "JSON decode error",
			Input: map[string]any{}})
	case errors.As(err, &typeErr):
		return typeError(typeErr, body)
	default:
		return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body"}, Type: "value_error", Msg: "Invalid request body"})
	}
}

// typeError describes a value of the wrong JSON type.
func typeError(e *json.UnmarshalTypeError, body []byte) error {
	if e.Field == "" {
		var v any
		_ = json.Unmarshal(body, &v)
		return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body"}, Type: "model_attributes_type",
			Msg: "Input should be a valid dictionary or object to extract fields from", Input: v})
	}
	loc := []any{"body"}
	for _, p := range strings.Split(e.Field, ".") {
		if n, err := strconv.Atoi(p); err == nil {
			loc = append(loc, n)
		} else {
			loc = append(loc, p)
		}
	}
	typ, msg := "value_error", "Input has the wrong type"
	t := e.Type
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		typ, msg = "string_type", "Input should be a valid string"
	case reflect.Bool:
		typ, msg = "bool_type", "Input should be a valid boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		typ, msg = "int_type", "Input should be a valid integer"
	case reflect.Float32, reflect.Float64:
		typ, msg = "float_type", "Input should be a valid number"
	case reflect.Slice, reflect.Array:
		typ, msg = "list_type", "Input should be a valid list"
	case reflect.Map, reflect.Struct:
		typ, msg = "dict_type", "Input should be a valid dictionary"
	}
	return apperr.InvalidFields(apperr.FieldError{Loc: loc, Type: typ, Msg: msg, Input: valueAt(body, loc[1:])})
}

// valueAt returns the value at path in a JSON document, for echoing the
// offending input back.
func valueAt(body []byte, path []any) any {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return nil
	}
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// missing reports a required body field that was absent.
func missing(field string) apperr.FieldError {
	return apperr.FieldError{Loc: []any{"body", field}, Type: "missing", Msg: "Field required"}
}

// queryBool parses an optional boolean query parameter with the original's
// lenient spellings.
func queryBool(r *http.Request, name string) (*bool, error) {
	raw, ok := r.URL.Query()[name]
	if !ok || len(raw) == 0 {
		return nil, nil
	}
	v := raw[len(raw)-1]
	switch strings.ToLower(v) {
	case "1", "true", "t", "yes", "y", "on":
		b := true
		return &b, nil
	case "0", "false", "f", "no", "n", "off":
		b := false
		return &b, nil
	}
	return nil, apperr.InvalidFields(apperr.FieldError{Loc: []any{"query", name}, Type: "bool_parsing",
		Msg: "Input should be a valid boolean, unable to interpret input", Input: v})
}
