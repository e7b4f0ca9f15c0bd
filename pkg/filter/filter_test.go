package filter

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testSchema has a field of every kind, shaped like the customers schema.
var testSchema = func() *Schema {
	s, err := NewSchema(Schema{
		Fields: []Field{
			{Name: "id", Expr: "c.id", Type: String, CaseSensitive: true, Sortable: true, NotNull: true},
			{Name: "email", Expr: "c.email", Type: String, Sortable: true},
			{Name: "revision", Expr: "c.revision", Type: Integer, Sortable: true, NotNull: true},
			{Name: "amount", Expr: "c.amount", Type: Decimal, Sortable: true},
			{Name: "isEddRequired", Expr: "c.is_edd_required", Type: Boolean, Sortable: true, NotNull: true},
			{Name: "createdTime", Expr: "c.created_time", Type: DateTime, Sortable: true, NotNull: true},
			{Name: "method", Expr: "c.method", Type: Enum, Enum: []string{"payment-card", "ach"}, Sortable: true},
			{Name: "tags", Expr: "c.tag_values", Type: String, Multi: true},
			{Name: "primaryAddress.country", Expr: "(c.primary_address->>'country')", Type: String, Sortable: true},
		},
		Dynamic:     []Dynamic{{Prefix: "customFields.", JSONColumn: "c.custom_fields", NamePattern: regexp.MustCompile(`^[A-Za-z0-9_\-]{1,100}$`), Sortable: true}},
		TieBreak:    "c.id",
		DefaultSort: []string{"-createdTime"},
	})
	if err != nil {
		panic(err)
	}
	return s
}()

// goldenCases compile to testdata/compile.golden; read it to review the SQL.
var goldenCases = []struct {
	name   string
	filter string
	sort   []string
}{
	{"empty", "", nil},
	{"string equality is case-insensitive", "email:Bob@Example.com", nil},
	{"ids are case-sensitive", "id:Cust-1", nil},
	{"id wildcards are case-sensitive too", "id:Cust-*", nil},
	{"lower-case t and z in date-times", "createdTime:2024-01-01t00:00:00z..", nil},
	{"or", "email:a@x.io,b@x.io", nil},
	{"and", "email:a@x.io;revision:3", nil},
	{"exclusions keep nulls", "email:!a@x.io,!b@x.io", nil},
	{"include and exclude", "email:*@x.io,!b@x.io", nil},
	{"two includes and an exclude", "email:a@x.io,b@x.io,!c@x.io", nil},
	{"null and not null", "email:null;primaryAddress.country:!null", nil},
	{"quoted null is a string", `email:"null"`, nil},
	{"quotes protect separators", `email:"a,b;c:d..e"`, nil},
	{"escapes", `email:"say \"hi\" \\ bye"`, nil},
	{"wildcard escapes like metacharacters", `email:*100%_off\*`, nil},
	{"quoted star is literal", `email:"*@x.io"`, nil},
	{"integer range", "revision:1..5", nil},
	{"open ranges", "revision:1..;amount:..10.50", nil},
	{"excluded range", "revision:!1..5", nil},
	{"string range", "email:a..m", nil},
	{"date-time equality with offset", "createdTime:2024-01-01T02:00:00+02:00", nil},
	{"bare date is a whole day", "createdTime:2024-01-31", nil},
	{"date range with bare dates", "createdTime:2024-01-01..2024-01-31", nil},
	{"open date range", "createdTime:2024-01-01T00:00:00Z..", nil},
	{"boolean", "isEddRequired:TRUE", nil},
	{"enum", "method:ACH,payment-card", nil},
	{"multi-valued contains", "tags:VIP", nil},
	{"multi-valued excludes", "tags:!vip", nil},
	{"multi-valued wildcard", "tags:v*", nil},
	{"multi-valued null", "tags:null", nil},
	{"nested json field", "primaryAddress.country:GB", nil},
	{"custom field text", "customFields.tier:Gold,!silver", nil},
	{"custom field numeric range", "customFields.score:1..2.5", nil},
	{"custom field text range", "customFields.code:a..c", nil},
	{"custom field null", "customFields.tier:null", nil},
	{"custom field wildcard", "customFields.tier:g*", nil},
	{"sort ascending", "", []string{"email"}},
	{"sort several keys, tiebreak follows last", "", []string{"-revision,email"}},
	{"sort descending last", "", []string{"email,-revision"}},
	{"repeated sort parameters", "", []string{"-isEddRequired", "primaryAddress.country"}},
	{"sort by id needs no tiebreak", "", []string{"-id"}},
	{"sort by custom field", "revision:1", []string{"-customFields.score"}},
}

