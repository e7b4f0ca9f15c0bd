package filter

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Request is what a collection query asks for, as sent.
type Request struct {
	Filter string   // the filter parameter; "" for none
	Sort   []string // every sort parameter (each a comma list); nil for the default
	// Fields are fields of this request only, looked up before the
	// schema's (such as the custom fields an organization has typed
	// definitions for, which the dynamic family would treat as text).
	// Their names and expressions come from the program, never a request.
	Fields []Field
}

// Compiled is a checked query as SQL. Where holds $n placeholders numbered
// from the start given to Compile, matching WhereArgs; OrderBy's
// placeholders continue after them, matching OrderArgs.
type Compiled struct {
	Where     string // "" when there is no filter
	WhereArgs []any
	OrderBy   string // never empty: at least the tie-break
	OrderArgs []any
	// EqualityOnly reports that every condition of Where compares a plain
	// field with = (or IS NULL), alone or in an OR list. The planner
	// estimates such conditions from the column's statistics whatever the
	// values, so one plan serves all values about as well; a wildcard, a
	// range, an exclusion, a list field or a JSON key is estimated with
	// fixed guesses instead, and is best planned for its values each time.
	EqualityOnly bool
}

// Compile parses r, checks it against the schema and compiles it. start is
// the number of the first placeholder (the caller's own arguments come
// before). A malformed, unknown or mistyped part is an *Error.
func (s *Schema) Compile(r Request, start int) (*Compiled, error) {
	clauses, err := ParseFilter(r.Filter)
	if err != nil {
		return nil, err
	}
	if len(r.Fields) > 0 {
		view := *s
		view.extra = make(map[string]Field, len(r.Fields))
		for _, f := range r.Fields {
			view.extra[f.Name] = f
		}
		s = &view
	}
	e := &emitter{next: start}
	where := make([]string, 0, len(clauses))
	equalityOnly := true
	for _, c := range clauses {
		sql, err := s.compileClause(e, c)
		if err != nil {
			return nil, err
		}
		where = append(where, sql)
		equalityOnly = equalityOnly && s.equalityOnly(c)
	}
	out := &Compiled{Where: strings.Join(where, " AND "), WhereArgs: e.args, EqualityOnly: equalityOnly}
	e.args = nil
	if out.OrderBy, err = s.compileSort(e, r.Sort); err != nil {
		return nil, err
	}
	out.OrderArgs = e.args
	return out, nil
}

// equalityOnly reports whether clause c (already compiled, so valid) only
// compares a plain field with = or IS NULL.
func (s *Schema) equalityOnly(c Clause) bool {
	f, err := s.lookup("filter", c.Field, c.Offset)
	if err != nil || f.dynamic != nil || f.Multi || f.Exists != "" {
		return false
	}
	for _, v := range c.Values {
		switch {
		case v.Negated, v.Range:
			return false
		case v.Null:
		case v.Term.Wildcard():
			return false
		case f.Type == DateTime:
			if _, day, _ := parseTime(f.Field, v.Term); day {
				return false // a bare date is a range over the day
			}
		}
	}
	return true
}

// emitter hands out placeholders in order, recording their arguments.
type emitter struct {
	next int
	args []any
}

func (e *emitter) arg(v any) string {
	e.args = append(e.args, v)
	e.next++
	return "$" + strconv.Itoa(e.next-1)
}

