package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/swaggest/jsonschema-go"

	"github.com/open-notebook/open-notebook/internal/apperr"
)

// This file binds a request to an endpoint's input struct and validates it
// from the same struct tags the OpenAPI document is generated from, so a
// rule is written once and the document and the server cannot disagree:
//
//	path:"notebook_id"     a path segment
//	query:"limit"          a query parameter
//	header:"User-Agent"    a request header
//	formData:"title"       a multipart or URL-encoded form field (*multipart.FileHeader for a file)
//	json:"name"            a field of the JSON body
//	required:"true"        must be present (pointer, Opt, slice or map fields in a body)
//	minLength, maxLength   string length in characters
//	minimum, maximum       numeric bounds
//	enum:"a,b,c"           the allowed values
//	default:"50"           the value of an absent query parameter
//
// Failures are the original's 422s (pydantic's shape: type, loc, msg,
// input). No string anywhere in the input may hold a NUL character: no
// engine stores one faithfully (PostgreSQL refuses it), so it is refused
// here, at the edge, before it reaches a handler.

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

// given reports whether a value was given, for the validator.
func (o Opt[T]) given() (any, bool) { return o.Value, o.Set && !o.Null }

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

// presence is implemented by Opt, whatever its type parameter.
type presence interface{ given() (any, bool) }

// bodyRequirer is an input that explains a missing body itself, in place
// of the generic "Field required".
type bodyRequirer interface{ missingBody() error }

var (
	presenceType   = reflect.TypeFor[presence]()
	fileHeaderType = reflect.TypeFor[*multipart.FileHeader]()
)

// source is where a field's value comes from.
type source int

const (
	fromBody source = iota
	fromPath
	fromQuery
	fromHeader
	fromForm
)

var sourceNames = map[source]string{fromBody: "body", fromPath: "path", fromQuery: "query", fromHeader: "header", fromForm: "body"}

// rules are the validation tags of one field.
type rules struct {
	required             bool
	minLength, maxLength int // -1: none
	minimum, maximum     *float64
	enum                 []string
	def                  string
	hasDefault           bool
}

func parseRules(f reflect.StructField) (rules, error) {
	r := rules{required: f.Tag.Get("required") == "true", minLength: -1, maxLength: -1}
	for _, t := range []struct {
		tag string
		dst *int
	}{{"minLength", &r.minLength}, {"maxLength", &r.maxLength}} {
		if v, ok := f.Tag.Lookup(t.tag); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				return r, fmt.Errorf("field %s: %s %q: %w", f.Name, t.tag, v, err)
			}
			*t.dst = n
		}
	}
	for _, t := range []struct {
		tag string
		dst **float64
	}{{"minimum", &r.minimum}, {"maximum", &r.maximum}} {
		if v, ok := f.Tag.Lookup(t.tag); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return r, fmt.Errorf("field %s: %s %q: %w", f.Name, t.tag, v, err)
			}
			*t.dst = &n
		}
	}
	if v, ok := f.Tag.Lookup("enum"); ok {
		r.enum = strings.Split(v, ",")
	}
	r.def, r.hasDefault = f.Tag.Lookup("default")
	return r, nil
}

// param is one field bound from the path, query, headers or form.
type param struct {
	index  int
	src    source
	name   string
	typ    reflect.Type
	rules  rules
	isFile bool
}

// binder binds requests to one input type. It is built once per endpoint.
type binder struct {
	typ      reflect.Type
	params   []param
	body     bool // the type has JSON body fields, or is itself the body
	form     bool // the type has form fields
	validate *shape
}

