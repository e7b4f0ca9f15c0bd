package client

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// Error is an error answer of the API: its status and, when the body is an
// application/problem+json object (RFC 9457), the problem's members. Every
// non-2xx answer (except 304 from a conditional GET, see [ErrNotModified])
// becomes an *Error; inspect it with errors.As or the Is* helpers.
//
// An answer that is not problem+json (a proxy's HTML page, say) still gives
// an *Error: Title is the status text and Detail the start of the body.
type Error struct {
	// Status is the HTTP status code of the response.
	Status int
	// Type is the problem type, e.g. "/problems/validation-error".
	Type     string
	Title    string
	Detail   string
	Instance string
	// RequestID is the problem's requestId, else the response's
	// X-Request-Id: quote it when reporting a problem.
	RequestID string
	// InvalidFields names the offending fields on 400 and 422.
	InvalidFields []InvalidField
	// Header is the response's header (Allow on 405, Retry-After on 429).
	Header http.Header
}

// InvalidField is one entry of a problem's invalidFields: a dotted field
// path such as "primaryAddress.emails[0].value" (or a query parameter such
// as "filter") and what is wrong with it.
type InvalidField struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error renders the status, title, detail, invalid fields and request id on
// one line.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("customers api: ")
	b.WriteString(http.StatusText(e.Status))
	if b.Len() == len("customers api: ") {
		b.WriteString("status")
	}
	b.WriteString(" (")
	b.WriteString(strconv.Itoa(e.Status))
	b.WriteString(")")
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	for i, f := range e.InvalidFields {
		if i == 0 {
			b.WriteString(" [")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f.Field + ": " + f.Message)
		if i == len(e.InvalidFields)-1 {
			b.WriteString("]")
		}
	}
	if e.RequestID != "" {
		b.WriteString(" (request id " + e.RequestID + ")")
	}
	return b.String()
}

// Field returns the message of the invalid field with the given path, and
// whether there is one.
func (e *Error) Field(path string) (string, bool) {
	for _, f := range e.InvalidFields {
		if f.Field == path {
			return f.Message, true
		}
	}
	return "", false
}

// ErrNotModified is returned by [Client.GetCustomer] and
// [Client.GetLeadSource] when [IfNoneMatch] matched: the server answered
// 304 and the copy the caller holds is current. The returned *Response
// still carries the ETag.
var ErrNotModified = errors.New("customers api: not modified")

// maxErrorBody bounds how much of an error body is read.
const maxErrorBody = 1 << 20

// newError builds the *Error of a non-2xx response from its body.
func newError(res *http.Response, body []byte) *Error {
	e := &Error{Status: res.StatusCode, Header: res.Header}
	mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	var p struct {
		Type          string         `json:"type"`
		Title         string         `json:"title"`
		Status        int            `json:"status"`
		Detail        string         `json:"detail"`
		Instance      string         `json:"instance"`
		RequestID     string         `json:"requestId"`
		InvalidFields []InvalidField `json:"invalidFields"`
	}
	if (mt == "application/problem+json" || mt == "application/json") && json.Unmarshal(body, &p) == nil {
		e.Type, e.Title, e.Detail, e.Instance = p.Type, p.Title, p.Detail, p.Instance
		e.RequestID, e.InvalidFields = p.RequestID, p.InvalidFields
	} else {
		e.Title = http.StatusText(res.StatusCode)
		e.Detail = summarize(body)
	}
	if e.RequestID == "" {
		e.RequestID = res.Header.Get("X-Request-Id")
	}
	return e
}

// summarize is the start of a body that is not a problem, on one line.
func summarize(body []byte) string {
	const maxLen = 200
	s := strings.Join(strings.Fields(string(body)), " ")
	if r := []rune(s); len(r) > maxLen {
		s = string(r[:maxLen]) + "…"
	}
	return s
}

// StatusCode returns the HTTP status of an *Error in err's chain, or 0 when
// there is none (a transport failure, say).
func StatusCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// IsBadRequest reports whether err is a 400 answer: a malformed body or
// query parameter (InvalidFields names the parameter).
func IsBadRequest(err error) bool { return StatusCode(err) == http.StatusBadRequest }

// IsUnauthorized reports whether err is a 401 answer: the API key is
// missing or unknown.
func IsUnauthorized(err error) bool { return StatusCode(err) == http.StatusUnauthorized }

// IsForbidden reports whether err is a 403 answer: the key lacks the
// operation's permission, or the organization is not the key's.
func IsForbidden(err error) bool { return StatusCode(err) == http.StatusForbidden }

// IsNotFound reports whether err is a 404 answer.
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// IsConflict reports whether err is a 409 answer: a PUT to a merged-away
// id, a merge of a customer into itself, a tag that exists already, or a
// custom-field definition change or delete while the field is in use.
func IsConflict(err error) bool { return StatusCode(err) == http.StatusConflict }

// IsPreconditionFailed reports whether err is a 412 answer: [IfMatch] or
// [IfNoneMatch] failed.
func IsPreconditionFailed(err error) bool {
	return StatusCode(err) == http.StatusPreconditionFailed
}

// IsValidation reports whether err is a 422 answer: the data is invalid
// and InvalidFields says where.
func IsValidation(err error) bool { return StatusCode(err) == http.StatusUnprocessableEntity }

// IsNotModified reports whether err is [ErrNotModified].
func IsNotModified(err error) bool { return errors.Is(err, ErrNotModified) }
