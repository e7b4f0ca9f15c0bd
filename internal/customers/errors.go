package customers

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the caller: it decides the HTTP status in the
// API and never depends on the error's text.
type Kind int

// The closed set of error kinds.
const (
	KindInternal           Kind = iota // a bug or a failed dependency; details only in logs
	KindInvalid                        // the input breaks a rule (422)
	KindBadQuery                       // a malformed query parameter (400): Param and Offset say where
	KindNotFound                       // the resource does not exist for this organization (404)
	KindConflict                       // the request conflicts with the current state (409)
	KindPreconditionFailed             // If-Match / If-None-Match did not hold (412)
	KindUnavailable                    // the store is down or too busy to answer in time (503): retry later
)

// FieldError names an invalid input field by its API path, such as
// "primaryAddress.emails[0].value", and says what is wrong with it.
type FieldError struct {
	Field   string
	Message string
}

// Error is a domain error: a kind, a message safe to show to clients, the
// invalid fields when Kind is KindInvalid, where a KindBadQuery error is,
// and the underlying cause (for logs).
type Error struct {
	Kind    Kind
	Message string
	Fields  []FieldError
	// Param names the query parameter of a KindBadQuery error and Offset
	// the 0-based character offset in its value where the problem is.
	Param  string
	Offset int
	// MergedInto, on the KindNotFound error of a customer id that was
	// merged away, is the id of the customer it was merged into.
	MergedInto string
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorKind returns the kind of the first *Error in err's chain, or
// KindInternal when there is none.
func ErrorKind(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

func invalid(fields ...FieldError) error {
	return &Error{Kind: KindInvalid, Message: "The request body has invalid fields.", Fields: fields}
}

// BadQuery is the KindBadQuery error of query parameter param at character
// offset: message says what is wrong there.
func BadQuery(param string, offset int, message string) *Error {
	return &Error{Kind: KindBadQuery, Param: param, Offset: offset, Message: message}
}

func notFound(format string, args ...any) error {
	return &Error{Kind: KindNotFound, Message: fmt.Sprintf(format, args...)}
}

// mergedAway is the not-found error of customer id, which was merged into
// target: the message names the target, and MergedInto carries it.
func mergedAway(id, target string) error {
	return &Error{Kind: KindNotFound, Message: fmt.Sprintf("Customer %q was merged into customer %q.", id, target), MergedInto: target}
}

func conflict(format string, args ...any) error {
	return &Error{Kind: KindConflict, Message: fmt.Sprintf(format, args...)}
}

func preconditionFailed(format string, args ...any) error {
	return &Error{Kind: KindPreconditionFailed, Message: fmt.Sprintf(format, args...)}
}
