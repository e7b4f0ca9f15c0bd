package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/customers"

	"github.com/billing/customers-api/internal/testsync"
)

// Collection queries (SPEC §5 and §10) against real PostgreSQL over real
// HTTP: every filter, q, sort, pagination, fields and expand rule, the 400
// answers, and tenant isolation. The fixture is described in
// list_fixture_test.go.

// listResult is a decoded 200 answer of GET /customers.
type listResult struct {
	r     *response
	items []map[string]any
}

func (l listResult) ids() []string {
	out := make([]string, 0, len(l.items))
	for _, c := range l.items {
		id, _ := c["id"].(string)
		out = append(out, id)
	}
	return out
}

// getList sends GET path?rawQuery (the query exactly as given) and stops
// the test unless the answer is a 200 with a JSON array.
func getList(t *testing.T, a *testAPI, path, rawQuery string) listResult {
	t.Helper()
	if rawQuery != "" {
		path += "?" + rawQuery
	}
	r := a.forTest(t).do(req{Method: http.MethodGet, Path: path})
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200: %s", path, r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != jsonContentType {
		t.Errorf("GET %s: Content-Type %q", path, ct)
	}
	var items []map[string]any
	if err := json.Unmarshal(r.Body, &items); err != nil {
		t.Fatalf("GET %s: body is not a JSON array of objects: %v\n%s", path, err, r.Body)
	}
	return listResult{r: r, items: items}
}

// params builds a query string from name, value pairs (a name may repeat).
func params(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

func idSet(s string) []string {
	ids := strings.Fields(s)
	slices.Sort(ids)
	return ids
}

// allExcept is every fixture id but those in s.
func allExcept(s string) string {
	skip := strings.Fields(s)
	var out []string
	for _, id := range fixtureIDs {
		if !slices.Contains(skip, id) {
			out = append(out, id)
		}
	}
	return strings.Join(out, " ")
}

func header(t *testing.T, r *response, name string) string {
	t.Helper()
	if len(r.Header.Values(name)) != 1 {
		t.Errorf("%s: %d values %q, want exactly one", name, len(r.Header.Values(name)), r.Header.Values(name))
	}
	return r.Header.Get(name)
}

func wantPagination(t *testing.T, r *response, total, limit, offset int) {
	t.Helper()
	for name, want := range map[string]int{"Pagination-Total": total, "Pagination-Limit": limit, "Pagination-Offset": offset} {
		if got := header(t, r, name); got != strconv.Itoa(want) {
			t.Errorf("%s: %q, want %d", name, got, want)
		}
	}
}

// linkRels parses a Link header into rel → URL.
func linkRels(t *testing.T, h string) map[string]*url.URL {
	t.Helper()
	out := map[string]*url.URL{}
	if h == "" {
		return out
	}
	re := regexp.MustCompile(`^<([^>]*)>\s*;\s*rel="?([a-z]+)"?$`)
	for _, part := range strings.Split(h, ",") {
		m := re.FindStringSubmatch(strings.TrimSpace(part))
		if m == nil {
			t.Fatalf("Link header part %q is not <url>; rel=\"x\" (header %q)", part, h)
		}
		u, err := url.Parse(m[1])
		if err != nil {
			t.Fatalf("Link %q: %v", m[1], err)
		}
		if _, dup := out[m[2]]; dup {
			t.Errorf("Link rel %q twice: %q", m[2], h)
		}
		out[m[2]] = u
	}
	return out
}

// sqlLeak matches what only SQL or the driver would write.
var sqlLeak = regexp.MustCompile(`(?i)\bselect\s+(\*|c\.|count|1\b)|\bwhere\s+[cl]\.|\bfrom\s+customers\b|\$[0-9]+|\bpq:|sqlstate|jsonb|lower\(|::(text|numeric|jsonb)|syntax error at|organization_id|custom_fields|search_text`)

// offsetMentioned reports whether msg states the character offset n.
func offsetMentioned(msg string, n int) bool {
	return regexp.MustCompile(fmt.Sprintf(`(?i)(character|offset|position|column)\D{0,12}\b%d\b`, n)).MatchString(msg)
}

// wantQueryError checks a 400 problem+json naming param in invalidFields,
// with the character offset (unless offset < 0) and no SQL in the body.
func wantQueryError(t *testing.T, a *testAPI, path, rawQuery, param string, offset int) {
	t.Helper()
	// openapi.yaml itself rules out bad limits, offsets and expands and an
	// over-long q; the filter language's rules are beyond a schema.
	why := ""
	if q, _ := url.ParseQuery(rawQuery); param == "limit" || param == "offset" || param == "expand" || len([]rune(q.Get("q"))) > 200 {
		why = "a malformed query parameter, on purpose"
	}
	r := a.forTest(t).do(req{Method: http.MethodGet, Path: path + "?" + rawQuery, InvalidRequest: why})
	if r.Status != http.StatusBadRequest {
		t.Fatalf("GET %s?%s: status %d, want 400: %s", path, rawQuery, r.Status, r.Body)
	}
	if sqlLeak.Match(r.Body) {
		t.Errorf("the answer shows SQL: %s", r.Body)
	}
	fields := problemFields(t, r)
	msg, ok := fields[param]
	if !ok {
		t.Fatalf("invalidFields %v does not name %q: %s", fields, param, r.Body)
	}
	if len(fields) != 1 {
		t.Errorf("invalidFields %v, want only %q", fields, param)
	}
	if offset >= 0 && !offsetMentioned(msg, offset) {
		t.Errorf("invalidFields[%s] = %q does not give the character offset %d", param, msg, offset)
	}
}

func TestListCollectionQueries(t *testing.T) {
	t.Parallel()
	clock := &manualClock{}
	a := newTestAPI(t, customers.WithClock(clock.now))
	db := a.db
	listFixture(t, a, db, clock)

	t.Run("fixture", func(t *testing.T) { checkFixture(t, a) })
	t.Run("filter", func(t *testing.T) { testListFilters(t, a) })
	t.Run("q", func(t *testing.T) { testListSearch(t, a) })
	t.Run("sort", func(t *testing.T) { testListSort(t, a) })
	t.Run("pagination", func(t *testing.T) { testListPagination(t, a) })
	t.Run("fields and expand", func(t *testing.T) { testListFieldsExpand(t, a) })
	t.Run("errors", func(t *testing.T) { testListErrors(t, a) })
	t.Run("never a 500", func(t *testing.T) { testListNever500(t, a) })
	t.Run("raw semicolon", func(t *testing.T) { testListRawSemicolon(t, a) })
	t.Run("layouts", func(t *testing.T) { testListLayouts(t, a) })
	t.Run("tenants", func(t *testing.T) { testListTenants(t, a) })
}

// checkFixture pins the facts the expectations rely on, so that a wrong
// expectation shows here rather than as a mysterious filter failure.
func checkFixture(t *testing.T, a *testAPI) {
	l := getList(t, a, "/customers", "limit=1000")
	if got := l.ids(); !slices.Equal(got, fixtureIDs) {
		t.Fatalf("default list:\n got %v\nwant %v", got, fixtureIDs)
	}
	byID := map[string]map[string]any{}
	for _, c := range l.items {
		byID[c["id"].(string)] = c
	}
	checks := []struct{ id, field, want string }{
		{"c01", "revision", "1"}, {"c03", "revision", "1"}, {"c10", "revision", "2"}, {"c20", "revision", "1"},
		{"c16", "revision", "0"}, {"c18", "revision", "0"}, {"c02", "revision", "0"},
		{"c01", "updatedTime", "2024-05-15T00:00:00Z"}, {"c03", "updatedTime", "2024-05-16T00:00:00Z"},
		{"c10", "updatedTime", "2024-05-02T00:00:00Z"}, {"c20", "updatedTime", "2024-06-01T00:00:00Z"},
		{"c08", "createdTime", "2024-02-29T22:00:00Z"}, {"c03", "createdTime", "2024-01-31T23:59:59Z"},
		{"c01", "email", "ada@home.example"}, {"c03", "email", "grace@navy.example"}, {"c16", "email", "Multi2@X.example"},
		{"c01", "paymentCount", "3"}, {"c16", "invoiceCount", "12"}, {"c03", "lastPaymentTime", "2024-02-01T00:00:00Z"},
		{"c10", "locale", "fr-CA"}, {"c20", "locale", "de-DE"},
	}
	for _, c := range checks {
		got := fmt.Sprint(byID[c.id][c.field])
		if got != c.want {
			t.Errorf("%s.%s = %s, want %s", c.id, c.field, got, c.want)
		}
	}
	if tags := tagNames(t, byID["c01"]); !slices.Equal(tags, []string{"b2b", "vip"}) {
		t.Errorf("c01 tags %v, want them sorted by name", tags)
	}
	if av := fmt.Sprint(byID["c01"]["averageValue"].(map[string]any)["amount"]); av != "10.5" {
		t.Errorf("c01 averageValue.amount %s", av)
	}
}

type setCase struct {
	filter string
	want   string // the matching ids, space-separated
}

func runSetCases(t *testing.T, a *testAPI, extra string, cases []setCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.filter, func(t *testing.T) {
			q := params("filter", c.filter, "limit", "1000")
			if extra != "" {
				q += "&" + extra
			}
			l := getList(t, a, "/customers", q)
			got := slices.Clone(l.ids())
			slices.Sort(got)
			if want := idSet(c.want); !slices.Equal(got, want) {
				t.Errorf("filter=%s %s\n got %v\nwant %v", c.filter, extra, got, want)
			}
			wantPagination(t, l.r, len(idSet(c.want)), 1000, 0)
		})
	}
}

// filterGroup is one rule of the filter language (SPEC §5 and §10) with
// the filters that show it, each with the fixture customers it must match.
type filterGroup struct {
	rule    string // the subtest's name
	filters []setCase
}

