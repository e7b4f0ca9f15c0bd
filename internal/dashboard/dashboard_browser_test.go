package dashboard_test

// The dashboard in a real browser: headless Chromium (one per test binary,
// a tab per test) against the whole service over a real PostgreSQL, every
// element found by the names internal/dashboard/TESTIDS.md promises.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/dashboard/browsertest"
)

// tid is the CSS selector of a data-testid.
func tid(id string) string { return `[data-testid="` + id + `"]` }

// field is the CSS selector of the form control holding an API path.
func field(path string) string { return `[data-field="` + path + `"]` }

// errorFor is the CSS selector of the message shown at an API path.
func errorFor(path string) string { return `[data-error-for="` + path + `"]` }

// waitPage waits until the page named name (body[data-page]) has rendered
// everything it fetched, then checks that it shows no "null",
// "undefined", "NaN" or "[object Object]" outside <pre> and <code> (a
// value rendered without its formatting).
func waitPage(tab *browsertest.Tab, name string) {
	tab.T.Helper()
	tab.WaitFor("the "+name+" page to be rendered",
		`document.body.dataset.page === `+browsertest.JS(name)+` && document.querySelector('#main')?.getAttribute('aria-busy') === 'false'`)
	junk := browsertest.Eval[[]string](tab, `(() => {
		const found = [];
		const w = document.createTreeWalker(document.querySelector('#main'), NodeFilter.SHOW_TEXT);
		for (let n = w.nextNode(); n; n = w.nextNode()) {
			const t = n.nodeValue.trim();
			if (n.parentElement.closest('pre, code')) continue; // JSON shown as JSON
			if (/^(null|undefined|NaN)$/.test(t) || /\bundefined\b|\[object Object\]/.test(t)) {
				found.push(t + ' in <' + n.parentElement.tagName.toLowerCase() + (n.parentElement.dataset.testid ? ' data-testid=' + n.parentElement.dataset.testid : '') + '>');
			}
		}
		return found;
	})()`)
	if len(junk) > 0 {
		tab.T.Errorf("the %s page (%s) shows unformatted values: %q", name, tab.Location(), junk)
	}
}

// waitList waits until the customers list has rendered its rows.
func waitList(tab *browsertest.Tab) {
	tab.T.Helper()
	waitPage(tab, "customers")
	tab.WaitFor("the customers table to be rendered", `document.querySelector('[data-testid="customers-table"]')?.getAttribute('aria-busy') === 'false'`)
}

// signIn signs in with key on the sign-in page and waits for the list.
func signIn(tab *browsertest.Tab, key string) {
	tab.T.Helper()
	tab.Go("/dashboard/sign-in")
	waitPage(tab, "sign-in")
	tab.Type("#api-key", key)
	tab.Click(tid("sign-in-submit"))
	waitList(tab)
}

// waitSummary waits for the list's summary to read want ("1–20 of 45").
func waitSummary(tab *browsertest.Tab, want string) {
	tab.T.Helper()
	tab.WaitFor("the summary "+want, `(document.querySelector('[data-testid="page-summary"]')?.textContent || '').replaceAll('\u202f', ' ').trim() === `+browsertest.JS(want))
	waitList(tab)
}

// rowIDs are the ids of the list's rows, in order.
func rowIDs(tab *browsertest.Tab) []string {
	tab.T.Helper()
	return browsertest.Eval[[]string](tab, `[...document.querySelectorAll('[data-testid="customer-row"]')].map(r => r.dataset.id)`)
}

// cells are the texts of one column's cells, in row order.
func cells(tab *browsertest.Tab, column string) []string {
	tab.T.Helper()
	return tab.Texts(tid("cell-" + column))
}

// query is one parameter of the page's URL.
func query(tab *browsertest.Tab, name string) string {
	tab.T.Helper()
	return tab.Location().Query().Get(name)
}

