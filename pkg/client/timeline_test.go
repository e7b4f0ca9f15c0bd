package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/billing/customers-api/pkg/client"
)

// messageTypes are the types of messages, in order.
func messageTypes(msgs []client.TimelineMessage) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Type
	}
	return out
}

func TestTimeline(t *testing.T) {
	forEachLayout(t, func(t *testing.T, a *api, c *client.Client, base string) {
		ctx := context.Background()
		const id = "cus_timeline"
		if _, _, err := c.PutCustomer(ctx, id, client.CustomerInput{
			PrimaryAddress: &client.ContactObject{FirstName: client.String("Ada"), City: client.String("London")},
		}); err != nil {
			t.Fatal(err)
		}
		custURL := base + "/customers/" + id

		// Creation wrote one message, in the same transaction.
		list, resp, err := c.ListTimeline(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || list.Total != 1 || len(list.Messages) != 1 {
			t.Fatalf("timeline of a new customer: status %d, total %d, %d messages", resp.StatusCode, list.Total, len(list.Messages))
		}
		created := list.Messages[0]
		if created.Type != client.MessageCustomerCreated || created.ExtraData.Revision != 0 || created.TriggeredBy != "direct-api" ||
			created.OccurredTime.IsZero() || created.ExtraData.Changes == nil || len(created.ExtraData.Changes) != 0 ||
			created.CustomEventType != nil || created.CustomData != nil {
			t.Errorf("creation message %+v", created)
		}
		if created.ExtraData.APIKeyID == nil || created.ExtraData.RequestID == nil {
			t.Errorf("creation message without its request and key ids: %+v", created.ExtraData)
		}
		if created.Link("self") != custURL+"/timeline/"+created.ID || created.Link("customer") != custURL {
			t.Errorf("links %+v under %s", created.Links, custURL)
		}

		// An update writes one message per changed aspect, with the old and
		// new values.
		if _, _, err := c.PutCustomer(ctx, id, client.CustomerInput{
			PrimaryAddress: &client.ContactObject{FirstName: client.String("Ada"), City: client.String("Paris")},
			Locale:         client.String("fr-FR"),
		}); err != nil {
			t.Fatal(err)
		}
		list, _, err = c.ListTimeline(ctx, id, client.Filter("type:primary-address-changed,customer-updated"), client.Sort("type"))
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{client.MessageCustomerUpdated, client.MessagePrimaryAddressChanged}; !reflect.DeepEqual(messageTypes(list.Messages), want) {
			t.Fatalf("update messages %v, want %v", messageTypes(list.Messages), want)
		}
		addr := list.Messages[1]
		change, ok := addr.ExtraData.Changes["primaryAddress"]
		if !ok || len(addr.ExtraData.Changes) != 1 || addr.ExtraData.Revision != 1 {
			t.Fatalf("address message: revision %d, changes %v", addr.ExtraData.Revision, addr.ExtraData.Changes)
		}
		var before, after client.ContactObject
		if err := json.Unmarshal(change.Old, &before); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(change.New, &after); err != nil {
			t.Fatal(err)
		}
		if str(before.City) != "London" || str(after.City) != "Paris" || after.Hash != "" {
			t.Errorf("address change %s → %s (derived hash must not appear)", change.Old, change.New)
		}
		if loc := list.Messages[0].ExtraData.Changes["locale"]; string(loc.Old) != "null" || string(loc.New) != `"fr-FR"` {
			t.Errorf("locale change %s → %s", loc.Old, loc.New)
		}

		// A comment and a custom event.
		note, resp, err := c.PostTimelineMessage(ctx, id, client.Comment("Called about the invoice."))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusCreated || resp.Location != custURL+"/timeline/"+note.ID || note.Link("self") != resp.Location {
			t.Errorf("comment: status %d, Location %q, self %q", resp.StatusCode, resp.Location, note.Link("self"))
		}
		if note.Type != client.MessageComment || note.Message != "Called about the invoice." || note.ExtraData.Revision != 1 ||
			note.CustomEventType != nil || note.CustomData != nil || len(note.ExtraData.Changes) != 0 {
			t.Errorf("comment %+v", note)
		}
		event, _, err := c.PostTimelineMessage(ctx, id, client.CustomEvent("ticket-opened", "Ticket 4711 was opened.",
			map[string]any{"ticket": 4711, "tags": []any{"urgent"}}))
		if err != nil {
			t.Fatal(err)
		}
		wantData := map[string]any{"ticket": json.Number("4711"), "tags": []any{"urgent"}}
		if event.Type != client.MessageCustomEvent || str(event.CustomEventType) != "ticket-opened" || !reflect.DeepEqual(event.CustomData, wantData) {
			t.Errorf("custom event %+v", event)
		}
		bare, _, err := c.PostTimelineMessage(ctx, id, client.CustomEvent("ping", "Pinged.", nil))
		if err != nil {
			t.Fatal(err)
		}
		if bare.CustomData == nil || len(bare.CustomData) != 0 {
			t.Errorf("a custom event without data has customData %v, want {}", bare.CustomData)
		}
		// Posting changes nothing on the customer.
		if cu, _, err := c.GetCustomer(ctx, id); err != nil || cu.Revision != 1 {
			t.Errorf("after posting: revision %d, %v; want 1", cu.Revision, err)
		}

		got, _, err := c.GetTimelineMessage(ctx, id, event.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, event) {
			t.Errorf("GET differs from POST:\n%+v\n%+v", got, event)
		}

		// Paging, newest first by default.
		page, _, err := c.ListTimeline(ctx, id, client.Limit(2))
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 6 || len(page.Messages) != 2 || !page.HasNext() || page.Messages[0].OccurredTime.Before(page.Messages[1].OccurredTime) {
			t.Fatalf("page 1: total %d, %v, links %+v", page.Total, messageTypes(page.Messages), page.Links)
		}
		seen := len(page.Messages)
		for page.HasNext() {
			if page, _, err = c.ListTimelineAt(ctx, id, page.Links.Next); err != nil {
				t.Fatal(err)
			}
			seen += len(page.Messages)
		}
		if seen != 6 {
			t.Errorf("paged through %d messages, want 6", seen)
		}
		events, _, err := c.ListTimeline(ctx, id, client.Filter("type:custom-event"), client.Sort("occurredTime"))
		if err != nil || events.Total != 2 {
			t.Errorf("custom events: %+v, %v", events, err)
		}
		_, _, err = c.ListTimeline(ctx, id, client.Filter("nosuchfield:1"))
		mustErr(t, err, http.StatusBadRequest)

		// Only the client's messages can be deleted.
		resp, err = c.DeleteTimelineMessage(ctx, id, note.ID)
		if err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("delete comment: %v, %+v", err, resp)
		}
		_, _, err = c.GetTimelineMessage(ctx, id, note.ID)
		mustErr(t, err, http.StatusNotFound)
		_, err = c.DeleteTimelineMessage(ctx, id, note.ID)
		mustErr(t, err, http.StatusNotFound)
		_, err = c.DeleteTimelineMessage(ctx, id, created.ID)
		mustErr(t, err, http.StatusConflict)
		if !client.IsConflict(err) {
			t.Errorf("IsConflict(%v) is false", err)
		}
		if _, err := c.DeleteTimelineMessage(ctx, id, event.ID); err != nil {
			t.Errorf("delete custom event: %v", err)
		}
	})
}

