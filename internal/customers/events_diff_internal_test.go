package customers

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// TestChangesAreTheJSONTheyWere: the changes a message records are the
// same bytes as when every field went through the encoder and the primary
// address through a map (the way the first timelines were written, kept
// here as the reference): stored messages and new ones read alike, keys
// sorted, hash left out, HTML characters and Unicode written as they are.
func TestChangesAreTheJSONTheyWere(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 2026))
	for i := range 3000 {
		old, next := randomCustomer(r), randomCustomer(r)
		if r.IntN(4) == 0 {
			next = old // nothing changed
		} else if r.IntN(3) == 0 {
			c := *old // one field changed
			c.Locale = randomString(r)
			next = &c
		}
		got, gotAspects := diff(old, next)
		want, wantAspects := referenceDiff(old, next)
		if len(got) != len(want) {
			t.Fatalf("case %d: %d changes, want %d", i, len(got), len(want))
		}
		for name, w := range want {
			g, ok := got[name]
			if !ok || !bytes.Equal(g.Old, w.Old) || !bytes.Equal(g.New, w.New) || gotAspects[name] != wantAspects[name] {
				t.Fatalf("case %d, %s: got %s → %s (%s), want %s → %s (%s)", i, name, g.Old, g.New, gotAspects[name], w.Old, w.New, wantAspects[name])
			}
		}
		if g, w := changesJSON(got), mustJSON(want); !bytes.Equal(g, w) {
			t.Fatalf("case %d: changes\n%s\nwant\n%s", i, g, w)
		}
	}
}

// referenceDiff is diff as it was first written.
func referenceDiff(old, next *Customer) (map[string]change, map[string]string) {
	fields := []struct {
		name, aspect string
		value        func(c *Customer) any
	}{
		{"websiteId", MessageCustomerUpdated, func(c *Customer) any { return c.WebsiteID }},
		{"defaultPaymentInstrument", MessageDefaultPaymentInstrumentChanged, func(c *Customer) any { return c.DefaultPaymentInstrument }},
		{"customFields", MessageCustomFieldsChanged, func(c *Customer) any { return c.CustomFields }},
		{"primaryAddress", MessagePrimaryAddressChanged, func(c *Customer) any {
			if c.PrimaryAddress == nil {
				return nil
			}
			var m map[string]any
			dec := json.NewDecoder(bytes.NewReader(mustJSON(c.PrimaryAddress)))
			dec.UseNumber()
			if err := dec.Decode(&m); err != nil {
				panic(err)
			}
			delete(m, "hash")
			return m
		}},
		{"locale", MessageCustomerUpdated, func(c *Customer) any { return c.Locale }},
		{"isEddRequired", MessageCustomerUpdated, func(c *Customer) any { return c.IsEddRequired }},
		{"taxNumbers", MessageTaxNumbersChanged, func(c *Customer) any { return c.TaxNumbers }},
		{"notificationEmails", MessageCustomerUpdated, func(c *Customer) any { return c.NotificationEmails }},
		{"preferredPayoutInstrumentId", MessageCustomerUpdated, func(c *Customer) any { return c.PreferredPayoutInstrumentID }},
	}
	if len(fields) != len(writableFields) {
		panic("the reference misses a writable field")
	}
	changes, aspects := map[string]change{}, map[string]string{}
	for _, f := range fields {
		o, n := mustJSON(f.value(old)), mustJSON(f.value(next))
		if !bytes.Equal(o, n) {
			changes[f.name], aspects[f.name] = change{Old: o, New: n}, f.aspect
		}
	}
	return changes, aspects
}

// randomString is empty, plain, or full of what JSON escapes or not.
func randomString(r *rand.Rand) *string {
	parts := []string{"", "ada", "Grace Hopper", `"quoted"`, `back\slash`, "<b>&amp;</b>", "é ß İ 中文", "\u2028\u2029", "tab\there", "\x01\x1f", "emoji 🎉", "x"}
	if r.IntN(5) == 0 {
		return nil
	}
	s := parts[r.IntN(len(parts))] + parts[r.IntN(len(parts))]
	return &s
}

func randomCustomer(r *rand.Rand) *Customer {
	str := func() string {
		if s := randomString(r); s != nil {
			return *s
		}
		return ""
	}
	c := &Customer{
		WebsiteID: randomString(r), Locale: randomString(r), PreferredPayoutInstrumentID: randomString(r),
		IsEddRequired: r.IntN(2) == 0, CustomFields: map[string]any{},
	}
	for range r.IntN(4) {
		c.CustomFields[str()+"k"] = []any{str(), json.Number("12.50"), true, nil}[r.IntN(4)]
	}
	if r.IntN(3) > 0 {
		c.DefaultPaymentInstrument = &PaymentInstrument{Method: "payment-card", PaymentInstrumentID: randomString(r)}
	}
	if r.IntN(4) > 0 {
		a := &Contact{FirstName: randomString(r), LastName: randomString(r), Organization: randomString(r),
			JobTitle: randomString(r), Address: randomString(r), Address2: randomString(r), City: randomString(r),
			Region: randomString(r), Country: randomString(r), PostalCode: randomString(r), Dob: randomString(r),
			Hash: str()}
		for range r.IntN(3) {
			a.Emails = append(a.Emails, ContactEmail{Label: str(), Value: str(), Primary: r.IntN(2) == 0})
		}
		for range r.IntN(3) {
			a.PhoneNumbers = append(a.PhoneNumbers, ContactPhone{Label: str(), Value: str(), Primary: r.IntN(2) == 0})
		}
		c.PrimaryAddress = a
	}
	for range r.IntN(3) {
		c.TaxNumbers = append(c.TaxNumbers, TaxNumber{Type: "eu-vat", Value: str(), IsDefault: r.IntN(2) == 0})
	}
	for range r.IntN(3) {
		c.NotificationEmails = append(c.NotificationEmails, str())
	}
	return c
}

func BenchmarkDiff(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	old, next := randomCustomer(r), randomCustomer(r)
	for b.Loop() {
		rec := &recorder{newID: func() string { return "id" }}
		rec.updated(old, next)
	}
}
