package customers

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Custom-field types, as Rebilly names them (SPEC §11).
const (
	FieldString   = "string"
	FieldInteger  = "integer"
	FieldNumber   = "number"
	FieldBoolean  = "boolean"
	FieldDate     = "date"
	FieldDatetime = "datetime"
	FieldArray    = "array"
	FieldMonetary = "monetary"
)

// FieldTypes lists the accepted definition types.
var FieldTypes = []string{FieldString, FieldInteger, FieldNumber, FieldBoolean, FieldDate, FieldDatetime, FieldArray, FieldMonetary}

// Limits of definitions and of the values they admit.
const (
	defaultStringLength = 255
	maxStringLength     = 4000
	maxArrayItems       = 1000
	maxArrayItemLength  = 255
	maxAllowedValues    = 1000
	maxDescription      = 255
	// MaxFieldDefinitions bounds an organization's definitions, so that
	// every customer write can read them all.
	MaxFieldDefinitions = 200
)

var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

// FieldDefinition is the typed definition of one custom field of an
// organization's customers.
type FieldDefinition struct {
	Name             string      `json:"name"`
	Type             string      `json:"type"`
	Description      *string     `json:"description"`
	AdditionalSchema FieldSchema `json:"additionalSchema"`
	CreatedTime      time.Time   `json:"-"`
	UpdatedTime      time.Time   `json:"-"`
}

// FieldSchema narrows the values a definition admits.
type FieldSchema struct {
	// AllowedValues, for string and array fields, lists every value
	// allowed; nil allows any.
	AllowedValues []string `json:"allowedValues,omitempty"`
	// MaxLength, for string fields, replaces the default of 255 characters
	// (at most 4000).
	MaxLength *int `json:"maxLength,omitempty"`
}

// FieldDefinitionInput is the body of PUT /custom-fields/customers/{name}.
type FieldDefinitionInput struct {
	Type             string      `json:"type"`
	Description      *string     `json:"description"`
	AdditionalSchema FieldSchema `json:"additionalSchema"`
}

// FieldDefinitions are an organization's definitions by name.
type FieldDefinitions map[string]FieldDefinition

// check returns why v (decoded JSON, numbers as json.Number; not nil)
// does not fit the definition, or "".
func (d FieldDefinition) check(v any) string {
	switch d.Type {
	case FieldString:
		s, ok := v.(string)
		if !ok {
			return "must be a string"
		}
		if n := d.maxLength(); utf8.RuneCountInString(s) > n {
			return fmt.Sprintf("must be at most %d characters", n)
		}
		if d.AdditionalSchema.AllowedValues != nil && !slices.Contains(d.AdditionalSchema.AllowedValues, s) {
			return "must be one of the allowed values: " + strings.Join(d.AdditionalSchema.AllowedValues, ", ")
		}
	case FieldInteger:
		n, ok := v.(json.Number)
		r, valid := new(big.Rat), false
		if ok {
			_, valid = r.SetString(string(n))
		}
		if !valid || !r.IsInt() || r.Num().Cmp(big.NewInt(-1<<31)) < 0 || r.Num().Cmp(big.NewInt(1<<31-1)) > 0 {
			return "must be a whole number from -2147483648 to 2147483647"
		}
	case FieldNumber:
		if n, ok := v.(json.Number); !ok || !numberInRange(n) {
			return "must be a number"
		}
	case FieldBoolean:
		if _, ok := v.(bool); !ok {
			return "must be true or false"
		}
	case FieldDate:
		s, ok := v.(string)
		if _, err := time.Parse(time.DateOnly, s); !ok || err != nil {
			return "must be a date in the form YYYY-MM-DD"
		}
	case FieldDatetime:
		s, ok := v.(string)
		if _, err := time.Parse(time.RFC3339, s); !ok || err != nil {
			return "must be an RFC 3339 date-time such as 2024-01-31T12:00:00Z"
		}
	case FieldArray:
		items, ok := v.([]any)
		if !ok {
			return "must be an array of strings"
		}
		if len(items) > maxArrayItems {
			return fmt.Sprintf("may hold at most %d items", maxArrayItems)
		}
		for _, it := range items {
			s, ok := it.(string)
			if !ok || utf8.RuneCountInString(s) > maxArrayItemLength {
				return fmt.Sprintf("must be an array of strings of at most %d characters", maxArrayItemLength)
			}
			if d.AdditionalSchema.AllowedValues != nil && !slices.Contains(d.AdditionalSchema.AllowedValues, s) {
				return "may hold only the allowed values: " + strings.Join(d.AdditionalSchema.AllowedValues, ", ")
			}
		}
	case FieldMonetary:
		m, ok := v.(map[string]any)
		const want = `must be a monetary object such as {"currency": "EUR", "amount": 25.30}`
		if !ok || len(m) != 2 {
			return want
		}
		cur, ok1 := m["currency"].(string)
		amt, ok2 := m["amount"].(json.Number)
		if !ok1 || !ok2 || !currencyPattern.MatchString(cur) || !numberInRange(amt) {
			return want
		}
	}
	return ""
}