// waitQuery waits until the page's URL has parameter name equal to want
// ("" for absent).
func waitQuery(tab *browsertest.Tab, name, want string) {
	tab.T.Helper()
	tab.WaitFor(fmt.Sprintf("the URL's %s to be %q", name, want),
		`(new URLSearchParams(location.search).get(`+browsertest.JS(name)+`) ?? '') === `+browsertest.JS(want))
}

// person is one seeded customer.
type person struct{ id, first, last, email, country string }

// seedPeople creates n customers (n ≤ 45) through the API, with unique last
// names and countries cycling through FR, GB, DE, US and JP; each is created
// a clock tick after the one before, so the default sort (-createdTime)
// lists the last first.
func seedPeople(s *browsertest.Server, n int) []person {
	s.T.Helper()
	firsts := strings.Fields(`Ada Bruno Chloé Dmitri Elena Farid Greta Hiro Inès Jonas Kofi Lena Mateo Nadia Oskar
		Priya Quentin Rosa Sven Tomoko Uma Viktor Wanda Xavier Yara Zeno Amara Björn Carmen Diego Emil Fatima Gustav
		Hana Ivo Jana Karim Lucía Milan Noor Olga Pavel Rania Stefan Tariq`)
	lasts := strings.Fields(`Abbott Baker Carter Dalton Ellis Fischer Garcia Hughes Ivanova Jensen Keller Lambert
		Moreau Nakamura Okafor Petrov Quinn Rossi Schmidt Tanaka Ueda Varga Weber Xu Yilmaz Zimmermann Andersen
		Bernard Costa Dubois Eriksson Fontaine Gallo Hansen Ibarra Jovanovic Kowalski Laurent Martin Novak Olsen
		Perez Richter Silva Torres`)
	countries := []string{"FR", "GB", "DE", "US", "JP"}
	if len(firsts) < n || len(lasts) < n {
		s.T.Fatalf("seedPeople: only %d names", min(len(firsts), len(lasts)))
	}
	people := make([]person, n)
	for i := range people {
		p := person{
			id: fmt.Sprintf("cus-%02d", i+1), first: firsts[i], last: lasts[i],
			email:   strings.ToLower(strings.NewReplacer("é", "e", "è", "e", "ö", "o", "í", "i").Replace(firsts[i]+"."+lasts[i])) + "@example.com",
			country: countries[i%len(countries)],
		}
		s.PutCustomer(p.id, browsertest.Person(p.first, p.last, p.email, p.country))
		people[i] = p
	}
	return people
}

// apiIDs are the ids GET /customers?<query> answers, in order.
func apiIDs(s *browsertest.Server, query string) []string {
	s.T.Helper()
	r := s.REST(http.MethodGet, "/customers?fields=id&"+query, nil)
	var page []struct{ ID string }
	if err := json.Unmarshal(r.Body, &page); r.Status != http.StatusOK || err != nil {
		s.T.Fatalf("GET /customers?%s: %d %s (%v)", query, r.Status, r, err)
	}
	ids := make([]string, len(page))
	for i, c := range page {
		ids[i] = c.ID
	}
	return ids
}

