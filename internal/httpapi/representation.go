package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/pkg/filter"
)

const (
	maxFields = 100
	maxExpand = 10
)

// representation is what fields and expand ask of a customer's shape.
type representation struct {
	fields []string // nil: every field
	// expandLeadSource: expand=leadSource was given (the only relation), so
	// _embedded is present, with the lead source or null.
	expandLeadSource bool
}

// viewOptions is what the store must render for rep.
func (rep representation) viewOptions() customers.ViewOptions {
	return customers.ViewOptions{LeadSource: rep.expandLeadSource}
}

// parseRepresentation reads fields and expand. Unknown names are 400.
func parseRepresentation(q url.Values) (representation, error) {
	var rep representation
	if err := once(q, "fields", "expand"); err != nil {
		return rep, err
	}
	if q.Has("fields") {
		fields, err := filter.ParseList("fields", q.Get("fields"), maxFields)
		if err != nil {
			return rep, queryErr(err)
		}
		for _, f := range fields {
			path := strings.Split(f.Name, ".")
			if list, ok := customerShape.listPrefix(path); ok {
				return rep, invalidQuery("fields", f.Offset, fmt.Sprintf("%q reaches inside the list %s; ask for the whole list", f.Name, list))
			}
			if !customerShape.knows(path) {
				return rep, invalidQuery("fields", f.Offset, fmt.Sprintf("unknown field %q", f.Name))
			}
			rep.fields = append(rep.fields, f.Name)
		}
	}
	if q.Has("expand") {
		items, err := filter.ParseList("expand", q.Get("expand"), maxExpand)
		if err != nil {
			return rep, queryErr(err)
		}
		for _, e := range items {
			if e.Name != "leadSource" {
				return rep, invalidQuery("expand", e.Offset, fmt.Sprintf("%q cannot be expanded; the only expandable relation is leadSource", e.Name))
			}
		}
		rep.expandLeadSource = true
	}
	return rep, nil
}

// shape is the shape of a JSON value of the representation, for checking
// the paths of the fields parameter.
type shape struct {
	fields map[string]*shape // an object's fields; nil for anything else
	anyKey bool              // an object of free keys (customFields)
	list   bool              // a list: paths may not reach inside it
}

var (
	scalar    = &shape{}
	listShape = &shape{list: true}
)

func object(fields map[string]*shape) *shape { return &shape{fields: fields} }

// shapeOf derives the shape of a value object from its one type.
func shapeOf(t reflect.Type) *shape {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice:
		return listShape
	case reflect.Map, reflect.Interface:
		return &shape{anyKey: true}
	case reflect.Struct:
		s := object(map[string]*shape{})
		for i := 0; i < t.NumField(); i++ {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if name != "" && name != "-" {
				s.fields[name] = shapeOf(t.Field(i).Type)
			}
		}
		return s
	}
	return scalar
}

// with returns a copy of s with more fields.
func (s *shape) with(more map[string]*shape) *shape {
	out := object(make(map[string]*shape, len(s.fields)+len(more)))
	for k, v := range s.fields {
		out.fields[k] = v
	}
	for k, v := range more {
		out.fields[k] = v
	}
	return out
}

// leadSourceShape and customerShape are the representations of SPEC §6 and
// §3: the value objects' own types, and what the representation adds.
var (
	money           = object(map[string]*shape{"currency": scalar, "amount": scalar, "amountUsd": scalar})
	leadSourceShape = shapeOf(reflect.TypeOf(customers.LeadSourceData{})).with(map[string]*shape{
		"createdTime": scalar, "updatedTime": scalar,
		"original": shapeOf(reflect.TypeOf(customers.LeadSourceData{})), "_links": listShape,
	})
	customerShape = object(map[string]*shape{
		"id": scalar, "email": scalar, "firstName": scalar, "lastName": scalar, "websiteId": scalar,
		"defaultPaymentInstrument": shapeOf(reflect.TypeOf(customers.PaymentInstrument{})),
		"customFields":             {anyKey: true},
		"primaryAddress":           shapeOf(reflect.TypeOf(customers.Contact{})),
		"locale":                   scalar, "isEddRequired": scalar, "createdTime": scalar, "updatedTime": scalar,
		"revision": scalar, "averageValue": money, "lifetimeRevenue": money,
		"paymentCount": scalar, "invoiceCount": scalar, "lastPaymentTime": scalar,
		"tags": listShape, "hasFulfilledKyc": scalar, "_links": listShape,
		"taxNumbers": listShape, "notificationEmails": listShape, "preferredPayoutInstrumentId": scalar,
		"organizationId": scalar,
		"_embedded":      object(map[string]*shape{"leadSource": leadSourceShape}),
	})
)

