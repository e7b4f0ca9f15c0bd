package customers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/big"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
)

var (
	idPattern         = regexp.MustCompile(`^[@~\-.\w]+$`)
	countryPattern    = regexp.MustCompile(`^[A-Z]{2}$`)
	postalCodePattern = regexp.MustCompile(`^[\w\s\-]+$`)
	// A BCP 47 language tag (fr-FR, zh-Hant-TW, es-419); "_" is accepted as
	// the separator too because clients send POSIX-style en_US.
	localePattern = regexp.MustCompile(`^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$`)
)

// CustomFieldName is the rule for the names (keys) of customFields: 1 to
// 100 letters, digits, "_" or "-". The validator and the filter schema both
// use it.
var CustomFieldName = regexp.MustCompile(`^[A-Za-z0-9_\-]{1,100}$`)

const (
	idRuleMessage = `must be 1 to 50 characters of letters, digits, "_", "-", ".", "@" and "~"`
	// MaxCustomFieldsBytes caps the serialized JSON of a customer's customFields.
	MaxCustomFieldsBytes = 16 << 10
)

// ValidID reports whether id satisfies the customer id rule: 1 to 50
// characters matching ^[@~\-.\w]+$.
func ValidID(id string) bool {
	return len(id) <= 50 && idPattern.MatchString(id)
}

// validate checks the validate tags of the domain's input types.
var validate = newValidator()

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	// Report fields by their API (json) names.
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	must := func(tag string, fn validator.Func) {
		if err := v.RegisterValidation(tag, fn); err != nil {
			panic(err)
		}
	}
	str := func(re *regexp.Regexp) validator.Func {
		return func(fl validator.FieldLevel) bool { return re.MatchString(fl.Field().String()) }
	}
	must("country", str(countryPattern))
	must("postalcode", str(postalCodePattern))
	must("locale", str(localePattern))
	must("date", func(fl validator.FieldLevel) bool {
		_, err := time.Parse(time.DateOnly, fl.Field().String())
		return err == nil
	})
	must("paymentmethod", func(fl validator.FieldLevel) bool {
		return slices.Contains(PaymentMethods, fl.Field().String())
	})
	return v
}

// validateInput checks a customer write against the rules and the
// organization's custom-field definitions (none: free-form customFields).
func validateInput(in Input, defs FieldDefinitions) error {
	var fields []FieldError
	if in.PaymentToken != nil {
		fields = append(fields, FieldError{Field: "paymentToken", Message: "is not supported: this service keeps no payment vault; store the instrument with your payment provider and send defaultPaymentInstrument"})
	}
	if a := in.PrimaryAddress; a != nil {
		fields = append(fields, onePrimary("primaryAddress.phoneNumbers", a.PhoneNumbers, func(p ContactPhone) bool { return p.Primary })...)
		fields = append(fields, onePrimary("primaryAddress.emails", a.Emails, func(e ContactEmail) bool { return e.Primary })...)
	}
	if onePrimary("taxNumbers", in.TaxNumbers, func(t TaxNumber) bool { return t.IsDefault }) != nil {
		fields = append(fields, FieldError{Field: "taxNumbers", Message: "at most one entry may be the default"})
	}
	fields = append(fields, structErrors(in, "")...)
	fields = append(fields, checkCustomFields(in.CustomFields, defs)...)
	if len(fields) > 0 {
		return invalid(fields...)
	}
	return nil
}

func onePrimary[T any](field string, points []T, primary func(T) bool) []FieldError {
	n := 0
	for _, p := range points {
		if primary(p) {
			n++
		}
	}
	if n > 1 {
		return []FieldError{{Field: field, Message: "at most one entry may be primary"}}
	}
	return nil
}

// structErrors runs the tag rules on v and returns its failures as API
// paths, each after prefix (such as "leadSource.").
func structErrors(v any, prefix string) []FieldError {
	err := validate.Struct(v)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		panic("customers: validator misuse: " + err.Error())
	}
	out := make([]FieldError, 0, len(verrs))
	for _, fe := range verrs {
		// Namespace is "Input.primaryAddress.emails[0].value": drop the type.
		ns := fe.Namespace()
		if i := strings.IndexByte(ns, '.'); i >= 0 {
			ns = ns[i+1:]
		}
		out = append(out, FieldError{Field: prefix + ns, Message: ruleMessage(fe)})
	}
	return out
}