// compileClause ORs the clause's plain values and ANDs in its exclusions,
// each null-safe, so "!x" keeps rows where the field is absent.
func (s *Schema) compileClause(e *emitter, c Clause) (string, error) {
	f, err := s.lookup("filter", c.Field, c.Offset)
	if err != nil {
		return "", err
	}
	var include, exclude []string
	col := f.Expr
	if f.dynamic != nil {
		col = f.dynamic.JSONColumn + " -> " + e.arg(f.key) + "::text"
	}
	for _, v := range c.Values {
		var cond string
		if f.dynamic != nil {
			cond, err = dynamicCondition(e, col, v)
		} else {
			cond, err = condition(e, f.Field, v)
		}
		if err != nil {
			return "", err
		}
		if f.Exists != "" && !v.Null {
			cond = "EXISTS (SELECT 1 FROM " + f.Exists + " AND " + cond + ")"
		}
		if v.Negated {
			exclude = append(exclude, "NOT COALESCE("+cond+", false)")
		} else {
			include = append(include, cond)
		}
	}
	var parts []string
	if len(include) > 0 {
		parts = append(parts, strings.Join(include, " OR "))
		if len(include) > 1 && len(exclude) > 0 {
			parts[0] = "(" + parts[0] + ")"
		}
	}
	parts = append(parts, exclude...)
	return "(" + strings.Join(parts, " AND ") + ")", nil
}

func typeError(f *Field, t *Term, what string) error {
	return errorf("filter", t.Offset, "%s expects %s, got %q", f.Name, what, t.Text)
}

// condition is the SQL that a value of a schema field tests.
func condition(e *emitter, f *Field, v Value) (string, error) {
	switch {
	case v.Null && f.Multi:
		return "cardinality(" + f.Expr + ") = 0", nil
	case v.Null && f.Exists != "":
		return "NOT EXISTS (SELECT 1 FROM " + f.Exists + ")", nil
	case v.Null:
		return f.Expr + " IS NULL", nil
	case v.Range:
		return rangeCondition(e, f, v)
	}
	t := v.Term
	if t.Wildcard() && f.Type != String {
		return "", errorf("filter", t.Offset, "%s is a %s field: * works on strings only", f.Name, f.Type)
	}
	switch f.Type {
	case String:
		switch {
		case f.Multi && t.Wildcard():
			return "EXISTS (SELECT 1 FROM unnest(" + f.Expr + ") AS m(v) WHERE m.v LIKE lower(" + e.arg(likePattern(t.Text)) + "::text))", nil
		case f.Multi:
			return f.Expr + " @> ARRAY[lower(" + e.arg(t.Text) + "::text)]", nil
		case f.CaseSensitive && t.Wildcard(): // ids match exactly, wildcards too
			return f.Expr + " LIKE " + e.arg(likePattern(t.Text)), nil
		case t.Wildcard():
			return f.lowered() + " LIKE lower(" + e.arg(likePattern(t.Text)) + "::text)", nil
		case f.CaseSensitive:
			return f.Expr + " = " + e.arg(t.Text), nil
		default:
			return f.lowered() + " = lower(" + e.arg(t.Text) + "::text)", nil
		}
	case Enum:
		for _, allowed := range f.Enum {
			if strings.EqualFold(allowed, t.Text) {
				return f.Expr + " = " + e.arg(allowed), nil
			}
		}
		return "", errorf("filter", t.Offset, "%s expects one of %s, got %q", f.Name, strings.Join(f.Enum, ", "), t.Text)
	case DateTime:
		at, day, err := parseTime(f, t)
		if err != nil {
			return "", err
		}
		if day {
			return "(" + f.Expr + " >= " + e.arg(at) + " AND " + f.Expr + " < " + e.arg(at.AddDate(0, 0, 1)) + ")", nil
		}
		return f.Expr + " = " + e.arg(at), nil
	}
	arg, cast, err := scalar(f, t)
	if err != nil {
		return "", err
	}
	return f.Expr + " = " + e.arg(arg) + cast, nil
}

