package httpapi

import (
	"net/http"
	"net/url"
	"time"

	"github.com/billing/customers-api/internal/customers"
)

// tagOut is a tag's representation (SPEC §11).
type tagOut struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Type        string `json:"type"`
	CreatedTime string `json:"createdTime"`
	UpdatedTime string `json:"updatedTime"`
	Links       []link `json:"_links"`
}

type link struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
}

func apiTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func tagURL(base, name string) string { return base + "/tags/" + url.PathEscape(name) }

func toTagOut(t *customers.Tag, base string) tagOut {
	return tagOut{ID: t.ID, Name: t.Name, Type: "customer", CreatedTime: apiTime(t.CreatedTime), UpdatedTime: apiTime(t.UpdatedTime),
		Links: []link{{Rel: "self", Href: tagURL(base, t.Name)}}}
}

type tagIn struct {
	Name string `json:"name"`
	// Read-only fields a client may send back.
	ID          *string `json:"id"`
	Type        *string `json:"type"`
	CreatedTime *string `json:"createdTime"`
	UpdatedTime *string `json:"updatedTime"`
	Links       []any   `json:"_links"`
}

type tagCustomersIn struct {
	CustomerIDs []string `json:"customerIds"`
}

func (s *Server) listTags(w http.ResponseWriter, r *http.Request) error {
	return servePage(s, w, r, s.customers.ListTags, toTagOut)
}

func (s *Server) createTag(w http.ResponseWriter, r *http.Request) error {
	var in tagIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	t, err := s.customers.CreateTag(r.Context(), principal(r.Context()).OrganizationID, in.Name)
	if err != nil {
		return err
	}
	base := s.baseURL(r)
	w.Header().Set("Location", tagURL(base, t.Name))
	writeJSON(w, http.StatusCreated, toTagOut(t, base))
	return nil
}

func (s *Server) getTag(w http.ResponseWriter, r *http.Request) error {
	t, err := s.customers.GetTag(r.Context(), principal(r.Context()).OrganizationID, pathParam(r, "tag"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toTagOut(t, s.baseURL(r)))
	return nil
}

// renameTag serves PATCH /tags/{tag} (Rebilly's PatchTag): {name} renames it.
func (s *Server) renameTag(w http.ResponseWriter, r *http.Request) error {
	var in tagIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	t, err := s.customers.RenameTag(r.Context(), principal(r.Context()).OrganizationID, pathParam(r, "tag"), in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toTagOut(t, s.baseURL(r)))
	return nil
}

func (s *Server) deleteTag(w http.ResponseWriter, r *http.Request) error {
	if err := s.customers.DeleteTag(r.Context(), principal(r.Context()).OrganizationID, pathParam(r, "tag")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// tagCustomer serves POST (add) and DELETE /tags/{tag}/customers/{id}.
func (s *Server) tagCustomer(add bool) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := s.customers.TagCustomers(r.Context(), principal(r.Context()).OrganizationID, pathParam(r, "tag"), []string{pathID(r)}, add, false)
		if err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// tagCustomers serves the bulk POST (add) and DELETE /tags/{tag}/customers.
func (s *Server) tagCustomers(add bool) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in tagCustomersIn
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		err := s.customers.TagCustomers(r.Context(), principal(r.Context()).OrganizationID, pathParam(r, "tag"), in.CustomerIDs, add, true)
		if err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