// testListFilters sends each filter of each group over HTTP: the answer
// must hold exactly the expected customers, and Pagination-Total must be
// their number. The fixture is described in list_fixture_test.go.
func testListFilters(t *testing.T, a *testAPI) {
	groups := []filterGroup{
		{"strings match case-insensitively", stringFilters},
		{"id and websiteId are exact and case-sensitive", exactFilters},
		{"; is AND, , is OR", andOrFilters},
		{"! excludes and keeps absent values", exclusionFilters},
		{"ranges are inclusive", rangeFilters},
		{"date-times are instants, bare dates whole UTC days", dateTimeFilters},
		{"locale", localeFilters},
		{"isEddRequired is a boolean", booleanFilters},
		{"counts and amounts are numbers", numberFilters},
		{"defaultPaymentInstrument.method is an enum", enumFilters},
		{"primaryAddress scalars", addressFilters},
		{"wildcards", wildcardFilters},
		{"null versus \"null\"", nullFilters},
		{"quotes and escapes", quoteFilters},
		{"multi-valued fields", multiValuedFilters},
		{"custom fields", customFieldFilters},
		{"lead source", leadSourceFilters},
	}
	for _, g := range groups {
		t.Run(g.rule, func(t *testing.T) { runSetCases(t, a, "", g.filters) })
	}
	t.Run("primaryAddress.hash", func(t *testing.T) { testFilterByHash(t, a) })
}

// stringFilters: ":" is equality on strings, case-insensitive (beyond ASCII
// too). email is the primary entry of the address, not any entry.
var stringFilters = []setCase{
	{"firstName:ada", "c01 c02"},
	{"firstName:ADA", "c01 c02"},
	{"lastName:lovelace", "c01 c02"},
	{"firstName:Zoë", "c06"},
	{"firstName:ZOË", "c06"}, // case-insensitive beyond ASCII too
	{"lastName:WASHBURNE", "c06"},
	{"email:ada@example.com", "c02"},
	{"email:ADA@HOME.EXAMPLE", "c01"},
	{"email:ada@work.example", ""}, // email is the primary entry, not any entry
	{"email:null", allExcept("c01 c02 c03 c06 c08 c16 c17")},
}

// exactFilters: id and websiteId compare exactly, case included (SPEC §10).
var exactFilters = []setCase{
	{"id:c01", "c01"},
	{"id:C01", ""},
	{"id:MixedCase-ID", "MixedCase-ID"},
	{"id:mixedcase-id", "mixedcase-id"},
	{"id:c01,c02,nope", "c01 c02"},
	{"id:!c01", allExcept("c01")},
	{"websiteId:web-1", "c01"},
	{"websiteId:Web-1", "c02"},
	{"websiteId:WEB-1", "mixedcase-id"},
	{"websiteId:null", allExcept("c01 c02 c03 mixedcase-id")},
	{"websiteId:!web-1", allExcept("c01")}, // nulls kept, Web-1 and WEB-1 differ
}

// andOrFilters: ";" joins clauses (AND), "," lists alternatives (OR).
var andOrFilters = []setCase{
	{"firstName:John,Jane", "c08 c09 c10"},
	{"lastName:Smith;firstName:jane", "c09"},
	{"primaryAddress.country:GB;tags:vip;leadSource.campaign:spring", "c01"},
	{"primaryAddress.country:US,FR;locale:null", "c09"},
}

// exclusionFilters: "!" excludes a value and keeps rows where the field is
// absent; "x,!y" is "x, and never y".
var exclusionFilters = []setCase{
	{"firstName:!John", allExcept("c08 c10")},
	{"firstName:!John,!Jane", allExcept("c08 c09 c10")},
	{"firstName:Bob*,!bobby", "c12"},
	{"lastName:Smith,Doe,!doe", "c08 c09"},
	{"locale:!en-GB", allExcept("c01 c04")},
	{"primaryAddress.country:!GB", allExcept("c01 c02 c04 c12 c13 c19")},
	{"firstName:!null", allExcept("c05")},
}

// rangeFilters: "a..b" includes both ends, either end may be open, and "!"
// before a range means outside it.
var rangeFilters = []setCase{
	{"revision:1..5", "c01 c03 c10 c20"},
	{"revision:1..1", "c01 c03 c20"},
	{"revision:2..", "c10"},
	{"revision:..0", allExcept("c01 c03 c10 c20")},
	{"revision:!1..5", allExcept("c01 c03 c10 c20")},
	{"revision:!0", "c01 c03 c10 c20"},
	{"revision:0,2", allExcept("c01 c03 c20")},
	{"revision:+1", "c01 c03 c20"},
	{"revision:null", ""},
	{"revision:!null", strings.Join(fixtureIDs, " ")},
	{"id:c01..c03", "c01 c02 c03"},
	{"firstName:a..b", "c01 c02 c04 c18"},
	{"primaryAddress.address:\"Flat 1..2\"..\"Flat 1..3\"", "c12"},
}

// dateTimeFilters: times with any RFC 3339 offset compare as instants; a
// bare date is that whole UTC day, also as a range end.
var dateTimeFilters = []setCase{
	{"createdTime:2024-02-01T00:00:00Z", "c04 c05"},
	{"createdTime:2024-02-01T02:00:00+02:00", "c04 c05"},
	{"createdTime:2024-02-10T09:30:00+01:00", "c06"},
	{"createdTime:2024-02-01", "c04 c05"},
	{"createdTime:\"2024-02-01\"", "c04 c05"},
	{"createdTime:2024-02-01T00:00:00.000Z", "c04 c05"},
	{"createdTime:2024-02-01t00:00:00z", "c04 c05"}, // RFC 3339 §5.6 allows lower-case t and z
	{"createdTime:..2024-01-31T23:59:59.5Z", "c01 c02 c03"},
	{"createdTime:2024-01-31", "c03"},
	{"createdTime:2024-02-29", "c08"},
	{"createdTime:2024-03-01", "c09"},
	{"createdTime:2024-02-10..2024-02-10", "c06"},
	{"createdTime:..2024-01-31", "c01 c02 c03"},
	{"createdTime:..2024-01-31T23:59:58Z", "c01 c02"},
	{"createdTime:2024-01-31T23:59:59Z..2024-02-01T00:00:00Z", "c03 c04 c05"},
	{"createdTime:2024-02-01T01:59:59+02:00..2024-02-01T02:00:00+02:00", "c03 c04 c05"},
	{"createdTime:2024-01-31T18:00:00-06:00..", allExcept("c01 c02 c03")},
	{"createdTime:2024-04-01..", "MixedCase-ID mixedcase-id c16 c17 c18 c19 c20"},
	{"createdTime:2024-04-01T00:00:00Z..", "MixedCase-ID mixedcase-id c16 c17 c18 c19 c20"},
	{"createdTime:!2024-02-01", allExcept("c04 c05")},
	{"createdTime:!..2024-03-31", "MixedCase-ID mixedcase-id c16 c17 c18 c19 c20"},
	{"updatedTime:2024-05-01..", "c01 c03 c10 c20"},
	{"updatedTime:2024-05-02", "c10"},
	{"lastPaymentTime:2024-02-01", "c03"},
	{"lastPaymentTime:..2024-04-30", "c03 c16"},
	{"lastPaymentTime:2024-05-01T12:00:00+02:00", "c01"},
	{"lastPaymentTime:null", allExcept("c01 c03 c16")},
	{"lastPaymentTime:!null", "c01 c03 c16"},
	{"lastPaymentTime:!2024-02-01", allExcept("c03")},
}

// localeFilters: locale is a string like any other.
var localeFilters = []setCase{
	{"locale:EN-gb", "c01 c04"},
	{"locale:en_us", "c02"},
	{"locale:null", "c05 c07 c09 c11 c12 c13 MixedCase-ID mixedcase-id c16 c17 c18 c19"},
}

// booleanFilters: true and false, in any case, and their exclusions.
var booleanFilters = []setCase{
	{"isEddRequired:true", "c01 c16"},
	{"isEddRequired:false", allExcept("c01 c16")},
	{"isEddRequired:!true", allExcept("c01 c16")},
	{"isEddRequired:!false", "c01 c16"},
	{"isEddRequired:TRUE", "c01 c16"},
	{"invoiceCount:1..", "c01 c03 c16"},
}

// numberFilters: integers and decimal amounts compare by value (10.5 is
// 10.50), in ranges too.
var numberFilters = []setCase{
	{"invoiceCount:4", "c01"},
	{"paymentCount:2..10", "c01 c16"},
	{"paymentCount:0", allExcept("c01 c03 c16")},
	{"averageValue.amount:10.5", "c01"},
	{"averageValue.amount:10.50", "c01"},
	{"averageValue.amount:5..20", "c01 c16"},
	{"averageValue.amount:0", allExcept("c01 c03 c16")},
	{"averageValue.amount:.5..10.5", "c01 c16"},
	{"lifetimeRevenue.amount:50..", "c03 c16"},
	{"lifetimeRevenue.amount:..31.5", allExcept("c03 c16")},
}

// enumFilters: the payment method is one of a fixed list, or absent.
var enumFilters = []setCase{
	{"defaultPaymentInstrument.method:paypal", "c16 c17"},
	{"defaultPaymentInstrument.method:ach,cash", "c03 c08"},
	{"defaultPaymentInstrument.method:!paypal", allExcept("c16 c17")},
	{"defaultPaymentInstrument.method:null", allExcept("c01 c03 c08 c16 c17")},
}

