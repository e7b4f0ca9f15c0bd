// Package filter is the collection query language of Rebilly-style APIs: it
// parses the filter, sort, fields and expand parameters, checks them
// against a Schema that the caller supplies (the whitelist of fields and the
// SQL expression behind each), and compiles them to a parameterised WHERE
// fragment and an ORDER BY clause for PostgreSQL.
//
// Nothing a client sends ever reaches the SQL text: field names are looked
// up in the Schema and only its expressions are emitted; every value travels
// as a $n argument. The same input always compiles to the same SQL.
//
// The filter language:
//
//	field:value            case-insensitive equality for strings
//	a:x;b:y                both clauses (AND)
//	a:x,y                  either value (OR)
//	a:!x,!y                neither value; a:x,!y is "x, and never y"
//	a:1..5  a:1..  a:..5   inclusive ranges, open at either end
//	a:2024-01-31           a bare date is that whole UTC day
//	a:*@example.com        * matches any run of characters (strings only)
//	a:null  a:"null"       absent value / the literal string null
//	a:"x,y;z:w"            double quotes protect , ; : and ..; \" and \\ escape
//
// Errors are *Error values carrying the parameter, the 0-based character
// offset in the decoded parameter value, and a message meant for people.
// The package uses the standard library only and knows nothing of HTTP.
package filter

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on what one request may ask for; larger input is an *Error.
const (
	MaxFilterLength   = 4096 // characters of the filter parameter
	MaxClauses        = 50   // ;-separated clauses
	MaxValues         = 100  // ,-separated values in one clause
	MaxSortKeys       = 10   // sort keys over all sort parameters
	MaxNameLength     = 200  // characters of one field name
	maxListItemLength = MaxNameLength
)

// Error is a malformed query parameter: which one, where, and what is wrong.
type Error struct {
	Param   string // the query parameter: "filter", "sort", "fields", ...
	Offset  int    // 0-based character offset in the decoded parameter value
	Message string // for people, without the parameter or offset
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: at character %d: %s", e.Param, e.Offset, e.Message)
}

func errorf(param string, offset int, format string, args ...any) *Error {
	return &Error{Param: param, Offset: offset, Message: fmt.Sprintf(format, args...)}
}

// CheckText rejects what no parameter may hold: bytes that are not UTF-8,
// and NUL, which PostgreSQL text cannot store. The *Error has the offset of
// the first such character.
func CheckText(param, src string) error {
	for i, r := range src {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(src[i:], string(utf8.RuneError)):
			return errorf(param, utf8.RuneCountInString(src[:i]), "is not valid UTF-8")
		case r == 0:
			return errorf(param, utf8.RuneCountInString(src[:i]), "holds a NUL character, which no value can contain")
		}
	}
	return nil
}

// Clause is one field:values part of a filter.
type Clause struct {
	Field  string
	Offset int // of the field name
	Values []Value
}

// Value is one comma-separated alternative of a clause.
type Value struct {
	Offset  int  // of the value, including a leading !
	Negated bool // the value was written with a leading !
	// Exactly one of the following shapes: Null; a range (Range set, Lo
	// and/or Hi non-nil); or a single Term.
	Null   bool
	Range  bool
	Lo, Hi *Term
	Term   *Term
}

// Term is a literal as written: its text with quotes and escapes removed.
type Term struct {
	Offset int
	Text   string
	Quoted bool // written in double quotes: * and null are literal
}

// Wildcard reports whether the term has an unquoted *.
func (t *Term) Wildcard() bool { return !t.Quoted && strings.Contains(t.Text, "*") }

// scanner walks a parameter value rune by rune, counting characters.
type scanner struct {
	param string
	src   []rune
	pos   int
}

func (s *scanner) eof() bool  { return s.pos >= len(s.src) }
func (s *scanner) peek() rune { return s.src[s.pos] }
func (s *scanner) at(lit string) bool {
	r := []rune(lit)
	if s.pos+len(r) > len(s.src) {
		return false
	}
	for i := range r {
		if s.src[s.pos+i] != r[i] {
			return false
		}
	}
	return true
}

