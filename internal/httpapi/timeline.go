package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/billing/customers-api/internal/customers"
)

// messageOut is a timeline message's representation (SPEC §12).
type messageOut struct {
	ID              string          `json:"id"`
	Type            string          `json:"type"`
	Message         string          `json:"message"`
	ExtraData       extraDataOut    `json:"extraData"`
	TriggeredBy     string          `json:"triggeredBy"`
	OccurredTime    string          `json:"occurredTime"`
	CustomEventType *string         `json:"customEventType,omitempty"`
	CustomData      json.RawMessage `json:"customData,omitempty"`
	Links           []link          `json:"_links"`
}

type extraDataOut struct {
	Revision  int64           `json:"revision"`
	RequestID *string         `json:"requestId"`
	APIKeyID  *string         `json:"apiKeyId"`
	Changes   json.RawMessage `json:"changes"`
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func messageURL(base, customerID, id string) string {
	return customerURL(base, customerID) + "/timeline/" + url.PathEscape(id)
}

func toMessageOut(m *customers.Message, base string) messageOut {
	changes := m.Changes
	if len(changes) == 0 {
		changes = json.RawMessage("{}")
	}
	return messageOut{
		ID: m.ID, Type: m.Type, Message: m.Text, TriggeredBy: m.TriggeredBy, OccurredTime: apiTime(m.OccurredTime),
		ExtraData:       extraDataOut{Revision: m.Revision, RequestID: nonEmpty(m.RequestID), APIKeyID: nonEmpty(m.APIKeyID), Changes: changes},
		CustomEventType: m.CustomEventType, CustomData: m.CustomData,
		Links: []link{{Rel: "self", Href: messageURL(base, m.CustomerID, m.ID)}, {Rel: "customer", Href: customerURL(base, m.CustomerID)}},
	}
}

func (s *Server) listTimeline(w http.ResponseWriter, r *http.Request) error {
	list := func(ctx context.Context, orgID string, lq customers.ListQuery) (int64, []customers.Message, error) {
		return s.customers.ListTimeline(ctx, orgID, pathID(r), lq)
	}
	return servePage(s, w, r, list, toMessageOut)
}

func (s *Server) getTimelineMessage(w http.ResponseWriter, r *http.Request) error {
	m, err := s.customers.GetTimelineMessage(r.Context(), principal(r.Context()).OrganizationID, pathID(r), pathParam(r, "messageId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toMessageOut(m, s.baseURL(r)))
	return nil
}

// messageIn is a posted message; the read-only fields a client may send
// back are accepted and ignored.
type messageIn struct {
	customers.MessageInput
	ID           *string `json:"id"`
	ExtraData    any     `json:"extraData"`
	TriggeredBy  *string `json:"triggeredBy"`
	OccurredTime *string `json:"occurredTime"`
	Links        []any   `json:"_links"`
}

func (s *Server) postTimelineMessage(w http.ResponseWriter, r *http.Request) error {
	var in messageIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	m, err := s.customers.PostTimelineMessage(r.Context(), principal(r.Context()).OrganizationID, pathID(r), in.MessageInput)
	if err != nil {
		return err
	}
	base := s.baseURL(r)
	w.Header().Set("Location", messageURL(base, m.CustomerID, m.ID))
	writeJSON(w, http.StatusCreated, toMessageOut(m, base))
	return nil
}

func (s *Server) deleteTimelineMessage(w http.ResponseWriter, r *http.Request) error {
	if err := s.customers.DeleteTimelineMessage(r.Context(), principal(r.Context()).OrganizationID, pathID(r), pathParam(r, "messageId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
