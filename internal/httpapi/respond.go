package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
)

// bodyBuffers recycles the buffers answers are rendered into, so that a
// busy node does not allocate (and collect) tens of kilobytes a request.
var bodyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, pageBufferBytes+8<<10); return &b }}

func getBuffer() *[]byte { return bodyBuffers.Get().(*[]byte) }

// putBuffer returns b to the pool unless it grew unusually large.
func putBuffer(b *[]byte) {
	if cap(*b) > 4*pageBufferBytes {
		return
	}
	*b = (*b)[:0]
	bodyBuffers.Put(b)
}

// writeJSON writes v as the JSON body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeBody(w, status, "application/json", v)
}

func writeBody(w http.ResponseWriter, status int, mediaType string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Every value written is built from wire types that always encode;
		// reaching this is a bug, reported without detail.
		status, mediaType = http.StatusInternalServerError, "application/problem+json"
		buf.Reset()
		buf.WriteString(`{"type":"/problems/internal-error","title":"Internal server error","status":500}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", mediaType+"; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeRaw writes body, a JSON document rendered already, with the status.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