// TestBrowserSecurityHeaders checks over plain HTTP what the browser tests
// rely on: the pages need no key, every answer carries a strict
// Content-Security-Policy (no 'unsafe-inline', never framed), nosniff and
// a Referrer-Policy, and the HTML holds no inline script, style or event
// handler that such a policy would block.
func TestBrowserSecurityHeaders(t *testing.T) {
	s := browsertest.NewServer(t)
	check := func(path string, status int, contentType string) browsertest.Reply {
		t.Helper()
		r := s.Send(http.MethodGet, path, nil, nil)
		if r.Status != status {
			t.Errorf("GET %s without a key: %d, want %d: %s", path, r.Status, status, r)
		}
		if ct := r.Header.Get("Content-Type"); contentType != "" && !strings.HasPrefix(ct, contentType) {
			t.Errorf("GET %s: Content-Type %q, want %s", path, ct, contentType)
		}
		csp := r.Header.Get("Content-Security-Policy")
		directives := map[string]string{}
		for _, d := range strings.Split(csp, ";") {
			name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
			directives[name] = value
		}
		if directives["default-src"] != "'self'" {
			t.Errorf("GET %s: Content-Security-Policy %q lacks default-src 'self'", path, csp)
		}
		if directives["frame-ancestors"] != "'none'" {
			t.Errorf("GET %s: Content-Security-Policy %q lacks frame-ancestors 'none'", path, csp)
		}
		for _, weak := range []string{"unsafe-inline", "unsafe-eval", "*", "data:", "http:"} {
			for name, value := range directives {
				if slices.Contains(strings.Fields(value), weak) || slices.Contains(strings.Fields(value), "'"+weak+"'") {
					t.Errorf("GET %s: Content-Security-Policy %s allows %s: %q", path, name, weak, csp)
				}
			}
		}
		if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q, want nosniff", path, got)
		}
		if got := r.Header.Get("Referrer-Policy"); got != "no-referrer" && got != "same-origin" && got != "strict-origin" {
			t.Errorf("GET %s: Referrer-Policy %q, want no-referrer, same-origin or strict-origin", path, got)
		}
		return r
	}
	index := check("/dashboard/", http.StatusOK, "text/html")
	deep := check("/dashboard/customers/cus-01/merge", http.StatusOK, "text/html")
	if index.String() != deep.String() {
		t.Errorf("a page's path does not answer the same index.html as /dashboard/")
	}
	check("/dashboard/no-such-file.js", http.StatusNotFound, "")

	html := index.String()
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?is)<script(?:\s[^>]*)?>`), // checked below: each must have src
		regexp.MustCompile(`(?i)\sstyle\s*=`),
		regexp.MustCompile(`(?i)\son[a-z]+\s*=`),
		regexp.MustCompile(`(?i)javascript:`),
		regexp.MustCompile(`(?is)<style[\s>]`),
	} {
		for _, m := range bad.FindAllString(html, -1) {
			if strings.HasPrefix(strings.ToLower(m), "<script") && strings.Contains(m, "src=") {
				continue
			}
			t.Errorf("index.html has %q, which a strict Content-Security-Policy blocks", m)
		}
	}
	// Every script and style sheet the page loads is served with its type
	// and the same headers.
	refs := regexp.MustCompile(`(?i)(?:src|href)="([^"]+\.(?:js|css))"`).FindAllStringSubmatch(html, -1)
	if len(refs) == 0 {
		t.Fatalf("index.html loads no script or style sheet:\n%s", html)
	}
	for _, m := range refs {
		u, err := url.Parse(m[1])
		if err != nil || u.Host != "" {
			t.Errorf("index.html loads %q, not a file of its own", m[1])
			continue
		}
		p := (&url.URL{Path: "/dashboard/"}).ResolveReference(u).Path
		want := "text/javascript"
		if strings.HasSuffix(p, ".css") {
			want = "text/css"
		}
		check(p, http.StatusOK, want)
	}
}

