package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/billing/customers-api/pkg/client"
)

func TestAuthenticationErrors(t *testing.T) {
	forEachLayout(t, func(t *testing.T, a *api, c *client.Client, base string) {
		ctx := context.Background()
		var opts []client.Option
		if strings.Contains(base, "/organizations/") {
			opts = append(opts, client.WithOrganization(a.orgID))
		}
		for name, key := range map[string]string{
			"unknown key": "sk_live_0000000000000000000000000000000000000000",
			"no key":      "",
		} {
			t.Run(name, func(t *testing.T) {
				_, resp, err := a.clientWithKey(key, opts...).GetCustomer(ctx, "anyone", client.WithRequestID("auth-1"))
				e := mustErr(t, err, http.StatusUnauthorized)
				if !client.IsUnauthorized(err) || e.Type != "/problems/unauthorized" || e.Title != "Unauthorized" {
					t.Errorf("%+v", e)
				}
				if e.RequestID != "auth-1" || resp.RequestID != "auth-1" || resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("request ids: problem %q, response %q", e.RequestID, resp.RequestID)
				}
				if !strings.Contains(err.Error(), "auth-1") || !strings.Contains(err.Error(), "401") {
					t.Errorf("error text %q lacks the status or request id", err)
				}
			})
		}

		t.Run("permission", func(t *testing.T) {
			reader := a.clientWithKey(a.newKey(a.orgID, "GetCustomer"), opts...)
			if _, _, err := c.PutCustomer(ctx, "cus_perm", client.CustomerInput{}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := reader.GetCustomer(ctx, "cus_perm"); err != nil {
				t.Errorf("GetCustomer with the GetCustomer permission: %v", err)
			}
			_, _, err := reader.PutCustomer(ctx, "cus_perm", client.CustomerInput{})
			if e := mustErr(t, err, http.StatusForbidden); !client.IsForbidden(err) || !strings.Contains(e.Detail, "PutCustomer") {
				t.Errorf("%+v", e)
			}
			_, err = reader.MergeCustomer(ctx, "cus_perm", "x")
			mustErr(t, err, http.StatusForbidden)
		})
	})
}

func TestTenancy(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	ctx := context.Background()
	if _, _, err := a.client().PutCustomer(ctx, "shared_id", client.CustomerInput{Locale: client.String("en-GB")}); err != nil {
		t.Fatal(err)
	}
	otherOrg, otherKey := a.newOrgKey()

	// Another organization's key does not see the customer...
	other := a.clientWithKey(otherKey)
	_, _, err := other.GetCustomer(ctx, "shared_id")
	mustErr(t, err, http.StatusNotFound)
	// ...and naming the first organization in the path is 403.
	_, _, err = a.clientWithKey(otherKey, client.WithOrganization(a.orgID)).GetCustomer(ctx, "shared_id")
	if e := mustErr(t, err, http.StatusForbidden); e.Type != "/problems/forbidden" {
		t.Errorf("type %q", e.Type)
	}
	// Its own organization in the path works, and a PUT there creates an
	// unrelated customer.
	mine, resp, err := a.clientWithKey(otherKey, client.WithOrganization(otherOrg)).PutCustomer(ctx, "shared_id", client.CustomerInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Created || mine.Locale != nil {
		t.Errorf("PUT in the other organization: created %v, locale %s", resp.Created, str(mine.Locale))
	}
}

func TestProblemDetails(t *testing.T) {
	forEachLayout(t, func(t *testing.T, a *api, c *client.Client, base string) {
		ctx := context.Background()
		_, _, err := c.GetCustomer(ctx, "nope")
		e := mustErr(t, err, http.StatusNotFound)
		prefix := strings.TrimPrefix(base, a.srv.URL)
		if e.Type != "/problems/not-found" || e.Title != "Not found" || e.Instance != prefix+"/customers/nope" ||
			!strings.Contains(e.Detail, `"nope"`) || e.RequestID == "" || e.InvalidFields != nil {
			t.Errorf("%+v", e)
		}

		in := client.CustomerInput{
			WebsiteID: client.String(""),
			Locale:    client.String("not a locale"),
			PrimaryAddress: &client.ContactObject{Emails: []client.ContactEmail{
				{Label: "a", Value: "not-an-email", Primary: true},
				{Label: "b", Value: "b@example.com", Primary: true},
			}},
		}
		_, _, err = c.CreateCustomer(ctx, in, client.WithRequestID("bad-data"))
		e = mustErr(t, err, http.StatusUnprocessableEntity)
		if e.Type != "/problems/validation-error" || e.RequestID != "bad-data" || !client.IsValidation(err) {
			t.Errorf("%+v", e)
		}
		for _, field := range []string{"websiteId", "locale", "primaryAddress.emails[0].value", "primaryAddress.emails"} {
			if msg, ok := e.Field(field); !ok || msg == "" {
				t.Errorf("invalidFields %+v lack %s", e.InvalidFields, field)
			}
			if !strings.Contains(err.Error(), field+": ") {
				t.Errorf("error text %q does not name %s", err, field)
			}
		}

		// The *Error survives wrapping, for errors.As and the helpers.
		wrapped := fmt.Errorf("importing row 7: %w", err)
		var got *client.Error
		if !errors.As(wrapped, &got) || got != e || !client.IsValidation(wrapped) || client.StatusCode(wrapped) != http.StatusUnprocessableEntity {
			t.Errorf("errors.As through a wrap: %v", got)
		}
		for name, is := range map[string]func(error) bool{
			"IsNotFound": client.IsNotFound, "IsConflict": client.IsConflict, "IsUnauthorized": client.IsUnauthorized,
			"IsForbidden": client.IsForbidden, "IsPreconditionFailed": client.IsPreconditionFailed, "IsBadRequest": client.IsBadRequest,
			"IsNotModified": client.IsNotModified,
		} {
			if is(wrapped) {
				t.Errorf("%s(422) is true", name)
			}
		}
	})
}

// A failure between the client and the API (here a real reverse proxy whose
// upstream is down) still gives an *Error with the status, not a decoding
// failure.
func TestNonProblemErrors(t *testing.T) {
	t.Parallel()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL, _ := url.Parse(dead.URL)
	dead.Close()
	proxy := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(deadURL) },
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "<html>\n  <body>upstream unavailable</body>\n</html>")
		},
	})
	defer proxy.Close()
	c, err := client.New(proxy.URL, "sk_live_whatever")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.GetCustomer(context.Background(), "x")
	e := mustErr(t, err, http.StatusBadGateway)
	if e.Title != "Bad Gateway" || e.Type != "" || !strings.Contains(e.Detail, "upstream unavailable") || strings.Contains(e.Detail, "\n") {
		t.Errorf("%+v", e)
	}
}
