package client

import "testing"

// The server's own Link headers are checked end to end in list_test.go;
// these are the shapes RFC 8288 allows that it happens not to send.
func TestParsePageLinks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []string
		want   PageLinks
	}{
		{"none", nil, PageLinks{}},
		{"server style", []string{`<http://h/customers?limit=2&offset=0>; rel="first", <http://h/customers?limit=2&offset=2>; rel="next"`},
			PageLinks{First: "http://h/customers?limit=2&offset=0", Next: "http://h/customers?limit=2&offset=2"}},
		{"token rel, spaces, other params", []string{`<a>;rel=prev;title="x, y; z" ,  <b> ; type="text/html"; rel=last`},
			PageLinks{Prev: "a", Last: "b"}},
		{"several relation types, any case", []string{`<a>; rel="First Next"`}, PageLinks{First: "a", Next: "a"}},
		{"previous is prev", []string{`<a>; rel="previous"`}, PageLinks{Prev: "a"}},
		{"commas inside the target", []string{`<http://h/c?filter=a:1,2>; rel="next"`}, PageLinks{Next: "http://h/c?filter=a:1,2"}},
		{"several header lines", []string{`<a>; rel="first"`, `<b>; rel="last"`}, PageLinks{First: "a", Last: "b"}},
		{"unknown rel and no rel skipped", []string{`<a>; rel="self", <b>, <c>; rel="next"`}, PageLinks{Next: "c"}},
		{"escaped quote", []string{`<a>; title="say \"hi\""; rel="next"`}, PageLinks{Next: "a"}},
		{"garbage stops parsing", []string{`junk <a>; rel="next"`}, PageLinks{}},
		{"unterminated target", []string{`<a; rel="next"`}, PageLinks{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := parsePageLinks(tc.values); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Status: 422, Detail: "The request body has invalid fields.", RequestID: "r1",
		InvalidFields: []InvalidField{{"websiteId", "may not be empty"}, {"locale", "must be a language tag"}}}
	want := "customers api: Unprocessable Entity (422): The request body has invalid fields. [websiteId: may not be empty; locale: must be a language tag] (request id r1)"
	if got := e.Error(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := (&Error{Status: 599}).Error(); got != "customers api: status (599)" {
		t.Errorf("unknown status: %q", got)
	}
}