// TestBrowserSignInAndOut: without a key every page sends you to sign-in
// (remembering where you were going); a wrong key is refused there; the key
// lives in the tab's sessionStorage only, never in localStorage, a cookie
// or the URL, so another tab is not signed in; sign-out forgets it.
func TestBrowserSignInAndOut(t *testing.T) {
	s := browsertest.NewServer(t)
	seedPeople(s, 3)
	tab := browsertest.Open(t, s)

	tab.Go("/dashboard/customers?sort=email")
	waitPage(tab, "sign-in")
	if u := tab.Location(); u.Path != "/dashboard/sign-in" || u.Query().Get("next") != "/dashboard/customers?sort=email" {
		t.Errorf("a page without a key went to %s, want /dashboard/sign-in?next=/dashboard/customers?sort=email", u)
	}
	if tab.IsVisible(tid("nav")) {
		t.Errorf("the navigation is shown on the sign-in page")
	}
	if got := browsertest.Eval[string](tab, `(l => l ? l.textContent : '')(document.querySelector('label[for="api-key"]'))`); !strings.Contains(got, "API key") {
		t.Errorf("the key input's label is %q, want it to say API key", got)
	}
	if typ := browsertest.Eval[string](tab, `document.querySelector('#api-key').type`); typ != "password" {
		t.Errorf("the key input is type %q, want password", typ)
	}
	tab.Axe("the sign-in page")

	// A wrong key: the first request answers 401, and sign-in says so.
	tab.Type("#api-key", "sk_live_not-a-key")
	tab.Click(tid("sign-in-submit"))
	waitPage(tab, "sign-in")
	tab.WaitText(tid("sign-in-message"), "not accepted")
	if session, _, _ := tab.Storage(); len(session) != 0 {
		t.Errorf("a refused key stays in sessionStorage: %v", session)
	}

	// The right key, and Enter (the keyboard alone signs in): on to where
	// we were going.
	tab.Type("#api-key", s.Key)
	tab.Press("#api-key", "\r")
	waitList(tab)
	if u := tab.Location(); u.Path != "/dashboard/customers" || u.Query().Get("sort") != "email" {
		t.Errorf("after sign-in the page is %s, want /dashboard/customers?sort=email", u)
	}
	if got := cells(tab, "email"); !slices.IsSorted(got) || len(got) != 3 {
		t.Errorf("emails %q, want the 3 customers sorted by email", got)
	}
	session, local, cookies := tab.Storage()
	if session["customers-api.key"] != s.Key {
		t.Errorf("sessionStorage = %v, want the key under customers-api.key", session)
	}
	if len(local) != 0 || cookies != "" {
		t.Errorf("the key must live in sessionStorage only: localStorage %v, cookies %q", local, cookies)
	}
	if strings.Contains(tab.Location().String(), s.Key) {
		t.Errorf("the key is in the URL: %s", tab.Location())
	}

	// A reload keeps the tab signed in; another tab is not.
	tab.Reload()
	waitList(tab)
	other := browsertest.Open(t, s)
	other.Go("/dashboard/customers")
	waitPage(other, "sign-in")

	// Sign out: the key is forgotten and the pages need it again.
	tab.Click(tid("sign-out"))
	waitPage(tab, "sign-in")
	tab.WaitText(tid("sign-in-message"), "Signed out")
	if session, local, cookies := tab.Storage(); len(session) != 0 || len(local) != 0 || cookies != "" {
		t.Errorf("after sign-out: sessionStorage %v, localStorage %v, cookies %q; want all empty", session, local, cookies)
	}
	tab.Go("/dashboard/customers")
	waitPage(tab, "sign-in")
	if tab.Exists(tid("customer-row")) {
		t.Errorf("customers are shown after sign-out")
	}
}

