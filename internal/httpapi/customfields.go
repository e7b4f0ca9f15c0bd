package httpapi

import (
	"net/http"
	"net/url"

	"github.com/billing/customers-api/internal/customers"
)

// fieldDefinitionOut is a custom-field definition's representation.
type fieldDefinitionOut struct {
	customers.FieldDefinition
	CreatedTime string `json:"createdTime"`
	UpdatedTime string `json:"updatedTime"`
	Links       []link `json:"_links"`
}

// fieldDefinitionIn is the body of PUT /custom-fields/customers/{name}.
type fieldDefinitionIn struct {
	customers.FieldDefinitionInput
	// Read-only fields a client may send back; a name must be the path's.
	Name        *string `json:"name"`
	CreatedTime *string `json:"createdTime"`
	UpdatedTime *string `json:"updatedTime"`
	Links       []any   `json:"_links"`
}

func fieldDefinitionURL(base, name string) string {
	return base + "/custom-fields/customers/" + url.PathEscape(name)
}

func toFieldDefinitionOut(d *customers.FieldDefinition, base string) fieldDefinitionOut {
	out := fieldDefinitionOut{FieldDefinition: *d, CreatedTime: apiTime(d.CreatedTime), UpdatedTime: apiTime(d.UpdatedTime),
		Links: []link{{Rel: "self", Href: fieldDefinitionURL(base, d.Name)}}}
	return out
}

func (s *Server) listFieldDefinitions(w http.ResponseWriter, r *http.Request) error {
	query, err := queryParams(r)
	if err != nil {
		return err
	}
	limit, offset, err := pageParams(query)
	if err != nil {
		return err
	}
	defs, err := s.customers.ListFieldDefinitions(r.Context(), principal(r.Context()).OrganizationID)
	if err != nil {
		return err
	}
	base := s.baseURL(r)
	page := defs[min(offset, len(defs)):min(offset+limit, len(defs))]
	out := make([]fieldDefinitionOut, len(page))
	for i := range page {
		out[i] = toFieldDefinitionOut(&page[i], base)
	}
	s.paginationHeaders(w, r, query, limit, offset, int64(len(defs)))
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getFieldDefinition(w http.ResponseWriter, r *http.Request) error {
	d, err := s.customers.GetFieldDefinition(r.Context(), principal(r.Context()).OrganizationID, pathParam(r, "name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toFieldDefinitionOut(d, s.baseURL(r)))
	return nil
}

func (s *Server) putFieldDefinition(w http.ResponseWriter, r *http.Request) error {
	var in fieldDefinitionIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	name := pathParam(r, "name")
	if in.Name != nil && *in.Name != name {
		return &apiError{typ: typeValidation, detail: "The body's name differs from the path's.",
			fields: []invalidField{{Field: "name", Message: "must be the name in the path, or absent"}}}
	}
	d, created, err := s.customers.PutFieldDefinition(r.Context(), principal(r.Context()).OrganizationID, name, in.FieldDefinitionInput)
	if err != nil {
		return err
	}
	base := s.baseURL(r)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", fieldDefinitionURL(base, d.Name))
	}
	writeJSON(w, status, toFieldDefinitionOut(d, base))
	return nil
}

func (s *Server) deleteFieldDefinition(w http.ResponseWriter, r *http.Request) error {
	if err := s.customers.DeleteFieldDefinition(r.Context(), principal(r.Context()).OrganizationID, pathParam(r, "name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