func (d FieldDefinition) maxLength() int {
	if d.AdditionalSchema.MaxLength != nil {
		return *d.AdditionalSchema.MaxLength
	}
	return defaultStringLength
}

// validateDefinition checks a definition's input.
func validateDefinition(name string, in FieldDefinitionInput) error {
	var fields []FieldError
	if !CustomFieldName.MatchString(name) {
		fields = append(fields, FieldError{Field: "name", Message: `must be 1 to 100 letters, digits, "_" or "-"`})
	}
	if !slices.Contains(FieldTypes, in.Type) {
		fields = append(fields, FieldError{Field: "type", Message: "must be one of " + strings.Join(FieldTypes, ", ")})
	}
	if in.Description != nil && utf8.RuneCountInString(*in.Description) > maxDescription {
		fields = append(fields, FieldError{Field: "description", Message: fmt.Sprintf("must be at most %d characters", maxDescription)})
	}
	s := in.AdditionalSchema
	if s.AllowedValues != nil {
		switch {
		case in.Type != FieldString && in.Type != FieldArray:
			fields = append(fields, FieldError{Field: "additionalSchema.allowedValues", Message: "applies to string and array fields only"})
		case len(s.AllowedValues) == 0 || len(s.AllowedValues) > maxAllowedValues:
			fields = append(fields, FieldError{Field: "additionalSchema.allowedValues", Message: fmt.Sprintf("must list 1 to %d values", maxAllowedValues)})
		}
		for i, v := range s.AllowedValues {
			if v == "" || utf8.RuneCountInString(v) > maxStringLength {
				fields = append(fields, FieldError{Field: fmt.Sprintf("additionalSchema.allowedValues[%d]", i), Message: fmt.Sprintf("must be 1 to %d characters", maxStringLength)})
			}
		}
	}
	if s.MaxLength != nil {
		switch {
		case in.Type != FieldString:
			fields = append(fields, FieldError{Field: "additionalSchema.maxLength", Message: "applies to string fields only"})
		case *s.MaxLength < 1 || *s.MaxLength > maxStringLength:
			fields = append(fields, FieldError{Field: "additionalSchema.maxLength", Message: fmt.Sprintf("must be from 1 to %d", maxStringLength)})
		}
	}
	if len(fields) > 0 {
		return invalid(fields...)
	}
	return nil
}

// ListFieldDefinitions returns the organization's definitions, by name.
func (s *Service) ListFieldDefinitions(ctx context.Context, orgID string) ([]FieldDefinition, error) {
	defs, err := s.store.FieldDefinitions(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list custom-field definitions: %w", err)
	}
	return slices.SortedFunc(maps.Values(defs), func(a, b FieldDefinition) int { return strings.Compare(a.Name, b.Name) }), nil
}

// GetFieldDefinition returns definition name, or a KindNotFound error.
func (s *Service) GetFieldDefinition(ctx context.Context, orgID, name string) (*FieldDefinition, error) {
	defs, err := s.store.FieldDefinitions(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("get custom-field definition: %w", err)
	}
	d, ok := defs[name]
	if !ok {
		return nil, notFound("Custom field %q is not defined.", name)
	}
	return &d, nil
}