// addressFilters: every scalar of the primary address, case-insensitively;
// double quotes let a value hold "," ";" ":" or "..".
var addressFilters = []setCase{
	{"primaryAddress.country:GB", "c01 c02 c04 c12 c13 c19"},
	{"primaryAddress.country:gb", "c01 c02 c04 c12 c13 c19"},
	{"primaryAddress.country:null", "c05 c11 MixedCase-ID mixedcase-id c16 c17 c18 c20"},
	{"primaryAddress.firstName:grace", "c03"},
	{"primaryAddress.lastName:HOPPER", "c03"},
	{"primaryAddress.organization:acme*", "c12 c13"},
	{"primaryAddress.organization:\"Acme, Inc.\"", "c12"},
	{"primaryAddress.jobTitle:countess", "c01"},
	{"primaryAddress.address:\"Flat 1..2\"", "c12"},
	{"primaryAddress.address:12 st james's square", "c01"},
	{"primaryAddress.city:london", "c01"},
	{"primaryAddress.city:\"Lon;don:X\"", "c12"},
	{"primaryAddress.region:westminster", "c01"},
	{"primaryAddress.postalCode:sw1y 4jh", "c01"},
	{"primaryAddress.dob:1815-12-10", "c01"},
	{"primaryAddress.address2:null", strings.Join(fixtureIDs, " ")},
}

// wildcardFilters: "*" matches any run of characters, case-insensitively;
// "%" and "_" are literal, and so is "*" inside double quotes.
var wildcardFilters = []setCase{
	{"email:*@x.example", "c16 c17"},
	{"email:*@X.EXAMPLE", "c16 c17"},
	{"email:zoe_w*", "c06"},
	{"email:ZOE*SERENITY*", "c06"},
	{"firstName:*o*", "c06 c08 c10 c12 c13 c19 mixedcase-id"},
	{"firstName:*%", "c07"},
	{"firstName:1*%", "c07"},
	{"firstName:100%", "c07"},
	{"firstName:%", ""},
	{"lastName:*_*", "c07"},
	{"locale:*_*", "c02"},
	{"locale:fr-*", "c03 c10"},
	{"locale:EN-*", "c01 c04 c06 c08"},
	{"firstName:*", allExcept("c05")},
	{"firstName:!*", "c05"},
	{"lastName:back\\slash", "c11"}, // a bare backslash is itself
	{"lastName:back\\*", "c11"},
	{"lastName:Star*", "c12 c13"},
	{"lastName:\"Star*\"", "c12"},
	{"lastName:\"star*\"", "c12"},
}

// nullFilters: null matches an absent value, "null" in quotes the string.
var nullFilters = []setCase{
	{"firstName:null", "c05"},
	{"firstName:\"null\"", "MixedCase-ID"},
	{"firstName:\"NULL\"", "MixedCase-ID"},
	{"customFields.tier:null", allExcept("c01 c02 c03 c06 c07 c09 c19")},
	{"customFields.tier:\"null\"", "c09"},
}

// quoteFilters: double quotes protect "," ";" ":" and "..", and inside them
// \" and \\ escape.
var quoteFilters = []setCase{
	{"customFields.tier:\"gold,platinum\"", "c06"},
	{"customFields.tier:gold,platinum", "c01 c02"},
	{"firstName:\"Say \\\"hi\\\"\"", "c11"},
	{"lastName:\"back\\\\slash\"", "c11"},
	{"customFields.quote:\"a\\\"b\"", "c11"},
	{"firstName:\"John\",\"Jane\"", "c08 c09 c10"},
}

// multiValuedFilters: on tags, emails and phone numbers "x" means "some entry
// is x" and "!x" means "no entry is x".
var multiValuedFilters = []setCase{
	{"tags:vip", "c01 c02"},
	{"tags:VIP,churn-risk", "c01 c02 c16"},
	{"tags:b2b,!churn-risk", "c01"},
	{"tags:!vip", allExcept("c01 c02")},
	{"tags:!vip,!b2b", allExcept("c01 c02 c16")},
	{"tags:null", allExcept("c01 c02 c16")},
	{"tags:!null", "c01 c02 c16"},
	{"tags:churn*", "c16"},
	{"primaryAddress.emails:shared@x.example", "c16 c17"},
	{"primaryAddress.emails:ada@work.example", "c01"},
	{"primaryAddress.emails:MULTI1@x.example", "c16"},
	{"primaryAddress.emails:*@X.example", "c16 c17"},
	{"primaryAddress.emails:!shared@x.example", allExcept("c16 c17")},
	{"primaryAddress.emails:!ada@work.example", allExcept("c01")},
	{"primaryAddress.emails:!*@x.example", allExcept("c16 c17")},
	{"primaryAddress.emails:null", allExcept("c01 c02 c03 c06 c08 c16 c17")},
	{"primaryAddress.phoneNumbers:555-0100", "c06"},
	{"primaryAddress.phoneNumbers:+1 555 0001", "c16"},
	{"primaryAddress.phoneNumbers:!+1 555 0002", allExcept("c16")},
	{"primaryAddress.phoneNumbers:+44*", "c01 c04"},
}

// customFieldFilters: values compare as text case-insensitively, an array
// matches by any element, and ranges are numeric for numbers and text
// otherwise.
var customFieldFilters = []setCase{
	{"customFields.tier:GOLD", "c01 c02"},
	{"customFields.tier:gold*", "c01 c02 c06"},
	{"customFields.tier:!gold", allExcept("c01 c02")},
	{"customFields.tier:a..h", "c01 c02 c06 c07 c19"},
	{"customFields.score:10", "c01"},
	{"customFields.score:12.5", "c17"},
	{"customFields.score:9", "c18"},
	{"customFields.score:true", "c19"},
	{"customFields.score:7", "c03"},
	{"customFields.score:1..5", "c02 c10 c18"},
	{"customFields.score:10..12.5", "c01 c17"},
	{"customFields.score:7..8", "c03"},
	// "7" and true are not numbers: compared as text, "7" and "true" are >= "6".
	{"customFields.score:6..", "c01 c03 c17 c18 c19"},
	{"customFields.score:!1..5", allExcept("c02 c10 c18")},
	{"customFields.flags:y", "c10"},
	{"customFields.flags:2", "c01"},
	{"customFields.flags:TRUE", "c01"},
	{"customFields.flags:!x", allExcept("c10")},
	{"customFields.flags:null", allExcept("c01 c10")},
	{"customFields.flags:1..3", "c01"},
	{"customFields.score:!null", "c01 c02 c03 c10 c17 c18 c19"},
	{"customFields.tier:!null", "c01 c02 c03 c06 c07 c09 c19"},
	{"customFields.nothing:null", strings.Join(fixtureIDs, " ")},
}

// leadSourceFilters: every lead-source field, its times included.
var leadSourceFilters = []setCase{
	{"leadSource.campaign:spring", "c01 c03"},
	{"leadSource.campaign:!spring", allExcept("c01 c03")},
	{"leadSource.campaign:null", allExcept("c01 c03 c16")},
	{"leadSource.source:bing", "c03"},
	{"leadSource.medium:email,cpc", "c01 c16"},
	{"leadSource.affiliate:aff-1", "c18"},
	{"leadSource.createdTime:2024-05-15", "c01"},
	{"leadSource.updatedTime:2024-05-16", "c03"},
	{"leadSource.referrer:https://news.example/path", "c16"},
	{"leadSource.referrer:\"https://news.example/path\"", "c16"},
	{"leadSource.referrer:https://NEWS.example/*", "c16"},
	{"leadSource.term:null", strings.Join(fixtureIDs, " ")},
	{"leadSource.content:null", strings.Join(fixtureIDs, " ")},
	{"leadSource.subAffiliate:null", strings.Join(fixtureIDs, " ")},
	{"leadSource.salesAgent:!x", strings.Join(fixtureIDs, " ")},
	{"leadSource.clickId:null", strings.Join(fixtureIDs, " ")},
	{"leadSource.path:null", strings.Join(fixtureIDs, " ")},
}

// testFilterByHash: primaryAddress.hash matches the hash GET shows, in
// either case.
func testFilterByHash(t *testing.T, a *testAPI) {
	c := a.forTest(t).get("c01", http.StatusOK)
	hash, _ := c["primaryAddress"].(map[string]any)["hash"].(string)
	if len(hash) != 40 {
		t.Fatalf("c01 hash %q", hash)
	}
	for _, h := range []string{hash, strings.ToUpper(hash)} {
		l := getList(t, a, "/customers", params("filter", "primaryAddress.hash:"+h))
		if got := l.ids(); !slices.Equal(got, []string{"c01"}) {
			t.Errorf("primaryAddress.hash:%s: %v, want [c01]", h, got)
		}
	}
}

func testListSearch(t *testing.T, a *testAPI) {
	cases := []struct{ q, filter, want string }{
		{"ada", "", "c01 c02"},
		{"LOVE", "", "c01 c02"},
		{"Analytical", "", "c01 c16"},
		{"hopper", "", "c03"},
		{"7946", "", "c01"},
		{"555", "", "c06 c16"},
		{"x.example", "", "c16 c17"},
		{"ADA@WORK", "", "c01"}, // any email, not only the primary one
		{"MIXEDCASE", "", "MixedCase-ID mixedcase-id"},
		{"c1", "", "c10 c11 c12 c13 c16 c17 c18 c19"},
		{"%", "", "c07"},
		{"_", "", "c06 c07"},
		{"zoë", "", "c06"},
		{"acme, inc", "", "c12"},
		{"smith", "firstName:jane", "c09"},
		{"mail", "email:shared*", "c17"},
		{"nobody-has-this", "", ""},
		{"ZOË", "", "c06"}, // case-insensitive beyond ASCII too
		// Only the listed fields are searched.
		{"london", "", ""},
		{"westminster", "", ""},
		{"countess", "", ""},
		{"web-2", "", ""},
		{"spring", "", ""},
		{"vip", "", ""},
	}
	for _, c := range cases {
		t.Run(c.q+" "+c.filter, func(t *testing.T) {
			kv := []string{"q", c.q, "limit", "1000"}
			if c.filter != "" {
				kv = append(kv, "filter", c.filter)
			}
			l := getList(t, a, "/customers", params(kv...))
			got := slices.Clone(l.ids())
			slices.Sort(got)
			if want := idSet(c.want); !slices.Equal(got, want) {
				t.Errorf("q=%s filter=%s\n got %v\nwant %v", c.q, c.filter, got, want)
			}
			wantPagination(t, l.r, len(idSet(c.want)), 1000, 0)
		})
	}
}

