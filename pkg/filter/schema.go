package filter

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Type is the value type of a field; it decides which values parse and
// which SQL a comparison becomes.
type Type int

const (
	String   Type = iota // text; equality case-insensitive unless CaseSensitive
	Integer              // whole numbers (int64)
	Decimal              // exact decimals, compared as numeric
	Boolean              // true or false
	DateTime             // RFC 3339 instants, or a bare date meaning that UTC day
	Enum                 // one of Field.Enum, compared exactly
)

func (t Type) String() string {
	return [...]string{"string", "integer", "decimal", "boolean", "date-time", "enum"}[t]
}

// Field is one filterable (and perhaps sortable) API field.
type Field struct {
	Name string // the API name, dotted for nested fields: "primaryAddress.country"
	// Expr is the SQL expression that holds the value. It is emitted as is,
	// so it must come from the program, never from a request.
	Expr          string
	Type          Type
	CaseSensitive bool // String: compare exactly (ids) instead of case-insensitively
	// Lowered marks a String expression that holds lower-cased text
	// already (a column the database keeps lower-cased), so comparisons
	// and sorts use it as is, which lets an index on it answer alone.
	Lowered bool
	Enum    []string // Enum: the allowed values
	// Multi marks a text[] expression of lower-cased values: "x" means some
	// entry equals x, "!x" that no entry does, null that there is none.
	Multi    bool
	Sortable bool
	NotNull  bool // the expression is never NULL (lets ORDER BY use an index in both directions)
	// Exists, when set, is the FROM and WHERE of a correlated subquery
	// that holds the value in a row of its own (a side table with an
	// index), and Expr is a column of it: a value is tested as EXISTS
	// (SELECT 1 FROM <Exists> AND <test>), null as NOT EXISTS (SELECT 1
	// FROM <Exists>), so the planner can answer a range from the side
	// table's index. The side table holds a row only for a non-null value.
	Exists string
	// SortExpr, when set, is what ORDER BY uses instead of Expr (which an
	// Exists field cannot offer outside its subquery).
	SortExpr string
}

// Dynamic is a family of fields read from a JSON object column, such as
// customFields.<name>: the name after Prefix is a JSON key, passed to SQL as
// a bind parameter, never as text.
type Dynamic struct {
	Prefix      string         // "customFields."
	JSONColumn  string         // the jsonb expression holding the object
	NamePattern *regexp.Regexp // what a key may look like
	Sortable    bool
}

// Schema is the whitelist a query is checked against. Build it with
// NewSchema; its zero value is not usable.
type Schema struct {
	Fields  []Field
	Dynamic []Dynamic
	// TieBreak is the expression of the unique id that ends every ORDER BY,
	// in the direction of the last sort key, so pages are stable.
	TieBreak string
	// DefaultSort applies when a request has no sort parameter.
	DefaultSort []string

	byName      map[string]*Field
	defaultKeys []SortKey
	extra       map[string]Field // a request's Fields
}

// NewSchema checks s and returns a ready copy: names unique, enums given,
// and DefaultSort valid.
func NewSchema(s Schema) (*Schema, error) {
	out := s
	out.Fields, out.Dynamic = slices.Clone(s.Fields), slices.Clone(s.Dynamic)
	out.byName = make(map[string]*Field, len(out.Fields))
	for i := range out.Fields {
		f := &out.Fields[i]
		switch {
		case f.Name == "" || f.Expr == "":
			return nil, fmt.Errorf("field %d: name and expression are required", i)
		case out.byName[f.Name] != nil:
			return nil, fmt.Errorf("field %q: defined twice", f.Name)
		case f.Type == Enum && len(f.Enum) == 0:
			return nil, fmt.Errorf("field %q: an enum needs its values", f.Name)
		case f.Lowered && (f.Type != String || f.CaseSensitive):
			return nil, fmt.Errorf("field %q: only a case-insensitive string can be lowered", f.Name)
		case f.Multi && (f.Type != String || f.Sortable):
			return nil, fmt.Errorf("field %q: a multi-valued field is an unsortable string list", f.Name)
		}
		out.byName[f.Name] = f
	}
	for _, d := range out.Dynamic {
		if d.Prefix == "" || !strings.HasSuffix(d.Prefix, ".") || d.JSONColumn == "" || d.NamePattern == nil {
			return nil, fmt.Errorf("dynamic field %q: a prefix ending in '.', a column and a name pattern are required", d.Prefix)
		}
	}
	if out.TieBreak == "" {
		return nil, fmt.Errorf("a tie-break expression is required")
	}
	keys, err := ParseSort(out.DefaultSort)
	if err != nil {
		return nil, fmt.Errorf("default sort: %w", err)
	}
	for _, k := range keys {
		if _, err := out.lookup("sort", k.Field, k.Offset); err != nil {
			return nil, fmt.Errorf("default sort: %w", err)
		}
	}
	out.defaultKeys = keys
	return &out, nil
}

// lowered is the field's expression lower-cased, for case-insensitive
// comparisons and sorts.
func (f *Field) lowered() string {
	if f.Lowered {
		return f.Expr
	}
	return "lower(" + f.Expr + ")"
}

// resolved is a field of the schema, or a key of a dynamic family.
type resolved struct {
	*Field
	dynamic *Dynamic
	key     string // the JSON key of a dynamic field
}

func (s *Schema) lookup(param, name string, offset int) (resolved, error) {
	if f, ok := s.extra[name]; ok {
		return resolved{Field: &f}, nil
	}
	if f := s.byName[name]; f != nil {
		return resolved{Field: f}, nil
	}
	for i := range s.Dynamic {
		d := &s.Dynamic[i]
		if key, ok := strings.CutPrefix(name, d.Prefix); ok {
			if !d.NamePattern.MatchString(key) {
				return resolved{}, errorf(param, offset, "%q is not a valid name after %s (it must match %s)", key, d.Prefix, d.NamePattern)
			}
			return resolved{Field: &Field{Name: name, Type: String, Sortable: d.Sortable}, dynamic: d, key: key}, nil
		}
	}
	return resolved{}, errorf(param, offset, "unknown field %q", name)
}