// newBinder reads the tags of In once. It refuses declarations it could
// not honour, so a mistake stops start-up instead of failing a request.
func newBinder(t reflect.Type) (*binder, error) {
	b := &binder{typ: t}
	if t.Kind() != reflect.Struct {
		b.body = true
		s, err := shapeOf(t)
		b.validate = s
		return b, err
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		var p param
		switch {
		case f.Tag.Get("path") != "":
			p = param{src: fromPath, name: f.Tag.Get("path")}
		case f.Tag.Get("query") != "":
			p = param{src: fromQuery, name: f.Tag.Get("query")}
		case f.Tag.Get("header") != "":
			p = param{src: fromHeader, name: f.Tag.Get("header")}
		case f.Tag.Get("formData") != "":
			p = param{src: fromForm, name: f.Tag.Get("formData"), isFile: f.Type == fileHeaderType}
			b.form = true
		default:
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "-" {
				b.body = true
			}
			continue
		}
		r, err := parseRules(f)
		if err != nil {
			return nil, err
		}
		p.index, p.typ, p.rules = i, f.Type, r
		if !p.isFile && !scalar(f.Type) {
			return nil, fmt.Errorf("field %s: a %s parameter must be a string, number or boolean (or a pointer to one), not %s", f.Name, sourceNames[p.src], f.Type)
		}
		b.params = append(b.params, p)
	}
	if b.body && b.form {
		return nil, errors.New("an input cannot take both a JSON body and form fields")
	}
	if b.body {
		s, err := shapeOf(t)
		if err != nil {
			return nil, err
		}
		b.validate = s
	}
	return b, nil
}

func scalar(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int64, reflect.Float64:
		return true
	}
	return false
}

// jsonMediaType reports whether a Content-Type names JSON.
func jsonMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// errNotJSON refuses a body sent as something else than JSON. Reading a
// text/plain or form body as JSON would let any web page send a "simple"
// cross-site request (one a browser sends without asking the server
// first) that this server acts on.
var errNotJSON = apperr.New(apperr.Unsupported, "The request body must be JSON: send it with Content-Type: application/json")

// bind fills dst (a pointer to the input type) from r.
func (b *binder) bind(r *http.Request, dst reflect.Value) error {
	var fields []apperr.FieldError
	if b.body {
		if err := b.decodeBody(r, dst.Addr().Interface()); err != nil {
			return err
		}
		fields = b.validate.check(dst, []any{"body"}, fields)
	}
	if len(b.params) > 0 {
		var query url.Values
		for _, p := range b.params {
			if p.src == fromQuery && query == nil {
				query = r.URL.Query()
			}
			if p.src == fromForm && r.MultipartForm == nil && r.PostForm == nil {
				if err := parseForm(r); err != nil {
					return err
				}
			}
			fields = b.bindParam(r, query, p, dst.Field(p.index), fields)
		}
	}
	if len(fields) > 0 {
		return apperr.InvalidFields(fields...)
	}
	return nil
}

// maxFormMemory is how much of a multipart form is held in memory; larger
// files spill to temporary files, removed when the request ends.
const maxFormMemory = 8 << 20

func parseForm(r *http.Request) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" && ct != "application/x-www-form-urlencoded" {
		return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body"}, Type: "missing",
			Msg: "Field required: send a multipart/form-data form (or use POST /api/sources/json)"})
	}
	err := r.ParseMultipartForm(maxFormMemory)
	if err == nil || errors.Is(err, http.ErrNotMultipart) {
		return nil
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) || isBodyFailure(err) {
		return err
	}
	return apperr.Wrap(apperr.Invalid, "File upload failed", err)
}