// TestBrowserCustomersList: totals and pages from Pagination-Total and
// Link, the whole view in the URL (the back button restores it), click and
// shift-click sorting, the debounced search, the column chooser and the
// page size; the list's axe check and screenshot.
func TestBrowserCustomersList(t *testing.T) {
	s := browsertest.NewServer(t)
	people := seedPeople(s, 45)
	for _, tag := range [][2]string{{"vip", "cus-45"}, {"newsletter", "cus-43"}, {"vip", "cus-43"}} {
		mustStatus(t, "tag "+tag[1], s.REST(http.MethodPost, "/tags/"+tag[0]+"/customers/"+tag[1], nil), http.StatusNoContent)
	}
	tab := browsertest.Open(t, s)
	signIn(tab, s.Key)

	waitSummary(tab, "1–20 of 45")
	if got := cells(tab, "tags"); len(got) < 3 || got[0] != "vip" || !strings.Contains(got[2], "newsletter") || !strings.Contains(got[2], "vip") {
		t.Errorf("tags cells %q, want vip, none, then newsletter and vip", got)
	}
	ids := rowIDs(tab)
	if len(ids) != 20 || ids[0] != "cus-45" || ids[19] != "cus-26" {
		t.Errorf("first page rows %v, want cus-45 … cus-26 (newest first)", ids)
	}
	disabled := func(button string) bool {
		return browsertest.Eval[bool](tab, `document.querySelector('`+tid(button)+`').disabled`)
	}
	for _, b := range []string{"page-first", "page-prev"} {
		if !disabled(b) {
			t.Errorf("%s is enabled on the first page", b)
		}
	}
	if disabled("page-next") || disabled("page-last") {
		t.Errorf("page-next or page-last is disabled on the first of three pages")
	}
	tab.Axe("the customers list")
	tab.Screenshot("customers", tid("list-timing")) // the measured time differs run to run

	// Pagination: next, next (the last page), then back twice.
	tab.Click(tid("page-next"))
	waitSummary(tab, "21–40 of 45")
	if got := query(tab, "offset"); got != "20" {
		t.Errorf("offset in the URL %q, want 20", got)
	}
	tab.Click(tid("page-next"))
	waitSummary(tab, "41–45 of 45")
	if ids := rowIDs(tab); !slices.Equal(ids, []string{"cus-05", "cus-04", "cus-03", "cus-02", "cus-01"}) {
		t.Errorf("last page rows %v, want cus-05 … cus-01", ids)
	}
	for _, b := range []string{"page-next", "page-last"} {
		if !disabled(b) {
			t.Errorf("%s is enabled on the last page", b)
		}
	}
	tab.Back()
	waitSummary(tab, "21–40 of 45")
	waitQuery(tab, "offset", "20")
	tab.Back()
	waitSummary(tab, "1–20 of 45")
	waitQuery(tab, "offset", "")
	tab.Click(tid("page-last"))
	waitSummary(tab, "41–45 of 45")

	// Sorting: a click sorts by that column alone, again reverses it;
	// shift-click adds a key.
	tab.Click(tid("sort-name"))
	waitQuery(tab, "sort", "lastName")
	waitSummary(tab, "1–20 of 45")
	byLast := slices.Clone(people)
	slices.SortFunc(byLast, func(a, b person) int { return strings.Compare(a.last, b.last) })
	var want []string
	for _, p := range byLast[:20] {
		want = append(want, p.id)
	}
	if got := rowIDs(tab); !slices.Equal(got, want) {
		t.Errorf("sorted by last name: rows %v, want %v", got, want)
	}
	if got := cells(tab, "name"); len(got) == 0 || !strings.Contains(got[0], byLast[0].last) {
		t.Errorf("sorted by last name: names %q, want %s first", got, byLast[0].last)
	}
	if got := browsertest.Eval[string](tab, `document.querySelector('`+tid("sort-name")+`').closest('th').getAttribute('aria-sort')`); got != "ascending" {
		t.Errorf("name column aria-sort %q, want ascending", got)
	}
	tab.Click(tid("sort-name"))
	waitQuery(tab, "sort", "-lastName")
	waitList(tab)
	if got := rowIDs(tab); len(got) == 0 || got[0] != byLast[len(byLast)-1].id {
		t.Errorf("sorted by last name descending: rows %v, want %s first", got, byLast[len(byLast)-1].id)
	}
	tab.Click(tid("sort-country"))
	waitQuery(tab, "sort", "primaryAddress.country")
	tab.ShiftClick(tid("sort-name"))
	waitQuery(tab, "sort", "primaryAddress.country,lastName")
	waitList(tab)
	byCountry := slices.Clone(people)
	slices.SortFunc(byCountry, func(a, b person) int {
		if c := strings.Compare(a.country, b.country); c != 0 {
			return c
		}
		return strings.Compare(a.last, b.last)
	})
	want = want[:0]
	for _, p := range byCountry[:20] {
		want = append(want, p.id)
	}
	if got := rowIDs(tab); !slices.Equal(got, want) {
		t.Errorf("sorted by country, then last name: rows %v, want %v", got, want)
	}
	th := `(b => { const th = document.querySelector(b).closest('th'); return [th.dataset.sort || '', th.dataset.sortIndex || '', th.getAttribute('aria-sort') || '']; })`
	if got := browsertest.Eval[[]string](tab, th+`('`+tid("sort-country")+`')`); !slices.Equal(got, []string{"asc", "1", "ascending"}) {
		t.Errorf("country header: data-sort, data-sort-index, aria-sort = %q, want asc, 1, ascending", got)
	}
	if got := browsertest.Eval[[]string](tab, th+`('`+tid("sort-name")+`')`); !slices.Equal(got, []string{"asc", "2", ""}) {
		t.Errorf("name header: data-sort, data-sort-index, aria-sort = %q, want asc, 2 and no aria-sort", got)
	}

	// Search: typing is debounced into one request and one history entry.
	requests := `performance.getEntriesByType('resource').filter(e => new URL(e.name).pathname === '/customers').length`
	before := browsertest.Eval[int](tab, requests)
	history := browsertest.Eval[int](tab, `history.length`)
	tab.Type("#search", "zimmer")
	waitQuery(tab, "q", "zimmer")
	waitSummary(tab, "1–1 of 1")
	if got := cells(tab, "name"); len(got) != 1 || !strings.Contains(got[0], "Zimmermann") {
		t.Errorf("search zimmer: names %q, want Zeno Zimmermann's alone", got)
	}
	if n := browsertest.Eval[int](tab, requests) - before; n < 1 || n >= len("zimmer") {
		t.Errorf("typing %q made %d list requests; a debounced search makes one per settled value", "zimmer", n)
	}
	if n := browsertest.Eval[int](tab, `history.length`) - history; n != 1 {
		t.Errorf("typing a search added %d history entries, want 1", n)
	}
	tab.Back()
	waitQuery(tab, "q", "")
	waitSummary(tab, "1–20 of 45")
	if got := tab.Value("#search"); got != "" {
		t.Errorf("back from a search: the box still shows %q", got)
	}

	// Columns map to fields: hiding email drops it from the request.
	tab.Go("/dashboard/customers")
	waitList(tab)
	tab.Click(tid("columns-toggle"))
	tab.Click("#col-email")
	tab.WaitFor("fields without email in the URL", `(f => f !== null && f !== '' && !f.split(',').includes('email'))(new URLSearchParams(location.search).get('fields'))`)
	waitList(tab)
	if tab.Exists(tid("cell-email")) {
		t.Errorf("the email column is still shown after it was unchecked")
	}
	if got := cells(tab, "name"); len(got) != 20 || got[0] == "" {
		t.Errorf("names after hiding the email column: %q", got)
	}

	// Page size.
	tab.Select("#page-size", "50")
	waitQuery(tab, "limit", "50")
	waitSummary(tab, "1–45 of 45")
	if n := len(rowIDs(tab)); n != 45 {
		t.Errorf("page size 50 shows %d rows, want 45", n)
	}

	// The view is a URL: a fresh tab opened at it shows the same rows.
	shared := tab.Location().RequestURI()
	tab.Go(shared)
	waitSummary(tab, "1–45 of 45")
}

