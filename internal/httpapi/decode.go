package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// MaxBodyBytes bounds every request body; a larger one is answered 413.
const MaxBodyBytes = 1 << 20

// decodeJSON reads the request body into dst, a pointer to a wire struct.
// It answers 415 for a body that is not JSON, 413 for one over MaxBodyBytes,
// 400 for malformed JSON or a non-object, and 422 naming every unknown field
// (with its path) or wrongly typed field.
func decodeJSON(r *http.Request, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return newError(kindUnsupportedMedia, "The request body must be JSON, sent with Content-Type: application/json.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return newError(kindTooLarge, fmt.Sprintf("The request body exceeds %d bytes.", MaxBodyBytes))
		}
		return newError(kindMalformed, "The request body could not be read.")
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return malformedJSON(body, err)
	}
	if dec.More() {
		return newError(kindMalformed, "The request body must hold exactly one JSON value.")
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return newError(kindMalformed, "The request body must be a JSON object.")
	}
	if unknown := unknownFields(obj, reflect.TypeOf(dst).Elem(), ""); len(unknown) > 0 {
		ae := &apiError{kind: kindValidation, detail: "The request body has unknown fields."}
		for _, f := range unknown {
			ae.fields = append(ae.fields, invalidField{Field: f, Message: "is not a known field"})
		}
		return ae
	}
	dec = json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &apiError{kind: kindValidation, detail: "The request body has fields of the wrong type.",
				fields: []invalidField{{Field: te.Field, Message: "must be " + jsonTypeName(te.Type)}}}
		}
		return malformedJSON(body, err)
	}
	return nil
}

func malformedJSON(body []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return newError(kindMalformed, fmt.Sprintf("The request body is not valid JSON at byte offset %d: %s.", se.Offset, se.Error()))
	}
	if errors.Is(err, io.EOF) || len(bytes.TrimSpace(body)) == 0 {
		return newError(kindMalformed, "The request body is empty; a JSON object is required.")
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return newError(kindMalformed, "The request body ends in the middle of a JSON value.")
	}
	return newError(kindMalformed, "The request body is not valid JSON.")
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
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			// encoding/json promotes an untagged embedded struct's fields.
			for k, v := range knownFields(f.Type) {
				m[k] = v
			}
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		m[name] = f.Type
	}
	knownFieldsCache.Store(t, m)
	return m
}

// unknownFields returns the API paths of every key in obj that the struct
// type t does not declare, recursing into nested structs and lists of them,
// in a stable order.
func unknownFields(obj map[string]any, t reflect.Type, prefix string) []string {
	known := knownFields(t)
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		ft, ok := known[k]
		if !ok {
			out = append(out, prefix+k)
			continue
		}
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch v := obj[k].(type) {
		case map[string]any:
			if ft.Kind() == reflect.Struct {
				out = append(out, unknownFields(v, ft, prefix+k+".")...)
			}
		case []any:
			if ft.Kind() == reflect.Slice && derefStruct(ft.Elem()) {
				for i, e := range v {
					if m, ok := e.(map[string]any); ok {
						out = append(out, unknownFields(m, deref(ft.Elem()), fmt.Sprintf("%s%s[%d].", prefix, k, i))...)
					}
				}
			}
		}
	}
	return out
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func derefStruct(t reflect.Type) bool { return deref(t).Kind() == reflect.Struct }
