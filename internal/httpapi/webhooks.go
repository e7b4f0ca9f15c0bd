package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/webhooks"
)

// webhookOut is a webhook's representation (SPEC §13). Secret is set only
// in the answers that issue one; a stored (replayable) copy of those
// answers carries it as null (SPEC §16).
type webhookOut struct {
	ID           string            `json:"id"`
	URL          string            `json:"url"`
	Description  *string           `json:"description"`
	EventsFilter []string          `json:"eventsFilter"`
	Status       string            `json:"status"`
	Headers      map[string]string `json:"headers"`
	Secret       json.RawMessage   `json:"secret,omitempty"`
	CreatedTime  string            `json:"createdTime"`
	UpdatedTime  string            `json:"updatedTime"`
	Links        []link            `json:"_links"`
}

func webhookURL(base, id string) string { return base + "/webhooks/" + url.PathEscape(id) }

func toWebhookOut(wh *webhooks.Webhook, base string) webhookOut {
	return webhookOut{
		ID: wh.ID, URL: wh.URL, Description: wh.Description, EventsFilter: wh.EventsFilter, Status: wh.Status,
		Headers: wh.Headers, CreatedTime: apiTime(wh.CreatedTime), UpdatedTime: apiTime(wh.UpdatedTime),
		Links: []link{{Rel: "self", Href: webhookURL(base, wh.ID)}, {Rel: "deliveries", Href: webhookURL(base, wh.ID) + "/deliveries"}},
	}
}

// webhookIn is a written webhook; the read-only fields a client may send
// back are accepted and ignored.
type webhookIn struct {
	webhooks.Input
	ID          *string `json:"id"`
	Secret      *string `json:"secret"`
	CreatedTime *string `json:"createdTime"`
	UpdatedTime *string `json:"updatedTime"`
	Links       []any   `json:"_links"`
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var in webhookIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	wh, err := s.webhooks.Create(r.Context(), principal(r.Context()).OrganizationID, in.Input)
	if err != nil {
		return err
	}
	base := s.baseURL(r)
	w.Header().Set("Location", webhookURL(base, wh.ID))
	out := toWebhookOut(wh, base)
	writeWithSecret(w, http.StatusCreated, &out, &out.Secret, wh.Secret)
	return nil
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	wh, err := s.webhooks.Get(r.Context(), principal(r.Context()).OrganizationID, pathID(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toWebhookOut(wh, s.baseURL(r)))
	return nil
}

func (s *Server) putWebhook(w http.ResponseWriter, r *http.Request) error {
	var in webhookIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	wh, err := s.webhooks.Update(r.Context(), principal(r.Context()).OrganizationID, pathID(r), in.Input)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toWebhookOut(wh, s.baseURL(r)))
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := s.webhooks.Delete(r.Context(), principal(r.Context()).OrganizationID, pathID(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	wh, err := s.webhooks.RotateSecret(r.Context(), principal(r.Context()).OrganizationID, pathID(r))
	if err != nil {
		return err
	}
	out := toWebhookOut(wh, s.baseURL(r))
	writeWithSecret(w, http.StatusOK, &out, &out.Secret, wh.Secret)
	return nil
}

// deliveryOut is a delivery's representation in a webhook's log.
type deliveryOut struct {
	ID                 string  `json:"id"`
	EventType          string  `json:"eventType"`
	CustomerID         string  `json:"customerId"`
	Status             string  `json:"status"`
	Attempts           int     `json:"attempts"`
	LastAttemptTime    *string `json:"lastAttemptTime"`
	NextAttemptTime    *string `json:"nextAttemptTime"`
	LastResponseStatus *int    `json:"lastResponseStatus"`
	LastError          *string `json:"lastError"`
	CreatedTime        string  `json:"createdTime"`
}

func toDeliveryOut(d *webhooks.Delivery, _ string) deliveryOut {
	out := deliveryOut{ID: d.ID, EventType: d.EventType, CustomerID: d.CustomerID, Status: d.Status, Attempts: d.Attempts,
		LastResponseStatus: d.LastResponseStatus, LastError: d.LastError, CreatedTime: apiTime(d.CreatedTime)}
	if d.LastAttemptTime != nil {
		t := apiTime(*d.LastAttemptTime)
		out.LastAttemptTime = &t
	}
	if d.NextAttemptTime != nil {
		t := apiTime(*d.NextAttemptTime)
		out.NextAttemptTime = &t
	}
	return out
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	list := func(ctx context.Context, orgID string, lq customers.ListQuery) (int64, []webhooks.Delivery, error) {
		return s.webhooks.ListDeliveries(ctx, orgID, pathID(r), lq)
	}
	return servePage(s, w, r, list, toDeliveryOut)
}

func (s *Server) retryDelivery(w http.ResponseWriter, r *http.Request) error {
	err := s.webhooks.Retry(r.Context(), principal(r.Context()).OrganizationID, pathID(r), pathParam(r, "deliveryId"))
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// RenderEvent renders an outbox event as its webhook body (SPEC §13): the
// customer as GET shows it at the change's revision, with links under
// base, the API's absolute URL.
func RenderEvent(base string, e webhooks.Event) []byte {
	v := &customers.View{ID: e.CustomerID, Revision: e.Revision, HasLeadSource: e.HasLeadSource,
		WebsiteID: e.WebsiteID, PaymentInstrumentID: e.PaymentInstrumentID, JSON: e.Customer}
	buf := []byte(`{"eventType":`)
	buf = appendJSONString(buf, e.Type)
	if e.Type == customers.EventCustomerMerged {
		buf = append(buf, `,"targetCustomerId":`...)
		buf = appendJSONString(buf, e.CustomerID)
		buf = append(buf, `,"duplicatedCustomer":`...)
		if len(e.Duplicate) > 0 {
			buf = append(buf, e.Duplicate...)
		} else {
			buf = append(buf, "null"...)
		}
		buf = append(buf, `,"_embedded":{"targetCustomer":`...)
	} else {
		buf = append(buf, `,"customerId":`...)
		buf = appendJSONString(buf, e.CustomerID)
		buf = append(buf, `,"_embedded":{"customer":`...)
	}
	buf = appendCustomer(buf, v, representation{}, base)
	buf = append(buf, `},"_links":[`...)
	buf = appendLink(buf, "customer", customerURL(base, e.CustomerID))
	return append(buf, "]}"...)
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	return servePage(s, w, r, s.webhooks.List, toWebhookOut)
}