// ParseFilter parses a filter expression into its clauses, in input order.
// "" is no clause at all.
func ParseFilter(src string) ([]Clause, error) {
	const param = "filter"
	if err := CheckText(param, src); err != nil {
		return nil, err
	}
	s := &scanner{param: param, src: []rune(src)}
	if len(s.src) > MaxFilterLength {
		return nil, errorf(param, MaxFilterLength, "is longer than %d characters", MaxFilterLength)
	}
	if len(s.src) == 0 {
		return nil, nil
	}
	var clauses []Clause
	for {
		if len(clauses) == MaxClauses {
			return nil, errorf(param, s.pos, "has more than %d clauses", MaxClauses)
		}
		c, err := s.clause()
		if err != nil {
			return nil, err
		}
		clauses = append(clauses, c)
		if s.eof() {
			return clauses, nil
		}
		s.pos++ // the ; that ended the clause
		if s.eof() {
			return nil, errorf(param, s.pos, "ends with ';': a clause field:value must follow")
		}
	}
}

func (s *scanner) clause() (Clause, error) {
	c := Clause{Offset: s.pos}
	if !s.eof() && s.peek() == '@' {
		return c, errorf(s.param, s.pos, "saved lists (@name) are not supported; write the conditions as field:value clauses")
	}
	start := s.pos
	for !s.eof() && s.peek() != ':' && s.peek() != ';' {
		s.pos++
	}
	c.Field = string(s.src[start:s.pos])
	switch {
	case c.Field == "":
		return c, errorf(s.param, start, "expected a field name before ':' (a clause is field:value)")
	case s.eof() || s.peek() == ';':
		return c, errorf(s.param, s.pos, "expected ':' after the field name %q (a clause is field:value)", c.Field)
	}
	if err := checkName(s.param, c.Field, start); err != nil {
		return c, err
	}
	s.pos++ // :
	for {
		if len(c.Values) == MaxValues {
			return c, errorf(s.param, s.pos, "the clause on %q has more than %d values", c.Field, MaxValues)
		}
		v, err := s.value()
		if err != nil {
			return c, err
		}
		c.Values = append(c.Values, v)
		if s.eof() || s.peek() == ';' {
			return c, nil
		}
		s.pos++ // ,
	}
}

// checkName accepts field names made of letters, digits, _, - and dots
// between non-empty parts.
func checkName(param, name string, offset int) error {
	if n := utf8.RuneCountInString(name); n > MaxNameLength {
		return errorf(param, offset, "the field name is longer than %d characters", MaxNameLength)
	}
	for i, r := range []rune(name) {
		ok := r == '_' || r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !ok {
			return errorf(param, offset+i, "unexpected %q in the field name %q", r, name)
		}
	}
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
		return errorf(param, offset, "the field name %q has an empty part between dots", name)
	}
	return nil
}

// value parses [!] (null | term | [term] '..' [term]).
func (s *scanner) value() (Value, error) {
	v := Value{Offset: s.pos}
	if !s.eof() && s.peek() == '!' {
		v.Negated = true
		s.pos++
	}
	lo, err := s.term()
	if err != nil {
		return v, err
	}
	if s.at("..") {
		s.pos += 2
		v.Range, v.Lo = true, lo
		if v.Hi, err = s.term(); err != nil {
			return v, err
		}
		if v.Lo == nil && v.Hi == nil {
			return v, errorf(s.param, v.Offset, "a range needs at least one end, as in 1..5, 1.. or ..5")
		}
		if s.at("..") {
			return v, errorf(s.param, s.pos, "a range has one '..'")
		}
	} else if lo == nil {
		return v, errorf(s.param, s.pos, "expected a value (use null for an absent value, \"\" for the empty string)")
	} else if !lo.Quoted && lo.Text == "null" {
		v.Null = true
	} else {
		v.Term = lo
	}
	if !s.eof() && s.peek() != ',' && s.peek() != ';' {
		return v, errorf(s.param, s.pos, "unexpected %q after a value; quote values that contain it", s.peek())
	}
	return v, nil
}