func TestCompileGolden(t *testing.T) {
	var out bytes.Buffer
	for _, c := range goldenCases {
		got, err := testSchema.Compile(Request{Filter: c.filter, Sort: c.sort}, 2)
		if err != nil {
			t.Errorf("%s: Compile(%q, %q): %v", c.name, c.filter, c.sort, err)
			continue
		}
		fmt.Fprintf(&out, "## %s\nfilter: %s\nsort:   %q\nwhere:  %s\nargs:   %s\norder:  %s\nargs:   %s\n\n",
			c.name, c.filter, c.sort, got.Where, formatArgs(got.WhereArgs), got.OrderBy, formatArgs(got.OrderArgs))
		checkPlaceholders(t, c.name, got, 2)
	}
	path := filepath.Join("testdata", "compile.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pkg/filter -update to create it)", err)
	}
	if !bytes.Equal(want, out.Bytes()) {
		t.Errorf("compiled SQL differs from %s (review, then run with -update):\n%s", path, lineDiff(string(want), out.String()))
	}
}

// checkPlaceholders makes sure Where uses exactly $start.. for its
// arguments (each at least once) and OrderBy the numbers after them.
func checkPlaceholders(t *testing.T, name string, c *Compiled, start int) {
	t.Helper()
	checkRange(t, name+": where", c.Where, start, len(c.WhereArgs))
	checkRange(t, name+": order by", c.OrderBy, start+len(c.WhereArgs), len(c.OrderArgs))
}

func checkRange(t *testing.T, what, sql string, first, n int) {
	t.Helper()
	unused := map[int]bool{}
	for i := range n {
		unused[first+i] = true
	}
	for _, p := range placeholder.FindAllString(sql, -1) {
		k, _ := strconv.Atoi(p[1:])
		if k < first || k >= first+n {
			t.Errorf("%s uses %s, its arguments are $%d..$%d", what, p, first, first+n-1)
		}
		delete(unused, k)
	}
	if len(unused) > 0 {
		t.Errorf("%s never uses arguments %v", what, unused)
	}
}

var placeholder = regexp.MustCompile(`\$\d+`)

func formatArgs(args []any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			parts[i] = v.Format(time.RFC3339Nano)
		case string:
			parts[i] = fmt.Sprintf("%q", v)
		default:
			parts[i] = fmt.Sprintf("%v", v)
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d\n- %s\n+ %s\n", i+1, wl, gl)
		}
	}
	return b.String()
}

func TestCompileDeterministic(t *testing.T) {
	req := Request{Filter: "customFields.b:1;customFields.a:x,!y;email:*z;revision:..3", Sort: []string{"-customFields.a,email"}}
	first, err := testSchema.Compile(req, 1)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, _ := testSchema.Compile(req, 1)
		if again.Where != first.Where || again.OrderBy != first.OrderBy || formatArgs(again.WhereArgs) != formatArgs(first.WhereArgs) {
			t.Fatalf("same input, different SQL:\n%s\n%s", first.Where, again.Where)
		}
	}
}

func TestCompileArguments(t *testing.T) {
	got, err := testSchema.Compile(Request{Filter: "createdTime:..2024-01-31;revision:7;isEddRequired:false;amount:10.50"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), int64(7), false, "10.50"}
	if formatArgs(got.WhereArgs) != formatArgs(want) {
		t.Errorf("args = %s, want %s", formatArgs(got.WhereArgs), formatArgs(want))
	}
	for i, a := range want {
		if fmt.Sprintf("%T", got.WhereArgs[i]) != fmt.Sprintf("%T", a) {
			t.Errorf("arg %d is %T, want %T", i, got.WhereArgs[i], a)
		}
	}
	if !strings.Contains(got.Where, "c.created_time < $1") {
		t.Errorf("an upper bare date must be exclusive of the next day: %s", got.Where)
	}
}

