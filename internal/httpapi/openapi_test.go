package httpapi

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/billing/customers-api/internal/access"
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

// TestOpenAPIDocumentsEveryRoute checks that the document and the router
// agree in both directions: nothing served is undocumented, nothing
// documented is unserved.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	documented := documentedOperations(openAPIDoc(t))
	served := map[string]bool{}
	// Every optional route on: the document describes them all.
	for _, r := range NewServer(Config{MetricsHandler: http.NotFoundHandler(), OpenAPI: []byte("openapi: 3.1.0")}).Routes() {
		served[r] = true
	}
	var undocumented, unserved []string
	for r := range served {
		if documented[r] == nil {
			undocumented = append(undocumented, r)
		}
	}
	for r := range documented {
		if !served[r] {
			unserved = append(unserved, r)
		}
	}
	slices.Sort(undocumented)
	slices.Sort(unserved)
	if len(undocumented) > 0 || len(unserved) > 0 {
		t.Errorf("openapi.yaml and the router disagree\nserved but not documented:\n\t%s\ndocumented but not served:\n\t%s",
			strings.Join(undocumented, "\n\t"), strings.Join(unserved, "\n\t"))
	}
}

// TestOpenAPIPermissions checks that each authenticated operation names, in
// x-permission, the permission the router actually requires for it, and that
// only the health probes are documented without security.
func TestOpenAPIPermissions(t *testing.T) {
	doc := openAPIDoc(t)
	required := map[string]string{} // "METHOD /pattern" → operation id required
	for _, rt := range (&Server{}).routes() {
		required[rt.method+" "+rt.pattern] = rt.operation
		required[rt.method+" /organizations/{organizationId}"+rt.pattern] = rt.operation
	}
	for key, op := range documentedOperations(doc) {
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

// TestOpenAPIResponseEnvelope checks what every response must document:
// X-Request-Id, and for errors a Problem body as application/problem+json.
func TestOpenAPIResponseEnvelope(t *testing.T) {
	for key, op := range documentedOperations(openAPIDoc(t)) {
		for code, ref := range op.Responses.Map() {
			res := ref.Value
			if res.Headers["X-Request-Id"] == nil {
				t.Errorf("%s %s: no X-Request-Id header", key, code)
			}
			if code >= "400" {
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
