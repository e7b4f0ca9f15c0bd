package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/billing/customers-api/pkg/client"
)

// Example shows the usual flow of an import script: upsert by id, read with
// an ETag, update conditionally, and handle errors by kind.
func Example() {
	baseURL, apiKey, stop := exampleServer() // e.g. "https://api.example.com", os.Getenv("REB_APIKEY")
	defer stop()

	c, err := client.New(baseURL, apiKey, client.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	// PUT is an upsert: 201 the first time, 200 after.
	cust, resp, err := c.PutCustomer(ctx, "cus_ada", client.CustomerInput{
		PrimaryAddress: &client.ContactObject{
			FirstName: client.String("Ada"),
			LastName:  client.String("Lovelace"),
			Emails:    []client.ContactEmail{{Label: "work", Value: "ada@example.com", Primary: true}},
		},
		CustomFields: map[string]any{"tier": "gold"},
	}, client.WithRequestID("import-row-1"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*cust.Email, "created:", resp.Created, "etag:", resp.ETag, "request:", resp.RequestID)

	// Change one field, but only if nobody else changed the customer since.
	edit := cust.Input()
	edit.Locale = client.String("en-GB")
	cust, resp, err = c.PutCustomer(ctx, "cus_ada", edit, client.IfMatch(resp.ETag))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("locale:", *cust.Locale, "revision:", cust.Revision, "created:", resp.Created)

	// A stale ETag is 412; problems are *client.Error values.
	_, _, err = c.PutCustomer(ctx, "cus_ada", edit, client.IfMatch(client.ETag(0)))
	fmt.Println("stale write rejected:", client.IsPreconditionFailed(err))

	_, _, err = c.CreateCustomer(ctx, client.CustomerInput{WebsiteID: client.String("")})
	var apiErr *client.Error
	if errors.As(err, &apiErr) {
		for _, f := range apiErr.InvalidFields {
			fmt.Printf("%d %s: %s\n", apiErr.Status, f.Field, f.Message)
		}
	}
	// Output:
	// ada@example.com created: true etag: "0" request: import-row-1
	// locale: en-GB revision: 1 created: false
	// stale write rejected: true
	// 422 websiteId: may not be empty (send null to leave it unset)
}

// exampleOrgID is the organization of the server exampleServer last started.
var exampleOrgID string

// exampleServer starts the real service over a fresh database for an
// example, which has no *testing.T: exampleTB stands in for the one
// pgtest.NewDB needs, and stop runs its cleanups.
func exampleServer() (baseURL, apiKey string, stop func()) {
	tb := &exampleTB{}
	a := newAPI(tb)
	exampleOrgID = a.orgID
	return a.srv.URL, a.key, tb.cleanup
}

// exampleTB is the part of testing.TB that newAPI and pgtest use; a
// failure ends the example run, since examples cannot fail otherwise.
type exampleTB struct {
	testing.TB // nil: any other method panics, showing what is missing
	cleanups   []func()
}

func (tb *exampleTB) Helper()                  {}
func (tb *exampleTB) Context() context.Context { return context.Background() }
func (tb *exampleTB) Cleanup(f func())         { tb.cleanups = append(tb.cleanups, f) }
func (tb *exampleTB) Fatal(args ...any)        { tb.fail(fmt.Sprint(args...)) }
func (tb *exampleTB) Fatalf(format string, args ...any) {
	tb.fail(fmt.Sprintf(format, args...))
}
func (tb *exampleTB) Errorf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "example: "+format+"\n", args...)
}

func (tb *exampleTB) fail(msg string) {
	fmt.Fprintln(os.Stderr, "example setup failed:", msg)
	tb.cleanup()
	os.Exit(1)
}

func (tb *exampleTB) cleanup() {
	for i := len(tb.cleanups) - 1; i >= 0; i-- {
		tb.cleanups[i]()
	}
	tb.cleanups = nil
}