func TestErrors(t *testing.T) {
	long := strings.Repeat("a", MaxFilterLength+1)
	manyClauses := strings.TrimSuffix(strings.Repeat("revision:1;", MaxClauses+1), ";")
	manyValues := "revision:" + strings.TrimSuffix(strings.Repeat("1,", MaxValues+1), ",")
	cases := []struct {
		filter string
		sort   []string
		param  string
		offset int
		msg    string
	}{
		{"email", nil, "filter", 5, "expected ':'"},
		{":x", nil, "filter", 0, "expected a field name"},
		{"email:", nil, "filter", 6, "expected a value"},
		{"email:a;", nil, "filter", 8, "ends with ';'"},
		{"email:a,,b", nil, "filter", 8, "expected a value"},
		{"email:a;;revision:1", nil, "filter", 8, "expected a field name"},
		{"nope:1", nil, "filter", 0, `unknown field "nope"`},
		{"email:a;nope.x:1", nil, "filter", 8, `unknown field "nope.x"`},
		{"revision:x", nil, "filter", 9, "whole number"},
		{"revision:1;revision:2..y", nil, "filter", 23, "whole number"},
		{"amount:1e5", nil, "filter", 7, "decimal"},
		{"isEddRequired:yes", nil, "filter", 14, "true or false"},
		{"isEddRequired:true..false", nil, "filter", 14, "does not take ranges"},
		{"createdTime:yesterday", nil, "filter", 12, "RFC 3339"},
		{"createdTime:2024-02-30", nil, "filter", 12, "RFC 3339"},
		{"method:bitcoin", nil, "filter", 7, "one of payment-card, ach"},
		{"revision:1*", nil, "filter", 9, "strings only"},
		{"tags:a..b", nil, "filter", 5, "does not take ranges"},
		{"email:a*..b", nil, "filter", 6, "range end"},
		{"revision:..", nil, "filter", 9, "at least one end"},
		{"revision:1..2..3", nil, "filter", 13, "one '..'"},
		{`email:"abc`, nil, "filter", 6, "unterminated"},
		{`email:"a\b"`, nil, "filter", 8, `\"`},
		{`email:"a"b`, nil, "filter", 9, "unexpected"},
		{`email:a"b"`, nil, "filter", 7, "quote may only start"},
		{"@vips", nil, "filter", 0, "saved lists"},
		{"email:a;@vips", nil, "filter", 8, "saved lists"},
		{"email:@vips", nil, "filter", 6, "saved lists"},
		{"em ail:a", nil, "filter", 2, "unexpected"},
		{"customFields.:1", nil, "filter", 0, "empty part"},
		{"customFields.a b:1", nil, "filter", 14, "unexpected"},
		{"customFields.a.b:1", nil, "filter", 0, "not a valid name"},
		{"éé:1;x", nil, "filter", 0, "unexpected"},
		{"email:é;revision:é", nil, "filter", 17, "whole number"},
		{long, nil, "filter", MaxFilterLength, "longer than"},
		{"email:é\x00", nil, "filter", 7, "NUL"},
		{"email:\xff", nil, "filter", 6, "UTF-8"},
		{"email:\uFFFD;x", nil, "filter", 9, "expected ':'"},
		{manyClauses, nil, "filter", MaxClauses * 11, "more than 50 clauses"},
		{manyValues, nil, "filter", 9 + MaxValues*2, "more than 100 values"},
		{"", []string{""}, "sort", 0, "expected a field name"},
		{"", []string{"email,"}, "sort", 6, "expected a field name"},
		{"", []string{"-"}, "sort", 1, "expected a field name"},
		{"", []string{"email,-nope"}, "sort", 7, `unknown field "nope"`},
		{"", []string{"tags"}, "sort", 0, "cannot be sorted"},
		{"", []string{"email,-email"}, "sort", 7, "twice"},
		{"", []string{"email", "revision,email"}, "sort", 9, "twice (in sort parameter 2)"},
		{"", []string{"email", "-tags"}, "sort", 1, "cannot be sorted on (in sort parameter 2)"},
		{"", []string{strings.TrimSuffix(strings.Repeat("email,", MaxSortKeys+1), ",")}, "sort", 6 * MaxSortKeys, "10 entries allowed"},
		{"", []string{"e mail"}, "sort", 1, "unexpected"},
	}
	for _, c := range cases {
		_, err := testSchema.Compile(Request{Filter: c.filter, Sort: c.sort}, 1)
		fe, ok := err.(*Error)
		if !ok {
			t.Errorf("Compile(%.40q, %q): error %v, want *Error", c.filter, c.sort, err)
			continue
		}
		if fe.Param != c.param || fe.Offset != c.offset || !strings.Contains(fe.Message, c.msg) {
			t.Errorf("Compile(%.40q, %q) = %s/%d %q, want %s/%d containing %q", c.filter, c.sort, fe.Param, fe.Offset, fe.Message, c.param, c.offset, c.msg)
		}
	}
}

func TestParseList(t *testing.T) {
	items, err := ParseList("fields", "id,primaryAddress.country,customFields.x", 5)
	if err != nil {
		t.Fatal(err)
	}
	want := []Item{{"id", 0}, {"primaryAddress.country", 3}, {"customFields.x", 26}}
	if fmt.Sprint(items) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", items, want)
	}
	for _, c := range []struct {
		in     string
		offset int
		msg    string
	}{
		{"", 0, "empty entry"},
		{"id,", 3, "empty entry"},
		{"a,b,c", 4, "more than the 2 entries"},
		{"id,a b", 4, "unexpected"},
		{"x.", 0, "empty part"},
	} {
		_, err := ParseList("expand", c.in, 2)
		fe, ok := err.(*Error)
		if !ok || fe.Param != "expand" || fe.Offset != c.offset || !strings.Contains(fe.Message, c.msg) {
			t.Errorf("ParseList(%q) = %v, want expand/%d %q", c.in, err, c.offset, c.msg)
		}
	}
}

