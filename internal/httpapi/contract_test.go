package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/adapters/adobevip"
	"github.com/billing/customers-api/internal/adapters/cleeng"
	"github.com/billing/customers-api/internal/adapters/worldline"
	"github.com/billing/customers-api/internal/app"
	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/httpapi"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/postgres"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/go-playground/validator/v10"
)

// The contract check: every exchange an httpapi test makes goes through
// contractTransport, which validates the request as sent and the response as
// received against openapi.yaml (status, headers, body), and fails the test
// that made it when either breaks the document.

// contractDocPath is openapi.yaml, relative to this package.
const contractDocPath = "../../openapi.yaml"

// transportHeaders are response headers that belong to HTTP itself rather
// than to the API, so the document need not list them (Connection: close
// comes from net/http when a handler leaves a large body unread). Content-Type
// is checked separately: it must be one of the documented media types.
var transportHeaders = []string{"Connection", "Content-Length", "Date"}

// corsRequestHeaders and corsResponseHeaders are CORS, which the document
// describes once in prose ("Browsers (CORS)") rather than on every operation:
// the middleware adds them to any answer for an allowed Origin.
var (
	corsRequestHeaders  = []string{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}
	corsResponseHeaders = []string{"Vary", "Access-Control-Allow-Origin", "Access-Control-Expose-Headers",
		"Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age"}
)

// contract is openapi.yaml loaded once, with a router over its operations.
type contract struct {
	doc    *openapi3.T
	router routers.Router
	// unmatched holds, by router error, stand-in operations for requests
	// to a path or method the document has no operation for.
	unmatched map[string]*openapi3.Operation
}

var loadContract = sync.OnceValues(func() (*contract, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromFile(contractDocPath)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", contractDocPath, err)
	}
	// Route on the path alone: the test server listens on a random port,
	// not on the document's example server.
	routed := *doc
	routed.Servers = nil
	router, err := legacy.NewRouter(&routed)
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", contractDocPath, err)
	}
	c := &contract{doc: doc, router: router, unmatched: map[string]*openapi3.Operation{}}
	// The stand-in operations for requests no operation serves: the API
	// description says unknown paths are 404 and known paths with another
	// method 405 (with Allow), both after authentication (401) and the path
	// organization check (403); and any request may fail (500).
	fallback := func(codes map[int]string) *openapi3.Operation {
		rs := openapi3.NewResponses()
		rs.Delete("default")
		for code, name := range codes {
			ref := doc.Components.Responses[name]
			if ref == nil {
				panic("openapi.yaml has no components.responses." + name)
			}
			rs.Set(fmt.Sprint(code), ref)
		}
		return &openapi3.Operation{OperationID: "(no operation)", Responses: rs}
	}
	c.unmatched[routers.ErrPathNotFound.Error()] = fallback(map[int]string{
		401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 500: "InternalError",
	})
	c.unmatched[routers.ErrMethodNotAllowed.Error()] = fallback(map[int]string{
		401: "Unauthorized", 403: "Forbidden", 405: "MethodNotAllowed", 500: "InternalError",
	})
	return c, nil
})

// exchange is what a test says about one request, and where the check puts
// what it found.
type exchange struct {
	// invalidRequest, when set, says why the request deliberately breaks the
	// document (bad JSON, unknown fields, an undocumented route, ...): the
	// request is then not validated, but the response still is. A request
	// so marked that conforms and succeeds is reported: the mark is stale.
	invalidRequest string
	// unauthenticated: the request deliberately sends no API key, so the
	// document's security requirement is not checked (everything else is).
	unauthenticated bool

	problems  []string // filled in by contractTransport
	operation string   // the operation id the request was routed to
	// conforms: the request was validated and met the document.
	conforms bool
}

type exchangeKey struct{}

// withExchange attaches x to a request's context, where contractTransport
// finds it and records what it checked.
func withExchange(ctx context.Context, x *exchange) context.Context {
	return context.WithValue(ctx, exchangeKey{}, x)
}

// contractTransport validates every exchange against openapi.yaml. A request
// whose context carries no exchange is refused, so that no exchange can
// bypass the check.
type contractTransport struct {
	base http.RoundTripper
}

func (ct *contractTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	x, ok := r.Context().Value(exchangeKey{}).(*exchange)
	if !ok {
		return nil, errors.New("contract check: request made without withExchange; use testAPI.do")
	}
	c, err := loadContract()
	if err != nil {
		return nil, err
	}
	var reqBody []byte
	if r.Body != nil {
		if reqBody, err = io.ReadAll(r.Body); err != nil {
			return nil, err
		}
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	res, err := ct.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resBody, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(resBody))
	// A CORS preflight answered by the middleware is described in the
	// document's prose, not as an operation; one it did not answer (another
	// origin) is an ordinary request and is checked like any.
	if r.Method == http.MethodOptions && res.StatusCode == http.StatusNoContent && res.Header.Get("Access-Control-Allow-Origin") != "" {
		return res, nil
	}
	c.check(r, reqBody, res, resBody, x)
	if x.operation != "" {
		exercised.Store(x.operation+" "+strconv.Itoa(res.StatusCode), true)
	}
	return res, nil
}

// exercised records "operationId status" of every checked exchange, for
// reportContractCoverage.
var exercised sync.Map

// reportContractCoverage lists the documented responses (by definition:
// components.responses or an operation's own) that no exchange of the run
// produced, so their shapes were never checked against a real one; printed
// with -v, after the tests. 405s are left out: every operation documents
// the 405 its path answers to other methods, which reach no operation and
// are checked against MethodNotAllowed instead.
func reportContractCoverage(w io.Writer) {
	c, err := loadContract()
	if err != nil {
		return
	}
	uses := map[string][]string{} // response definition → "operationId status" using it
	covered := map[string]bool{}
	for _, item := range c.doc.Paths.Map() {
		for _, op := range item.Operations() {
			for code, ref := range op.Responses.Map() {
				if code == "405" {
					continue
				}
				def := code + " " + ref.Ref
				if ref.Ref == "" {
					def = code + " of " + op.OperationID
				}
				use := op.OperationID + " " + code
				uses[def] = append(uses[def], use)
				if _, ok := exercised.Load(use); ok {
					covered[def] = true
				}
			}
		}
	}
	var missing []string
	for def, ops := range uses {
		if !covered[def] {
			slices.Sort(ops)
			missing = append(missing, def+" ("+strings.Join(ops, ", ")+")")
		}
	}
	slices.Sort(missing)
	if len(missing) == 0 {
		fmt.Fprintf(w, "contract: each of the %d documented responses was produced and checked\n", len(uses))
		return
	}
	fmt.Fprintf(w, "contract: %d of %d documented responses were produced by no test:\n\t%s\n",
		len(missing), len(uses), strings.Join(missing, "\n\t"))
}

// check validates one exchange and records in x what is wrong with it.
func (c *contract) check(r *http.Request, reqBody []byte, res *http.Response, resBody []byte, x *exchange) {
	ctx := context.Background()
	// The clone is what the validator sees: the body it reads is a copy, and
	// a trailing slash names the same route (the API description says so),
	// which the router does not know.
	vr := r.Clone(ctx)
	vr.Body = io.NopCloser(bytes.NewReader(reqBody))
	if p := vr.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
		vr.URL.Path = strings.TrimSuffix(p, "/")
		vr.URL.RawPath = strings.TrimSuffix(vr.URL.RawPath, "/")
	}
	route, pathParams, routeErr := c.findRoute(vr)
	opts := &openapi3filter.Options{
		MultiError:          true,
		SkipSettingDefaults: true,
		AuthenticationFunc:  c.authenticate(x.unauthenticated),
		// An empty body is a body too: refuse it where none is documented.
		RejectWhenRequestBodyNotSpecified: true,
		SchemaValidationOptions:           formatAssertions(),
	}
	opts.WithCustomSchemaErrorFunc(conciseSchemaError)
	input := &openapi3filter.RequestValidationInput{Request: vr, PathParams: pathParams, Route: route, Options: opts}
	requestProblem := routeErr
	if _, foreign := route.Operation.Extensions[foreignStandInMark]; foreign {
		// Another platform's adapter answered as this operation does, for
		// a path or method outside it: its documented errors are covered.
		x.operation = route.Operation.OperationID
	}
	if requestProblem == nil {
		x.operation = route.Operation.OperationID
		requestProblem = errors.Join(openapi3filter.ValidateRequest(ctx, input), c.undocumentedRequestParts(route, r))
	}
	x.conforms = requestProblem == nil
	switch {
	case x.invalidRequest == "" && requestProblem != nil:
		x.problems = append(x.problems, fmt.Sprintf("request: %v\n(if the test sends this request on purpose, say why in req.InvalidRequest)", requestProblem))
	case x.invalidRequest != "" && requestProblem == nil && res.StatusCode < 300:
		x.problems = append(x.problems, fmt.Sprintf("req.InvalidRequest says %q, but the request conforms to the document and succeeded", x.invalidRequest))
	}
	x.problems = append(x.problems, c.checkResponse(input, res, resBody)...)
}

