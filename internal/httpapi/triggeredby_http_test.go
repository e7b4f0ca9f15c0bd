package httpapi_test

import (
	"net/http"
	"testing"
)

// X-Triggered-By: app marks a change as the dashboard's: every timeline
// message the request writes says triggeredBy "app"; without the header,
// or with another value, "direct-api" (SPEC §12).
func TestHTTPTriggeredByApp(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	app := map[string]string{"X-Triggered-By": "app"}

	// Created by the dashboard, then changed through the API directly, then
	// with a value that is not "app".
	r := a.do(req{Method: http.MethodPut, Path: "/customers/ada", Body: map[string]any{"locale": "en-GB"}, Headers: app})
	wantStatus(t, r, http.StatusCreated)
	r = a.do(req{Method: http.MethodPut, Path: "/customers/ada", Body: map[string]any{"locale": "fr-FR"}})
	wantStatus(t, r, http.StatusOK)
	r = a.do(req{Method: http.MethodPut, Path: "/customers/ada", Body: map[string]any{"locale": "de-DE"}, Headers: map[string]string{"X-Triggered-By": "App"}})
	wantStatus(t, r, http.StatusOK)
	// The dashboard's edit, tag and comment.
	r = a.do(req{Method: http.MethodPut, Path: "/customers/ada", Body: map[string]any{"locale": "it-IT"}, Headers: app})
	wantStatus(t, r, http.StatusOK)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/tags/vip/customers/ada", Headers: app}), http.StatusNoContent)
	wantStatus(t, a.do(req{Method: http.MethodPost, Path: "/customers/ada/timeline", Headers: app,
		Body: map[string]any{"type": "customer-comment-created", "message": "Called."}}), http.StatusCreated)
	// A read with the header writes nothing.
	wantStatus(t, a.do(req{Method: http.MethodGet, Path: "/customers/ada", Headers: app}), http.StatusOK)

	// Messages of changes made within one second share their time, so
	// each is told by what it says, not by its place.
	msgs, _ := a.timeline("ada", "")
	got := map[string]string{}
	for _, m := range msgs {
		key := m["type"].(string)
		if key == "customer-updated" {
			key += " " + changes(m)["locale"].(map[string]any)["new"].(string)
		}
		got[key] = m["triggeredBy"].(string)
	}
	want := map[string]string{
		"customer-created":         "app",
		"customer-updated fr-FR":   "direct-api", // no header
		"customer-updated de-DE":   "direct-api", // "App" is not "app"
		"customer-updated it-IT":   "app",
		"customer-tagged":          "app",
		"customer-comment-created": "app",
	}
	if len(msgs) != len(want) {
		t.Fatalf("timeline has %d messages, want %d: %v", len(msgs), len(want), messageTypes(msgs))
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: triggeredBy %q, want %q", k, got[k], w)
		}
	}
}