func TestNewSchemaRejects(t *testing.T) {
	for name, s := range map[string]Schema{
		"duplicate":       {Fields: []Field{{Name: "a", Expr: "a"}, {Name: "a", Expr: "b"}}, TieBreak: "id"},
		"enum no values":  {Fields: []Field{{Name: "a", Expr: "a", Type: Enum}}, TieBreak: "id"},
		"sortable multi":  {Fields: []Field{{Name: "a", Expr: "a", Multi: true, Sortable: true}}, TieBreak: "id"},
		"no tiebreak":     {Fields: []Field{{Name: "a", Expr: "a"}}},
		"bad default":     {Fields: []Field{{Name: "a", Expr: "a"}}, TieBreak: "id", DefaultSort: []string{"b"}},
		"dynamic no name": {Dynamic: []Dynamic{{Prefix: "x.", JSONColumn: "j"}}, TieBreak: "id"},
	} {
		if _, err := NewSchema(s); err == nil {
			t.Errorf("%s: NewSchema accepted %+v", name, s)
		}
	}
}

func TestContainsPattern(t *testing.T) {
	if got, want := ContainsPattern(`50%_off*\`), `%50\%\_off*\\%`; got != want {
		t.Errorf("ContainsPattern = %q, want %q", got, want)
	}
}

// TestRequestFields: a request's own fields are looked up before the
// schema's dynamic family; an Exists field tests values inside its
// correlated subquery (null as NOT EXISTS), sorts on SortExpr, and is never
// "equality only" (its plan depends on the side table's values).
func TestRequestFields(t *testing.T) {
	points := Field{Name: "customFields.points", Type: Decimal, Expr: "v.number", Sortable: true,
		Exists: "side v WHERE v.id = c.id", SortExpr: "points(c.custom_fields)"}
	for _, tc := range []struct {
		filter, sort, where, orderBy string
		args                         []any
	}{
		{"customFields.points:10..20", "", "(EXISTS (SELECT 1 FROM side v WHERE v.id = c.id AND (v.number >= $1::numeric AND v.number <= $2::numeric)))", "c.created_time DESC, c.id DESC", []any{"10", "20"}},
		{"customFields.points:null", "", "(NOT EXISTS (SELECT 1 FROM side v WHERE v.id = c.id))", "c.created_time DESC, c.id DESC", nil},
		{"customFields.points:!5", "customFields.points", "(NOT COALESCE(EXISTS (SELECT 1 FROM side v WHERE v.id = c.id AND v.number = $1::numeric), false))", "points(c.custom_fields) ASC NULLS LAST, c.id ASC", []any{"5"}},
		// Another key of the family is still the dynamic text field.
		{"customFields.other:5", "", "(EXISTS (SELECT 1 FROM jsonb_array_elements", "", nil},
	} {
		var sort []string
		if tc.sort != "" {
			sort = []string{tc.sort}
		}
		c, err := testSchema.Compile(Request{Filter: tc.filter, Sort: sort, Fields: []Field{points}}, 1)
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		if !strings.HasPrefix(c.Where, tc.where) {
			t.Errorf("%s: WHERE %s\nwant %s", tc.filter, c.Where, tc.where)
		}
		if tc.orderBy != "" && c.OrderBy != tc.orderBy {
			t.Errorf("%s: ORDER BY %s, want %s", tc.filter, c.OrderBy, tc.orderBy)
		}
		if tc.args != nil && fmt.Sprint(c.WhereArgs) != fmt.Sprint(tc.args) {
			t.Errorf("%s: arguments %v, want %v", tc.filter, c.WhereArgs, tc.args)
		}
		if c.EqualityOnly {
			t.Errorf("%s: equality-only", tc.filter)
		}
	}
	// Without the request's fields, the same name is the text family's.
	c, err := testSchema.Compile(Request{Filter: "customFields.points:10..20"}, 1)
	if err != nil || strings.Contains(c.Where, "side v") {
		t.Errorf("without Fields: %s, %v", c.Where, err)
	}
	// A request's field does not leak into the schema for the next request.
	if _, ok := testSchema.extra["customFields.points"]; ok {
		t.Error("the request's fields stayed in the schema")
	}
}
