package client_test

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"github.com/billing/customers-api/pkg/client"
)

func TestCustomFieldDefinitions(t *testing.T) {
	forEachLayout(t, func(t *testing.T, a *api, c *client.Client, base string) {
		ctx := context.Background()
		empty, _, err := c.ListCustomFields(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if empty.CustomFields == nil || len(empty.CustomFields) != 0 || empty.Total != 0 {
			t.Errorf("no definitions: %+v", empty)
		}

		in := client.CustomFieldInput{
			Type: client.FieldTypeString, Description: client.String("Loyalty tier"),
			AdditionalSchema: client.CustomFieldSchema{AllowedValues: []string{"gold", "silver", "bronze"}},
		}
		def, resp, err := c.PutCustomField(ctx, "tier", in)
		if err != nil {
			t.Fatal(err)
		}
		self := base + "/custom-fields/customers/tier"
		if !resp.Created || resp.StatusCode != http.StatusCreated || resp.Location != self {
			t.Errorf("create: status %d, created %v, Location %q", resp.StatusCode, resp.Created, resp.Location)
		}
		if def.Name != "tier" || def.Type != "string" || str(def.Description) != "Loyalty tier" ||
			!reflect.DeepEqual(def.AdditionalSchema, in.AdditionalSchema) || def.CreatedTime.IsZero() || def.Link("self") != self {
			t.Errorf("definition %+v", def)
		}
		got, _, err := c.GetCustomField(ctx, "tier")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, def) {
			t.Errorf("GET differs from PUT:\n%+v\n%+v", got, def)
		}

		// Replacing, with no stored values: 200.
		in.AdditionalSchema.AllowedValues = []string{"gold", "silver"}
		def, resp, err = c.PutCustomField(ctx, "tier", in)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Created || resp.StatusCode != http.StatusOK || !reflect.DeepEqual(def.AdditionalSchema.AllowedValues, []string{"gold", "silver"}) {
			t.Errorf("replace: status %d, created %v, schema %+v", resp.StatusCode, resp.Created, def.AdditionalSchema)
		}
		if _, _, err := c.PutCustomField(ctx, "score", client.CustomFieldInput{Type: client.FieldTypeInteger}); err != nil {
			t.Fatal(err)
		}

		// An invalid definition is a 422 naming the field.
		_, _, err = c.PutCustomField(ctx, "bad", client.CustomFieldInput{Type: "decimal"})
		if e := mustErr(t, err, http.StatusUnprocessableEntity); len(e.InvalidFields) == 0 || e.InvalidFields[0].Field != "type" {
			t.Errorf("bad type: %+v", e.InvalidFields)
		}
		_, _, err = c.PutCustomField(ctx, "long", client.CustomFieldInput{Type: client.FieldTypeString,
			AdditionalSchema: client.CustomFieldSchema{MaxLength: client.Int(5000)}})
		if e := mustErr(t, err, http.StatusUnprocessableEntity); len(e.InvalidFields) == 0 || e.InvalidFields[0].Field != "additionalSchema.maxLength" {
			t.Errorf("maxLength 5000: %+v", e.InvalidFields)
		}

		// Definitions are enforced on customer writes.
		_, _, err = c.PutCustomer(ctx, "cus_cf", client.CustomerInput{CustomFields: map[string]any{"tier": "platinum"}})
		if e := mustErr(t, err, http.StatusUnprocessableEntity); !hasField(e, "customFields.tier") {
			t.Errorf("a value outside allowedValues: %+v", e.InvalidFields)
		}
		_, _, err = c.PutCustomer(ctx, "cus_cf", client.CustomerInput{CustomFields: map[string]any{"undefined": "x"}})
		if e := mustErr(t, err, http.StatusUnprocessableEntity); !hasField(e, "customFields.undefined") {
			t.Errorf("an undefined key: %+v", e.InvalidFields)
		}
		if _, _, err := c.PutCustomer(ctx, "cus_cf", client.CustomerInput{CustomFields: map[string]any{"tier": "silver", "score": 7}}); err != nil {
			t.Fatal(err)
		}

		// With a stored value: narrowing or retyping is 409, so is DELETE.
		in.AdditionalSchema.AllowedValues = []string{"gold"}
		_, _, err = c.PutCustomField(ctx, "tier", in)
		mustErr(t, err, http.StatusConflict)
		_, _, err = c.PutCustomField(ctx, "score", client.CustomFieldInput{Type: client.FieldTypeString})
		mustErr(t, err, http.StatusConflict)
		_, err = c.DeleteCustomField(ctx, "tier")
		if !client.IsConflict(err) {
			t.Errorf("deleting a field in use: %v, want 409", err)
		}
		if still, _, err := c.GetCustomField(ctx, "tier"); err != nil || !reflect.DeepEqual(still.AdditionalSchema.AllowedValues, []string{"gold", "silver"}) {
			t.Errorf("a refused change changed the definition: %+v, %v", still, err)
		}
		// Widening is fine.
		in.AdditionalSchema.AllowedValues = []string{"gold", "silver", "bronze"}
		if _, resp, err := c.PutCustomField(ctx, "tier", in); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("widening: %v", err)
		}

		list, _, err := c.ListCustomFields(ctx, client.Limit(1))
		if err != nil {
			t.Fatal(err)
		}
		if list.Total != 2 || list.Limit != 1 || len(list.CustomFields) != 1 || !list.HasNext() {
			t.Errorf("page: total %d, limit %d, %d fields, links %+v", list.Total, list.Limit, len(list.CustomFields), list.Links)
		}
		rest, _, err := c.ListCustomFields(ctx, client.Offset(1))
		if err != nil || len(rest.CustomFields) != 1 || rest.CustomFields[0].Name == list.CustomFields[0].Name {
			t.Errorf("second page: %+v, %v", rest, err)
		}

		// Once the value is gone the definition can go.
		if _, _, err := c.PutCustomer(ctx, "cus_cf", client.CustomerInput{CustomFields: map[string]any{"score": 7}}); err != nil {
			t.Fatal(err)
		}
		resp, err = c.DeleteCustomField(ctx, "tier")
		if err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("delete: %v, %+v", err, resp)
		}
		_, _, err = c.GetCustomField(ctx, "tier")
		mustErr(t, err, http.StatusNotFound)
		_, err = c.DeleteCustomField(ctx, "tier")
		mustErr(t, err, http.StatusNotFound)
		if _, _, err := c.GetCustomField(ctx, ""); err == nil || client.StatusCode(err) != 0 {
			t.Errorf("empty name: %v, want a client-side error", err)
		}
	})
}

func hasField(e *client.Error, path string) bool {
	_, ok := e.Field(path)
	return ok
}
