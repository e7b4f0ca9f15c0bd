package customers

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestValidateInputReportsAPIPaths(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want []FieldError
	}{
		{"valid minimal", Input{}, nil},
		{"empty websiteId", Input{WebsiteID: ptr("")}, []FieldError{{"websiteId", "may not be empty (send null to leave it unset)"}}},
		{"long websiteId", Input{WebsiteID: ptr(strings.Repeat("w", 51))}, []FieldError{{"websiteId", "must be at most 50 characters"}}},
		{"websiteId of 50 multibyte characters", Input{WebsiteID: ptr(strings.Repeat("é", 50))}, nil},
		{"payment token", Input{PaymentToken: ptr("tok")}, []FieldError{{"paymentToken", "is not supported: this service keeps no payment vault; store the instrument with your payment provider and send defaultPaymentInstrument"}}},
		{"bad method", Input{DefaultPaymentInstrument: &PaymentInstrument{Method: "gold"}}, []FieldError{{"defaultPaymentInstrument.method", "must be one of payment-card, ach, cash, check, paypal, bank-transfer, digital-wallet, other"}}},
		{"locale en_US", Input{Locale: ptr("en_US")}, nil},
		{"locale fr-FR", Input{Locale: ptr("fr-FR")}, nil},
		{"bad locale", Input{Locale: ptr("french!")}, []FieldError{{"locale", "must be a language tag such as fr-FR or en_US"}}},
		{"empty locale", Input{Locale: ptr("")}, []FieldError{{"locale", "must be a language tag such as fr-FR or en_US"}}},
		{"nested email", Input{PrimaryAddress: &Contact{Emails: []ContactEmail{
			{Label: "a", Value: "a@example.com"}, {Label: "b", Value: "not-an-email"},
		}}}, []FieldError{{"primaryAddress.emails[1].value", "must be a valid email address"}}},
		{"missing label", Input{PrimaryAddress: &Contact{PhoneNumbers: []ContactPhone{{Value: "123"}}}},
			[]FieldError{{"primaryAddress.phoneNumbers[0].label", "is required and may not be empty"}}},
		{"two primaries", Input{PrimaryAddress: &Contact{Emails: []ContactEmail{
			{Label: "a", Value: "a@example.com", Primary: true}, {Label: "b", Value: "b@example.com", Primary: true},
		}}}, []FieldError{{"primaryAddress.emails", "at most one entry may be primary"}}},
		{"contact strings", Input{PrimaryAddress: &Contact{FirstName: ptr(""), Country: ptr("gb"), PostalCode: ptr("AB$1"), Dob: ptr("1990-02-30")}},
			[]FieldError{
				{"primaryAddress.firstName", "may not be empty (send null to leave it unset)"},
				{"primaryAddress.country", "must be an ISO 3166-1 alpha-2 country code in upper case, such as GB"},
				{"primaryAddress.postalCode", "may contain only letters, digits, underscores, spaces and hyphens"},
				{"primaryAddress.dob", "must be a date in the form YYYY-MM-DD"},
			}},
		{"custom field object value", Input{CustomFields: map[string]any{"o": map[string]any{"a": 1}}},
			[]FieldError{{"customFields.o", "must be a string, number, boolean, null or an array of those"}}},
		{"custom field nested array", Input{CustomFields: map[string]any{"a": []any{"x", []any{1}}}},
			[]FieldError{{"customFields.a[1]", "array elements must be strings, numbers, booleans or null"}}},
		{"custom field bad name", Input{CustomFields: map[string]any{"a.b": "x"}},
			[]FieldError{{"customFields.a.b", `names must be 1 to 100 letters, digits, "_" or "-"`}}},
		{"custom fields too big", Input{CustomFields: map[string]any{"big": strings.Repeat("x", MaxCustomFieldsBytes)}},
			[]FieldError{{"customFields", "must serialize to at most 16384 bytes of JSON"}}},
		{"custom fields at the limit with HTML characters", Input{CustomFields: map[string]any{"k": strings.Repeat("<", MaxCustomFieldsBytes-8)}}, nil},
		{"custom fields one over the limit with HTML characters", Input{CustomFields: map[string]any{"k": strings.Repeat("&", MaxCustomFieldsBytes-7)}},
			[]FieldError{{"customFields", "must serialize to at most 16384 bytes of JSON"}}},
		{"phone value of 50", Input{PrimaryAddress: &Contact{PhoneNumbers: []ContactPhone{{Label: "l", Value: strings.Repeat("1", 50)}}}}, nil},
		{"phone value of 51", Input{PrimaryAddress: &Contact{PhoneNumbers: []ContactPhone{{Label: "l", Value: strings.Repeat("1", 51)}}}},
			[]FieldError{{"primaryAddress.phoneNumbers[0].value", "must be at most 50 characters"}}},
		{"twenty emails", Input{PrimaryAddress: &Contact{Emails: emails(20)}}, nil},
		{"twenty-one emails", Input{PrimaryAddress: &Contact{Emails: emails(21)}},
			[]FieldError{{"primaryAddress.emails", "may hold at most 20 entries"}}},
		{"twenty-one phones", Input{PrimaryAddress: &Contact{PhoneNumbers: make([]ContactPhone, 21)}},
			[]FieldError{{"primaryAddress.phoneNumbers", "may hold at most 20 entries"}}},
		{"lead source referrer", Input{LeadSource: &LeadSourceData{Referrer: ptr("not a uri")}},
			[]FieldError{{"leadSource.referrer", "must be a URI"}}},
		{"custom fields scalars", Input{CustomFields: map[string]any{"s": "x", "n": json.Number("1.5"), "b": true, "z": nil, "l": []any{"a", json.Number("2")}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateInput(tt.in, nil)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("validateInput: unexpected error %v", err)
				}
				return
			}
			var de *Error
			if !errors.As(err, &de) || de.Kind != KindInvalid {
				t.Fatalf("validateInput: got %v, want a KindInvalid error", err)
			}
			if !reflect.DeepEqual(de.Fields, tt.want) {
				t.Fatalf("fields:\n got %+v\nwant %+v", de.Fields, tt.want)
			}
		})
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"abc": true, "a-b_c.d@e~f": true, strings.Repeat("a", 50): true,
		"": false, strings.Repeat("a", 51): false, "a b": false, "a/b": false, "é": false,
	} {
		if got := ValidID(id); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, got, want)
		}
	}
}