// rangeCondition is an inclusive range; a bare date as the upper end
// covers that whole day.
func rangeCondition(e *emitter, f *Field, v Value) (string, error) {
	if f.Multi || f.Type == Boolean || f.Type == Enum {
		return "", errorf("filter", v.Offset, "%s does not take ranges", f.Name)
	}
	var parts []string
	for _, end := range []struct {
		t     *Term
		upper bool
	}{{v.Lo, false}, {v.Hi, true}} {
		if end.t == nil {
			continue
		}
		if end.t.Wildcard() {
			return "", errorf("filter", end.t.Offset, "a range end cannot hold *")
		}
		op := " >= "
		if end.upper {
			op = " <= "
		}
		switch f.Type {
		case String:
			if f.CaseSensitive {
				parts = append(parts, f.Expr+op+e.arg(end.t.Text))
			} else {
				parts = append(parts, f.lowered()+op+"lower("+e.arg(end.t.Text)+"::text)")
			}
		case DateTime:
			at, day, err := parseTime(f, end.t)
			if err != nil {
				return "", err
			}
			if day && end.upper {
				op, at = " < ", at.AddDate(0, 0, 1)
			}
			parts = append(parts, f.Expr+op+e.arg(at))
		default:
			arg, cast, err := scalar(f, end.t)
			if err != nil {
				return "", err
			}
			parts = append(parts, f.Expr+op+e.arg(arg)+cast)
		}
	}
	return "(" + strings.Join(parts, " AND ") + ")", nil
}