// TestBrowserFilterBuilder: the builder writes Rebilly's filter string into
// the editable text, the URL and the request; a wrong filter typed by hand
// shows the server's 400 message and offset at the text.
func TestBrowserFilterBuilder(t *testing.T) {
	s := browsertest.NewServer(t)
	seedPeople(s, 45)
	tab := browsertest.Open(t, s)
	signIn(tab, s.Key)
	waitSummary(tab, "1–20 of 45")

	tab.Click(tid("filter-builder") + " > summary")
	tab.Click(tid("filter-add"))
	tab.Select("#filter-field-0", "primaryAddress.country")
	tab.Select("#filter-op-0", "equals")
	tab.Type("#filter-value-0", "FR")
	tab.WaitFor("the filter text to be written", `document.querySelector('#filter-text').value === 'primaryAddress.country:FR'`)
	tab.Click(tid("filter-add"))
	tab.Select("#filter-field-1", "lastName")
	tab.Select("#filter-op-1", "range")
	tab.Type("#filter-value-1", "A")
	tab.Type("#filter-value-to-1", "M")
	tab.WaitFor("the filter text to have both conditions", `document.querySelector('#filter-text').value === 'primaryAddress.country:FR;lastName:A..M'`)
	tab.Axe("the customers list with the filter builder open")
	tab.Click(tid("filter-apply"))
	waitQuery(tab, "filter", "primaryAddress.country:FR;lastName:A..M")
	// The API itself says which customers match.
	want := apiIDs(s, "filter="+url.QueryEscape("primaryAddress.country:FR;lastName:A..M")+"&limit=100")
	if len(want) < 2 || len(want) >= 9 {
		t.Fatalf("the API finds %d of the 9 French customers named A..M; the test needs some, not all", len(want))
	}
	slices.Sort(want)
	waitSummary(tab, fmt.Sprintf("1–%d of %d", len(want), len(want)))
	got := rowIDs(tab)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("filtered rows %v, want %v", got, want)
	}
	for _, c := range cells(tab, "country") {
		if !strings.Contains(c, "FR") {
			t.Errorf("a row of country %q under the filter primaryAddress.country:FR", c)
		}
	}

	// Wrong by hand: the server's 400 names the field and the offset.
	bad := "primaryAddress.country:FR;nosuchfield:1"
	r := s.REST(http.MethodGet, "/customers?filter="+url.QueryEscape(bad), nil)
	var problem struct {
		InvalidFields []struct{ Field, Message string } `json:"invalidFields"`
	}
	if err := json.Unmarshal(r.Body, &problem); r.Status != http.StatusBadRequest || err != nil || len(problem.InvalidFields) == 0 {
		t.Fatalf("GET /customers?filter=%s: %d %s, want a 400 with invalidFields", bad, r.Status, r)
	}
	message := problem.InvalidFields[0].Message
	tab.Type("#filter-text", bad)
	tab.Press("#filter-text", "\r")
	tab.WaitFor("the filter error", `(document.querySelector('[data-testid="filter-error"]')?.textContent || '').includes(`+browsertest.JS(message)+`)`)
	tab.WaitAttr("#filter-text", "aria-invalid", "true")
	offset := regexp.MustCompile(`\d+`).FindString(message)
	if got := strings.TrimSpace(tab.Text(tid("filter-error-offset"))); offset == "" || got != offset {
		t.Errorf("filter-error-offset %q; the server's message %q says %q", got, message, offset)
	}
	// The server counts characters from 0: the offset is where the
	// unknown field starts, and the marker marks that character.
	n, err := strconv.Atoi(offset)
	runes := []rune(bad)
	if err != nil || n >= len(runes) || !strings.HasPrefix(string(runes[n:]), "nosuchfield") {
		t.Fatalf("the server's offset %q does not point at the unknown field in %q", offset, bad)
	}
	if mark := browsertest.Eval[string](tab, `(m => m ? m.textContent : '<no mark>')(document.querySelector('[data-testid="filter-error-marker"] mark'))`); mark != string(runes[n]) {
		t.Errorf("the marker marks %q, want %q (character %d of %q)", mark, string(runes[n]), n, bad)
	}
	tab.Axe("the customers list with a filter error")

	// Clear: every customer again.
	tab.Click(tid("filter-clear"))
	waitQuery(tab, "filter", "")
	waitSummary(tab, "1–20 of 45")
	if tab.IsVisible(tid("filter-error")) {
		t.Errorf("the filter error is still shown after clearing the filter")
	}
}