func testListSort(t *testing.T, a *testAPI) {
	noMixed := "id:!MixedCase-ID,!mixedcase-id" // keeps tie-breaks free of collation questions
	ascending := slices.Clone(fixtureIDs)       // c04 before c05: the tie-break turns too
	slices.Reverse(ascending)
	cases := []struct {
		name  string
		query string
		want  string // exact order
	}{
		{"default is -createdTime, ties by id descending", "limit=1000", strings.Join(fixtureIDs, " ")},
		{"explicit -createdTime", params("sort", "-createdTime", "limit", "1000"), strings.Join(fixtureIDs, " ")},
		{"createdTime ascending, ties by id ascending", params("sort", "createdTime", "limit", "1000"), strings.Join(ascending, " ")},
		{"tie-break ascending", params("filter", "createdTime:2024-02-01", "sort", "createdTime"), "c04 c05"},
		{"tie-break descending", params("filter", "createdTime:2024-02-01", "sort", "-createdTime"), "c05 c04"},
		{"tie-break follows the last key", params("filter", "createdTime:2024-02-01", "sort", "-createdTime,revision"), "c04 c05"},
		{"several keys", params("filter", "lastName:Smith,Lovelace,Mail,Score", "sort", "lastName,-firstName"),
			"c02 c01 c17 c16 c19 c18 c08 c09"},
		{"repeated sort parameters", params("filter", "lastName:Smith,Lovelace,Mail,Score", "sort", "lastName", "sort", "-firstName"),
			"c02 c01 c17 c16 c19 c18 c08 c09"},
		{"strings case-insensitively", params("filter", "id:c01,c02,c03,c04", "sort", "firstName"), "c01 c02 c04 c03"},
		{"nulls last ascending", params("filter", "id:c05,c03,c04", "sort", "firstName"), "c04 c03 c05"},
		{"nulls last descending", params("filter", "id:c05,c03,c04", "sort", "-firstName"), "c03 c04 c05"},
		{"nullable time ascending", params("filter", noMixed, "sort", "lastPaymentTime", "limit", "1000"),
			"c03 c16 c01 c02 c04 c05 c06 c07 c08 c09 c10 c11 c12 c13 c17 c18 c19 c20"},
		{"nullable time descending", params("filter", noMixed, "sort", "-lastPaymentTime", "limit", "1000"),
			"c01 c16 c03 c20 c19 c18 c17 c13 c12 c11 c10 c09 c08 c07 c06 c05 c04 c02"},
		{"revision then createdTime", params("filter", "revision:1..", "sort", "-revision,createdTime"), "c10 c01 c03 c20"},
		{"decimal descending", params("filter", "averageValue.amount:1..", "sort", "-averageValue.amount"), "c03 c01 c16"},
		{"lead source field", params("filter", "leadSource.campaign:!null", "sort", "leadSource.campaign"), "c16 c01 c03"},
		{"enum", params("filter", "defaultPaymentInstrument.method:!null", "sort", "defaultPaymentInstrument.method,-id"),
			"c03 c08 c01 c17 c16"},
		{"nested contact scalar", params("filter", "primaryAddress.country:US,CA,DE,FR", "sort", "-primaryAddress.country,id"),
			"c03 c08 c09 c10 c07 c06"},
		{"custom field text, JSON null with the absent, last", params("filter", "id:c01,c03,c04,c05,c07", "sort", "customFields.tier"),
			"c07 c01 c03 c04 c05"},
		{"custom field: numbers before strings", params("filter", "id:c01,c02,c03,c10,c17,c05", "sort", "customFields.score"),
			"c02 c10 c01 c17 c03 c05"},
		{"lead source descending, nulls last", params("filter", "id:c01,c05,c16", "sort", "-leadSource.campaign"), "c01 c16 c05"},
		{"boolean descending", params("filter", noMixed, "sort", "-isEddRequired,id", "limit", "1000"),
			"c01 c16 c02 c03 c04 c05 c06 c07 c08 c09 c10 c11 c12 c13 c17 c18 c19 c20"},
		{"sort by id", params("filter", noMixed+";createdTime:..2024-02-01", "sort", "-id"), "c05 c04 c03 c02 c01"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := getList(t, a, "/customers", c.query)
			if got, want := l.ids(), strings.Fields(c.want); !slices.Equal(got, want) {
				t.Errorf("%s\n got %v\nwant %v", c.query, got, want)
			}
		})
	}
	t.Run("q, a custom-field filter and a custom-field sort together", func(t *testing.T) {
		// Placeholders: q, the filter's key and value, the sort's key, limit
		// and offset, in the page query and the count.
		l := getList(t, a, "/customers", params("q", "smith", "filter", `customFields.tier:null,"null"`, "sort", "customFields.tier"))
		if got := l.ids(); !slices.Equal(got, []string{"c09", "c08"}) {
			t.Errorf("got %v, want [c09 c08]", got)
		}
		l = getList(t, a, "/customers", params("q", "smith", "filter", `customFields.tier:null,"null"`, "sort", "customFields.tier", "limit", "1", "offset", "1"))
		if got := l.ids(); !slices.Equal(got, []string{"c08"}) {
			t.Errorf("second page %v, want [c08]", got)
		}
		wantPagination(t, l.r, 2, 1, 1)
	})
	t.Run("custom field descending keeps numbers ordered and nulls last", func(t *testing.T) {
		l := getList(t, a, "/customers", params("filter", "id:c01,c02,c10,c17,c05", "sort", "-customFields.score"))
		if got := l.ids(); !slices.Equal(got, []string{"c17", "c01", "c10", "c02", "c05"}) {
			t.Errorf("got %v, want [c17 c01 c10 c02 c05]", got)
		}
	})
	// Every sortable field sorts, in both directions, and never drops or
	// repeats a row (the lead-source join included).
	sortable := []string{"id", "email", "firstName", "lastName", "websiteId", "createdTime", "updatedTime",
		"revision", "locale", "isEddRequired", "invoiceCount", "paymentCount", "lastPaymentTime",
		"averageValue.amount", "lifetimeRevenue.amount", "defaultPaymentInstrument.method",
		"customFields.tier", "customFields.score"}
	for _, k := range []string{"firstName", "lastName", "organization", "jobTitle", "address", "address2", "city",
		"region", "country", "postalCode", "dob", "hash"} {
		sortable = append(sortable, "primaryAddress."+k)
	}
	for _, k := range []string{"medium", "source", "campaign", "term", "content", "affiliate", "subAffiliate",
		"salesAgent", "clickId", "path", "referrer", "createdTime", "updatedTime"} {
		sortable = append(sortable, "leadSource."+k)
	}
	all := idSet(strings.Join(fixtureIDs, " "))
	for _, f := range sortable {
		for _, key := range []string{f, "-" + f} {
			t.Run("sortable "+key, func(t *testing.T) {
				l := getList(t, a, "/customers", params("sort", key, "limit", "1000"))
				got := slices.Clone(l.ids())
				slices.Sort(got)
				if !slices.Equal(got, all) {
					t.Errorf("sort=%s returned %v", key, l.ids())
				}
				wantPagination(t, l.r, 20, 1000, 0)
			})
		}
	}
	t.Run("pages of a multi-key sort with repeated parameters", func(t *testing.T) {
		want := strings.Fields("c02 c01 c17 c16 c19 c18 c08 c09")
		path := "/customers?" + params("filter", "lastName:Smith,Lovelace,Mail,Score", "sort", "lastName", "sort", "-firstName", "limit", "3")
		var seen []string
		for pages := 0; path != ""; pages++ {
			if pages > 3 {
				t.Fatal("too many pages")
			}
			p, raw, _ := strings.Cut(path, "?")
			l := getList(t, a, p, raw)
			seen = append(seen, l.ids()...)
			path = ""
			if u := linkRels(t, l.r.Header.Get("Link"))["next"]; u != nil {
				if s := u.Query()["sort"]; !slices.Equal(s, []string{"lastName", "-firstName"}) {
					t.Errorf("next link %v keeps sort %v, want [lastName -firstName]", u, s)
				}
				path = u.Path + "?" + u.RawQuery
			}
		}
		if !slices.Equal(seen, want) {
			t.Errorf("pages together %v, want %v", seen, want)
		}
	})
}