func emails(n int) []ContactEmail {
	out := make([]ContactEmail, n)
	for i := range out {
		out[i] = ContactEmail{Label: "l", Value: fmt.Sprintf("e%d@example.com", i)}
	}
	return out
}

func TestContactHash(t *testing.T) {
	a := &Contact{FirstName: ptr("Ada"), Emails: []ContactEmail{{Label: "w", Value: "a@example.com", Primary: true}}}
	b := &Contact{FirstName: ptr("Ada"), Emails: []ContactEmail{{Label: "w", Value: "a@example.com", Primary: true}}, Hash: "ignored"}
	if ContactHash(a) != ContactHash(b) {
		t.Fatal("identical contacts hash differently")
	}
	if h := ContactHash(a); len(h) != 40 || strings.ToLower(h) != h {
		t.Fatalf("hash %q: want 40 lower-case hex characters", h)
	}
	c := &Contact{FirstName: ptr("ada"), Emails: a.Emails}
	if ContactHash(a) == ContactHash(c) {
		t.Fatal("case must be kept: Ada and ada hash the same")
	}
	// Golden value: SHA-1 of the canonical JSON (sorted keys, nulls, lists kept).
	const golden = `{"address":null,"address2":null,"city":null,"country":null,"dob":null,"emails":[{"label":"w","primary":true,"value":"a@example.com"}],"firstName":"Ada","jobTitle":null,"lastName":null,"organization":null,"phoneNumbers":[],"postalCode":null,"region":null}`
	if got, want := ContactHash(a), sha1Hex(golden); got != want {
		t.Fatalf("hash = %s, want SHA-1 of %s = %s", got, golden, want)
	}
}

func TestCustomFieldsEqualComparesNumbersByValue(t *testing.T) {
	a := map[string]any{"n": json.Number("1.50"), "l": []any{json.Number("1e2"), "x"}, "s": "1.5"}
	b := map[string]any{"n": json.Number("1.5"), "l": []any{json.Number("100"), "x"}, "s": "1.5"}
	if !customFieldsEqual(a, b) {
		t.Fatal("1.50 and 1.5, 1e2 and 100 must be equal")
	}
	for name, c := range map[string]map[string]any{
		"other number":      {"n": json.Number("1.51"), "l": []any{json.Number("100"), "x"}, "s": "1.5"},
		"string not number": {"n": "1.5", "l": []any{json.Number("100"), "x"}, "s": "1.5"},
		"missing key":       {"n": json.Number("1.5"), "l": []any{json.Number("100"), "x"}},
		"array order":       {"n": json.Number("1.5"), "l": []any{"x", json.Number("100")}, "s": "1.5"},
	} {
		if customFieldsEqual(a, c) {
			t.Errorf("%s: compared equal", name)
		}
	}
	// Huge exponents are refused before any comparison could be costly.
	if numberInRange(json.Number("1e-999999999")) || numberInRange(json.Number("1e500")) || !numberInRange(json.Number("18446744073709551615")) {
		t.Fatal("numberInRange bounds")
	}
}