var decimalPattern = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)$`)

// scalar parses an integer, decimal or boolean value, returning the
// argument and the cast its placeholder needs.
func scalar(f *Field, t *Term) (any, string, error) {
	switch f.Type {
	case Integer:
		n, err := strconv.ParseInt(t.Text, 10, 64)
		if err != nil {
			return nil, "", typeError(f, t, "a whole number")
		}
		return n, "", nil
	case Decimal:
		if !decimalPattern.MatchString(t.Text) || len(t.Text) > 40 {
			return nil, "", typeError(f, t, "a decimal number such as 10.50")
		}
		return t.Text, "::numeric", nil
	case Boolean:
		switch strings.ToLower(t.Text) {
		case "true":
			return true, "", nil
		case "false":
			return false, "", nil
		}
		return nil, "", typeError(f, t, "true or false")
	}
	return t.Text, "", nil
}

// parseTime reads an RFC 3339 instant (any offset) or a bare date, which
// is the start of that UTC day (day reports which).
func parseTime(f *Field, t *Term) (at time.Time, day bool, err error) {
	if at, err := time.Parse(time.DateOnly, t.Text); err == nil {
		return at, true, nil
	}
	// RFC 3339 allows a lower-case t and z; Go's parser wants them upper-case.
	at, err = time.Parse(time.RFC3339Nano, strings.ToUpper(t.Text))
	if err != nil {
		return at, false, typeError(f, t, "an RFC 3339 date-time such as 2024-01-31T12:00:00Z or a date such as 2024-01-31")
	}
	return at.UTC(), false, nil
}

// likeEscaper makes text match itself inside a LIKE pattern (backslash is
// PostgreSQL's default escape character).
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// ContainsPattern is the LIKE pattern that matches any text containing s
// literally: %, _ and * in s match themselves.
func ContainsPattern(s string) string { return "%" + likeEscaper.Replace(s) + "%" }

// likePattern turns a value with * wildcards into a LIKE pattern in which
// every other character, % and _ included, matches itself.
func likePattern(text string) string {
	parts := strings.Split(text, "*")
	for i, p := range parts {
		parts[i] = likeEscaper.Replace(p)
	}
	return strings.Join(parts, "%")
}

// dynamicCondition tests a JSON value: its text case-insensitively; an
// array when any element matches; a range numerically when the element
// and the bounds are numbers, otherwise as text.
func dynamicCondition(e *emitter, col string, v Value) (string, error) {
	if v.Null {
		return "COALESCE(jsonb_typeof(" + col + "), 'null') = 'null'", nil
	}
	elements := "jsonb_array_elements(CASE WHEN jsonb_typeof(" + col + ") = 'array' THEN " + col +
		" ELSE jsonb_build_array(" + col + ") END)"
	text := "lower(j.v #>> '{}')"
	exists := func(cond string) string { return "EXISTS (SELECT 1 FROM " + elements + " AS j(v) WHERE " + cond + ")" }
	if !v.Range {
		if v.Term.Wildcard() {
			return exists(text + " LIKE lower(" + e.arg(likePattern(v.Term.Text)) + "::text)"), nil
		}
		return exists(text + " = lower(" + e.arg(v.Term.Text) + "::text)"), nil
	}
	numeric := true
	for _, t := range []*Term{v.Lo, v.Hi} {
		if t != nil && t.Wildcard() {
			return "", errorf("filter", t.Offset, "a range end cannot hold *")
		}
		if t != nil && (!decimalPattern.MatchString(t.Text) || len(t.Text) > 40) {
			numeric = false
		}
	}
	bounds := func(expr, cast string, lower bool) string {
		var parts []string
		for _, end := range []struct {
			t  *Term
			op string
		}{{v.Lo, " >= "}, {v.Hi, " <= "}} {
			if end.t == nil {
				continue
			}
			p := e.arg(end.t.Text) + cast
			if lower {
				p = "lower(" + p + ")"
			}
			parts = append(parts, expr+end.op+p)
		}
		return strings.Join(parts, " AND ")
	}
	if !numeric {
		return exists(bounds(text, "::text", true)), nil
	}
	return exists("CASE WHEN jsonb_typeof(j.v) = 'number' THEN " + bounds("(j.v #>> '{}')::numeric", "::numeric", false) +
		" ELSE " + bounds(text, "::text", true) + " END"), nil
}

// compileSort builds the ORDER BY: the requested keys (or the default),
// nulls last, then the tie-break in the direction of the last key.
func (s *Schema) compileSort(e *emitter, params []string) (string, error) {
	keys := s.defaultKeys
	if len(params) > 0 {
		var err error
		if keys, err = ParseSort(params); err != nil {
			return "", err
		}
	}
	var terms, seen []string
	descending, total := false, false
	for _, k := range keys {
		f, err := s.lookup("sort", k.Field, k.Offset+btoi(k.Descending))
		if err != nil {
			return "", inSortParam(err, k.Param)
		}
		if !f.Sortable {
			return "", inSortParam(errorf("sort", k.Offset+btoi(k.Descending), "%s cannot be sorted on", k.Field), k.Param)
		}
		if slices.Contains(seen, k.Field) {
			return "", inSortParam(errorf("sort", k.Offset+btoi(k.Descending), "sorts on %s twice", k.Field), k.Param)
		}
		seen = append(seen, k.Field)
		expr := f.Expr
		switch {
		case f.SortExpr != "":
			expr = f.SortExpr
		case f.dynamic != nil:
			// jsonb's own order puts strings before numbers, so the JSON
			// type ranks first: numbers, strings, booleans, arrays,
			// objects. Absent keys and JSON null have no rank: last.
			value := f.dynamic.JSONColumn + " -> " + e.arg(f.key) + "::text"
			terms = append(terms, orderTerm("CASE jsonb_typeof("+value+") WHEN 'number' THEN 1 WHEN 'string' THEN 2 "+
				"WHEN 'boolean' THEN 3 WHEN 'array' THEN 4 WHEN 'object' THEN 5 END", k.Descending, false))
			expr = value
		case f.Type == String && !f.CaseSensitive:
			expr = f.lowered()
		}
		terms = append(terms, orderTerm(expr, k.Descending, f.NotNull))
		descending = k.Descending
		total = total || f.Expr == s.TieBreak
	}
	if !total {
		if descending {
			terms = append(terms, s.TieBreak+" DESC")
		} else {
			terms = append(terms, s.TieBreak+" ASC")
		}
	}
	return strings.Join(terms, ", "), nil
}

// orderTerm is one ORDER BY term: nulls last in both directions, written out
// only where the expression can be null (so that a descending sort on a NOT
// NULL column can still read its index backwards).
func orderTerm(expr string, descending, notNull bool) string {
	term := expr + " ASC"
	if descending {
		term = expr + " DESC"
	}
	if !notNull {
		term += " NULLS LAST"
	}
	return term
}