func testListPagination(t *testing.T, a *testAPI) {
	origin := a.srv.URL
	t.Run("defaults", func(t *testing.T) {
		l := getList(t, a, "/customers", "")
		wantPagination(t, l.r, 20, 100, 0)
		if len(l.items) != 20 {
			t.Errorf("%d items, want 20", len(l.items))
		}
		links := linkRels(t, header(t, l.r, "Link"))
		if _, ok := links["next"]; ok {
			t.Errorf("a single page has a next link: %v", l.r.Header.Get("Link"))
		}
		if _, ok := links["prev"]; ok {
			t.Errorf("the first page has a prev link: %v", l.r.Header.Get("Link"))
		}
		for _, rel := range []string{"first", "last"} {
			u := links[rel]
			if u == nil || u.Query().Get("offset") != "0" {
				t.Errorf("%s link %v, want offset 0", rel, u)
			}
		}
	})
	t.Run("limit 0", func(t *testing.T) {
		l := getList(t, a, "/customers", "limit=0&filter="+url.QueryEscape("primaryAddress.country:GB"))
		if len(l.items) != 0 || strings.TrimSpace(string(l.r.Body)) != "[]" {
			t.Errorf("body %s, want []", l.r.Body)
		}
		wantPagination(t, l.r, 6, 0, 0)
		if h := l.r.Header.Values("Link"); len(h) != 0 {
			t.Errorf("Link %q with limit=0, want none", h)
		}
	})
	t.Run("limit 1000", func(t *testing.T) {
		l := getList(t, a, "/customers", "limit=1000")
		wantPagination(t, l.r, 20, 1000, 0)
	})
	t.Run("offset past the end", func(t *testing.T) {
		l := getList(t, a, "/customers", "limit=7&offset=100")
		if strings.TrimSpace(string(l.r.Body)) != "[]" {
			t.Errorf("body %s, want []", l.r.Body)
		}
		wantPagination(t, l.r, 20, 7, 100)
		links := linkRels(t, header(t, l.r, "Link"))
		if links["next"] != nil {
			t.Errorf("next link past the end: %v", links["next"])
		}
		if u := links["last"]; u == nil || u.Query().Get("offset") != "14" {
			t.Errorf("last link %v, want offset 14", u)
		}
		if u := links["first"]; u == nil || u.Query().Get("offset") != "0" {
			t.Errorf("first link %v, want offset 0", u)
		}
	})
	t.Run("offset at the end", func(t *testing.T) {
		l := getList(t, a, "/customers", "offset=20")
		if len(l.items) != 0 {
			t.Errorf("%d items at offset 20 of 20", len(l.items))
		}
		wantPagination(t, l.r, 20, 100, 20)
	})
	t.Run("walk the pages by the links", func(t *testing.T) {
		// Keep other parameters (sort, q, fields) through the links.
		query := params("limit", "7", "sort", "-createdTime", "fields", "id,email", "q", "")
		var seen []string
		path := "/customers?" + query
		wantOffsets := []string{"0", "7", "14"}
		for page := 0; path != ""; page++ {
			if page >= len(wantOffsets) {
				t.Fatalf("more than %d pages", len(wantOffsets))
			}
			p, raw, _ := strings.Cut(path, "?")
			l := getList(t, a, p, raw)
			wantPagination(t, l.r, 20, 7, page*7)
			seen = append(seen, l.ids()...)
			links := linkRels(t, header(t, l.r, "Link"))
			for rel, u := range links {
				if u.Scheme+"://"+u.Host != origin || u.Path != "/customers" {
					t.Errorf("page %d: %s link %v is not absolute on %s/customers", page, rel, u, origin)
				}
				q := u.Query()
				if q.Get("limit") != "7" || q.Get("sort") != "-createdTime" || q.Get("fields") != "id,email" || !q.Has("q") {
					t.Errorf("page %d: %s link %v lost parameters", page, rel, u)
				}
			}
			want := map[string]string{"first": "0", "last": "14"}
			if page > 0 {
				want["prev"] = strconv.Itoa((page - 1) * 7)
			}
			if page < 2 {
				want["next"] = strconv.Itoa((page + 1) * 7)
			}
			if len(links) != len(want) {
				t.Errorf("page %d: links %v, want rels %v", page, l.r.Header.Get("Link"), want)
			}
			for rel, off := range want {
				if u := links[rel]; u == nil || u.Query().Get("offset") != off {
					t.Errorf("page %d: %s link %v, want offset %s", page, rel, u, off)
				}
			}
			path = ""
			if u := links["next"]; u != nil {
				path = u.Path + "?" + u.RawQuery
			}
		}
		if !slices.Equal(seen, fixtureIDs) {
			t.Errorf("pages together:\n got %v\nwant %v", seen, fixtureIDs)
		}
	})
	t.Run("filtered totals and last", func(t *testing.T) {
		cases := []struct {
			filter               string
			limit, offset, total int
			items                int
			prev, next, last     string // "" when the link must be absent
		}{
			{"primaryAddress.country:GB", 4, 4, 6, 2, "0", "", "4"},
			{"primaryAddress.country:GB", 3, 0, 6, 3, "", "3", "3"},
			{"primaryAddress.country:GB", 3, 3, 6, 3, "0", "", "3"},
			{"primaryAddress.country:GB", 2, 1, 6, 2, "0", "3", "4"},
			{"primaryAddress.country:GB", 6, 0, 6, 6, "", "", "0"},
			{"tags:!null", 1, 2, 3, 1, "1", "", "2"},
			{"revision:0", 5, 5, 16, 5, "0", "10", "15"},
			// Past the end, prev is the last page, not a page past it too.
			{"primaryAddress.country:GB", 4, 100, 6, 0, "4", "", "4"},
		}
		for _, c := range cases {
			name := fmt.Sprintf("%s limit %d offset %d", c.filter, c.limit, c.offset)
			t.Run(name, func(t *testing.T) {
				l := getList(t, a, "/customers", params("filter", c.filter, "limit", strconv.Itoa(c.limit), "offset", strconv.Itoa(c.offset)))
				if len(l.items) != c.items {
					t.Errorf("%d items, want %d", len(l.items), c.items)
				}
				wantPagination(t, l.r, c.total, c.limit, c.offset)
				links := linkRels(t, header(t, l.r, "Link"))
				for rel, off := range map[string]string{"first": "0", "prev": c.prev, "next": c.next, "last": c.last} {
					u := links[rel]
					switch {
					case off == "" && u != nil:
						t.Errorf("%s link %v, want none", rel, u)
					case off != "" && u == nil:
						t.Errorf("no %s link, want offset %s: %q", rel, off, l.r.Header.Get("Link"))
					case u != nil && (u.Query().Get("offset") != off || u.Query().Get("filter") != c.filter || u.Query().Get("limit") != strconv.Itoa(c.limit)):
						t.Errorf("%s link %v, want offset %s and the same filter and limit", rel, u, off)
					}
				}
			})
		}
	})
	t.Run("no matches", func(t *testing.T) {
		l := getList(t, a, "/customers", params("filter", "firstName:nobody"))
		wantPagination(t, l.r, 0, 100, 0)
		if links := linkRels(t, l.r.Header.Get("Link")); links["next"] != nil || links["prev"] != nil {
			t.Errorf("Link %q for an empty result", l.r.Header.Get("Link"))
		}
	})
	t.Run("list items are the single-customer representation", func(t *testing.T) {
		l := getList(t, a, "/customers", params("filter", "id:c01,c05,c16,c18", "sort", "id"))
		for _, item := range l.items {
			id := item["id"].(string)
			one := a.forTest(t).get(id, http.StatusOK)
			if !reflect.DeepEqual(item, one) {
				t.Errorf("%s in the list:\n%v\nGET /customers/%s:\n%v", id, item, id, one)
			}
		}
	})
	t.Run("q longer than the limit is counted in characters", func(t *testing.T) {
		l := getList(t, a, "/customers", params("q", strings.Repeat("ë", 150)))
		if len(l.items) != 0 {
			t.Errorf("%d items", len(l.items))
		}
	})
	t.Run("no pagination headers on a single customer", func(t *testing.T) {
		r := a.forTest(t).do(req{Method: http.MethodGet, Path: "/customers/c01"})
		wantStatus(t, r, http.StatusOK)
		for _, h := range []string{"Pagination-Total", "Pagination-Limit", "Pagination-Offset", "Link"} {
			if r.Header.Get(h) != "" {
				t.Errorf("GET /customers/c01 has %s: %q", h, r.Header.Get(h))
			}
		}
	})
}

