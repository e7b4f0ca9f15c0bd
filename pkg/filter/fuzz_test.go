package filter

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// sqlToken splits compiled SQL into the only kinds of token it may hold:
// placeholders, single-quoted literals, words, operators and punctuation.
var sqlToken = regexp.MustCompile(`^(?:\s+|\$\d+|\b[0-5]\b|'[^']*'|[A-Za-z_][A-Za-z0-9_]*|::|->>|->|#>>|>=|<=|@>|[().,=<>\[\]%])`)

var (
	wordStart = regexp.MustCompile(`^[A-Za-z_']`)
	fieldName = regexp.MustCompile(`^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$`)
)

// vocabulary is every word and literal the compiler may emit: SQL keywords
// and functions it writes itself, and the words of the schema's expressions.
var vocabulary = func() map[string]bool {
	v := map[string]bool{}
	for _, w := range strings.Fields(`AND OR NOT IS NULL COALESCE false lower LIKE EXISTS SELECT FROM WHERE AS
		unnest m v j cardinality ARRAY text numeric jsonb jsonb_typeof jsonb_array_elements jsonb_build_array
		CASE WHEN THEN ELSE END ASC DESC NULLS LAST 'null' 'array' 'number' 'string' 'boolean' 'object' '{}'`) {
		v[w] = true
	}
	for _, f := range testSchema.Fields {
		for _, w := range regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*|'[^']*'`).FindAllString(f.Expr, -1) {
			v[w] = true
		}
	}
	for _, w := range []string{"c", "custom_fields", "id"} {
		v[w] = true
	}
	return v
}()

// checkSQL fails unless sql is made only of the vocabulary, placeholders
// and punctuation: no byte of the input can have reached it.
func checkSQL(t *testing.T, input, sql string) {
	t.Helper()
	for rest := sql; rest != ""; {
		m := sqlToken.FindString(rest)
		if m == "" {
			t.Fatalf("input %q: unexpected SQL text at %q in\n%s", input, rest, sql)
		}
		rest = rest[len(m):]
		if strings.TrimSpace(m) == "" || strings.HasPrefix(m, "$") || !wordStart.MatchString(m) {
			continue
		}
		if !vocabulary[m] {
			t.Fatalf("input %q: SQL holds %q, which is neither a keyword nor a schema expression:\n%s", input, m, sql)
		}
	}
}

func seedFilters(f *testing.F) {
	for _, c := range goldenCases {
		f.Add(c.filter)
	}
	for _, s := range []string{`email:"a\"b"`, "revision:!1..5,7", "customFields.x:'; DROP TABLE customers; --", "email:\x00", "@x", `a:"`, "createdTime:..2024-01-31"} {
		f.Add(s)
	}
}

func FuzzFilter(f *testing.F) {
	seedFilters(f)
	f.Fuzz(func(t *testing.T, in string) {
		c, err := testSchema.Compile(Request{Filter: in}, 1)
		if err != nil {
			fe, ok := err.(*Error)
			if !ok || fe.Param != "filter" || fe.Message == "" {
				t.Fatalf("input %q: error %#v is not a filter *Error", in, err)
			}
			if fe.Offset < 0 || (utf8.ValidString(in) && fe.Offset > utf8.RuneCountInString(in)) {
				t.Fatalf("input %q: offset %d outside the input", in, fe.Offset)
			}
			return
		}
		checkSQL(t, in, c.Where)
		checkSQL(t, in, c.OrderBy)
		checkPlaceholders(t, in, c, 1)
	})
}

func FuzzSort(f *testing.F) {
	for _, c := range goldenCases {
		f.Add(strings.Join(c.sort, "&"))
	}
	f.Add("-customFields.a'b,email")
	f.Fuzz(func(t *testing.T, in string) {
		params := strings.Split(in, "&")
		c, err := testSchema.Compile(Request{Sort: params}, 1)
		if err != nil {
			if fe, ok := err.(*Error); !ok || fe.Param != "sort" {
				t.Fatalf("input %q: error %#v is not a sort *Error", in, err)
			}
			return
		}
		checkSQL(t, in, c.OrderBy)
		if !strings.Contains(c.OrderBy, "c.id") {
			t.Fatalf("input %q: ORDER BY %q lacks the id tiebreak", in, c.OrderBy)
		}
	})
}

func FuzzFields(f *testing.F) {
	for _, s := range []string{"id,email", "primaryAddress.country", "", ",", "a..b", "customFields.x,_links"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		items, err := ParseList("fields", in, 10)
		if err != nil {
			if fe, ok := err.(*Error); !ok || fe.Param != "fields" {
				t.Fatalf("input %q: error %#v is not a fields *Error", in, err)
			}
			return
		}
		runes := []rune(in)
		for _, it := range items {
			n := utf8.RuneCountInString(it.Name)
			if it.Offset+n > len(runes) || string(runes[it.Offset:it.Offset+n]) != it.Name {
				t.Fatalf("input %q: item %q does not stand at offset %d", in, it.Name, it.Offset)
			}
			if !fieldName.MatchString(it.Name) {
				t.Fatalf("input %q: item %q is not a field name", in, it.Name)
			}
		}
	})
}
