// Package client is a typed Go client of the Customers API, which is
// wire-compatible with Rebilly's Customers API. It uses the standard library
// only, so any module can import it.
//
// Build one [Client] per base URL and API key with [New] and share it; it is
// safe for concurrent use. Every call takes a context first, and returns the
// decoded resource (when there is one), a [*Response] with what the headers
// said (ETag, Location, X-Request-Id, whether a PUT created) and an error.
//
//	c, err := client.New("https://api.example.com", os.Getenv("REB_APIKEY"),
//		client.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}))
//	...
//	cust, resp, err := c.PutCustomer(ctx, "cus_42", client.CustomerInput{
//		PrimaryAddress: &client.ContactObject{FirstName: client.String("Ada")},
//	})
//	if resp.Created { ... }
//
// # Routes
//
// The API's routes have a method each: [Client.ListCustomers] (with
// [Client.ListCustomersAt] and [Client.AllCustomers] for paging),
// [Client.CreateCustomer], [Client.GetCustomer], [Client.PutCustomer],
// [Client.MergeCustomer], [Client.GetLeadSource], [Client.PutLeadSource],
// [Client.DeleteLeadSource], [Client.CheckHealth] and [Client.CheckReady].
// Tags: [Client.ListTags] (with [Client.ListTagsAt]), [Client.CreateTag],
// [Client.GetTag], [Client.DeleteTag], [Client.TagCustomer],
// [Client.UntagCustomer], and in bulk [Client.TagCustomers] and
// [Client.UntagCustomers]. Custom-field definitions:
// [Client.ListCustomFields], [Client.GetCustomField],
// [Client.PutCustomField] and [Client.DeleteCustomField]. Tag and field
// names are path-escaped by the client (a tag may be "VIP +@ gold").
// Timelines: [Client.ListTimeline] (with [Client.ListTimelineAt]),
// [Client.GetTimelineMessage], [Client.PostTimelineMessage] (build the
// input with [Comment] or [CustomEvent]) and [Client.DeleteTimelineMessage].
// Webhooks: [Client.ListWebhooks] (with [Client.ListWebhooksAt]),
// [Client.CreateWebhook], [Client.GetWebhook], [Client.UpdateWebhook],
// [Client.DeleteWebhook], [Client.RotateWebhookSecret],
// [Client.ListDeliveries] (with [Client.ListDeliveriesAt]) and
// [Client.RetryDelivery]; a receiver checks what it is sent with
// [VerifyWebhookSignature]. Customer tokens (what Cleeng's clients
// authenticate with): [Client.CreateCustomerToken], whose answer alone
// holds the secret, [Client.ListCustomerTokens] (with
// [Client.ListCustomerTokensAt]) and [Client.DeleteCustomerToken].
// Renaming a tag (PATCH /tags/{tag}) has no method yet, and the other
// platforms' routes (Cleeng's, Adobe VIP Marketplace's and Worldline's) are
// for those platforms' own clients.
// By default paths are bare (/customers/…) and the organization is the API
// key's; [WithOrganization] switches to /organizations/{id}/customers/….
//
// # Options
//
// Per-call options are typed so that only the ones a method understands
// compile: query parameters ([Limit], [Offset], [Filter], [Search], [Sort])
// for the lists (each documents the fields its collection knows),
// representation ([Fields], [Expand]) for the list and
// GetCustomer, conditions ([IfMatch], [IfNoneMatch]) for reads and writes,
// and [WithRequestID] / [WithHeader] everywhere. An Idempotency-Key, which
// makes a POST or DELETE safe to retry, is sent with
// WithHeader("Idempotency-Key", key).
//
// # Errors
//
// An answer other than 2xx is an [*Error] carrying the problem+json body:
// Status, Type, Title, Detail, Instance, RequestID and InvalidFields. Use
// errors.As, or the helpers [IsNotFound], [IsValidation], [IsConflict],
// [IsPreconditionFailed], [IsUnauthorized], [IsForbidden], [IsBadRequest]
// and [StatusCode]. A conditional GET whose [IfNoneMatch] matched returns
// [ErrNotModified]. Transport failures are returned wrapped, as net/http
// reports them (so errors.Is(err, context.DeadlineExceeded) works).
package client
