package client_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"github.com/billing/customers-api/pkg/client"
)

// seedFive puts five customers, c1…c5; c2 and c4 are in GB, c3 has a lead
// source.
func seedFive(t *testing.T, c *client.Client) {
	t.Helper()
	people := []struct{ id, first, country, email string }{
		{"c1", "Ada", "US", "ada@one.example"},
		{"c2", "Bob", "GB", "bob@two.example"},
		{"c3", "Cy", "FR", "cy@three.example"},
		{"c4", "Di", "GB", "di@four.example"},
		{"c5", "Ed", "US", "ed@five.example"},
	}
	for _, p := range people {
		in := client.CustomerInput{PrimaryAddress: &client.ContactObject{
			FirstName: client.String(p.first), Country: client.String(p.country),
			Emails: []client.ContactEmail{{Label: "work", Value: p.email}},
		}}
		if p.id == "c1" {
			// Characters the query string must carry intact: space, comma,
			// quote-worthy punctuation, non-ASCII, "+" and "&".
			in.PrimaryAddress.City = client.String("São Paulo, SP")
			in.PrimaryAddress.Organization = client.String("R&D + Ops")
		}
		if p.id == "c3" {
			in.LeadSource = &client.LeadSourceData{Campaign: client.String("spring")}
		}
		if _, _, err := c.PutCustomer(context.Background(), p.id, in); err != nil {
			t.Fatal(err)
		}
	}
}

// layoutOpts are the client options of the layout whose link base is base.
func layoutOpts(a *api, base string) []client.Option {
	if base != a.srv.URL {
		return []client.Option{client.WithOrganization(a.orgID)}
	}
	return nil
}

func ids(cs []client.Customer) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// linkOffset is the offset parameter of a Link URL, "" when there is no link.
func linkOffset(t *testing.T, link string) string {
	t.Helper()
	if link == "" {
		return ""
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("link %q: %v", link, err)
	}
	return u.Query().Get("offset")
}

func TestListCustomersPages(t *testing.T) {
	forEachLayout(t, func(t *testing.T, a *api, c *client.Client, base string) {
		ctx := context.Background()
		seedFive(t, c)

		page, resp, err := c.ListCustomers(ctx, client.Limit(2), client.Sort("id"), client.WithRequestID("list-1"))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || resp.RequestID != "list-1" {
			t.Errorf("status %d, request id %q", resp.StatusCode, resp.RequestID)
		}
		if got := ids(page.Customers); !reflect.DeepEqual(got, []string{"c1", "c2"}) {
			t.Errorf("first page %v", got)
		}
		if page.Total != 5 || page.Limit != 2 || page.Offset != 0 {
			t.Errorf("pagination %d/%d/%d, want 5/2/0", page.Total, page.Limit, page.Offset)
		}
		if linkOffset(t, page.Links.First) != "0" || page.Links.Prev != "" || linkOffset(t, page.Links.Next) != "2" ||
			linkOffset(t, page.Links.Last) != "4" || !page.HasNext() {
			t.Errorf("links %+v", page.Links)
		}
		if u, _ := url.Parse(page.Links.Next); u == nil || u.Scheme+"://"+u.Host+u.Path != base+"/customers" || u.Query().Get("sort") != "id" {
			t.Errorf("next link %q does not keep the layout and the query", page.Links.Next)
		}
		// Every customer of a page is fully decoded.
		if c1 := page.Customers[0]; str(c1.FirstName) != "Ada" || str(c1.Email) != "ada@one.example" || c1.Link("self") != base+"/customers/c1" {
			t.Errorf("c1 %+v", c1)
		}

		page, _, err = c.ListCustomersAt(ctx, page.Links.Next)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(page.Customers); !reflect.DeepEqual(got, []string{"c3", "c4"}) || page.Offset != 2 || linkOffset(t, page.Links.Prev) != "0" {
			t.Errorf("second page %v, offset %d, links %+v", got, page.Offset, page.Links)
		}
		page, _, err = c.ListCustomersAt(ctx, page.Links.Last)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(page.Customers); !reflect.DeepEqual(got, []string{"c5"}) || page.HasNext() || linkOffset(t, page.Links.Prev) != "2" {
			t.Errorf("last page %v, links %+v", got, page.Links)
		}

		// limit=0: headers only, no Link; past the end: an empty page.
		page, resp, err = c.ListCustomers(ctx, client.Limit(0))
		if err != nil {
			t.Fatal(err)
		}
		if page.Customers == nil || len(page.Customers) != 0 || page.Total != 5 || page.Limit != 0 || page.Links != (client.PageLinks{}) || resp.Header.Get("Link") != "" {
			t.Errorf("limit 0: %+v", page)
		}
		page, _, err = c.ListCustomers(ctx, client.Offset(50))
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Customers) != 0 || page.Total != 5 || page.Offset != 50 || page.Limit != 100 || page.Links.Next != "" {
			t.Errorf("past the end: %+v", page)
		}

		// Walking everything follows the next links.
		var all []string
		for cu, err := range c.AllCustomers(ctx, client.Limit(2), client.Sort("-id")) {
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, cu.ID)
		}
		if !reflect.DeepEqual(all, []string{"c5", "c4", "c3", "c2", "c1"}) {
			t.Errorf("AllCustomers %v", all)
		}
		// Request options go with every page.
		rt := &recordingTransport{next: a.srv.Client().Transport}
		traced := a.client(append(layoutOpts(a, base), client.WithHTTPClient(&http.Client{Transport: rt}))...)
		n := 0
		for _, err := range traced.AllCustomers(ctx, client.Limit(2), client.WithRequestID("walk-1")) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 5 || len(rt.seen) != 3 {
			t.Errorf("AllCustomers saw %d customers in %d requests, want 5 in 3", n, len(rt.seen))
		}
		for _, r := range rt.seen {
			if r.Header.Get("X-Request-Id") != "walk-1" {
				t.Errorf("page request %s lacks the request id", r.URL)
			}
		}
		// Stopping early stops fetching.
		before := a.requests.Load()
		for range c.AllCustomers(ctx, client.Limit(2)) {
			break
		}
		if n := a.requests.Load() - before; n != 1 {
			t.Errorf("breaking out of AllCustomers after one customer sent %d requests", n)
		}
	})
}