func (b *binder) bindParam(r *http.Request, query url.Values, p param, dst reflect.Value, fields []apperr.FieldError) []apperr.FieldError {
	loc := []any{sourceNames[p.src], p.name}
	if p.isFile {
		if _, fh, err := r.FormFile(p.name); err == nil {
			dst.Set(reflect.ValueOf(fh))
		} else if p.rules.required {
			fields = append(fields, apperr.FieldError{Loc: loc, Type: "missing", Msg: "Field required"})
		}
		return fields
	}
	var (
		raw     string
		present bool
	)
	switch p.src {
	case fromPath:
		raw = r.PathValue(p.name)
		present = true
	case fromQuery:
		if vs, ok := query[p.name]; ok && len(vs) > 0 {
			raw, present = vs[len(vs)-1], true
		}
	case fromHeader:
		raw = r.Header.Get(p.name)
		present = raw != ""
	case fromForm:
		if vs, ok := r.Form[p.name]; ok && len(vs) > 0 {
			raw, present = vs[0], true
		}
	}
	if !present {
		if p.rules.hasDefault {
			raw, present = p.rules.def, true
		} else if p.rules.required {
			return append(fields, apperr.FieldError{Loc: loc, Type: "missing", Msg: "Field required"})
		} else {
			return fields
		}
	}
	if strings.IndexByte(raw, 0) >= 0 {
		return append(fields, nulError(loc, raw))
	}
	v, fe := parseScalar(raw, p.typ, loc)
	if fe != nil {
		return append(fields, *fe)
	}
	if fe := p.rules.check(v.Interface(), loc); fe != nil {
		return append(fields, *fe)
	}
	dst.Set(v)
	return fields
}

// parseScalar converts a parameter's text to its field's type.
func parseScalar(raw string, t reflect.Type, loc []any) (reflect.Value, *apperr.FieldError) {
	elem := t
	if t.Kind() == reflect.Pointer {
		elem = t.Elem()
	}
	v := reflect.New(elem).Elem()
	switch elem.Kind() {
	case reflect.String:
		v.SetString(raw)
	case reflect.Bool:
		b, ok := parseBool(raw)
		if !ok {
			return v, &apperr.FieldError{Loc: loc, Type: "bool_parsing",
				Msg: "Input should be a valid boolean, unable to interpret input", Input: raw}
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil {
			return v, &apperr.FieldError{Loc: loc, Type: "int_parsing",
				Msg: "Input should be a valid integer, unable to parse string as an integer", Input: raw}
		}
		v.SetInt(n)
	case reflect.Float64:
		n, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if err != nil {
			return v, &apperr.FieldError{Loc: loc, Type: "float_parsing",
				Msg: "Input should be a valid number, unable to parse string as a number", Input: raw}
		}
		v.SetFloat(n)
	}
	if t.Kind() == reflect.Pointer {
		p := reflect.New(elem)
		p.Elem().Set(v)
		return p, nil
	}
	return v, nil
}

// parseBool reads the original's lenient boolean spellings.
func parseBool(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "t", "yes", "y", "on":
		return true, true
	case "0", "false", "f", "no", "n", "off":
		return false, true
	}
	return false, false
}