// term reads a quoted or bare literal; nil when there is none here.
func (s *scanner) term() (*Term, error) {
	t := &Term{Offset: s.pos}
	if s.eof() {
		return nil, nil
	}
	if s.peek() == '"' {
		t.Quoted = true
		s.pos++
		var b strings.Builder
		for {
			if s.eof() {
				return nil, errorf(s.param, t.Offset, "unterminated quoted value: a closing '\"' is missing")
			}
			r := s.peek()
			s.pos++
			switch r {
			case '"':
				t.Text = b.String()
				return t, nil
			case '\\':
				if s.eof() || (s.peek() != '"' && s.peek() != '\\') {
					return nil, errorf(s.param, s.pos-1, `inside quotes only \" and \\ are escapes`)
				}
				b.WriteRune(s.peek())
				s.pos++
			default:
				b.WriteRune(r)
			}
		}
	}
	if s.peek() == '@' {
		return nil, errorf(s.param, s.pos, "saved lists (@name) are not supported; quote the value (\"@...\") to match it literally")
	}
	start := s.pos
	for !s.eof() && !s.at("..") {
		r := s.peek()
		if r == ',' || r == ';' {
			break
		}
		if r == '"' {
			return nil, errorf(s.param, s.pos, "a quote may only start a value; write the whole value in quotes")
		}
		s.pos++
	}
	if s.pos == start {
		return nil, nil
	}
	t.Text = string(s.src[start:s.pos])
	return t, nil
}

// SortKey is one key of a sort parameter.
type SortKey struct {
	Field      string
	Descending bool
	Param      int // which of the repeated sort parameters
	Offset     int // of the key, including a leading -
}

// ParseSort parses sort parameters (each a comma list; the parameter may be
// repeated) into keys, in order. A leading - sorts descending.
func ParseSort(params []string) ([]SortKey, error) {
	var keys []SortKey
	for i, p := range params {
		items, err := parseList("sort", p, MaxSortKeys, true)
		if err != nil {
			return nil, inSortParam(err, i)
		}
		for _, it := range items {
			if len(keys) == MaxSortKeys {
				return nil, inSortParam(errorf("sort", it.offset, "has more than the %d sort keys allowed", MaxSortKeys), i)
			}
			k := SortKey{Field: it.text, Param: i, Offset: it.offset}
			if strings.HasPrefix(k.Field, "-") {
				k.Field, k.Descending = k.Field[1:], true
			}
			if err := checkName("sort", k.Field, it.offset+btoi(k.Descending)); err != nil {
				return nil, inSortParam(err, i)
			}
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// inSortParam says which sort parameter an error is in when the parameter
// was repeated: the offset counts from the start of that one.
func inSortParam(err error, param int) error {
	if e, ok := err.(*Error); ok && param > 0 {
		e.Message += fmt.Sprintf(" (in sort parameter %d)", param+1)
	}
	return err
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Item is one entry of a comma list and where it starts.
type Item struct {
	Name   string
	Offset int
}

// ParseList parses a comma list of field names (the fields and expand
// parameters): at most maxItems entries, none empty.
func ParseList(param, src string, maxItems int) ([]Item, error) {
	items, err := parseList(param, src, maxItems, false)
	if err != nil {
		return nil, err
	}
	out := make([]Item, len(items))
	for i, it := range items {
		if err := checkName(param, it.text, it.offset); err != nil {
			return nil, err
		}
		out[i] = Item{Name: it.text, Offset: it.offset}
	}
	return out, nil
}

type listItem struct {
	text   string
	offset int
}

func parseList(param, src string, maxItems int, allowDash bool) ([]listItem, error) {
	if err := CheckText(param, src); err != nil {
		return nil, err
	}
	runes := []rune(src)
	if len(runes) > maxItems*(maxListItemLength+2)+1 {
		return nil, errorf(param, 0, "is too long")
	}
	var items []listItem
	start := 0
	for i := 0; i <= len(runes); i++ {
		if i < len(runes) && runes[i] != ',' {
			continue
		}
		text := string(runes[start:i])
		if text == "" || (allowDash && text == "-") {
			return nil, errorf(param, i, "expected a field name (an empty entry in the comma list)")
		}
		if len(items) == maxItems {
			return nil, errorf(param, start, "has more than the %d entries allowed", maxItems)
		}
		items = append(items, listItem{text: text, offset: start})
		start = i + 1
	}
	return items, nil
}

// Quote returns s as a quoted literal of the filter language, which
// matches s exactly: no character of it is syntax, not even *.
func Quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