func TestListCustomersQuery(t *testing.T) {
	forEachLayout(t, func(t *testing.T, a *api, c *client.Client, base string) {
		ctx := context.Background()
		seedFive(t, c)
		for _, tc := range []struct {
			name string
			opts []client.ListOption
			want []string
		}{
			{"filter", []client.ListOption{client.Filter("primaryAddress.country:GB"), client.Sort("id")}, []string{"c2", "c4"}},
			{"filter alternatives and exclusion", []client.ListOption{client.Filter("firstName:Ada,Bob,Cy;firstName:!Bob"), client.Sort("id")}, []string{"c1", "c3"}},
			{"quoted value with comma, space and non-ASCII", []client.ListOption{client.Filter(`primaryAddress.city:"são paulo, sp"`)}, []string{"c1"}},
			{"wildcard", []client.ListOption{client.Filter("email:*@t*.example"), client.Sort("id")}, []string{"c2", "c3"}},
			{"search with + and &", []client.ListOption{client.Search("R&D + O")}, []string{"c1"}},
			{"search", []client.ListOption{client.Search("THREE"), client.Sort("id")}, []string{"c3"}},
			{"search and filter", []client.ListOption{client.Search("example"), client.Filter("primaryAddress.country:US"), client.Sort("-id")}, []string{"c5", "c1"}},
			{"lead source filter", []client.ListOption{client.Filter("leadSource.campaign:spring")}, []string{"c3"}},
			{"sort descending", []client.ListOption{client.Sort("-firstName")}, []string{"c5", "c4", "c3", "c2", "c1"}},
			{"two sort keys", []client.ListOption{client.Sort("primaryAddress.country", "-id")}, []string{"c3", "c4", "c2", "c5", "c1"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				page, _, err := c.ListCustomers(ctx, tc.opts...)
				if err != nil {
					t.Fatal(err)
				}
				if got := ids(page.Customers); !reflect.DeepEqual(got, tc.want) || page.Total != int64(len(tc.want)) {
					t.Errorf("got %v (total %d), want %v", got, page.Total, tc.want)
				}
			})
		}

		// fields: only id and the named fields come back.
		page, _, err := c.ListCustomers(ctx, client.Fields("email"), client.Sort("id"), client.Limit(1))
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Customers) != 1 {
			t.Fatalf("fields: %d customers", len(page.Customers))
		}
		if cu := page.Customers[0]; cu.ID != "c1" || str(cu.Email) != "ada@one.example" || cu.FirstName != nil || cu.PrimaryAddress != nil || cu.Links != nil || !cu.CreatedTime.IsZero() {
			t.Errorf("fields=email: %+v", cu)
		}

		// expand: the lead source is embedded, null where there is none.
		page, _, err = c.ListCustomers(ctx, client.Expand("leadSource"), client.Sort("id"))
		if err != nil {
			t.Fatal(err)
		}
		for _, cu := range page.Customers {
			if cu.Embedded == nil {
				t.Fatalf("%s: no _embedded with expand", cu.ID)
			}
			if has := cu.Embedded.LeadSource != nil; has != (cu.ID == "c3") {
				t.Errorf("%s: embedded lead source %+v", cu.ID, cu.Embedded.LeadSource)
			}
		}
		if ls := page.Customers[2].Embedded.LeadSource; ls == nil || str(ls.Campaign) != "spring" || ls.Link("customer") != base+"/customers/c3" {
			t.Errorf("embedded lead source of c3: %+v", ls)
		}

		// fields and expand on a single customer.
		cu, resp, err := c.GetCustomer(ctx, "c3", client.Fields("firstName", "primaryAddress.country"), client.Expand("leadSource"))
		if err != nil {
			t.Fatal(err)
		}
		if str(cu.FirstName) != "Cy" || cu.PrimaryAddress == nil || str(cu.PrimaryAddress.Country) != "FR" || cu.PrimaryAddress.FirstName != nil ||
			cu.Email != nil || cu.Embedded == nil || cu.Embedded.LeadSource == nil || resp.ETag != client.ETag(0) {
			t.Errorf("GET with fields and expand: %+v", cu)
		}
		cu, _, err = c.GetCustomer(ctx, "c1", client.Expand("leadSource"))
		if err != nil {
			t.Fatal(err)
		}
		if cu.Embedded == nil || cu.Embedded.LeadSource != nil || str(cu.FirstName) != "Ada" {
			t.Errorf("GET c1 with expand: embedded %+v", cu.Embedded)
		}
	})
}