// knows reports whether a dotted path names a field (any key below a
// free-form object counts).
func (s *shape) knows(path []string) bool {
	if len(path) == 0 || s.anyKey {
		return true
	}
	next, ok := s.fields[path[0]]
	return ok && next.knows(path[1:])
}

// listPrefix returns the leading part of a path that names a list, when
// the path goes on below it.
func (s *shape) listPrefix(path []string) (string, bool) {
	cur := s
	for i, name := range path[:len(path)-1] {
		next, ok := cur.fields[name]
		if !ok {
			return "", false
		}
		if next.list {
			return strings.Join(path[:i+1], "."), true
		}
		cur = next
	}
	return "", false
}

// appendCustomer appends the representation of v as this request asks for
// it: the stored rendering, its _links and, with expand, _embedded; then
// only the fields asked for, when fields was given.
func appendCustomer(buf []byte, v *customers.View, rep representation, base string) []byte {
	start := len(buf)
	buf = appendOpenObject(buf, v.JSON)
	buf = append(buf, `"_links":`...)
	buf = appendCustomerLinks(buf, v, base)
	if rep.expandLeadSource {
		buf = append(buf, `,"_embedded":{"leadSource":`...)
		if v.LeadSource != nil {
			buf = appendLeadSource(buf, v.LeadSource, base)
		} else {
			buf = append(buf, "null"...)
		}
		buf = append(buf, '}')
	}
	buf = append(buf, '}')
	if rep.fields != nil {
		buf = append(buf[:start], project(buf[start:], rep.fields)...)
	}
	return buf
}

// appendLeadSource appends a lead source's representation with its links.
func appendLeadSource(buf []byte, ls *customers.LeadSourceView, base string) []byte {
	buf = appendOpenObject(buf, ls.JSON)
	buf = append(buf, `"_links":`...)
	buf = appendLeadSourceLinks(buf, ls.CustomerID, base)
	return append(buf, '}')
}

// appendOpenObject appends the JSON object obj without its closing brace,
// and a comma when it has members, ready for more members.
func appendOpenObject(buf, obj []byte) []byte {
	obj = bytes.TrimSpace(obj)
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		// The store renders objects; anything else is a bug.
		panic(fmt.Sprintf("httpapi: rendered representation is not a JSON object: %.40q", obj))
	}
	body := obj[:len(obj)-1]
	buf = append(buf, body...)
	if len(bytes.TrimSpace(body[1:])) > 0 {
		buf = append(buf, ',')
	}
	return buf
}

// project keeps only the given dotted fields of a JSON object, and id
// and _embedded always.
func project(obj []byte, fields []string) []byte {
	var full map[string]any
	dec := json.NewDecoder(bytes.NewReader(obj))
	dec.UseNumber()
	if err := dec.Decode(&full); err != nil {
		panic("httpapi: representation is not JSON: " + err.Error())
	}
	kept := map[string]any{"id": full["id"]}
	if e, ok := full["_embedded"]; ok {
		kept["_embedded"] = e
	}
	for _, f := range fields {
		copyPath(kept, full, strings.Split(f, "."))
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(kept); err != nil {
		panic("httpapi: re-encode projection: " + err.Error())
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n"))
}

// copyPath copies the value at path from src into dst, creating the
// enclosing objects; a path that is absent from src is left out.
func copyPath(dst, src map[string]any, path []string) {
	v, ok := src[path[0]]
	if !ok {
		return
	}
	if len(path) == 1 {
		dst[path[0]] = v
		return
	}
	sub, ok := v.(map[string]any)
	if !ok {
		if v == nil {
			dst[path[0]] = nil
		}
		return
	}
	next, ok := dst[path[0]].(map[string]any)
	if !ok {
		next = map[string]any{}
		dst[path[0]] = next
	}
	copyPath(next, sub, path[1:])
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json writes it.
func appendJSONString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				buf = append(buf, '\\', c)
			case c < 0x20:
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				buf = append(buf, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, `\ufffd`...)
		} else {
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return append(buf, '"')
}