// findRoute finds the operation for a request. When there is none, it
// returns a stand-in operation whose responses are the ones the API
// description promises for unknown paths and methods, and an error saying
// why the request itself breaks the document.
func (c *contract) findRoute(r *http.Request) (*routers.Route, map[string]string, error) {
	// Route on the escaped path, as the server does, so that "%2F" inside
	// an id stays inside it; then decode each parameter once.
	escaped := r.Clone(r.Context())
	escaped.URL.Path, escaped.URL.RawPath = r.URL.EscapedPath(), ""
	route, params, err := c.router.FindRoute(escaped)
	if err == nil && c.expand(route.Path, params) == escaped.URL.Path {
		for name, v := range params {
			if params[name], err = url.PathUnescape(v); err != nil {
				return nil, nil, fmt.Errorf("path parameter %s: %w", name, err)
			}
		}
		return route, params, nil
	}
	// No operation, or the legacy router matched loosely (it lets
	// /customers match /customers/{id} with an empty id). A known path
	// with another method is 405; anything else is 404.
	reason := routers.ErrPathNotFound.Error()
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete, http.MethodPatch} {
		if m == r.Method {
			continue
		}
		other := escaped.Clone(r.Context())
		other.Method = m
		if rt, ps, err := c.router.FindRoute(other); err == nil && c.expand(rt.Path, ps) == escaped.URL.Path {
			reason = routers.ErrMethodNotAllowed.Error()
			break
		}
	}
	op := c.unmatched[reason]
	if f := c.foreignStandIn(r.URL.Path); f != nil {
		op = f
	}
	stand := &routers.Route{Spec: c.doc, Path: r.URL.Path, PathItem: &openapi3.PathItem{}, Method: r.Method, Operation: op}
	return stand, nil, fmt.Errorf("no operation serves %s %s (%s)", r.Method, r.URL.Path, reason)
}

// foreignStandInMark marks the stand-in operations of foreignStandIn.
const foreignStandInMark = "x-stand-in"

// foreignStandIn returns, for a request to one of the other platforms'
// paths (SPEC §15) that no operation serves, a stand-in operation whose
// responses are that platform's documented errors: its adapter answers
// every request under its path itself (another method 405, another path
// 404, in its platform's shape), never the API's problems. Nil for any
// other path.
func (c *contract) foreignStandIn(path string) *openapi3.Operation {
	if !foreignPath(path) {
		return nil
	}
	for _, docPath := range c.doc.Paths.InMatchingOrder() {
		prefix, _, templated := strings.Cut(docPath, "{")
		if !foreignPath(docPath) || (path != docPath && !(templated && strings.HasPrefix(path, prefix))) {
			continue
		}
		for _, op := range c.doc.Paths.Value(docPath).Operations() {
			rs := openapi3.NewResponses()
			rs.Delete("default")
			for code, ref := range op.Responses.Map() {
				if code >= "400" {
					rs.Set(code, ref)
				}
			}
			return &openapi3.Operation{OperationID: op.OperationID, Responses: rs, Extensions: map[string]any{foreignStandInMark: true}}
		}
	}
	return nil
}

// expand fills a path template with its parameters.
func (c *contract) expand(template string, params map[string]string) string {
	for name, v := range params {
		template = strings.ReplaceAll(template, "{"+name+"}", v)
	}
	return template
}

// authenticate checks a security scheme: an apiKey header is present, or an
// HTTP Bearer token is (the other platforms' routes take the API key so).
// Whether the key is known is the server's business (401), not the document's.
func (c *contract) authenticate(unauthenticated bool) openapi3filter.AuthenticationFunc {
	return func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
		if unauthenticated {
			return nil
		}
		s, h := in.SecurityScheme, in.RequestValidationInput.Request.Header
		switch {
		case s.Type == "apiKey" && s.In == "header":
			if h.Get(s.Name) == "" {
				return fmt.Errorf("no %s header", s.Name)
			}
		case s.Type == "http" && strings.EqualFold(s.Scheme, "bearer"):
			if scheme, token, _ := strings.Cut(h.Get("Authorization"), " "); !strings.EqualFold(scheme, "Bearer") || token == "" {
				return errors.New("no Authorization: Bearer header")
			}
		default:
			return fmt.Errorf("security scheme %q: the contract check knows only apiKey headers and HTTP Bearer", in.SecuritySchemeName)
		}
		return nil
	}
}

// undocumentedRequestParts reports query parameters and headers the test
// sent that the operation does not document (kin-openapi ignores them).
func (c *contract) undocumentedRequestParts(route *routers.Route, r *http.Request) error {
	documented := map[string]bool{} // "in name"
	for _, params := range []openapi3.Parameters{route.PathItem.Parameters, route.Operation.Parameters} {
		for _, p := range params {
			name := p.Value.Name
			if p.Value.In == openapi3.ParameterInHeader {
				name = http.CanonicalHeaderKey(name)
			}
			documented[p.Value.In+" "+name] = true
		}
	}
	// A key may go with any request: where no security is required (the
	// probes) it is ignored, as the document says.
	for _, s := range c.doc.Components.SecuritySchemes {
		switch {
		case s.Value.Type == "apiKey" && s.Value.In == "header":
			documented["header "+http.CanonicalHeaderKey(s.Value.Name)] = true
		case s.Value.Type == "http":
			documented["header Authorization"] = true
		}
	}
	var errs []error
	for _, name := range sortedKeys(r.URL.Query()) {
		if !documented["query "+name] {
			errs = append(errs, fmt.Errorf("query parameter %q is not documented", name))
		}
	}
	for _, name := range sortedKeys(r.Header) {
		if name == "Content-Type" && route.Operation.RequestBody != nil {
			continue // checked against the request body's media types
		}
		if !documented["header "+name] && !slices.Contains(corsRequestHeaders, name) {
			errs = append(errs, fmt.Errorf("request header %q is not documented", name))
		}
	}
	return errors.Join(errs...)
}

// checkResponse validates the response's status, headers and body.
func (c *contract) checkResponse(in *openapi3filter.RequestValidationInput, res *http.Response, body []byte) []string {
	op := in.Route.Operation
	ref := op.Responses.Status(res.StatusCode)
	if ref == nil {
		return []string{fmt.Sprintf("status %d is not documented for %s (documented: %s)",
			res.StatusCode, op.OperationID, strings.Join(sortedKeys(op.Responses.Map()), ", "))}
	}
	doc := ref.Value
	var problems []string
	// Headers are checked here: every one sent is documented, every
	// required one is sent, each value meets its schema. (kin-openapi checks
	// only documented headers, skips 304s altogether, and stops at the first
	// bad header without looking at the body.)
	for name, values := range res.Header {
		switch {
		case slices.Contains(transportHeaders, name), slices.Contains(corsResponseHeaders, name):
		case name == "Content-Type":
			if len(doc.Content) == 0 {
				problems = append(problems, fmt.Sprintf("Content-Type %q on a response the document gives no body", values[0]))
			}
		case headerOf(doc, name) == nil:
			problems = append(problems, fmt.Sprintf("header %s: %q is not documented for %d (documented: %s)",
				name, strings.Join(values, ", "), res.StatusCode, strings.Join(sortedKeys(doc.Headers), ", ")))
		}
	}
	for name, h := range doc.Headers {
		v, sent := res.Header[http.CanonicalHeaderKey(name)]
		if h.Value.Required && !sent {
			problems = append(problems, fmt.Sprintf("header %s is required on %d but missing", name, res.StatusCode))
		}
		if sent && h.Value.Schema != nil {
			if err := h.Value.Schema.Value.VisitJSON(headerValue(h.Value.Schema.Value, v[0]), append(formatAssertions(),
				openapi3.SetSchemaErrorMessageCustomizer(conciseSchemaError))...); err != nil {
				problems = append(problems, fmt.Sprintf("header %s: %v", name, err))
			}
		}
	}
	if len(doc.Content) == 0 && len(body) > 0 {
		problems = append(problems, fmt.Sprintf("a %d body, where the document gives none", res.StatusCode))
	}
	opts := &openapi3filter.Options{
		MultiError:              true,
		IncludeResponseStatus:   true,
		SchemaValidationOptions: formatAssertions(),
	}
	opts.WithCustomSchemaErrorFunc(conciseSchemaError)
	// kin-openapi checks the media type and the body, against a copy of the
	// documented response without its headers, which are checked above.
	bodyOnly := *doc
	bodyOnly.Headers = nil
	responses := openapi3.NewResponses()
	responses.Delete("default")
	responses.Set(strconv.Itoa(res.StatusCode), &openapi3.ResponseRef{Value: &bodyOnly})
	op2 := *op
	op2.Responses = responses
	route := *in.Route
	route.Operation = &op2
	in2 := *in
	in2.Route = &route
	err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &in2,
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                opts,
	})
	if err != nil {
		problems = append(problems, "response: "+err.Error())
	}
	if !hasQueryParameter(in.Request, "fields") {
		problems = append(problems, c.wholeCustomers(doc, res, body)...)
	}
	return problems
}

