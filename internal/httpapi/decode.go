package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// MaxBodyBytes bounds every request body; a larger one is answered 413.
const MaxBodyBytes = 1 << 20

// decodeJSON reads the request body into dst, a pointer to a wire struct.
// It answers 415 for a body that is not JSON, 413 for one over MaxBodyBytes,
// 400 for malformed JSON or a non-object, and 422 naming every unknown or
// wrongly typed field by its path.
func decodeJSON(r *http.Request, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return newError(typeUnsupportedMedia, "The request body must be JSON, sent with Content-Type: application/json.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return newError(typeTooLarge, fmt.Sprintf("The request body exceeds %d bytes.", MaxBodyBytes))
		}
		return newError(typeMalformed, "The request body could not be read.")
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return malformedJSON(body, err)
	}
	if dec.More() {
		return newError(typeMalformed, "The request body must hold exactly one JSON value.")
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return newError(typeMalformed, "The request body must be a JSON object.")
	}
	if bad := checkShape(obj, reflect.TypeOf(dst).Elem(), ""); len(bad) > 0 {
		return &apiError{typ: typeValidation, detail: "The request body has unknown fields or fields of the wrong type.", fields: bad}
	}
	dec = json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		// checkShape accepted the document, so this is a value no Go type
		// holds (say, a number too large); report it without guessing.
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &apiError{typ: typeValidation, detail: "The request body has a value out of range.",
				fields: []invalidField{{Field: te.Field, Message: "is out of range"}}}
		}
		return malformedJSON(body, err)
	}
	return nil
}

func malformedJSON(body []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return newError(typeMalformed, fmt.Sprintf("The request body is not valid JSON at byte offset %d: %s.", se.Offset, se.Error()))
	}
	if errors.Is(err, io.EOF) || len(bytes.TrimSpace(body)) == 0 {
		return newError(typeMalformed, "The request body is empty; a JSON object is required.")
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return newError(typeMalformed, "The request body ends in the middle of a JSON value.")
	}
	return newError(typeMalformed, "The request body is not valid JSON.")
}

func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "of another type"
}

var knownFieldsCache sync.Map // reflect.Type → map[string]reflect.Type

// knownFields maps the JSON names of a wire struct's fields to their types.
func knownFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := knownFieldsCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	// Promoted fields first: a field of the struct itself shadows a
	// promoted one of the same name, as in encoding/json.
	for _, promoted := range []bool{true, false} {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			embedded := f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct
			switch {
			case embedded && promoted:
				// encoding/json promotes an untagged embedded struct's fields.
				maps.Copy(m, knownFields(f.Type))
			case !embedded && !promoted && name != "" && name != "-":
				m[name] = f.Type
			}
		}
	}
	knownFieldsCache.Store(t, m)
	return m
}

// checkShape compares a decoded JSON value with the wire type t and returns,
// in a stable order, every unknown field and every value of the wrong JSON
// type, each with its API path (primaryAddress.emails[0].value). null is
// accepted everywhere: optional fields are pointers, and required ones are
// caught by the domain's rules.
func checkShape(v any, t reflect.Type, path string) []invalidField {
	t = deref(t)
	if v == nil || t == reflect.TypeOf(json.RawMessage{}) {
		return nil
	}
	wrong := func() []invalidField {
		return []invalidField{{Field: path, Message: "must be " + jsonTypeName(t)}}
	}
	switch t.Kind() {
	case reflect.String:
		if _, ok := v.(string); !ok {
			return wrong()
		}
		return nulStrings(v, path)
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return wrong()
		}
	case reflect.Int, reflect.Int64, reflect.Float64:
		if _, ok := v.(json.Number); !ok {
			return wrong()
		}
	case reflect.Map, reflect.Interface:
		// Free-form values (customFields) are checked by the domain, all
		// but the NUL character, which the database cannot store.
		if _, ok := v.(map[string]any); !ok && t.Kind() == reflect.Map {
			return wrong()
		}
		return nulStrings(v, path)
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			return wrong()
		}
		var out []invalidField
		for i, e := range list {
			out = append(out, checkShape(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return wrong()
		}
		known := knownFields(t)
		var out []invalidField
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			child := k
			if path != "" {
				child = path + "." + k
			}
			ft, ok := known[k]
			if !ok {
				out = append(out, invalidField{Field: child, Message: "is not a known field"})
				continue
			}
			out = append(out, checkShape(obj[k], ft, child)...)
		}
		return out
	}
	return nil
}

// nulStrings reports every string under v (object keys included) that holds
// a NUL character: PostgreSQL stores none in text or jsonb.
func nulStrings(v any, path string) []invalidField {
	const msg = "must not contain the NUL character (\\u0000)"
	switch x := v.(type) {
	case string:
		if strings.ContainsRune(x, 0) {
			return []invalidField{{Field: path, Message: msg}}
		}
	case map[string]any:
		var out []invalidField
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if strings.ContainsRune(k, 0) {
				out = append(out, invalidField{Field: path, Message: "has a key that " + msg})
				continue
			}
			out = append(out, nulStrings(x[k], path+"."+k)...)
		}
		return out
	case []any:
		var out []invalidField
		for i, e := range x {
			out = append(out, nulStrings(e, fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	}
	return nil
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}
