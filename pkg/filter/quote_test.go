package filter

import "testing"

func TestQuoteRoundTrips(t *testing.T) {
	for _, s := range []string{"plain", `a"b`, `back\slash`, "x,y;z:w..*", "", "null"} {
		clauses, err := ParseFilter("f:" + Quote(s))
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		vals := clauses[0].Values
		if len(vals) != 1 || vals[0].Null || vals[0].Range || vals[0].Term == nil || vals[0].Term.Text != s || vals[0].Term.Wildcard() {
			t.Errorf("Quote(%q) parses as %+v", s, vals)
		}
	}
}