func testListFieldsExpand(t *testing.T, a *testAPI) {
	one := func(t *testing.T, query string) map[string]any {
		t.Helper()
		l := getList(t, a, "/customers", query)
		if len(l.items) != 1 {
			t.Fatalf("%s: %d items, want 1", query, len(l.items))
		}
		return l.items[0]
	}
	t.Run("dotted paths, id always", func(t *testing.T) {
		c := one(t, params("filter", "id:c01", "fields", "firstName,primaryAddress.country,customFields.tier,averageValue.amount"))
		if got := sortedKeys(c); !slices.Equal(got, []string{"averageValue", "customFields", "firstName", "id", "primaryAddress"}) {
			t.Errorf("keys %v", got)
		}
		if pa, _ := c["primaryAddress"].(map[string]any); !slices.Equal(sortedKeys(pa), []string{"country"}) || pa["country"] != "GB" {
			t.Errorf("primaryAddress %v, want {country: GB}", c["primaryAddress"])
		}
		if cf, _ := c["customFields"].(map[string]any); !slices.Equal(sortedKeys(cf), []string{"tier"}) || cf["tier"] != "gold" {
			t.Errorf("customFields %v, want {tier: gold}", c["customFields"])
		}
		if av, _ := c["averageValue"].(map[string]any); !slices.Equal(sortedKeys(av), []string{"amount"}) || av["amount"] != 10.5 {
			t.Errorf("averageValue %v, want {amount: 10.5}", c["averageValue"])
		}
		if c["id"] != "c01" || c["firstName"] != "Ada" {
			t.Errorf("id %v firstName %v", c["id"], c["firstName"])
		}
	})
	t.Run("multi-valued fields", func(t *testing.T) {
		c := one(t, params("filter", "id:c01", "fields", "tags,primaryAddress.emails"))
		if got := tagNames(t, c); !slices.Equal(got, []string{"b2b", "vip"}) {
			t.Errorf("tags %v", got)
		}
		pa, _ := c["primaryAddress"].(map[string]any)
		if e, _ := pa["emails"].([]any); len(e) != 2 || !slices.Equal(sortedKeys(pa), []string{"emails"}) {
			t.Errorf("primaryAddress %v", c["primaryAddress"])
		}
	})
	t.Run("a nested path under a null object", func(t *testing.T) {
		c := one(t, params("filter", "id:c05", "fields", "primaryAddress.country"))
		if v, ok := c["primaryAddress"]; ok && v != nil {
			t.Errorf("c05 has no primaryAddress, got %v", v)
		}
	})
	t.Run("fields=id", func(t *testing.T) {
		c := one(t, params("filter", "id:c02", "fields", "id"))
		if got := sortedKeys(c); !slices.Equal(got, []string{"id"}) {
			t.Errorf("keys %v, want [id]", got)
		}
	})
	t.Run("id even when not listed, _links only when listed", func(t *testing.T) {
		c := one(t, params("filter", "id:c02", "fields", "email"))
		if got := sortedKeys(c); !slices.Equal(got, []string{"email", "id"}) {
			t.Errorf("keys %v, want [email id]", got)
		}
		c = one(t, params("filter", "id:c02", "fields", "email,_links"))
		if got := sortedKeys(c); !slices.Equal(got, []string{"_links", "email", "id"}) {
			t.Errorf("keys %v, want [_links email id]", got)
		}
		if l := links(t, c); l["self"] != a.srv.URL+"/customers/c02" {
			t.Errorf("_links %v", l)
		}
	})
	t.Run("every item shaped", func(t *testing.T) {
		l := getList(t, a, "/customers", params("fields", "lastName", "limit", "1000"))
		if len(l.items) != 20 {
			t.Fatalf("%d items", len(l.items))
		}
		for _, c := range l.items {
			if got := sortedKeys(c); !slices.Equal(got, []string{"id", "lastName"}) {
				t.Errorf("%v: keys %v", c["id"], got)
			}
		}
	})
	t.Run("no _embedded without expand", func(t *testing.T) {
		c := one(t, params("filter", "id:c01"))
		if _, ok := c["_embedded"]; ok {
			t.Errorf("_embedded without expand: %v", c["_embedded"])
		}
	})
	t.Run("expand=leadSource on a list", func(t *testing.T) {
		l := getList(t, a, "/customers", params("filter", "id:c01,c05,c16", "expand", "leadSource", "sort", "id"))
		if got := l.ids(); !slices.Equal(got, []string{"c01", "c05", "c16"}) {
			t.Fatalf("ids %v", got)
		}
		for i, want := range []any{"spring", nil, "autumn"} {
			c := l.items[i]
			e, ok := c["_embedded"].(map[string]any)
			if !ok {
				t.Errorf("%v: _embedded %v, want an object", c["id"], c["_embedded"])
				continue
			}
			ls, present := e["leadSource"]
			if !present {
				t.Errorf("%v: _embedded has no leadSource key: %v", c["id"], e)
				continue
			}
			if want == nil {
				if ls != nil {
					t.Errorf("%v: _embedded.leadSource %v, want null", c["id"], ls)
				}
				continue
			}
			m, _ := ls.(map[string]any)
			if m["campaign"] != want {
				t.Errorf("%v: _embedded.leadSource %v, want campaign %v", c["id"], ls, want)
			}
		}
		// Full representations stay full.
		if _, ok := l.items[0]["_links"]; !ok {
			t.Errorf("expand dropped _links")
		}
	})
	t.Run("the embedded lead source is the lead-source resource", func(t *testing.T) {
		c := one(t, params("filter", "id:c01", "expand", "leadSource"))
		r := a.forTest(t).do(req{Method: http.MethodGet, Path: "/customers/c01/lead-source"})
		wantStatus(t, r, http.StatusOK)
		if e, _ := c["_embedded"].(map[string]any); !reflect.DeepEqual(e["leadSource"], r.JSON()) {
			t.Errorf("_embedded.leadSource %v\nGET lead-source %s", e["leadSource"], r.Body)
		}
	})
	t.Run("expand with fields", func(t *testing.T) {
		c := one(t, params("filter", "id:c18", "expand", "leadSource", "fields", "firstName"))
		if got := sortedKeys(c); !slices.Equal(got, []string{"_embedded", "firstName", "id"}) {
			t.Errorf("keys %v, want [_embedded firstName id]", got)
		}
		e, _ := c["_embedded"].(map[string]any)
		if ls, _ := e["leadSource"].(map[string]any); ls["affiliate"] != "aff-1" {
			t.Errorf("_embedded %v", c["_embedded"])
		}
	})
	t.Run("single GET", func(t *testing.T) {
		get := func(t *testing.T, path string) map[string]any {
			t.Helper()
			r := a.forTest(t).do(req{Method: http.MethodGet, Path: path})
			wantStatus(t, r, http.StatusOK)
			if r.Header.Get("ETag") == "" {
				t.Errorf("%s: no ETag", path)
			}
			return r.JSON()
		}
		c := get(t, "/customers/c01?expand=leadSource")
		e, _ := c["_embedded"].(map[string]any)
		ls, _ := e["leadSource"].(map[string]any)
		if ls["campaign"] != "spring" || ls["source"] != "google" {
			t.Errorf("_embedded %v", c["_embedded"])
		}
		if c["email"] != "ada@home.example" {
			t.Errorf("expand dropped fields: %v", sortedKeys(c))
		}
		c = get(t, "/customers/c05?expand=leadSource")
		e, ok := c["_embedded"].(map[string]any)
		if v, present := e["leadSource"]; !ok || !present || v != nil {
			t.Errorf("c05 _embedded %v (present %v), want {leadSource: null}", c["_embedded"], ok)
		}
		c = get(t, "/customers/c01?fields=firstName,primaryAddress.city")
		if got := sortedKeys(c); !slices.Equal(got, []string{"firstName", "id", "primaryAddress"}) {
			t.Errorf("keys %v", got)
		}
		c = get(t, "/customers/c03?fields=id&expand=leadSource")
		if got := sortedKeys(c); !slices.Equal(got, []string{"_embedded", "id"}) {
			t.Errorf("keys %v", got)
		}
		c = get(t, "/customers/c01")
		if _, ok := c["_embedded"]; ok {
			t.Errorf("_embedded without expand")
		}
		wantQueryError(t, a, "/customers/c01", "fields=id,bogus", "fields", 3)
		wantQueryError(t, a, "/customers/c01", "expand=leadSource,bogus", "expand", 11)
		wantQueryError(t, a, "/customers", "fields=id,primaryAddress.emails.value", "fields", 3)
	})
}

func testListErrors(t *testing.T, a *testAPI) {
	cases := []struct {
		name, query, param string
		offset             int
	}{
		{"no colon", params("filter", "firstName"), "filter", 9},
		{"no value", params("filter", "firstName:"), "filter", 10},
		{"trailing semicolon", params("filter", "firstName:a;"), "filter", 12},
		{"empty field", params("filter", ":a"), "filter", 0},
		{"unknown field", params("filter", "bogus:x"), "filter", 0},
		{"unknown field in the second clause", params("filter", "firstName:a;bogus:x"), "filter", 12},
		{"offset in characters", params("filter", "firstName:Zoë;bogus:1"), "filter", 14},
		{"unknown nested field", params("filter", "primaryAddress.bogus:x"), "filter", 0},
		{"whole number expected", params("filter", "revision:abc"), "filter", 9},
		{"whole number in a range", params("filter", "revision:1..x"), "filter", 12},
		{"fraction for an integer", params("filter", "paymentCount:1.5"), "filter", 13},
		{"bad date-time", params("filter", "createdTime:2024-13-01"), "filter", 12},
		{"bad date-time in a range", params("filter", "lastPaymentTime:2024-01-01..soon"), "filter", 28},
		{"bad boolean", params("filter", "isEddRequired:yes"), "filter", 14},
		{"bad decimal", params("filter", "averageValue.amount:ten"), "filter", 20},
		{"bad enum", params("filter", "defaultPaymentInstrument.method:bitcoin"), "filter", 32},
		{"wildcard on a number", params("filter", "revision:*1"), "filter", 9},
		{"range on a boolean", params("filter", "isEddRequired:true..false"), "filter", 14},
		{"range on tags", params("filter", "tags:a..b"), "filter", 5},
		{"unterminated quote", params("filter", "firstName:\"abc"), "filter", 10},
		{"quote inside a value", params("filter", "firstName:a\"b"), "filter", 11},
		{"bad escape", params("filter", "firstName:\"a\\nb\""), "filter", 12},
		{"two ranges", params("filter", "revision:1..2..3"), "filter", 13},
		{"saved list", params("filter", "@vip"), "filter", 0},
		{"saved list as a value", params("filter", "firstName:@vip"), "filter", 10},
		{"saved list after a clause", params("filter", "firstName:a;@vip"), "filter", 12},
		{"bad custom field name", params("filter", "customFields.:x"), "filter", 0},
		{"unknown sort field", params("sort", "bogus"), "sort", 0},
		{"unsortable tags", params("sort", "firstName,tags"), "sort", 10},
		{"unsortable emails", params("sort", "primaryAddress.emails"), "sort", 0},
		{"unsortable phone numbers", params("sort", "primaryAddress.phoneNumbers"), "sort", 0},
		{"empty sort key", params("sort", "firstName,"), "sort", 10},
		{"unknown expand", params("expand", "bogus"), "expand", 0},
		{"unknown expand after leadSource", params("expand", "leadSource,bogus"), "expand", 11},
		{"unknown fields entry", params("fields", "bogus"), "fields", 0},
		{"unknown fields entry after id", params("fields", "id,bogus"), "fields", 3},
		{"unknown nested fields entry", params("fields", "email,primaryAddress.bogus"), "fields", 6},
		{"empty fields entry", params("fields", "id,,email"), "fields", 3},
		{"bad escape after a multibyte character", params("filter", "firstName:\"Zoë\\x\""), "filter", 14},
		{"invalid UTF-8 in a filter", "filter=firstName:%FF", "filter", 10},
		{"NUL in a filter", "filter=firstName:a%00", "filter", 11},
		{"NUL in q", "q=ab%00", "q", 2},
		{"invalid UTF-8 in q", "q=abc%FF", "q", 3},
		{"q too long", params("q", strings.Repeat("a", 201)), "q", 200},
		{"NUL in fields", "fields=id,email%00", "fields", 8},
		{"invalid UTF-8 in expand", "expand=leadSource%FF", "expand", 10},
		{"non-ASCII in a fields entry", params("fields", "firstName,ë"), "fields", 10},
		{"bad percent-encoding", "filter=%ZZ", "filter", -1},
		{"limit over 1000", "limit=1001", "limit", -1},
		{"negative limit", "limit=-1", "limit", -1},
		{"limit not a number", "limit=ten", "limit", -1},
		{"empty limit", "limit=", "limit", -1},
		{"negative offset", "offset=-1", "offset", -1},
		{"offset not a number", "offset=1.5", "offset", -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantQueryError(t, a, "/customers", c.query, c.param, c.offset)
		})
	}
	t.Run("unknown sort field with -", func(t *testing.T) {
		// Whether the offset points at the - or at the name is not settled
		// by SPEC; either is where the key is.
		r := a.forTest(t).do(req{Method: http.MethodGet, Path: "/customers?sort=firstName,-bogus"})
		wantStatus(t, r, http.StatusBadRequest)
		msg := problemFields(t, r)["sort"]
		if !offsetMentioned(msg, 10) && !offsetMentioned(msg, 11) {
			t.Errorf("invalidFields[sort] = %q, want offset 10 or 11", msg)
		}
	})
	t.Run("saved lists are named as unsupported", func(t *testing.T) {
		r := a.forTest(t).do(req{Method: http.MethodGet, Path: "/customers?filter=%40vip"})
		wantStatus(t, r, http.StatusBadRequest)
		if msg := problemFields(t, r)["filter"]; !strings.Contains(strings.ToLower(msg), "not supported") {
			t.Errorf("message %q does not say saved lists are not supported", msg)
		}
	})
	t.Run("the problem names the offending parameter", func(t *testing.T) {
		r := a.forTest(t).do(req{Method: http.MethodGet, Path: "/customers?" + params("filter", "revision:abc")})
		wantStatus(t, r, http.StatusBadRequest)
		p := r.JSON()
		if d, _ := p["detail"].(string); !strings.Contains(d, "filter") {
			t.Errorf("detail %q does not name the parameter", d)
		}
		if p["instance"] != "/customers" {
			t.Errorf("instance %v, want /customers", p["instance"])
		}
	})
}

