package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/billing/customers-api/internal/idempotency"
)

var (
	typeKeyReused     = problemType{"/problems/idempotency-key-reused", "Idempotency key reused", http.StatusUnprocessableEntity}
	typeKeyInProgress = problemType{"/problems/idempotency-key-in-progress", "Idempotency key in progress", http.StatusConflict}
)

// idempotent makes a POST or DELETE with an Idempotency-Key safe to retry
// (SPEC §14): the first answer is stored with the request's writes, in one
// transaction, and a retry of the same request gets it again, marked
// Idempotent-Replayed, without doing anything. The answer is held back
// until that transaction commits, so a client never sees a success that
// was not kept.
func (s *Server) idempotent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		values := r.Header.Values("Idempotency-Key")
		if len(values) == 0 || s.idempotency == nil {
			next.ServeHTTP(w, r)
			return
		}
		if len(values) > 1 || !idempotency.ValidKey(values[0]) {
			writeError(w, r, s.log, newError(typeMalformed, "The Idempotency-Key header must be given once, as 1 to 255 printable ASCII characters."))
			return
		}
		// The fingerprint needs the body; the handler reads the same
		// bytes after (at most one byte over the limit, for its 413).
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
		if err != nil {
			writeError(w, r, s.log, newError(typeMalformed, "The request body could not be read."))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		req := idempotency.Request{
			OrganizationID: principal(r.Context()).OrganizationID, Key: values[0],
			Method: r.Method, Path: r.URL.RequestURI(), Body: body,
		}
		var rec *answerRecorder // the last run's (Do may run it again)
		ans, replayed, err := s.idempotency.Do(r.Context(), req, time.Now().Add(idempotency.TTL),
			func(ctx context.Context) (*idempotency.Answer, error) {
				rec = &answerRecorder{header: http.Header{}}
				next.ServeHTTP(rec, r.WithContext(ctx))
				return rec.answer(), nil
			})
		switch {
		case errors.Is(err, idempotency.ErrReused):
			writeError(w, r, s.log, newError(typeKeyReused, "This Idempotency-Key was used for another request (method, path and body must be the same): use a new key for a new request."))
			return
		case errors.Is(err, idempotency.ErrInProgress):
			writeError(w, r, s.log, newError(typeKeyInProgress, "A request with this Idempotency-Key is still running; retry once it has been answered."))
			return
		case err != nil:
			writeError(w, r, s.log, err)
			return
		}
		h := w.Header()
		if replayed {
			s.metrics.replays.Inc()
			h.Set("Idempotent-Replayed", "true")
		} else {
			// Every header of a first answer, stored or not (Allow,
			// Retry-After, ...).
			for k, v := range rec.header {
				h[k] = v
			}
		}
		for name, v := range map[string]string{"Content-Type": ans.ContentType, "Location": ans.Location, "ETag": ans.ETag} {
			if v != "" {
				h.Set(name, v)
			}
		}
		if len(ans.Body) > 0 {
			h.Set("Content-Length", strconv.Itoa(len(ans.Body)))
		}
		w.WriteHeader(ans.Status)
		_, _ = w.Write(ans.Body)
	})
}

// answerRecorder holds a handler's answer until it may be sent.
type answerRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	// stored, when set, is what replays get instead of body: an answer
	// that shows a secret once stores it without (SPEC §16).
	stored []byte
}

func (a *answerRecorder) storeInstead(body []byte) { a.stored = body }

func (a *answerRecorder) Header() http.Header { return a.header }

func (a *answerRecorder) WriteHeader(status int) {
	if a.status == 0 {
		a.status = status
	}
}

func (a *answerRecorder) Write(b []byte) (int, error) {
	a.WriteHeader(http.StatusOK)
	return a.body.Write(b)
}

// answer is what SPEC §14 stores of the recorded answer.
func (a *answerRecorder) answer() *idempotency.Answer {
	status := a.status
	if status == 0 {
		status = http.StatusOK
	}
	return &idempotency.Answer{
		Status: status, ContentType: a.header.Get("Content-Type"), Location: a.header.Get("Location"),
		// Never nil: an answer without a body (204, 202) stores an empty one.
		ETag: a.header.Get("ETag"), Body: append([]byte{}, a.body.Bytes()...), StoredBody: a.stored,
	}
}

// storedAnswer is implemented by the recorder of an idempotent request:
// what it stores for replays instead of the body it sends.
type storedAnswer interface{ storeInstead(body []byte) }

// writeWithSecret answers status with out, whose field *field shows
// secret; the stored copy that an idempotent replay gets has it null.
func writeWithSecret(w http.ResponseWriter, status int, out any, field *json.RawMessage, secret string) {
	if sa, ok := w.(storedAnswer); ok {
		*field = json.RawMessage("null")
		stored, _ := json.Marshal(out)
		sa.storeInstead(stored)
	}
	*field, _ = json.Marshal(secret)
	writeJSON(w, status, out)
}