// decodeBody reads a JSON body into dst and reports problems the way the
// original's request validation does (422 with a detail list). A body over
// the size limit surfaces as *http.MaxBytesError (413).
func (b *binder) decodeBody(r *http.Request, dst any) error {
	if !jsonMediaType(r.Header.Get("Content-Type")) {
		if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
			return missingBody(dst)
		}
		return errNotJSON
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return missingBody(dst)
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

func missingBody(dst any) error {
	if b, ok := dst.(bodyRequirer); ok {
		return b.missingBody()
	}
	return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body"}, Type: "missing", Msg: "Field required"})
}

// typeError describes a value of the wrong JSON type.
func typeError(e *json.UnmarshalTypeError, body []byte) error {
	if e.Field == "" {
		return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body"}, Type: "model_attributes_type",
			Msg: "Input should be a valid dictionary or object to extract fields from", Input: echo(valueAt(body, nil))})
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
	input := valueAt(body, loc[1:])
	if secretField(loc) {
		input = redacted
	}
	return apperr.InvalidFields(apperr.FieldError{Loc: loc, Type: typ, Msg: msg, Input: echo(input)})
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

// secretFields are body fields whose value is never echoed back in a 422:
// an error page is logged, cached and shown, and a key or password must not
// be in it.
var secretFields = map[string]bool{"password": true, "api_key": true}

const redacted = "[REDACTED]"

func secretField(loc []any) bool {
	for _, p := range loc {
		if s, ok := p.(string); ok && secretFields[s] {
			return true
		}
	}
	return false
}

// echo bounds what a 422 repeats of its input: a whole document under a
// wrong type must not come back in full.
func echo(v any) any {
	const max = 200
	switch x := v.(type) {
	case string:
		if utf8.RuneCountInString(x) > max {
			return string([]rune(x)[:max]) + "…"
		}
	case map[string]any, []any:
		b, _ := json.Marshal(x)
		if len(b) > max {
			return nil
		}
		if m, ok := x.(map[string]any); ok {
			for k := range m {
				if secretFields[k] {
					m[k] = redacted
				}
			}
		}
	}
	return v
}

func nulError(loc []any, input string) apperr.FieldError {
	if secretField(loc) {
		input = redacted
	}
	return apperr.FieldError{Loc: loc, Type: "string_nul",
		Msg: "Input should not contain NUL characters (\\u0000)", Input: echo(strings.ReplaceAll(input, "\x00", `\u0000`))}
}

// check applies the rules to a present value (a string, number or
// boolean; other kinds are checked by their own shape).
func (r rules) check(v any, loc []any) *apperr.FieldError {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.String:
		s := rv.String()
		n := utf8.RuneCountInString(s)
		input := any(s)
		if secretField(loc) {
			input = redacted
		}
		switch {
		case r.minLength >= 0 && n < r.minLength:
			return &apperr.FieldError{Loc: loc, Type: "string_too_short",
				Msg: fmt.Sprintf("String should have at least %d character%s", r.minLength, plural(r.minLength)), Input: echo(input)}
		case r.maxLength >= 0 && n > r.maxLength:
			return &apperr.FieldError{Loc: loc, Type: "string_too_long",
				Msg: fmt.Sprintf("String should have at most %d character%s", r.maxLength, plural(r.maxLength)), Input: echo(input)}
		case len(r.enum) > 0 && !contains(r.enum, s):
			return &apperr.FieldError{Loc: loc, Type: "literal_error", Msg: "Input should be " + quoteList(r.enum), Input: echo(input)}
		}
	case reflect.Int, reflect.Int64, reflect.Float64:
		var f float64
		if rv.Kind() == reflect.Float64 {
			f = rv.Float()
		} else {
			f = float64(rv.Int())
		}
		switch {
		case r.minimum != nil && f < *r.minimum:
			return &apperr.FieldError{Loc: loc, Type: "greater_than_equal",
				Msg: "Input should be greater than or equal to " + number(*r.minimum), Input: v}
		case r.maximum != nil && f > *r.maximum:
			return &apperr.FieldError{Loc: loc, Type: "less_than_equal",
				Msg: "Input should be less than or equal to " + number(*r.maximum), Input: v}
		}
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// quoteList renders allowed values as pydantic does: 'a', 'b' or 'c'.
func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = "'" + v + "'"
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// shape validates a decoded body: the rules of each JSON field, required
// fields, nested objects and lists, and NUL characters in any string.
type shape struct {
	kind   reflect.Kind
	fields []shapeField // for structs
	elem   *shape       // for slices, maps and pointers
	opt    bool         // an Opt[T]
}

type shapeField struct {
	index []int
	name  string
	rules rules
	shape *shape
}

// shapeOf describes t for validation. Required body fields must be able
// to say they are absent (pointers, Opt, slices, maps).
func shapeOf(t reflect.Type) (*shape, error) {
	return shapeOfDepth(t, 0)
}

func shapeOfDepth(t reflect.Type, depth int) (*shape, error) {
	if depth > 8 {
		return nil, fmt.Errorf("%s: nested too deeply", t)
	}
	s := &shape{kind: t.Kind()}
	if t.Implements(presenceType) {
		s.opt = true
		return s, nil
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		e, err := shapeOfDepth(t.Elem(), depth+1)
		if err != nil {
			return nil, err
		}
		s.elem = e
	case reflect.Struct:
		fields, err := structFields(t, nil, map[string]bool{}, depth)
		if err != nil {
			return nil, err
		}
		s.fields = fields
	}
	return s, nil
}

// structFields describes the JSON body fields of t, embedded structs
// inline (an outer field shadows an embedded one of the same name, as in
// encoding/json).
func structFields(t reflect.Type, prefix []int, seen map[string]bool, depth int) ([]shapeField, error) {
	var out []shapeField
	var embedded []reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" || f.Tag.Get("path") != "" || f.Tag.Get("query") != "" ||
			f.Tag.Get("header") != "" || f.Tag.Get("formData") != "" {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			embedded = append(embedded, f)
			continue
		}
		if name == "" {
			name = f.Name
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		r, err := parseRules(f)
		if err != nil {
			return nil, err
		}
		if r.required {
			switch f.Type.Kind() {
			case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			default:
				if !f.Type.Implements(presenceType) {
					return nil, fmt.Errorf("%s.%s is required but cannot be absent: make it a pointer", t, f.Name)
				}
			}
		}
		fs, err := shapeOfDepth(f.Type, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, shapeField{index: append(slices.Clone(prefix), i), name: name, rules: r, shape: fs})
	}
	for _, f := range embedded {
		inner, err := structFields(f.Type, append(slices.Clone(prefix), f.Index...), seen, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, inner...)
	}
	return out, nil
}

// check validates v at loc and appends what is wrong to fields.
func (s *shape) check(v reflect.Value, loc []any, fields []apperr.FieldError) []apperr.FieldError {
	if s.opt {
		if x, ok := v.Interface().(presence).given(); ok {
			return checkAny(reflect.ValueOf(x), loc, fields)
		}
		return fields
	}
	switch s.kind {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return fields
		}
		if s.kind == reflect.Interface {
			return checkAny(v.Elem(), loc, fields)
		}
		return s.elem.check(v.Elem(), loc, fields)
	case reflect.String:
		if strings.IndexByte(v.String(), 0) >= 0 {
			fields = append(fields, nulError(loc, v.String()))
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			fields = s.elem.check(v.Index(i), append(loc[:len(loc):len(loc)], i), fields)
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := fmt.Sprint(iter.Key().Interface())
			if strings.IndexByte(k, 0) >= 0 {
				fields = append(fields, nulError(loc, k))
			}
			fields = s.elem.check(iter.Value(), append(loc[:len(loc):len(loc)], k), fields)
		}
	case reflect.Struct:
		for _, f := range s.fields {
			fv := v.FieldByIndex(f.index)
			floc := append(loc[:len(loc):len(loc)], f.name)
			if f.rules.required && absent(fv) {
				fields = append(fields, apperr.FieldError{Loc: floc, Type: "missing", Msg: "Field required"})
				continue
			}
			before := len(fields)
			fields = f.shape.check(fv, floc, fields)
			if len(fields) > before {
				continue
			}
			if val, ok := present(fv); ok {
				if fe := f.rules.check(val, floc); fe != nil {
					fields = append(fields, *fe)
				}
			}
		}
	}
	return fields
}

// checkAny looks for NUL characters in a value of a type not known in
// advance (the contents of an Opt or an interface).
func checkAny(v reflect.Value, loc []any, fields []apperr.FieldError) []apperr.FieldError {
	if !v.IsValid() {
		return fields
	}
	s, err := shapeOf(v.Type())
	if err != nil {
		return fields
	}
	return s.check(v, loc, fields)
}

func absent(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return v.IsNil()
	}
	if o, ok := v.Interface().(presence); ok {
		_, given := o.given()
		return !given
	}
	return false
}

// present returns the value the rules apply to, if one was given.
func present(v reflect.Value) (any, bool) {
	if o, ok := v.Interface().(presence); ok {
		return o.given()
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, false
		}
		return v.Elem().Interface(), true
	}
	return v.Interface(), true
}
