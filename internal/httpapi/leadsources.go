package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/billing/customers-api/internal/customers"
)

// leadSourceIn is the body of lead-source writes and the write-only
// leadSource of a customer: the domain's values, and the read-only fields
// a client may send back, accepted and ignored.
type leadSourceIn struct {
	customers.LeadSourceData
	CreatedTime json.RawMessage `json:"createdTime"`
	UpdatedTime json.RawMessage `json:"updatedTime"`
	Original    json.RawMessage `json:"original"`
	Links       json.RawMessage `json:"_links"`
}

func (s *Server) getLeadSource(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.customers.GetLeadSource(r.Context(), principal(r.Context()).OrganizationID, pathID(r))
	if err != nil {
		return err
	}
	if tags := entityTags(r.Header, "If-None-Match"); tags != nil && matchesETag(tags, ls.Revision) {
		w.Header().Set("ETag", quoteETag(ls.Revision))
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	s.writeLeadSource(w, r, http.StatusOK, ls)
	return nil
}

// putLeadSource serves both PUT and POST: the first write creates (201),
// later ones replace the current values (200).
func (s *Server) putLeadSource(w http.ResponseWriter, r *http.Request) error {
	var in leadSourceIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ls, created, err := s.customers.PutLeadSource(r.Context(), principal(r.Context()).OrganizationID, pathID(r), in.LeadSourceData, precondition(r))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	s.writeLeadSource(w, r, status, ls)
	return nil
}

func (s *Server) deleteLeadSource(w http.ResponseWriter, r *http.Request) error {
	if err := s.customers.DeleteLeadSource(r.Context(), principal(r.Context()).OrganizationID, pathID(r), precondition(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) writeLeadSource(w http.ResponseWriter, r *http.Request, status int, ls *customers.LeadSourceView) {
	base := s.baseURL(r)
	w.Header().Set("ETag", quoteETag(ls.Revision))
	if status == http.StatusCreated {
		w.Header().Set("Location", customerURL(base, ls.CustomerID)+"/lead-source")
	}
	buf := getBuffer()
	defer putBuffer(buf)
	*buf = append(appendLeadSource(*buf, ls, base), '\n')
	writeRaw(w, status, *buf)
}