func ruleMessage(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required and may not be empty"
	case "min":
		return "may not be empty (send null to leave it unset)"
	case "max":
		if fe.Kind() == reflect.Slice {
			return "may hold at most " + fe.Param() + " entries"
		}
		return "must be at most " + fe.Param() + " characters"
	case "uri":
		return "must be a URI"
	case "email":
		return "must be a valid email address"
	case "country":
		return "must be an ISO 3166-1 alpha-2 country code in upper case, such as GB"
	case "postalcode":
		return "may contain only letters, digits, underscores, spaces and hyphens"
	case "date":
		return "must be a date in the form YYYY-MM-DD"
	case "locale":
		return "must be a language tag such as fr-FR or en_US"
	case "paymentmethod":
		return "must be one of " + strings.Join(PaymentMethods, ", ")
	case "oneof":
		return "must be one of " + strings.Join(strings.Fields(fe.Param()), ", ")
	}
	return "is invalid (" + fe.Tag() + ")"
}

// checkCustomFields enforces: names of 1–100 letters, digits, "_" or "-";
// with no definitions, values that are JSON scalars or arrays of scalars;
// with definitions, only defined names, each value of its type (SPEC §11);
// at most MaxCustomFieldsBytes serialized.
func checkCustomFields(m map[string]any, defs FieldDefinitions) []FieldError {
	var out []FieldError
	for _, k := range slices.Sorted(maps.Keys(m)) {
		path := "customFields." + k
		if !CustomFieldName.MatchString(k) {
			out = append(out, FieldError{Field: path, Message: "names must be 1 to 100 letters, digits, \"_\" or \"-\""})
			continue
		}
		if len(defs) > 0 {
			d, ok := defs[k]
			switch {
			case !ok:
				out = append(out, FieldError{Field: path, Message: "is not defined: this organization has custom-field definitions, so every key needs one (PUT /custom-fields/customers/" + k + ")"})
			case m[k] != nil:
				if msg := d.check(m[k]); msg != "" {
					out = append(out, FieldError{Field: path, Message: msg})
				}
			}
			continue
		}
		switch v := m[k].(type) {
		case []any:
			for i, e := range v {
				if !isScalar(e) {
					out = append(out, FieldError{Field: fmt.Sprintf("%s[%d]", path, i), Message: "array elements must be strings, numbers, booleans or null"})
				}
			}
		default:
			if !isScalar(v) {
				out = append(out, FieldError{Field: path, Message: "must be a string, number, boolean, null or an array of those"})
			}
		}
	}
	if len(out) == 0 && m != nil {
		if n, err := serializedSize(m); err != nil || n > MaxCustomFieldsBytes {
			out = append(out, FieldError{Field: "customFields", Message: fmt.Sprintf("must serialize to at most %d bytes of JSON", MaxCustomFieldsBytes)})
		}
	}
	return out
}

// serializedSize is the length of m as compact JSON, written the way a
// client writes it: "<", ">" and "&" count as one byte each, not as the six
// of encoding/json's HTML-safe \u003c escapes.
func serializedSize(m map[string]any) (int, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return 0, err
	}
	return len(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// numberInRange accepts the numbers PostgreSQL's numeric stores and
// big.Rat compares cheaply: finite as a float64 and an exponent of at most
// 400 digits either way.
func numberInRange(n json.Number) bool {
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) {
		return false
	}
	if i := strings.IndexAny(string(n), "eE"); i >= 0 {
		exp, err := strconv.Atoi(string(n[i+1:]))
		return err == nil && exp >= -400 && exp <= 400
	}
	return true
}

func isScalar(v any) bool {
	switch n := v.(type) {
	case nil, string, bool:
		return true
	case json.Number:
		return numberInRange(n)
	case float64:
		return !math.IsInf(n, 0) && !math.IsNaN(n)
	}
	return false
}

// copyCustomFields returns a copy of m, never nil. Numbers are kept exactly
// as sent (json.Number); customFieldsEqual compares them by value.
func copyCustomFields(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	maps.Copy(out, m)
	return out
}

// customFieldsEqual reports whether two customFields hold the same values,
// numbers compared by value so that 1.50, 1.5 and 15e-1 are one value and a
// repeated PUT of what was stored is no change.
func customFieldsEqual(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		bv, ok := b[k]
		if !ok || !jsonValueEqual(av, bv) {
			return false
		}
	}
	return true
}

func jsonValueEqual(a, b any) bool {
	switch av := a.(type) {
	case json.Number:
		bv, ok := b.(json.Number)
		if !ok {
			return false
		}
		ar, aok := new(big.Rat).SetString(string(av))
		br, bok := new(big.Rat).SetString(string(bv))
		return aok && bok && ar.Cmp(br) == 0
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for i := range av {
			if !jsonValueEqual(av[i], bv[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}