// testListLimitOffsetCharacterOffset holds SPEC §5's "limit out of range …
// a message that says what is wrong and where (character offset)" to the
// letter for limit and offset as well (offset 0: the whole value is wrong).
func TestListLimitOffsetErrorsGiveTheCharacterOffset(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	for _, q := range []string{"limit=1001", "limit=-1", "limit=ten", "offset=-1", "offset=x"} {
		t.Run(q, func(t *testing.T) {
			param, _, _ := strings.Cut(q, "=")
			wantQueryError(t, a, "/customers", q, param, 0)
		})
	}
}

func testListNever500(t *testing.T, a *testAPI) {
	long := "firstName:" + strings.Repeat("a", 5000)
	many := strings.TrimSuffix(strings.Repeat("revision:1;", 60), ";")
	manyValues := "id:" + strings.TrimSuffix(strings.Repeat("x,", 150), ",")
	manySorts := strings.TrimSuffix(strings.Repeat("id,", 20), ",")
	queries := []struct {
		q         string
		breaksDoc bool // the request breaks openapi.yaml (a length, an enum, an integer)
	}{
		{params("filter", "firstName:\x00"), false},
		{params("filter", "customFields.tier:\x00"), false},
		{params("filter", "tags:\x00"), false},
		{params("q", "\x00"), false},
		{"q=%FF", false},
		{"filter=firstName:%FF", false},
		{"filter=%ZZ", false},
		{params("filter", long), true},
		{params("filter", many), false},
		{params("filter", manyValues), false},
		{params("sort", manySorts), false},
		{params("q", strings.Repeat("q", 1000)), true},
		{params("filter", "revision:99999999999999999999"), false},
		{params("filter", "averageValue.amount:1"+strings.Repeat("0", 60)), false},
		{params("filter", "averageValue.amount:99999999999999999999.99999"), false},
		{params("filter", "customFields.score:1e400.."), false},
		{params("filter", "customFields.score:"+strings.Repeat("9", 39)+".."), false},
		{params("filter", "createdTime:0001-01-01T00:00:00+01:00"), false},
		{params("filter", "createdTime:9999-12-31T23:59:59-14:00"), false},
		{params("filter", "createdTime:2024-02-30"), false},
		{params("filter", "createdTime:0000-01-01"), false},
		{params("filter", "createdTime:0000-01-01T00:30:00+01:00.."), false},
		{params("filter", "lastPaymentTime:..0001-01-01T00:00:00+14:00"), false},
		{params("filter", "createdTime:2024-01-01T00:00:00Z..2023-01-01"), false},
		{params("filter", "firstName:a:b:c"), false},
		{params("filter", "firstName:!"), false},
		{params("filter", "firstName:!!a"), false},
		{params("filter", "firstName:.."), false},
		{params("filter", "firstName:..."), false},
		{params("filter", "firstName:a,,b"), false},
		{params("filter", ";"), false},
		{params("filter", "customFields.x:*"), false},
		{params("filter", "customFields."+strings.Repeat("k", 150)+":1"), false},
		{params("filter", "a.b.c.d.e:1"), false},
		{params("filter", "primaryAddress.emails:\"\""), false},
		{params("filter", "firstName:\"\\"), false},
		{params("filter", "firstName:'; DROP TABLE customers; --"), false},
		{params("filter", "id:\\"), false},
		{params("filter", "email:\\*"), false},
		{params("sort", "customFields.x;y"), false},
		{params("sort", "-"), false},
		{params("sort", "--id"), false},
		{params("sort", "id", "sort", ""), false},
		{params("fields", ""), false},
		{params("fields", "id."+strings.Repeat("x.", 300)), false},
		{params("expand", ""), true},
		{params("expand", "leadSource,leadSource"), false},
		{"limit=99999999999999999999999", true},
		{"offset=99999999999999999999999", true},
		{"offset=9223372036854775807", false},
		{"limit=1000&offset=2147483647", false},
	}
	for _, c := range queries {
		q := c.q
		name := q
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			why := ""
			if c.breaksDoc {
				why = "oversized or mistyped query input, on purpose"
			}
			r := a.forTest(t).do(req{Method: http.MethodGet, Path: "/customers?" + q, InvalidRequest: why})
			if r.Status != http.StatusOK && r.Status != http.StatusBadRequest {
				t.Errorf("GET /customers?%s: status %d, want 200 or 400: %s", q, r.Status, r.Body)
			}
			if r.Status == http.StatusBadRequest && sqlLeak.Match(r.Body) {
				t.Errorf("the answer shows SQL: %s", r.Body)
			}
			if r.Status == http.StatusBadRequest && len(problemFields(t, r)) == 0 {
				t.Errorf("400 without invalidFields: %s", r.Body)
			}
		})
	}
}

func testListRawSemicolon(t *testing.T, a *testAPI) {
	for _, raw := range []string{
		"filter=lastName:Smith;firstName:jane",
		"filter=lastName%3ASmith%3BfirstName%3Ajane",
		"filter=lastName:Smith%3BfirstName:jane",
		"sort=id&filter=lastName:Smith;firstName:jane&limit=5",
	} {
		t.Run(raw, func(t *testing.T) {
			l := getList(t, a, "/customers", raw)
			if got := l.ids(); !slices.Equal(got, []string{"c09"}) {
				t.Errorf("got %v, want [c09]", got)
			}
			wantPagination(t, l.r, 1, map[bool]int{true: 5, false: 100}[strings.Contains(raw, "limit=5")], 0)
			for rel, u := range linkRels(t, l.r.Header.Get("Link")) {
				if u.Query().Get("filter") != "lastName:Smith;firstName:jane" {
					t.Errorf("%s link %v does not keep the filter", rel, u)
				}
			}
		})
	}
	t.Run("raw semicolon in a quoted value", func(t *testing.T) {
		l := getList(t, a, "/customers", `filter=primaryAddress.city:"Lon;don:X";firstName:bob`)
		if got := l.ids(); !slices.Equal(got, []string{"c12"}) {
			t.Errorf("got %v, want [c12]", got)
		}
	})
}

func testListLayouts(t *testing.T, a *testAPI) {
	q := params("filter", "primaryAddress.country:GB", "sort", "id", "limit", "4")
	bare := getList(t, a, "/customers", q)
	prefix := "/organizations/" + a.orgID + "/customers"
	org := getList(t, a, prefix, q)
	slash := getList(t, a, "/customers/", q)
	for name, l := range map[string]listResult{"organization layout": org, "trailing slash": slash} {
		if !slices.Equal(l.ids(), bare.ids()) {
			t.Errorf("%s: %v, bare %v", name, l.ids(), bare.ids())
		}
		wantPagination(t, l.r, 6, 4, 0)
	}
	if got := bare.ids(); !slices.Equal(got, []string{"c01", "c02", "c04", "c12"}) {
		t.Errorf("bare: %v", got)
	}
	links := linkRels(t, org.r.Header.Get("Link"))
	if u := links["next"]; u == nil || u.Path != prefix || u.Query().Get("offset") != "4" {
		t.Errorf("organization layout next link %v, want %s%s?…offset=4", u, a.srv.URL, prefix)
	}
	if l := linksOf(org.items[0]); l["self"] != a.srv.URL+prefix+"/c01" {
		t.Errorf("self link %q under the organization layout, want %s", l["self"], a.srv.URL+prefix+"/c01")
	}
}