func TestTimelineErrors(t *testing.T) {
	a := newAPI(t)
	c := a.client()
	ctx := context.Background()
	if _, _, err := c.PutCustomer(ctx, "cus_t", client.CustomerInput{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		in    client.TimelineMessageInput
		field string
	}{
		{"a type the service writes", client.TimelineMessageInput{Type: client.MessageCustomerCreated, Message: "x"}, "type"},
		{"no type", client.TimelineMessageInput{Message: "x"}, "type"},
		{"an empty message", client.Comment(""), "message"},
		{"a custom event without its type", client.TimelineMessageInput{Type: client.MessageCustomEvent, Message: "x"}, "customEventType"},
		{"data on a comment", client.TimelineMessageInput{Type: client.MessageComment, Message: "x", CustomData: map[string]any{"a": 1}}, "customData"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.PostTimelineMessage(ctx, "cus_t", tc.in)
			if e := mustErr(t, err, http.StatusUnprocessableEntity); !client.IsValidation(err) {
				t.Errorf("IsValidation(%v) is false", err)
			} else if _, ok := e.Field(tc.field); !ok {
				t.Errorf("invalid fields %+v, want %s", e.InvalidFields, tc.field)
			}
		})
	}

	// A missing or merged-away customer has no timeline.
	_, _, err := c.ListTimeline(ctx, "cus_nobody")
	mustErr(t, err, http.StatusNotFound)
	_, _, err = c.PostTimelineMessage(ctx, "cus_nobody", client.Comment("x"))
	mustErr(t, err, http.StatusNotFound)
	if _, _, err := c.PutCustomer(ctx, "cus_dup", client.CustomerInput{}); err != nil {
		t.Fatal(err)
	}
	note, _, err := c.PostTimelineMessage(ctx, "cus_dup", client.Comment("on the duplicate"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.MergeCustomer(ctx, "cus_dup", "cus_t"); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.ListTimeline(ctx, "cus_dup")
	mustErr(t, err, http.StatusNotFound)
	_, _, err = c.GetTimelineMessage(ctx, "cus_dup", note.ID)
	mustErr(t, err, http.StatusNotFound)
	// Its messages moved to the target, beside the merge's own.
	moved, _, err := c.GetTimelineMessage(ctx, "cus_t", note.ID)
	if err != nil || moved.Message != "on the duplicate" || moved.Link("customer") != a.srv.URL+"/customers/cus_t" {
		t.Errorf("moved comment %+v, %v", moved, err)
	}
	merged, _, err := c.ListTimeline(ctx, "cus_t", client.Filter("type:customer-merged"))
	if err != nil || merged.Total != 1 {
		t.Errorf("merge messages on the target: %+v, %v", merged, err)
	}

	// Unknown and malformed message ids are 404; empty ones never leave.
	_, _, err = c.GetTimelineMessage(ctx, "cus_t", "not-a-uuid")
	mustErr(t, err, http.StatusNotFound)
	_, _, err = c.GetTimelineMessage(ctx, "cus_t", "3f2b8c1e-6a4d-4e8f-9b7a-1c2d3e4f5a6b")
	mustErr(t, err, http.StatusNotFound)
	before := a.requests.Load()
	if _, _, err := c.GetTimelineMessage(ctx, "cus_t", ""); err == nil || client.StatusCode(err) != 0 {
		t.Errorf("empty message id: %v, want a client-side error", err)
	}
	if _, err := c.DeleteTimelineMessage(ctx, "", "x"); err == nil || client.StatusCode(err) != 0 {
		t.Errorf("empty customer id: %v, want a client-side error", err)
	}
	if n := a.requests.Load() - before; n != 0 {
		t.Errorf("%d requests sent for empty ids", n)
	}

	// Permissions: reading the timeline does not allow writing to it.
	reader := a.clientWithKey(a.newKey(a.orgID, "GetCustomerTimelineCollection", "GetCustomerTimeline"))
	if _, _, err := reader.ListTimeline(ctx, "cus_t"); err != nil {
		t.Errorf("list with GetCustomerTimelineCollection: %v", err)
	}
	_, _, err = reader.PostTimelineMessage(ctx, "cus_t", client.Comment("x"))
	mustErr(t, err, http.StatusForbidden)
	_, err = reader.DeleteTimelineMessage(ctx, "cus_t", note.ID)
	mustErr(t, err, http.StatusForbidden)
}

func TestPostTimelineMessageIdempotent(t *testing.T) {
	a := newAPI(t)
	c := a.client()
	ctx := context.Background()
	if _, _, err := c.PutCustomer(ctx, "cus_i", client.CustomerInput{}); err != nil {
		t.Fatal(err)
	}
	key := client.WithHeader("Idempotency-Key", "comment-1")
	first, _, err := c.PostTimelineMessage(ctx, "cus_i", client.Comment("once"), key)
	if err != nil {
		t.Fatal(err)
	}
	again, resp, err := c.PostTimelineMessage(ctx, "cus_i", client.Comment("once"), key)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID || resp.Header.Get("Idempotent-Replayed") != "true" || resp.Location != first.Link("self") {
		t.Errorf("replay: id %q (first %q), Idempotent-Replayed %q, Location %q", again.ID, first.ID, resp.Header.Get("Idempotent-Replayed"), resp.Location)
	}
	list, _, err := c.ListTimeline(ctx, "cus_i", client.Filter("type:customer-comment-created"))
	if err != nil || list.Total != 1 {
		t.Errorf("comments after a replay: %+v, %v; want 1", list, err)
	}
}