// wholeCustomers holds the answers that may be shaped by fields to the whole
// Customer when the request has no fields, as the Fields parameter says
// ("a comma list of the fields to return"): the schema ShapedCustomer
// allows a partial customer, which only a fields parameter asks for.
func (c *contract) wholeCustomers(doc *openapi3.Response, res *http.Response, body []byte) []string {
	const shaped = "#/components/schemas/ShapedCustomer"
	mt := doc.Content.Get(res.Header.Get("Content-Type"))
	if mt == nil || mt.Schema == nil {
		return nil
	}
	var value any
	if err := json.Unmarshal(body, &value); err != nil {
		return nil // reported by the body check
	}
	var items []any
	switch s := mt.Schema; {
	case s.Ref == shaped:
		items = []any{value}
	case s.Value.Items != nil && s.Value.Items.Ref == shaped:
		items, _ = value.([]any)
	default:
		return nil
	}
	whole := c.doc.Components.Schemas["Customer"].Value
	var problems []string
	for i, item := range items {
		err := whole.VisitJSON(item, append(formatAssertions(), openapi3.VisitAsResponse(), openapi3.MultiErrors(),
			openapi3.SetSchemaErrorMessageCustomizer(conciseSchemaError))...)
		if err != nil {
			problems = append(problems, fmt.Sprintf("customer %d is not a whole Customer, though the request has no fields: %v", i, err))
		}
	}
	return problems
}

// hasQueryParameter reports whether the request's query names the
// parameter. Only & separates parameters here, as in the server: the filter
// language uses ; (which net/url's parser refuses).
func hasQueryParameter(r *http.Request, name string) bool {
	for pair := range strings.SplitSeq(r.URL.RawQuery, "&") {
		key, _, _ := strings.Cut(pair, "=")
		if k, err := url.QueryUnescape(key); err == nil && k == name {
			return true
		}
	}
	return false
}

// formatAssertions are the schema options of every check: JSON Schema
// 2020-12 (the document is OpenAPI 3.1) with the formats it uses asserted.
// kin-openapi on its own asserts only date and date-time, and those by
// pattern (2023-02-30 passes); email and uri would pass anything.
func formatAssertions() []openapi3.SchemaValidationOption {
	check := func(f func(string) error) openapi3.StringFormatValidator { return openapi3.NewCallbackValidator(f) }
	return []openapi3.SchemaValidationOption{
		openapi3.EnableJSONSchema2020(),
		openapi3.EnableFormatValidation(),
		openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{
			"date":      check(func(s string) error { _, err := time.Parse(time.DateOnly, s); return err }),
			"date-time": check(func(s string) error { _, err := time.Parse(time.RFC3339, s); return err }),
			// The server's own rule for emails (go-playground/validator's).
			"email": check(func(s string) error { return emailRule.Var(s, "email") }),
			"uri": check(func(s string) error {
				u, err := url.Parse(s)
				if err == nil && (!u.IsAbs() || u.Host == "") {
					err = errors.New("not an absolute URL")
				}
				return err
			}),
			"uri-reference": check(func(s string) error { _, err := url.Parse(s); return err }),
		}),
	}
}

var emailRule = validator.New()

// conciseSchemaError says where a value breaks its schema and why, leaving
// out kin-openapi's dump of the whole schema (the body is printed anyway).
func conciseSchemaError(err *openapi3.SchemaError) string {
	if err.Origin != nil {
		return "" // the origin's own message
	}
	if strings.HasPrefix(err.Reason, "at '") {
		return err.Reason // the JSON Schema 2020-12 validator names the path
	}
	return fmt.Sprintf("at '/%s': %s", strings.Join(err.JSONPointer(), "/"), err.Reason)
}

// headerValue reads a header as the JSON value its schema describes: a
// number or boolean when it parses as one, else the string (which the schema
// then refuses).
func headerValue(schema *openapi3.Schema, raw string) any {
	switch {
	case schema.Type.Is("integer"):
		if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
			return n
		}
	case schema.Type.Is("number"):
		if n, err := strconv.ParseFloat(raw, 64); err == nil {
			return n
		}
	case schema.Type.Is("boolean"):
		if b, err := strconv.ParseBool(raw); err == nil {
			return b
		}
	}
	return raw
}