func TestPrecondition(t *testing.T) {
	tests := []struct {
		name   string
		pre    Precondition
		exists bool
		rev    int64
		ok     bool
	}{
		{"none", Precondition{}, false, 0, true},
		{"if-match current", Precondition{IfMatch: []string{"3"}}, true, 3, true},
		{"if-match stale", Precondition{IfMatch: []string{"2"}}, true, 3, false},
		{"if-match one of", Precondition{IfMatch: []string{"1", "3"}}, true, 3, true},
		{"if-match star exists", Precondition{IfMatch: []string{"*"}}, true, 3, true},
		{"if-match star missing", Precondition{IfMatch: []string{"*"}}, false, 0, false},
		{"if-match on missing", Precondition{IfMatch: []string{"0"}}, false, 0, false},
		{"if-match empty list", Precondition{IfMatch: []string{}}, true, 0, false},
		{"if-none-match star missing", Precondition{IfNoneMatch: []string{"*"}}, false, 0, true},
		{"if-none-match star exists", Precondition{IfNoneMatch: []string{"*"}}, true, 0, false},
		{"if-none-match other", Precondition{IfNoneMatch: []string{"7"}}, true, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.pre.check(tt.exists, tt.rev)
			if tt.ok != (err == nil) {
				t.Fatalf("check = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && ErrorKind(err) != KindPreconditionFailed {
				t.Fatalf("kind = %v, want KindPreconditionFailed", ErrorKind(err))
			}
		})
	}
}

// The hashes stored customers carry were computed by the hand-written
// canonical form this service had before the hash was derived from the
// type; they must not change, or every stored hash would silently go stale.
func TestContactHashKeepsStoredHashes(t *testing.T) {
	full := &Contact{
		FirstName: ptr("Zoë"), LastName: ptr("O'Brien <x>"), Organization: ptr("A & B"), JobTitle: ptr("CTO"),
		Address: ptr("1 Main St"), Address2: ptr("Apt 2"), City: ptr("Berlin"), Region: ptr("BE"), Country: ptr("DE"),
		PostalCode: ptr("10115"), Dob: ptr("1990-01-31"),
		PhoneNumbers: []ContactPhone{{Label: "work", Value: "+49 30 1234", Primary: true}, {Label: "home", Value: "555"}},
		Emails:       []ContactEmail{{Label: "main", Value: "zoe@example.com"}, {Label: "alt", Value: "Z@Example.com", Primary: true}},
		Hash:         "ignored",
	}
	for _, tt := range []struct {
		name string
		c    *Contact
		want string
	}{
		{"empty", &Contact{}, "8261c06f9a6067c0810068127a83f0f15d105b0c"},
		{"every field", full, "39c8c24d3be6ec04d802a006cf5b7e17f3f1721e"},
		{"nil phones", &Contact{Emails: []ContactEmail{{Label: "l", Value: "v"}}}, "93559c0c6f765ac584cb2226bc73cb2834842f09"},
	} {
		if got := ContactHash(tt.c); got != tt.want {
			t.Errorf("%s: hash %s, want %s: the canonical form changed", tt.name, got, tt.want)
		}
	}
}

// Every field of Contact but Hash must change the hash: a field the hash
// does not see would let two different contacts share one.
func TestContactHashSeesEveryField(t *testing.T) {
	typ := reflect.TypeOf(Contact{})
	base := ContactHash(&Contact{})
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		var c Contact
		v := reflect.ValueOf(&c).Elem().Field(i)
		switch v.Kind() {
		case reflect.Pointer: // *string
			v.Set(reflect.New(v.Type().Elem()))
			v.Elem().SetString("x")
		case reflect.String:
			v.SetString("x")
		case reflect.Slice:
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		default:
			t.Fatalf("Contact.%s has kind %s: teach this test to set it", f.Name, v.Kind())
		}
		changed := ContactHash(&c) != base
		if f.Name == "Hash" && changed {
			t.Errorf("the hash depends on Contact.Hash, which it must leave out")
		}
		if f.Name != "Hash" && !changed {
			t.Errorf("setting Contact.%s does not change the hash", f.Name)
		}
	}
}

func sha1Hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