// PutFieldDefinition creates (created is true) or replaces definition
// name. It holds the organization's definitions exclusively against
// concurrent customer writes (which hold them shared), so a change and a
// write that the change would make invalid never both succeed. A type
// change while a customer has a value for the field, or a narrowing that a
// stored value fitting the old definition would not fit, is a
// KindConflict error ("schema in use") that changes nothing.
func (s *Service) PutFieldDefinition(ctx context.Context, orgID, name string, in FieldDefinitionInput) (d *FieldDefinition, created bool, err error) {
	if err := validateDefinition(name, in); err != nil {
		return nil, false, err
	}
	now := s.clock()
	err = s.store.InTx(ctx, orgID, func(tx Tx) error {
		defs, err := tx.LockFieldDefinitions(ctx)
		if err != nil {
			return err
		}
		next := FieldDefinition{Name: name, Type: in.Type, Description: in.Description, AdditionalSchema: in.AdditionalSchema, CreatedTime: now, UpdatedTime: now}
		cur, exists := defs[name]
		created = !exists
		if !exists && len(defs) >= MaxFieldDefinitions {
			return conflict("An organization may have at most %d custom-field definitions.", MaxFieldDefinitions)
		}
		if exists {
			next.CreatedTime, next.UpdatedTime = cur.CreatedTime, cur.UpdatedTime
			if sameDefinition(cur, next) {
				d = &cur
				return nil
			}
			next.UpdatedTime = now
			if err := s.checkSchemaChange(ctx, tx, cur, next); err != nil {
				return err
			}
		}
		if err := tx.PutFieldDefinition(ctx, &next); err != nil {
			return err
		}
		d = &next
		if !next.Typed() && !(exists && cur.Typed()) {
			return nil // no typed copies before or after
		}
		return tx.RefreshFieldValues(ctx, name)
	})
	if err != nil {
		return nil, false, fmt.Errorf("put custom-field definition: %w", err)
	}
	return d, created, nil
}

func sameDefinition(a, b FieldDefinition) bool {
	return a.Type == b.Type && equalPtr(a.Description, b.Description) &&
		slices.Equal(a.AdditionalSchema.AllowedValues, b.AdditionalSchema.AllowedValues) &&
		equalPtr(a.AdditionalSchema.MaxLength, b.AdditionalSchema.MaxLength)
}

func equalPtr[T comparable](a, b *T) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// checkSchemaChange refuses a change that stored values would break.
func (s *Service) checkSchemaChange(ctx context.Context, tx Tx, cur, next FieldDefinition) error {
	inUse := func(format string, args ...any) error {
		return &Error{Kind: KindConflict, Message: "Schema in use: " + fmt.Sprintf(format, args...)}
	}
	return tx.FieldValues(ctx, cur.Name, func(v any) error {
		if cur.Type != next.Type {
			return inUse("customers have values for %q, so its type cannot change from %s to %s.", cur.Name, cur.Type, next.Type)
		}
		if cur.check(v) == "" && next.check(v) != "" {
			return inUse("a stored value of %q would no longer fit the definition.", cur.Name)
		}
		return nil
	})
}

// DeleteFieldDefinition deletes definition name; it is a KindConflict
// error while any customer has a value for it.
func (s *Service) DeleteFieldDefinition(ctx context.Context, orgID, name string) error {
	err := s.store.InTx(ctx, orgID, func(tx Tx) error {
		defs, err := tx.LockFieldDefinitions(ctx)
		if err != nil {
			return err
		}
		if _, ok := defs[name]; !ok {
			return notFound("Custom field %q is not defined.", name)
		}
		if err := tx.FieldValues(ctx, name, func(any) error {
			return &Error{Kind: KindConflict, Message: fmt.Sprintf("Schema in use: customers have values for %q; remove them before deleting its definition.", name)}
		}); err != nil {
			return err
		}
		return tx.DeleteFieldDefinition(ctx, name)
	})
	if err != nil {
		return fmt.Errorf("delete custom-field definition: %w", err)
	}
	return nil
}

// Typed reports whether values of the type have a sortable typed form
// (a number or an instant) that the store indexes.
func (d FieldDefinition) Typed() bool {
	switch d.Type {
	case FieldInteger, FieldNumber, FieldMonetary, FieldDate, FieldDatetime:
		return true
	}
	return false
}