// headerOf finds a documented response header case-insensitively.
func headerOf(res *openapi3.Response, name string) *openapi3.HeaderRef {
	for k, h := range res.Headers {
		if strings.EqualFold(k, name) {
			return h
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// TestOpenAPIDocumentsEveryRoute checks that the document and the router
// agree in both directions: nothing served is undocumented, nothing
// documented is unserved. The service is wired by app.New, as serve wires
// it, so that the other platforms' routes it adds (httpapi.Config.Foreign)
// are served too, and with the default configuration, which serves every
// optional route (/metrics and /openapi.yaml on the API's own listener).
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	t.Parallel()
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	served := map[string]bool{}
	for _, r := range app.New(pgtest.NewDB(t), app.Options{}).Handler.Routes() {
		served[r] = true
	}
	var undocumented, unserved []string
	for r := range served {
		if !documented[r] {
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

// TestContractCheckCatches proves the contract check fails what it should:
// each case serves a hand-made exchange over a real listener, through
// contractTransport, and names what the check must report ("" when the
// exchange conforms).
func TestContractCheckCatches(t *testing.T) {
	t.Parallel()
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	// example is the first example of a schema, edited.
	example := func(schema string, edit func(map[string]any)) string {
		t.Helper()
		m := jsonRoundTrip(t, c.doc.Components.Schemas[schema].Value.Examples[0]).(map[string]any)
		if edit != nil {
			edit(m)
		}
		return mustJSON(t, m)
	}
	problem := func(status int, edit func(map[string]any)) string {
		p := map[string]any{"type": "/problems/not-found", "title": "Not found", "status": status,
			"detail": "Customer \"c1\" was not found.", "instance": "/customers/c1", "requestId": "rid"}
		if edit != nil {
			edit(p)
		}
		return mustJSON(t, p)
	}
	const (
		jsonCT    = "application/json; charset=utf-8"
		problemCT = "application/problem+json; charset=utf-8"
	)
	type answer struct {
		status  int
		headers map[string]string
		body    string
	}
	okCustomer := answer{200, map[string]string{"Content-Type": jsonCT, "ETag": `"0"`}, example("Customer", nil)}
	// The other platforms' requests and answers.
	adobeHeaders := map[string]string{"X-Api-Key": "sk_live_test", "Authorization": "Bearer sk_live_test", "X-Correlation-Id": "corr-1"}
	adobeJSON := map[string]string{"Content-Type": "application/json", "X-Correlation-Id": "corr-1"}
	worldlineBody := `{"countryCode":"SE","values":[{"key":"fiscalNumber","value":"0123456789012"}]}`
	worldlineError := func(edit func(map[string]any)) string {
		e := map[string]any{"code": "1214", "id": "CUSTOMER_DETAILS_NOT_FOUND", "category": "CONNECTION_REJECTED",
			"httpStatusCode": 400, "message": "No customer, or more than one, matches the lookup.", "requestId": "rid"}
		if edit != nil {
			edit(e)
		}
		return mustJSON(t, map[string]any{"errorId": "657b10dad2f94088a948bf190ef516b1", "errors": []any{e}})
	}
	cleengCall := `{"method":"getCustomer","params":{"customerToken":"ct_x"},"jsonrpc":"2.0","id":1}`
	leadSource := func(edit func(map[string]any)) answer {
		t.Helper()
		m := jsonRoundTrip(t, c.doc.Components.Schemas["LeadSource"].Value.Examples[0]).(map[string]any)
		if edit != nil {
			edit(m)
		}
		return answer{200, okCustomer.headers, mustJSON(t, m)}
	}
	for _, tc := range []struct {
		name           string
		method, path   string
		headers        map[string]string
		body           string
		invalidRequest string
		answer         answer
		want           string // a substring of the report; "" = conforms
	}{
		{name: "a conforming customer", method: "GET", path: "/customers/c1", answer: okCustomer},
		{name: "a conforming customer, trailing slash", method: "GET", path: "/customers/c1/", answer: okCustomer},
		{name: "an undocumented field", method: "GET", path: "/customers/c1",
			answer: answer{200, okCustomer.headers, example("Customer", func(m map[string]any) { m["nickname"] = "x" })}, want: "nickname"},
		{name: "an undocumented field in a nested object", method: "GET", path: "/customers/c1",
			answer: answer{200, okCustomer.headers, example("Customer", func(m map[string]any) { m["primaryAddress"].(map[string]any)["nickname"] = "x" })}, want: "nickname"},
		// Without fields, a customer is whole.
		{name: "a missing field", method: "GET", path: "/customers/c1",
			answer: answer{200, okCustomer.headers, example("Customer", func(m map[string]any) { delete(m, "revision") })}, want: "revision"},
		{name: "a partial customer, asked for", method: "GET", path: "/customers/c1?fields=email",
			answer: answer{200, okCustomer.headers, `{"id":"c1","email":null}`}},
		{name: "a partial customer, not asked for", method: "GET", path: "/customers/c1?expand=leadSource",
			answer: answer{200, okCustomer.headers, `{"id":"c1","email":null,"_embedded":{"leadSource":null}}`}, want: "not a whole Customer"},
		{name: "a partial customer in a list", method: "GET", path: "/customers",
			answer: answer{200, map[string]string{"Content-Type": jsonCT, "Pagination-Total": "2", "Pagination-Limit": "100", "Pagination-Offset": "0"},
				"[" + okCustomer.body + `,{"id":"c2"}]`}, want: "customer 1 is not a whole Customer"},
		{name: "a field of the wrong type", method: "GET", path: "/customers/c1",
			answer: answer{200, okCustomer.headers, example("Customer", func(m map[string]any) { m["isEddRequired"] = "no" })}, want: "isEddRequired"},
		{name: "a field breaking its format", method: "GET", path: "/customers/c1",
			answer: answer{200, okCustomer.headers, example("Customer", func(m map[string]any) { m["createdTime"] = "2024-05-01 12:00" })}, want: "createdTime"},
		{name: "a conforming lead source", method: "GET", path: "/customers/c1/lead-source", answer: leadSource(nil)},
		{name: "an undocumented lead-source field", method: "GET", path: "/customers/c1/lead-source",
			answer: leadSource(func(m map[string]any) { m["utmSource"] = "x" }), want: "utmSource"},
		{name: "an undocumented field in original", method: "GET", path: "/customers/c1/lead-source",
			answer: leadSource(func(m map[string]any) { m["original"].(map[string]any)["utmSource"] = "x" }), want: "utmSource"},
		{name: "an undocumented status", method: "GET", path: "/customers/c1",
			answer: answer{418, map[string]string{"Content-Type": problemCT}, problem(418, nil)}, want: "status 418 is not documented"},
		{name: "an undocumented header", method: "GET", path: "/customers/c1",
			answer: answer{200, map[string]string{"Content-Type": jsonCT, "ETag": `"0"`, "X-Debug": "1"}, okCustomer.body}, want: "header X-Debug"},
		{name: "a header documented elsewhere", method: "GET", path: "/customers/c1",
			answer: answer{200, map[string]string{"Content-Type": jsonCT, "ETag": `"0"`, "Location": "http://x/customers/c1"}, okCustomer.body}, want: "header Location"},
		{name: "a missing required header", method: "GET", path: "/customers/c1",
			answer: answer{200, map[string]string{"Content-Type": jsonCT}, okCustomer.body}, want: "header ETag is required"},
		{name: "a header breaking its schema", method: "GET", path: "/customers/c1",
			answer: answer{200, map[string]string{"Content-Type": jsonCT, "ETag": `W/"zero"`}, okCustomer.body}, want: "header ETag"},
		{name: "a 304 without its ETag", method: "GET", path: "/customers/c1", headers: map[string]string{"If-None-Match": `"0"`},
			answer: answer{304, nil, ""}, want: "header ETag is required"},
		{name: "a conforming 304", method: "GET", path: "/customers/c1", headers: map[string]string{"If-None-Match": `"0"`},
			answer: answer{304, map[string]string{"ETag": `"0"`}, ""}},
		{name: "an undocumented media type", method: "GET", path: "/customers/c1",
			answer: answer{200, map[string]string{"Content-Type": "text/html", "ETag": `"0"`}, okCustomer.body}, want: "text/html"},
		{name: "a Content-Type on a 204", method: "DELETE", path: "/customers/c1?targetCustomerId=c2",
			answer: answer{204, map[string]string{"Content-Type": jsonCT}, ""}, want: "Content-Type"},
		{name: "a problem without requestId", method: "GET", path: "/customers/c1",
			answer: answer{404, map[string]string{"Content-Type": problemCT}, problem(404, func(p map[string]any) { delete(p, "requestId") })}, want: "requestId"},
		{name: "a problem with an undocumented member", method: "GET", path: "/customers/c1",
			answer: answer{404, map[string]string{"Content-Type": problemCT}, problem(404, func(p map[string]any) { p["stack"] = "main.go:1" })}, want: "stack"},
		{name: "a problem sent as application/json", method: "GET", path: "/customers/c1",
			answer: answer{404, map[string]string{"Content-Type": jsonCT}, problem(404, nil)}, want: "application/json"},
		{name: "a 405 without Allow", method: "GET", path: "/customers/c1",
			answer: answer{405, map[string]string{"Content-Type": problemCT}, problem(405, nil)}, want: "header Allow is required"},
		{name: "an undocumented query parameter", method: "GET", path: "/customers/c1?debug=1", answer: okCustomer, want: `query parameter "debug"`},
		{name: "an undocumented request header", method: "GET", path: "/customers/c1", headers: map[string]string{"If-Match": `"0"`},
			answer: okCustomer, want: `request header "If-Match"`},
		{name: "a request body breaking the schema", method: "PUT", path: "/customers/c1", body: `{"nickname":"x"}`,
			answer: okCustomer, want: "nickname"},
		{name: "the same, marked invalid", method: "PUT", path: "/customers/c1", body: `{"nickname":"x"}`, invalidRequest: "an unknown field",
			answer: answer{422, map[string]string{"Content-Type": problemCT}, problem(422, nil)}},
		{name: "a stale invalid mark", method: "PUT", path: "/customers/c1", body: `{"websiteId":"w"}`, invalidRequest: "an unknown field",
			answer: okCustomer, want: "conforms to the document and succeeded"},
		{name: "a bad path id", method: "GET", path: "/customers/a%20b",
			answer: answer{404, map[string]string{"Content-Type": problemCT}, problem(404, nil)}, want: `parameter "id"`},
		{name: "an unknown path", method: "GET", path: "/nope",
			answer: answer{404, map[string]string{"Content-Type": problemCT}, problem(404, nil)}, want: "no operation serves"},
		{name: "an unknown path, marked", method: "GET", path: "/nope", invalidRequest: "an unknown path",
			answer: answer{404, map[string]string{"Content-Type": problemCT}, problem(404, nil)}},
		{name: "an unknown path answered 200", method: "GET", path: "/nope", invalidRequest: "an unknown path",
			answer: okCustomer, want: "status 200 is not documented"},
		{name: "an unserved method answered 404", method: "PATCH", path: "/customers/c1", invalidRequest: "an unserved method",
			answer: answer{404, map[string]string{"Content-Type": problemCT}, problem(404, nil)}, want: "status 404 is not documented"},
		{name: "an unserved method answered 405", method: "PATCH", path: "/customers/c1", invalidRequest: "an unserved method",
			answer: answer{405, map[string]string{"Content-Type": problemCT, "Allow": "GET, PUT, DELETE"}, problem(405, nil)}},

		// The other platforms' routes: their own security, and their errors
		// in their platforms' shapes, checked against the document.
		{name: "an Adobe customer", method: "GET", path: "/v3/customers/c1", headers: adobeHeaders,
			answer: answer{200, adobeJSON, example("AdobeCustomer", nil)}},
		{name: "an Adobe customer with an undocumented member", method: "GET", path: "/v3/customers/c1", headers: adobeHeaders,
			answer: answer{200, adobeJSON, example("AdobeCustomer", func(m map[string]any) { m["cotermDate"] = "2020-05-02" })}, want: "cotermDate"},
		{name: "an Adobe error", method: "GET", path: "/v3/customers/c1", headers: adobeHeaders,
			answer: answer{404, adobeJSON, `{"code":"404","message":"Invalid customer ID."}`}},
		{name: "an Adobe error code that is not digits", method: "GET", path: "/v3/customers/c1", headers: adobeHeaders,
			answer: answer{404, adobeJSON, `{"code":"NOT_FOUND","message":"Invalid customer ID."}`}, want: "code"},
		{name: "a problem where Adobe's error belongs", method: "GET", path: "/v3/customers/c1", headers: adobeHeaders,
			answer: answer{404, map[string]string{"Content-Type": problemCT}, problem(404, nil)}, want: "application/problem+json"},
		{name: "an Adobe request without X-Correlation-Id", method: "GET", path: "/v3/customers/c1",
			headers: map[string]string{"X-Api-Key": "sk_live_test", "Authorization": "Bearer sk_live_test"},
			answer:  answer{400, map[string]string{"Content-Type": "application/json"}, `{"code":"400","message":"Bad request."}`}, want: "X-Correlation-Id"},
		{name: "an Adobe request without its Bearer token", method: "GET", path: "/v3/customers/c1",
			headers: map[string]string{"X-Api-Key": "sk_live_test", "X-Correlation-Id": "corr-1"},
			answer:  answer{401, adobeJSON, `{"code":"401","message":"Invalid Authorization token."}`}, want: "Bearer"},
		{name: "an Adobe path with more segments", method: "GET", path: "/v3/customers/c1/x", invalidRequest: "an unknown path",
			answer: answer{404, map[string]string{"Content-Type": "application/json"}, `{"code":"404","message":"Invalid customer ID."}`}},
		{name: "a problem under an Adobe path", method: "GET", path: "/v3/customers/c1/x", invalidRequest: "an unknown path",
			answer: answer{404, map[string]string{"Content-Type": problemCT}, problem(404, nil)}, want: "application/problem+json"},
		{name: "a Worldline lookup", method: "POST", path: "/v1/m1/products/9000/customerDetails", body: worldlineBody,
			answer: answer{200, map[string]string{"Content-Type": "application/json"}, example("WorldlineCustomerDetails", nil)}},
		{name: "a Worldline lookup by Bearer", method: "POST", path: "/v1/m1/products/9000/customerDetails", body: worldlineBody,
			headers: map[string]string{"REB-APIKEY": "", "Authorization": "Bearer sk_live_test"},
			answer:  answer{200, map[string]string{"Content-Type": "application/json"}, example("WorldlineCustomerDetails", nil)}},
		{name: "a Worldline error", method: "POST", path: "/v1/m1/products/9000/customerDetails", body: worldlineBody,
			answer: answer{400, map[string]string{"Content-Type": "application/json"}, worldlineError(nil)}},
		{name: "a Worldline error without requestId", method: "POST", path: "/v1/m1/products/9000/customerDetails", body: worldlineBody,
			answer: answer{400, map[string]string{"Content-Type": "application/json"}, worldlineError(func(m map[string]any) { delete(m, "requestId") })}, want: "requestId"},
		{name: "a Worldline 405 in its shape", method: "GET", path: "/v1/m1/products/9000/customerDetails", invalidRequest: "an unserved method",
			answer: answer{405, map[string]string{"Content-Type": "application/json", "Allow": "POST"}, worldlineError(nil)}},
		{name: "a Worldline 405 as a problem", method: "GET", path: "/v1/m1/products/9000/customerDetails", invalidRequest: "an unserved method",
			answer: answer{405, map[string]string{"Content-Type": problemCT, "Allow": "POST"}, problem(405, nil)}, want: "application/problem+json"},
		{name: "a Cleeng result", method: "POST", path: "/3.0/json-rpc", body: cleengCall,
			answer: answer{200, map[string]string{"Content-Type": "application/json"}, `{"jsonrpc":"2.0","result":` + example("CleengCustomer", nil) + `,"id":1}`}},
		{name: "a Cleeng error", method: "POST", path: "/3.0/json-rpc", body: cleengCall,
			answer: answer{200, map[string]string{"Content-Type": "application/json"}, `{"jsonrpc":"2.0","error":{"code":1,"message":"Invalid customer token"},"id":1}`}},
		{name: "a Cleeng answer with both result and error", method: "POST", path: "/3.0/json-rpc", body: cleengCall,
			answer: answer{200, map[string]string{"Content-Type": "application/json"},
				`{"jsonrpc":"2.0","result":` + example("CleengCustomer", nil) + `,"error":{"code":1,"message":"Invalid customer token"},"id":1}`}, want: "response"},
		{name: "a Cleeng error sent with an HTTP error status", method: "POST", path: "/3.0/json-rpc", body: cleengCall,
			answer: answer{400, map[string]string{"Content-Type": "application/json"}, `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}`},
			want:   "status 400 is not documented"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Request-Id", "rid")
				for k, v := range tc.answer.headers {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.answer.status)
				_, _ = io.WriteString(w, tc.answer.body)
			}))
			defer srv.Close()
			x := &exchange{invalidRequest: tc.invalidRequest}
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			r, err := http.NewRequestWithContext(withExchange(context.Background(), x), tc.method, srv.URL+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("REB-APIKEY", "sk_live_test")
			if body != nil {
				r.Header.Set("Content-Type", "application/json")
			}
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			res, err := (&http.Client{Transport: &contractTransport{base: http.DefaultTransport}}).Do(r)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			report := strings.Join(x.problems, "\n")
			switch {
			case tc.want == "" && report != "":
				t.Errorf("the exchange conforms, but the check reports:\n%s", report)
			case tc.want != "" && !strings.Contains(report, tc.want):
				t.Errorf("the check should report %q; it reports:\n%s", tc.want, report)
			}
		})
	}
	t.Run("a body on a 204", func(t *testing.T) {
		// A real server drops a 204's body, so this one is built by hand.
		x := &exchange{}
		r := httptest.NewRequest("DELETE", "/customers/c1?targetCustomerId=c2", nil)
		r.Header.Set("REB-APIKEY", "sk_live_test")
		res := &http.Response{StatusCode: 204, Header: http.Header{"X-Request-Id": {"rid"}}}
		c.check(r, nil, res, []byte("{}"), x)
		if report := strings.Join(x.problems, "\n"); !strings.Contains(report, "body") {
			t.Errorf("the check should report the body; it reports:\n%s", report)
		}
	})
	t.Run("a request without an exchange", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		defer srv.Close()
		client := &http.Client{Transport: &contractTransport{base: http.DefaultTransport}}
		if res, err := client.Get(srv.URL + "/healthz"); err == nil {
			res.Body.Close()
			t.Error("a request that bypasses testAPI.do was sent unchecked")
		}
	})
}

// TestOpenAPISchemaExamples checks every example in the document against its
// schema with formats asserted (doc.Validate checks only the examples of
// media types and parameters, and without formats): the `examples` of every
// schema, nested ones included, and the examples of media types (as requests
// or responses), parameters and headers.
func TestOpenAPISchemaExamples(t *testing.T) {
	t.Parallel()
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	doc := c.doc
	check := func(where string, schema *openapi3.SchemaRef, value any, as openapi3.SchemaValidationOption) {
		t.Helper()
		if schema == nil || schema.Value == nil {
			t.Errorf("%s: an example without a schema", where)
			return
		}
		err := schema.Value.VisitJSON(value, append(formatAssertions(), as, openapi3.MultiErrors())...)
		if err != nil {
			t.Errorf("%s: %v", where, err)
		}
	}
	// Schemas: each one once, however often it is referenced.
	seen := map[*openapi3.Schema]bool{}
	var walk func(where string, ref *openapi3.SchemaRef)
	walk = func(where string, ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		for i, ex := range s.Examples {
			// A schema's examples are values, not messages: readOnly and
			// writeOnly properties may both appear.
			check(fmt.Sprintf("%s examples[%d]", where, i), ref, ex, openapi3.DisableReadOnlyValidation())
		}
		if s.Example != nil {
			check(where+" example", ref, s.Example, openapi3.DisableReadOnlyValidation())
		}
		for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
			walk(where+"."+name, s.Properties[name])
		}
		for i, sub := range slices.Concat(s.AllOf, s.AnyOf, s.OneOf) {
			walk(fmt.Sprintf("%s/of[%d]", where, i), sub)
		}
		walk(where+"[]", s.Items)
		walk(where+"{}", s.AdditionalProperties.Schema)
	}
	for _, name := range slices.Sorted(maps.Keys(doc.Components.Schemas)) {
		walk("schema "+name, doc.Components.Schemas[name])
	}
	mediaExamples := func(where string, content openapi3.Content, as openapi3.SchemaValidationOption) {
		for _, mt := range slices.Sorted(maps.Keys(content)) {
			m := content[mt]
			if m.Example != nil {
				check(where+" "+mt+" example", m.Schema, m.Example, as)
			}
			for _, name := range slices.Sorted(maps.Keys(m.Examples)) {
				check(where+" "+mt+" example "+name, m.Schema, m.Examples[name].Value.Value, as)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(doc.Components.RequestBodies)) {
		mediaExamples("requestBody "+name, doc.Components.RequestBodies[name].Value.Content, openapi3.VisitAsRequest())
	}
	for _, name := range slices.Sorted(maps.Keys(doc.Components.Responses)) {
		r := doc.Components.Responses[name].Value
		mediaExamples("response "+name, r.Content, openapi3.VisitAsResponse())
		for _, h := range slices.Sorted(maps.Keys(r.Headers)) {
			if ex := r.Headers[h].Value.Example; ex != nil {
				check("response "+name+" header "+h+" example", r.Headers[h].Value.Schema, ex, openapi3.VisitAsResponse())
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(doc.Components.Headers)) {
		if h := doc.Components.Headers[name].Value; h.Example != nil {
			check("header "+name+" example", h.Schema, h.Example, openapi3.VisitAsResponse())
		}
	}
	for _, name := range slices.Sorted(maps.Keys(doc.Components.Parameters)) {
		if p := doc.Components.Parameters[name].Value; p.Example != nil {
			check("parameter "+name+" example", p.Schema, p.Example, openapi3.VisitAsRequest())
		}
	}
	// Operations may carry their own, not only references to components.
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			key := method + " " + path
			if op.RequestBody != nil && op.RequestBody.Ref == "" {
				mediaExamples(key+" requestBody", op.RequestBody.Value.Content, openapi3.VisitAsRequest())
			}
			for code, r := range op.Responses.Map() {
				if r.Ref == "" {
					mediaExamples(key+" "+code, r.Value.Content, openapi3.VisitAsResponse())
				}
			}
		}
	}
}

// TestOpenAPIExampleCheckCatches proves TestOpenAPISchemaExamples's check
// asserts formats, which kin-openapi's own example validation does not
// (without formatAssertions it checks date and date-time only).
func TestOpenAPIExampleCheckCatches(t *testing.T) {
	t.Parallel()
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	customer := c.doc.Components.Schemas["Customer"]
	bad := maps.Clone(customer.Value.Examples[0].(map[string]any))
	bad["email"] = "not an email"
	err = customer.Value.VisitJSON(bad, append(formatAssertions(), openapi3.DisableReadOnlyValidation())...)
	if err == nil || !strings.Contains(err.Error(), "email") {
		t.Errorf("an example with a bad email passes: %v", err)
	}
}

// TestContractCollectionAndShapes drives the collection query and the
// fields/expand shapes through the contract check: every parameter, partial
// objects from fields (nested paths included), _embedded from expand, the
// pagination headers and their Link, and the 400 of a malformed query.
func TestContractCollectionAndShapes(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	full := fullCustomerBody()
	full["leadSource"] = map[string]any{"medium": "cpc", "source": "google"}
	withLS := a.create(full)["id"].(string)
	for range 3 {
		a.create(map[string]any{"websiteId": "plain"})
	}
	org := "/organizations/" + a.orgID
	for _, tc := range []struct {
		path string
		want int
		// check looks at a 200's body, decoded
		check func(t *testing.T, body any)
		// invalid: the query breaks the document's parameter schemas
		invalid string
	}{
		{"/customers", 200, nil, ""},
		{"/customers/", 200, nil, ""},
		{org + "/customers", 200, nil, ""},
		{"/customers?limit=2&offset=1&sort=-createdTime,id&sort=email&q=a&filter=websiteId:plain,web-1", 200, nil, ""},
		{"/customers?limit=0", 200, nil, ""},
		{"/customers?offset=100", 200, nil, ""},
		{"/customers?fields=email,primaryAddress.country,averageValue.amount,defaultPaymentInstrument.paymentInstrumentId,customFields.tier,_links", 200, nil, ""},
		{"/customers?fields=email&expand=leadSource", 200, nil, ""},
		{"/customers?expand=leadSource", 200, nil, ""},
		{"/customers?expand=", 400, nil, "an empty expand"},
		{"/customers/" + withLS + "?fields=lifetimeRevenue.currency,primaryAddress.emails,tags", 200, func(t *testing.T, body any) {
			c := body.(map[string]any)
			if _, ok := c["revision"]; ok || c["id"] != withLS {
				t.Errorf("fields did not shape the customer: %v", c)
			}
		}, ""},
		{"/customers/" + withLS + "?expand=leadSource", 200, func(t *testing.T, body any) {
			if ls := body.(map[string]any)["_embedded"].(map[string]any)["leadSource"]; ls == nil {
				t.Errorf("no embedded lead source: %v", body)
			}
		}, ""},
		{org + "/customers/" + withLS + "?fields=id&expand=leadSource", 200, nil, ""},
		{"/customers?filter=revision:x", 400, nil, ""},
		{"/customers?limit=1001", 400, nil, "limit over 1000"},
		{"/customers/" + withLS + "?fields=nope", 400, nil, ""},
		{"/customers?expand=tags", 400, nil, "an unknown expand"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			a := a.forTest(t)
			r := a.do(req{Method: http.MethodGet, Path: tc.path, InvalidRequest: tc.invalid})
			wantStatus(t, r, tc.want)
			if tc.want != http.StatusOK {
				return
			}
			var body any
			if err := json.Unmarshal(r.Body, &body); err != nil {
				t.Fatal(err)
			}
			if tc.check != nil {
				tc.check(t, body)
			}
		})
	}
}

// TestContractServerFailures checks the answers to a failing database: 503
// from /readyz and the bare 500 problem of every operation, both as
// documented (no internal detail in the body); and the other platforms'
// answers in their shapes (Adobe's and Worldline's 503, Cleeng's -32603).
func TestContractServerFailures(t *testing.T) {
	t.Parallel()
	// Keys and organizations stay on a working database; customers are
	// served from one that is closed, so every customer operation fails.
	db := pgtest.NewDB(t)
	closed := pgtest.NewDB(t)
	closed.Close()
	broken := postgres.New(closed)
	keys := access.NewService(postgres.New(db))
	a := &testAPI{t: t, db: db, access: keys}
	svc := customers.NewService(broken)
	// The other platforms' adapters, wired as internal/app wires them, over
	// the failing customers: each answers in its platform's shape.
	foreign := []httpapi.ForeignRoute{
		{Method: http.MethodPost, Path: cleeng.Path, Pattern: cleeng.Path, Handler: cleeng.New(svc)},
		{Method: http.MethodGet, Path: adobevip.PathPrefix + "{customerId}", Pattern: adobevip.PathPrefix + "*", Handler: adobevip.New(svc, keys)},
		{Method: http.MethodPost, Path: worldline.PathPrefix + "{merchantId}/products/{paymentProductId}/customerDetails",
			Pattern: worldline.PathPrefix + "*", Handler: worldline.New(svc, keys)},
	}
	a.serve(httpapi.NewServer(httpapi.Config{Customers: svc, Access: keys, Ready: broken.Ready, Foreign: foreign}))
	a.orgID, a.key = a.newOrgKey()
	org := "/organizations/" + a.orgID
	for _, q := range []req{
		{Method: http.MethodGet, Path: "/readyz", NoKey: true},
		{Method: http.MethodGet, Path: "/customers"},
		{Method: http.MethodGet, Path: org + "/customers?filter=email:*@x.example"},
		{Method: http.MethodPost, Path: "/customers", Body: map[string]any{}},
		{Method: http.MethodGet, Path: "/customers/c1"},
		{Method: http.MethodPut, Path: "/customers/c1", Body: map[string]any{}},
		{Method: http.MethodDelete, Path: "/customers/c1?targetCustomerId=c2"},
		{Method: http.MethodGet, Path: "/customers/c1/lead-source"},
		{Method: http.MethodPut, Path: "/customers/c1/lead-source", Body: map[string]any{}},
		{Method: http.MethodPost, Path: org + "/customers/c1/lead-source", Body: map[string]any{}},
		{Method: http.MethodDelete, Path: "/customers/c1/lead-source"},
		// Cleeng's answer is a JSON-RPC error (-32603) in a 200; Adobe's and
		// Worldline's a 503 in their shapes.
		{Method: http.MethodPost, Path: cleeng.Path, NoKey: true, Body: map[string]any{"jsonrpc": "2.0", "method": "getCustomer",
			"params": map[string]any{"customerToken": "ct_" + strings.Repeat("0", 65)}, "id": 1}},
		{Method: http.MethodGet, Path: "/v3/customers/c1",
			Headers: map[string]string{"X-Api-Key": a.key, "Authorization": "Bearer " + a.key, "X-Correlation-Id": "corr-1"}},
		{Method: http.MethodPost, Path: "/v1/" + a.orgID + "/products/9000/customerDetails",
			Body: map[string]any{"countryCode": "SE", "values": []any{map[string]any{"key": "customerId", "value": "c1"}}}},
	} {
		t.Run(q.Method+" "+q.Path, func(t *testing.T) {
			t.Parallel()
			a := a.forTest(t)
			r := a.do(q)
			want := http.StatusInternalServerError
			switch {
			case q.Path == "/readyz", foreignPath(q.Path) && q.Path != cleeng.Path:
				want = http.StatusServiceUnavailable
			case q.Path == cleeng.Path:
				want = http.StatusOK
				if e, _ := r.JSON()["error"].(map[string]any); e["code"] != float64(cleeng.CodeInternal) {
					t.Errorf("answer %s, want JSON-RPC error %d", r.Body, cleeng.CodeInternal)
				}
			}
			wantStatus(t, r, want)
			for _, leak := range []string{"sql", "closed", "pq:", "postgres"} {
				if strings.Contains(strings.ToLower(string(r.Body)), leak) {
					t.Errorf("the %d tells of its cause (%q): %s", r.Status, leak, r.Body)
				}
			}
		})
	}
}

// TestContractForeignRoutes drives the other platforms' routes (SPEC §15)
// through the contract check against the real service: their answers and
// their errors, in their platforms' shapes rather than problem+json, each
// checked against the document (the adapters' own tests check the rest).
func TestContractForeignRoutes(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	a.put("ada", map[string]any{
		"websiteId": "web-1", "locale": "fr-FR",
		"customFields": map[string]any{"currency": "EUR", "externalReferenceId": "342"},
		"taxNumbers":   []any{map[string]any{"type": "other", "value": "0123456789012", "isDefault": true}},
		"primaryAddress": map[string]any{
			"firstName": "Gustav", "lastName": "Adolfs", "organization": "Stockholm AB", "address": "Gustav Adolfs torg 22",
			"city": "Stockholm", "region": "Stockholm", "postalCode": "111 52", "country": "SE",
			"emails":       []any{map[string]any{"label": "work", "value": "gustav.adolfs@stockholm.example", "primary": true}},
			"phoneNumbers": []any{map[string]any{"label": "work", "value": "0123456789", "primary": true}},
		},
	})
	// twin shares ada's email and country, so a lookup by email alone
	// finds two customers.
	a.put("twin", map[string]any{"primaryAddress": map[string]any{"country": "SE",
		"emails": []any{map[string]any{"label": "work", "value": "gustav.adolfs@stockholm.example", "primary": true}}}})
	a.put("bare", map[string]any{})
	token := func(id string) string {
		r := a.do(req{Method: http.MethodPost, Path: "/customers/" + id + "/tokens", Body: map[string]any{}})
		wantStatus(t, r, http.StatusCreated)
		return r.JSON()["token"].(string)
	}
	adaToken, bareToken := token("ada"), token("bare")
	reader := a.newKey(a.orgID, "GetCustomer")
	lister := a.newKey(a.orgID, "GetCustomerCollection")
	otherOrg, otherKey := a.newOrgKey()

	call := func(tok string, id any) map[string]any {
		m := map[string]any{"jsonrpc": "2.0", "method": "getCustomer", "params": map[string]any{"customerToken": tok}}
		if id != nil {
			m["id"] = id
		}
		return m
	}
	adobe := func(key, bearer string) map[string]string {
		return map[string]string{"X-Api-Key": key, "Authorization": "Bearer " + bearer, "X-Correlation-Id": "corr-7"}
	}
	lookup := func(country string, kv ...string) map[string]any {
		var values []any
		for i := 0; i+1 < len(kv); i += 2 {
			values = append(values, map[string]any{"key": kv[i], "value": kv[i+1]})
		}
		return map[string]any{"countryCode": country, "values": values}
	}
	details := "/v1/" + a.orgID + "/products/9000/customerDetails"
	// rpcError is the JSON-RPC error code of an answer, 0 for a result.
	rpcError := func(t *testing.T, r *response) float64 {
		t.Helper()
		e, _ := r.JSON()["error"].(map[string]any)
		if e == nil {
			return 0
		}
		return e["code"].(float64)
	}
	// worldlineCode is the code of a Worldline error, which must carry the
	// answer's status and request id.
	worldlineCode := func(t *testing.T, r *response) string {
		t.Helper()
		e := r.JSON()["errors"].([]any)[0].(map[string]any)
		if e["httpStatusCode"] != float64(r.Status) || e["requestId"] != r.Header.Get("X-Request-Id") {
			t.Errorf("error %v of a %d answer with X-Request-Id %q", e, r.Status, r.Header.Get("X-Request-Id"))
		}
		return e["code"].(string) + " " + fmt.Sprint(e["propertyName"])
	}

	for _, tc := range []struct {
		name  string
		q     req
		want  int
		check func(t *testing.T, r *response)
	}{
		// Cleeng: a customer token, and no API key.
		{"cleeng getCustomer", req{Method: http.MethodPost, Path: "/3.0/json-rpc", NoKey: true, Body: call(adaToken, 1)}, 200,
			func(t *testing.T, r *response) {
				res, _ := r.JSON()["result"].(map[string]any)
				if res["id"] != "ada" || res["displayName"] != "Gustav Adolfs" || res["currency"] != "EUR" || res["country"] != "SE" || r.JSON()["id"] != float64(1) {
					t.Errorf("result %s", r.Body)
				}
			}},
		{"cleeng getCustomer of a customer without data", req{Method: http.MethodPost, Path: "/3.0/json-rpc", NoKey: true, Body: call(bareToken, "b")}, 200,
			func(t *testing.T, r *response) {
				if res, _ := r.JSON()["result"].(map[string]any); res["id"] != "bare" || res["displayName"] != nil {
					t.Errorf("result %s", r.Body)
				}
			}},
		{"cleeng bad token", req{Method: http.MethodPost, Path: "/3.0/json-rpc", NoKey: true, Body: call("ct_nope", 2)}, 200,
			func(t *testing.T, r *response) {
				if rpcError(t, r) != 1 {
					t.Errorf("answer %s", r.Body)
				}
			}},
		{"cleeng unknown method", req{Method: http.MethodPost, Path: "/3.0/json-rpc", NoKey: true,
			Body: map[string]any{"jsonrpc": "2.0", "method": "listCustomers", "id": 3}}, 200,
			func(t *testing.T, r *response) {
				if rpcError(t, r) != -32601 {
					t.Errorf("answer %s", r.Body)
				}
			}},
		{"cleeng params without a token", req{Method: http.MethodPost, Path: "/3.0/json-rpc", NoKey: true,
			Body:           map[string]any{"jsonrpc": "2.0", "method": "getCustomer", "params": map[string]any{"customerToken": 7}, "id": 4},
			InvalidRequest: "customerToken is not a string"}, 200,
			func(t *testing.T, r *response) {
				if rpcError(t, r) != -32602 {
					t.Errorf("answer %s", r.Body)
				}
			}},
		{"cleeng not JSON", req{Method: http.MethodPost, Path: "/3.0/json-rpc", NoKey: true, Body: "{nope", InvalidRequest: "not JSON"}, 200,
			func(t *testing.T, r *response) {
				if rpcError(t, r) != -32700 || r.JSON()["id"] != nil {
					t.Errorf("answer %s", r.Body)
				}
			}},
		{"cleeng not a request", req{Method: http.MethodPost, Path: "/3.0/json-rpc", NoKey: true,
			Body: map[string]any{"jsonrpc": "1.0", "method": "getCustomer", "id": 5}, InvalidRequest: "jsonrpc 1.0"}, 200,
			func(t *testing.T, r *response) {
				if rpcError(t, r) != -32600 {
					t.Errorf("answer %s", r.Body)
				}
			}},
		{"cleeng batch", req{Method: http.MethodPost, Path: "/3.0/json-rpc", NoKey: true,
			Body: []any{call(adaToken, 1), call(adaToken, nil), call("ct_nope", 2)}}, 200,
			func(t *testing.T, r *response) {
				var out []map[string]any
				if err := json.Unmarshal(r.Body, &out); err != nil || len(out) != 2 || out[0]["id"] != float64(1) || out[1]["id"] != float64(2) {
					t.Errorf("batch answer %s (%v)", r.Body, err)
				}
			}},
		{"cleeng notification", req{Method: http.MethodPost, Path: "/3.0/json-rpc", NoKey: true, Body: call(adaToken, nil)}, 204, nil},
		{"cleeng GET", req{Method: http.MethodGet, Path: "/3.0/json-rpc", NoKey: true, InvalidRequest: "an unserved method"}, 405,
			func(t *testing.T, r *response) {
				if r.Header.Get("Allow") != "POST" || rpcError(t, r) != -32600 {
					t.Errorf("405: Allow %q, %s", r.Header.Get("Allow"), r.Body)
				}
			}},

		// Adobe: X-Api-Key and the same key as a Bearer token.
		{"adobe customer", req{Method: http.MethodGet, Path: "/v3/customers/ada", Headers: adobe(a.key, a.key)}, 200,
			func(t *testing.T, r *response) {
				c := r.JSON()
				profile, _ := c["companyProfile"].(map[string]any)
				if c["customerId"] != "ada" || c["externalReferenceId"] != "342" || c["resellerId"] != "web-1" || profile["companyName"] != "Stockholm AB" ||
					len(profile["contacts"].([]any)) != 1 || r.Header.Get("X-Correlation-Id") != "corr-7" {
					t.Errorf("customer %s, X-Correlation-Id %q", r.Body, r.Header.Get("X-Correlation-Id"))
				}
			}},
		{"adobe customer without data", req{Method: http.MethodGet, Path: "/v3/customers/bare", Headers: adobe(reader, reader)}, 200,
			func(t *testing.T, r *response) {
				if c := r.JSON(); c["externalReferenceId"] != nil || len(c["companyProfile"].(map[string]any)["contacts"].([]any)) != 0 {
					t.Errorf("customer %s", r.Body)
				}
			}},
		{"adobe without X-Correlation-Id", req{Method: http.MethodGet, Path: "/v3/customers/ada",
			Headers: map[string]string{"X-Api-Key": a.key, "Authorization": "Bearer " + a.key}, InvalidRequest: "no X-Correlation-Id"}, 400, nil},
		{"adobe without Bearer", req{Method: http.MethodGet, Path: "/v3/customers/ada",
			Headers: map[string]string{"X-Api-Key": a.key, "X-Correlation-Id": "corr-7"}, InvalidRequest: "no Bearer token"}, 401, nil},
		{"adobe Bearer of another key", req{Method: http.MethodGet, Path: "/v3/customers/ada", Headers: adobe(a.key, reader)}, 401, nil},
		{"adobe unknown key", req{Method: http.MethodGet, Path: "/v3/customers/ada", Headers: adobe("sk_live_nope", "sk_live_nope")}, 403, nil},
		{"adobe key without GetCustomer", req{Method: http.MethodGet, Path: "/v3/customers/ada", Headers: adobe(lister, lister)}, 403, nil},
		{"adobe unknown customer", req{Method: http.MethodGet, Path: "/v3/customers/nobody", Headers: adobe(a.key, a.key)}, 404, nil},
		{"adobe another organization's customer", req{Method: http.MethodGet, Path: "/v3/customers/ada", Headers: adobe(otherKey, otherKey)}, 404, nil},
		{"adobe POST", req{Method: http.MethodPost, Path: "/v3/customers/ada", Headers: adobe(a.key, a.key), InvalidRequest: "an unserved method"}, 405,
			func(t *testing.T, r *response) {
				if r.Header.Get("Allow") != "GET" {
					t.Errorf("Allow %q", r.Header.Get("Allow"))
				}
			}},
		{"adobe path with more segments", req{Method: http.MethodGet, Path: "/v3/customers/ada/x", Headers: adobe(a.key, a.key), InvalidRequest: "an unknown path"}, 404, nil},

		// Worldline: REB-APIKEY or a Bearer token; the merchant is the organization.
		{"worldline by fiscal number", req{Method: http.MethodPost, Path: details, Body: lookup("se", "fiscalNumber", "0123456789012")}, 200,
			func(t *testing.T, r *response) {
				if d := r.JSON(); d["surname"] != "Adolfs" || d["zip"] != "111 52" || d["languageCode"] != "fr" || d["country"] != "SE" {
					t.Errorf("details %s", r.Body)
				}
			}},
		{"worldline by Bearer", req{Method: http.MethodPost, Path: details, NoKey: true, Headers: map[string]string{"Authorization": "Bearer " + reader},
			Body: lookup("SE", "emailAddress", "gustav.adolfs@stockholm.example", "customerId", "twin")}, 200,
			func(t *testing.T, r *response) {
				if d := r.JSON(); d["fiscalNumber"] != "" || d["emailAddress"] != "gustav.adolfs@stockholm.example" {
					t.Errorf("details %s", r.Body)
				}
			}},
		{"worldline two matches", req{Method: http.MethodPost, Path: details, Body: lookup("SE", "emailAddress", "gustav.adolfs@stockholm.example")}, 400,
			func(t *testing.T, r *response) {
				if got := worldlineCode(t, r); got != "1214 <nil>" {
					t.Errorf("error %s", got)
				}
			}},
		{"worldline no match", req{Method: http.MethodPost, Path: details, Body: lookup("GB", "fiscalNumber", "0123456789012")}, 400,
			func(t *testing.T, r *response) {
				if got := worldlineCode(t, r); got != "1214 <nil>" {
					t.Errorf("error %s", got)
				}
			}},
		{"worldline unknown key", req{Method: http.MethodPost, Path: details, Body: lookup("SE", "ssn", "1"), InvalidRequest: "an unknown key"}, 400,
			func(t *testing.T, r *response) {
				if got := worldlineCode(t, r); got != "21000020 values[0].key" {
					t.Errorf("error %s", got)
				}
			}},
		{"worldline without countryCode", req{Method: http.MethodPost, Path: details, Body: map[string]any{"values": []any{}}, InvalidRequest: "no countryCode"}, 400,
			func(t *testing.T, r *response) {
				if got := worldlineCode(t, r); got != "21000020 countryCode" {
					t.Errorf("error %s", got)
				}
			}},
		{"worldline without a key", req{Method: http.MethodPost, Path: details, NoKey: true, Body: lookup("SE", "customerId", "ada")}, 401,
			func(t *testing.T, r *response) { worldlineCode(t, r) }},
		{"worldline another merchant", req{Method: http.MethodPost, Path: "/v1/" + otherOrg + "/products/9000/customerDetails", Body: lookup("SE", "customerId", "ada")}, 403,
			func(t *testing.T, r *response) { worldlineCode(t, r) }},
		{"worldline key without GetCustomer", req{Method: http.MethodPost, Path: details, Key: lister, Body: lookup("SE", "customerId", "ada")}, 403, nil},
		{"worldline GET", req{Method: http.MethodGet, Path: details, InvalidRequest: "an unserved method"}, 405,
			func(t *testing.T, r *response) {
				if r.Header.Get("Allow") != "POST" {
					t.Errorf("Allow %q", r.Header.Get("Allow"))
				}
			}},
		{"worldline unknown path", req{Method: http.MethodPost, Path: "/v1/" + a.orgID + "/products/9000/other", Body: lookup("SE", "customerId", "ada"),
			InvalidRequest: "an unknown path"}, 404, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := a.forTest(t).do(tc.q)
			wantStatus(t, r, tc.want)
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}