func linksOf(c map[string]any) map[string]string {
	out := map[string]string{}
	raw, _ := c["_links"].([]any)
	for _, l := range raw {
		m, _ := l.(map[string]any)
		rel, _ := m["rel"].(string)
		href, _ := m["href"].(string)
		out[rel] = href
	}
	return out
}

func testListTenants(t *testing.T, a *testAPI) {
	orgB, keyB := a.newOrgKey()
	for _, c := range []struct{ id, first string }{{"c01", "Bea"}, {"b-only", "Ada"}} {
		r := a.forTest(t).do(req{Method: http.MethodPut, Path: "/customers/" + c.id, Key: keyB,
			Body: map[string]any{"primaryAddress": map[string]any{"firstName": c.first, "lastName": "Other"}}})
		wantStatus(t, r, http.StatusCreated)
	}
	listB := func(t *testing.T, path, q string) listResult {
		t.Helper()
		if q != "" {
			path += "?" + q
		}
		r := a.forTest(t).do(req{Method: http.MethodGet, Path: path, Key: keyB})
		wantStatus(t, r, http.StatusOK)
		var items []map[string]any
		if err := json.Unmarshal(r.Body, &items); err != nil {
			t.Fatal(err)
		}
		return listResult{r: r, items: items}
	}
	cases := []struct{ q, want string }{
		{"", "b-only c01"},
		{params("filter", "firstName:ada"), "b-only"},
		{params("filter", "lastName:lovelace"), ""},
		{params("q", "ada"), "b-only"},
		{params("filter", "id:c01"), "c01"},
		{params("filter", "tags:vip"), ""},
		{params("filter", "leadSource.campaign:spring"), ""},
	}
	for _, c := range cases {
		t.Run("org B "+c.q, func(t *testing.T) {
			for _, path := range []string{"/customers", "/organizations/" + orgB + "/customers"} {
				l := listB(t, path, c.q)
				got := slices.Clone(l.ids())
				slices.Sort(got)
				if want := idSet(c.want); !slices.Equal(got, want) {
					t.Errorf("%s?%s: got %v, want %v", path, c.q, got, want)
				}
				wantPagination(t, l.r, len(idSet(c.want)), 100, 0)
				for _, it := range l.items {
					if it["id"] == "c01" && it["firstName"] != "Bea" {
						t.Errorf("org B sees org A's c01: %v", it)
					}
				}
			}
		})
	}
	t.Run("org A unchanged", func(t *testing.T) {
		l := getList(t, a, "/customers", params("filter", "id:c01,b-only"))
		if got := l.ids(); !slices.Equal(got, []string{"c01"}) {
			t.Errorf("org A: %v", got)
		}
		if l.items[0]["firstName"] != "Ada" {
			t.Errorf("org A's c01: %v", l.items[0]["firstName"])
		}
		wantPagination(t, getList(t, a, "/customers", "").r, 20, 100, 0)
	})
	t.Run("org B's expand sees org B's lead sources only", func(t *testing.T) {
		l := listB(t, "/customers", params("filter", "id:c01", "expand", "leadSource"))
		if len(l.items) != 1 {
			t.Fatalf("%d items", len(l.items))
		}
		e, ok := l.items[0]["_embedded"].(map[string]any)
		if v, present := e["leadSource"]; !ok || !present || v != nil {
			t.Errorf("org B's c01 _embedded %v, want {leadSource: null}", l.items[0]["_embedded"])
		}
	})
	t.Run("another organization's path", func(t *testing.T) {
		r := a.forTest(t).do(req{Method: http.MethodGet, Path: "/organizations/" + orgB + "/customers"})
		wantStatus(t, r, http.StatusForbidden)
	})
}

// TestListAuthorization checks that GET /customers authenticates before it
// reads any parameter and needs GetCustomerCollection.
func TestListAuthorization(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	a.create(map[string]any{})
	r := a.do(req{Method: http.MethodGet, Path: "/customers?limit=abc&filter=bogus", NoKey: true, InvalidRequest: "a bad limit, to show the key is checked first"})
	wantStatus(t, r, http.StatusUnauthorized)
	r = a.do(req{Method: http.MethodGet, Path: "/customers?limit=abc", Key: "sk_live_" + strings.Repeat("x", 40), InvalidRequest: "a bad limit, to show the key is checked first"})
	wantStatus(t, r, http.StatusUnauthorized)
	onlyGet := a.newKey(a.orgID, "GetCustomer")
	r = a.do(req{Method: http.MethodGet, Path: "/customers", Key: onlyGet})
	wantStatus(t, r, http.StatusForbidden)
	lister := a.newKey(a.orgID, "GetCustomerCollection")
	r = a.do(req{Method: http.MethodGet, Path: "/customers", Key: lister})
	wantStatus(t, r, http.StatusOK)
	if got := r.Header.Get("Pagination-Total"); got != "1" {
		t.Errorf("Pagination-Total %q, want 1", got)
	}
}

// TestListTotalsFollowWrites checks the unfiltered total (kept in counters)
// through creates, updates, racing creates of one id and merges.
func TestListTotalsFollowWrites(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	total := func(t *testing.T, q string) string {
		t.Helper()
		return getList(t, a, "/customers", q).r.Header.Get("Pagination-Total")
	}
	if got := total(t, ""); got != "0" {
		t.Fatalf("empty organization: total %q", got)
	}
	body := map[string]any{"customFields": map[string]any{"n": 1}}
	for range 2 {
		r := a.do(req{Method: http.MethodPut, Path: "/customers/x", Body: body})
		if r.Status != http.StatusCreated && r.Status != http.StatusOK {
			t.Fatalf("PUT: %d %s", r.Status, r.Body)
		}
		body = map[string]any{"customFields": map[string]any{"n": 2}}
	}
	a.create(map[string]any{})
	a.create(map[string]any{})
	if got := total(t, ""); got != "3" {
		t.Errorf("after 2 PUTs of one id and 2 POSTs: total %q, want 3", got)
	}
	const n = 6
	statuses := make([]int, n)
	testsync.Race(n, func(i int) {
		statuses[i] = a.do(req{Method: http.MethodPut, Path: "/customers/race", Body: map[string]any{}}).Status
	})
	if created := slices.Index(statuses, http.StatusCreated); created < 0 || slices.Contains(statuses[created+1:], http.StatusCreated) {
		t.Errorf("racing PUTs answered %v, want exactly one 201", statuses)
	}
	if got := total(t, ""); got != "4" {
		t.Errorf("after 6 racing PUTs of a new id: total %q, want 4", got)
	}
	r := a.do(req{Method: http.MethodDelete, Path: "/customers/race?targetCustomerId=x"})
	wantStatus(t, r, http.StatusNoContent)
	if got := total(t, ""); got != "3" {
		t.Errorf("after a merge: total %q, want 3", got)
	}
	if got := total(t, params("filter", "id:!race")); got != "3" {
		t.Errorf("filtered total %q, want 3", got)
	}
	if got := total(t, params("filter", "customFields.n:2")); got != "1" {
		t.Errorf("filtered total %q, want 1", got)
	}
	if got := total(t, "limit=0"); got != "3" {
		t.Errorf("limit=0 total %q, want 3", got)
	}
}

// TestListParameterEdges: single-valued parameters given twice are a 400
// naming them; the next link's offset never overflows; a merge reads its
// target with the same ;-safe parser as the list.
func TestListParameterEdges(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	for _, id := range []string{"e1", "e2"} {
		wantStatus(t, a.do(req{Method: http.MethodPut, Path: "/customers/" + id, Body: map[string]any{}}), http.StatusCreated)
	}
	for _, q := range []string{"filter=id:e1&filter=id:e2", "limit=1&limit=2", "q=a&q=b", "fields=id&fields=email", "expand=leadSource&expand=leadSource"} {
		name := strings.SplitN(q, "=", 2)[0]
		r := a.do(req{Method: http.MethodGet, Path: "/customers?" + q})
		wantStatus(t, r, http.StatusBadRequest)
		if fields := problemFields(t, r); !strings.Contains(fields[name], "given 2 times") {
			t.Errorf("%s: invalidFields %v, want %s given twice", q, fields, name)
		}
	}
	r := a.do(req{Method: http.MethodGet, Path: "/customers?limit=1&offset=9223372036854775807"})
	wantStatus(t, r, http.StatusOK)
	if links := linkRels(t, r.Header.Get("Link")); links["next"] != nil || links["prev"] == nil || links["prev"].Query().Get("offset") != "1" {
		t.Errorf("far past the end: Link %q, want no next and prev at the last page (offset 1)", r.Header.Get("Link"))
	}
	// targetCustomerId=e2;x is one value (an id that cannot exist), not a
	// missing parameter.
	r = a.do(req{Method: http.MethodDelete, Path: "/customers/e1?targetCustomerId=e2;x",
		InvalidRequest: "none, but the contract check's query parser (net/url) drops a pair holding ;"})
	wantStatus(t, r, http.StatusNotFound)
	if !strings.Contains(string(r.Body), "e2;x") {
		t.Errorf("merge into e2;x: %s, want a 404 naming the target", r.Body)
	}
	r = a.do(req{Method: http.MethodDelete, Path: "/customers/e1?targetCustomerId=e2&targetCustomerId=e3"})
	wantStatus(t, r, http.StatusBadRequest)
}
