// Package idempotency makes POST and DELETE requests safe to retry (SPEC
// §14): the first answer to a request with an Idempotency-Key is stored for
// a day, with the write it reports in the same transaction, and a retry
// with the same key and request gets that answer again instead of doing
// the work twice. It holds the rules; a Store keeps the answers.
package idempotency

import (
	"context"
	"crypto/sha256"
	"errors"
	"time"
)

// TTL is how long an answer is kept, and so how long a key is taken.
const TTL = 24 * time.Hour

// MaxKeyLength bounds a key.
const MaxKeyLength = 255

// ValidKey reports whether key may be used: 1 to MaxKeyLength printable
// ASCII characters.
func ValidKey(key string) bool {
	if key == "" || len(key) > MaxKeyLength {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

// Request identifies what a key was first used for: a retry must be the
// same request, byte for byte.
type Request struct {
	OrganizationID string
	Key            string
	Method, Path   string
	Body           []byte
}

// Fingerprint is the SHA-256 of the method, the path and the body.
func (r Request) Fingerprint() []byte {
	h := sha256.New()
	h.Write([]byte(r.Method + "\n" + r.Path + "\n"))
	h.Write(r.Body)
	return h.Sum(nil)
}

// Answer is a stored answer: what a retry gets back.
type Answer struct {
	Status      int
	ContentType string
	Location    string
	ETag        string
	Body        []byte
	// StoredBody, when not nil, is stored for replays instead of Body:
	// the first answer's body without the secret it showed.
	StoredBody []byte
}

// Storable reports whether an answer of this status is kept: not 401,
// 403 or 429 (the request was not let in, a retry may fare otherwise) and
// no 5xx (the server failed; nothing was done).
func Storable(status int) bool {
	switch {
	case status == 401, status == 403, status == 429, status >= 500:
		return false
	}
	return true
}

var (
	// ErrReused: the key was used for another request.
	ErrReused = errors.New("idempotency key reused for another request")
	// ErrInProgress: the first request with the key is still running.
	ErrInProgress = errors.New("idempotency key in use by a request still in progress")
)

// Store keeps answers by organization and key.
type Store interface {
	// Do runs fn once per key: if an unexpired answer is stored for r's
	// organization and key, Do returns it (replayed true) when it answered
	// the same request, and ErrReused otherwise; while another call holds
	// the key it returns ErrInProgress. Otherwise it runs fn inside one
	// transaction that every write of fn joins, and commits it together
	// with fn's answer when Storable says so, so that no write is ever
	// without its stored answer. fn's writes are rolled back when its
	// answer is not storable. fn may run again after a serialization
	// failure, so it must have no effects outside the transaction.
	Do(ctx context.Context, r Request, expires time.Time, fn func(ctx context.Context) (*Answer, error)) (ans *Answer, replayed bool, err error)
	// DeleteExpired removes up to limit answers expired at now and
	// reports how many it removed.
	DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error)
}