// TestBrowserKeyboardNarrowAndDark: the list works from the keyboard with
// a visible focus; at 360 px wide nothing makes the page scroll sideways;
// in the system's dark scheme the pages turn dark and still pass axe
// (which checks colour contrast).
func TestBrowserKeyboardNarrowAndDark(t *testing.T) {
	s := browsertest.NewServer(t)
	seedPeople(s, 25)
	s.PutCustomer("amelie", amelie())
	tab := browsertest.Open(t, s)
	signIn(tab, s.Key)
	waitSummary(tab, "1–20 of 26")

	// The skip link comes first, then the keyboard sorts and pages.
	tab.Reload()
	waitList(tab)
	tab.Keys("\t")
	if got := tab.Focused(); !strings.Contains(got, "Skip") {
		t.Errorf("the first Tab focuses %q, want the skip link", got)
	}
	// Tab along to the email column's sort button, which must show that
	// it has the focus, and sort with Enter.
	for i := 0; i < 40 && !strings.Contains(tab.Focused(), "sort-email"); i++ {
		tab.Keys("\t")
	}
	if got := tab.Focused(); !strings.Contains(got, "sort-email") {
		t.Fatalf("40 Tabs never reached the email sort button; the focus is on %q", got)
	}
	focus := browsertest.Eval[[]string](tab, `(e => { const c = getComputedStyle(e); return [c.outlineStyle, c.outlineWidth, c.boxShadow]; })(document.activeElement)`)
	if (focus[0] == "none" || focus[1] == "0px") && focus[2] == "none" {
		t.Errorf("the focused sort button shows no focus: outline %s %s, box-shadow %s", focus[0], focus[1], focus[2])
	}
	tab.Keys("\r")
	waitQuery(tab, "sort", "email")
	waitList(tab)
	if got := cells(tab, "email"); !slices.IsSorted(got) {
		t.Errorf("after Enter on the email sort button: emails %q, not sorted", got)
	}

	// 360 px wide.
	tab.Viewport(360, 740)
	tab.Go("/dashboard/customers")
	waitList(tab)
	sideways := `(() => { const w = document.documentElement.clientWidth; return document.documentElement.scrollWidth > w ? [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.table-scroll, [data-scroll]') && getComputedStyle(e).position !== 'fixed').slice(0, 5).map(e => e.outerHTML.slice(0, 100)) : []; })()`
	overflowing := func(where string) {
		t.Helper()
		if w := browsertest.Eval[[]int](tab, `[document.documentElement.scrollWidth, document.documentElement.clientWidth]`); w[0] > w[1] {
			t.Errorf("%s at 360 px scrolls sideways: %d px wide in %d; sticking out: %q", where, w[0], w[1], browsertest.Eval[[]string](tab, sideways))
		}
	}
	overflowing("the customers list")
	tab.Axe("the customers list at 360 px")
	tab.Go("/dashboard/customers/amelie")
	waitPage(tab, "customer")
	overflowing("a customer page")
	tab.Axe("a customer page at 360 px")

	// Dark.
	tab.Viewport(browsertest.ViewportWidth, browsertest.ViewportHeight)
	background := `getComputedStyle(document.body).backgroundColor`
	light := browsertest.Eval[string](tab, background)
	tab.ColorScheme("dark")
	tab.WaitFor("the page to turn dark", background+` !== `+browsertest.JS(light))
	tab.Axe("a customer page in the dark scheme")
	tab.Go("/dashboard/customers")
	waitList(tab)
	tab.Axe("the customers list in the dark scheme")
	tab.Go("/dashboard/sign-in")
	tab.Axe("the sign-in page in the dark scheme")
}
