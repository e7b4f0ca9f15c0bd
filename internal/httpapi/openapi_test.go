package httpapi

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/adapters/adobevip"
	"github.com/billing/customers-api/internal/adapters/cleeng"
	"github.com/billing/customers-api/internal/adapters/worldline"
	"github.com/getkin/kin-openapi/openapi3"
)

// openAPIPath is the service's OpenAPI document, relative to this package.
const openAPIPath = "../../openapi.yaml"

var loadOpenAPI = sync.OnceValues(func() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	return loader.LoadFromFile(openAPIPath)
})

// openAPIDoc loads openapi.yaml once per test binary.
func openAPIDoc(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := loadOpenAPI()
	if err != nil {
		t.Fatalf("load %s: %v", openAPIPath, err)
	}
	return doc
}

// documentedOperations maps every "METHOD /path" of the document to its operation.
func documentedOperations(doc *openapi3.T) map[string]*openapi3.Operation {
	out := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			out[method+" "+path] = op
		}
	}
	return out
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := openAPIDoc(t)
	err := doc.Validate(context.Background(),
		openapi3.EnableSchemaFormatValidation(),   // every format is one kin-openapi knows
		openapi3.EnableSchemaPatternValidation(),  // every pattern compiles
		openapi3.EnableSchemaDefaultsValidation(), // every default meets its schema
		openapi3.EnableExamplesValidation(),       // media type and parameter examples meet their schemas
	)
	if err != nil {
		t.Fatalf("%s is not a valid OpenAPI document:\n%v", openAPIPath, err)
	}
	if got := doc.OpenAPI; !strings.HasPrefix(got, "3.1") {
		t.Errorf("openapi: %q, want 3.1.x", got)
	}
}

// The route test, TestOpenAPIDocumentsEveryRoute, is in contract_test.go:
// it builds the service with app.New, as serve does, so that the other
// platforms' routes (Config.Foreign, which internal/app wires and this
// package may not import) are served too.

// foreignOperations are the other platforms' routes (SPEC §15) that
// internal/app wires into Config.Foreign, as "METHOD /path" the document
// names them, with the permission each requires of its API key: "" for
// Cleeng's, which a customer token authenticates instead. They have their
// own security requirements and answer errors in their platforms' shapes.
var foreignOperations = map[string]string{
	// Cleeng's getCustomer (JSON-RPC 2.0).
	http.MethodPost + " " + cleeng.Path: "",
	// Adobe VIP Marketplace's customer account.
	http.MethodGet + " " + adobevip.PathPrefix + "{customerId}": access.GetCustomer,
	// Worldline's customerDetails lookup.
	http.MethodPost + " " + worldline.PathPrefix + "{merchantId}/products/{paymentProductId}/customerDetails": access.GetCustomer,
}

// TestOpenAPIPermissions checks that each authenticated operation names, in
// x-permission, the permission the router actually requires for it, that
// the other platforms' routes have security requirements of their own, and
// that only the probes, the metrics, this document and Cleeng's route are
// documented without security.
func TestOpenAPIPermissions(t *testing.T) {
	doc := openAPIDoc(t)
	required := map[string]string{} // "METHOD /pattern" → operation id required
	for _, rt := range (&Server{}).routes() {
		required[rt.method+" "+rt.pattern] = rt.operation
		required[rt.method+" /organizations/{organizationId}"+rt.pattern] = rt.operation
	}
	for key, op := range documentedOperations(doc) {
		if want, foreign := foreignOperations[key]; foreign {
			checkForeignSecurity(t, doc, key, op, want)
			continue
		}
		want, authenticated := required[key]
		if !authenticated {
			if op.Security == nil || len(*op.Security) != 0 {
				t.Errorf("%s: not an authenticated route, so it should say security: []", key)
			}
			continue
		}
		if op.Security != nil {
			t.Errorf("%s: should use the global security requirement, not its own", key)
		}
		got, _ := op.Extensions["x-permission"].(string)
		if got != want {
			t.Errorf("%s: x-permission %q, but the router requires %q", key, got, want)
		}
		if !slices.Contains(access.Operations, got) {
			t.Errorf("%s: x-permission %q is not an operation id keys can carry", key, got)
		}
	}
}

// checkForeignSecurity checks the security of one of the other platforms'
// routes: none when it needs no permission (a customer token authenticates
// Cleeng's calls), else requirements of its own, each naming only schemes
// the document defines, and x-permission naming the permission it needs.
func checkForeignSecurity(t *testing.T, doc *openapi3.T, key string, op *openapi3.Operation, want string) {
	t.Helper()
	got, _ := op.Extensions["x-permission"].(string)
	if want == "" {
		if op.Security == nil || len(*op.Security) != 0 {
			t.Errorf("%s: authenticated by no API key, so it should say security: []", key)
		}
		if got != "" {
			t.Errorf("%s: x-permission %q on a route no API key calls", key, got)
		}
		return
	}
	if op.Security == nil || len(*op.Security) == 0 {
		t.Errorf("%s: another platform's route should state its own security requirements", key)
	} else {
		for _, req := range *op.Security {
			for name := range req {
				if doc.Components.SecuritySchemes[name] == nil {
					t.Errorf("%s: security scheme %q is not defined", key, name)
				}
			}
		}
	}
	if got != want {
		t.Errorf("%s: x-permission %q, but the adapter requires %q", key, got, want)
	}
}

// TestOpenAPIResponseEnvelope checks what every response must document:
// X-Request-Id, and for errors a Problem body as application/problem+json;
// the other platforms' routes answer errors in their platforms' shapes
// instead (as JSON), but a failure of the server itself (500) is the
// Problem there too.
func TestOpenAPIResponseEnvelope(t *testing.T) {
	for key, op := range documentedOperations(openAPIDoc(t)) {
		_, foreign := foreignOperations[key]
		for code, ref := range op.Responses.Map() {
			res := ref.Value
			if res.Headers["X-Request-Id"] == nil {
				t.Errorf("%s %s: no X-Request-Id header", key, code)
			}
			if foreign && code >= "400" && code != "500" {
				mt := res.Content.Get("application/json")
				if mt == nil || len(res.Content) != 1 || mt.Schema == nil {
					t.Errorf("%s %s: error content is not just application/json with a schema", key, code)
				} else if mt.Schema.Ref == "#/components/schemas/Problem" {
					t.Errorf("%s %s: an error in the Problem shape, not the platform's", key, code)
				}
			} else if code >= "400" {
				mt := res.Content.Get("application/problem+json")
				if mt == nil || len(res.Content) != 1 {
					t.Errorf("%s %s: error content is not just application/problem+json", key, code)
				} else if mt.Schema == nil || mt.Schema.Ref != "#/components/schemas/Problem" {
					t.Errorf("%s %s: error body is not the Problem schema", key, code)
				}
			}
			if code == "405" && res.Headers["Allow"] == nil {
				t.Errorf("%s 405: no Allow header", key)
			}
		}
	}
}
