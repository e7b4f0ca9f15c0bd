// Package customersapi is the module's root: it embeds openapi.yaml, the
// contract the server serves at GET /openapi.yaml, so that the document a
// running server hands out is the one it was built with.
package customersapi

import _ "embed"

// OpenAPI is the OpenAPI 3.1 document of the API (openapi.yaml).
//
//go:embed openapi.yaml
var OpenAPI []byte