func TestListCustomersErrors(t *testing.T) {
	forEachLayout(t, func(t *testing.T, a *api, c *client.Client, base string) {
		ctx := context.Background()
		for _, tc := range []struct {
			name, param string
			opt         client.ListOption
		}{
			{"bad filter", "filter", client.Filter("firstName")},
			{"unknown filter field", "filter", client.Filter("nope:1")},
			{"limit too big", "limit", client.Limit(1001)},
			{"negative offset", "offset", client.Offset(-1)},
			{"unknown sort field", "sort", client.Sort("nope")},
			{"unknown expand", "expand", client.Expand("website")},
			{"unknown field", "fields", client.Fields("nope")},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, _, err := c.ListCustomers(ctx, tc.opt)
				e := mustErr(t, err, http.StatusBadRequest)
				if msg, ok := e.Field(tc.param); !ok || msg == "" || !client.IsBadRequest(err) || e.Type != "/problems/invalid-query" {
					t.Errorf("%+v", e)
				}
			})
		}
		_, _, err := c.GetCustomer(ctx, "x", client.Expand("website"))
		mustErr(t, err, http.StatusBadRequest)

		_, _, err = a.clientWithKey(a.newKey(a.orgID, "GetCustomer")).ListCustomers(ctx)
		mustErr(t, err, http.StatusForbidden)
	})
}

// ExampleClient_ListCustomers pages through a filtered, sorted collection.
func ExampleClient_ListCustomers() {
	baseURL, apiKey, stop := exampleServer()
	defer stop()
	c, err := client.New(baseURL, apiKey, client.WithOrganization(exampleOrgID))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for _, id := range []string{"cus_1", "cus_2", "cus_3"} {
		if _, _, err := c.PutCustomer(ctx, id, client.CustomerInput{CustomFields: map[string]any{"tier": "gold"}}); err != nil {
			log.Fatal(err)
		}
	}

	page, _, err := c.ListCustomers(ctx, client.Filter("customFields.tier:gold"), client.Sort("id"), client.Limit(2))
	for err == nil {
		for _, cust := range page.Customers {
			fmt.Println(cust.ID)
		}
		fmt.Printf("(%d to %d of %d)\n", page.Offset+1, page.Offset+int64(len(page.Customers)), page.Total)
		if !page.HasNext() {
			break
		}
		page, _, err = c.ListCustomersAt(ctx, page.Links.Next)
	}
	if err != nil {
		fmt.Println("error:", err)
	}
	// Output:
	// cus_1
	// cus_2
	// (1 to 2 of 3)
	// cus_3
	// (3 to 3 of 3)
}
