// Package dashboard is the web dashboard for people: plain HTML, CSS and
// JavaScript modules embedded in the binary and served under /dashboard/.
// The pages are a client of the public API like any other (same origin,
// REB-APIKEY, which the page keeps in the tab's sessionStorage): this
// package serves files and knows nothing of customers, keys or the API's
// routes.
//
// Every path under /dashboard/ that is not one of the files is a page of
// the dashboard's own (client-side routing with the History API), so it
// answers index.html; the files themselves sit at the top level
// (/dashboard/app.js), and a top-level name with a dot that is not a file
// is 404, never the page. Customer ids may hold dots, but they come after
// /dashboard/customers/, never at the top level.
package dashboard

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed static
var static embed.FS

// Prefix is the path the dashboard is served under, without its trailing
// slash.
const Prefix = "/dashboard"

// ContentSecurityPolicy is sent with every answer: only the dashboard's own
// files run, style and connect (no inline script or style, no other
// origin), it is never framed, and it sets no base URL and posts no form
// elsewhere.
const ContentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"

// contentTypes are the media types of the files the dashboard serves, by
// extension; a file of any other extension is not served. Written out
// rather than taken from the system's MIME tables, which differ between
// machines.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".txt":  "text/plain; charset=utf-8",
}

// file is one embedded file, read once.
type file struct {
	body        []byte
	contentType string
	etag        string
}

type handler struct {
	files map[string]*file // by name, e.g. "app.js"
	index *file
}

// Handler serves the dashboard: its files at /dashboard/<name>, and
// index.html for every other path under /dashboard (with or without a
// trailing slash). Only GET and HEAD are served (others are 405); a
// top-level name with a dot that is no file is 404. Errors are
// application/problem+json, as the API's are. Every answer, errors
// included, carries the Content-Security-Policy above,
// X-Content-Type-Options: nosniff and Referrer-Policy: no-referrer.
// Answers are revalidated (Cache-Control: no-cache) against an ETag of
// their content, so a new binary's files are never mixed with an old
// one's.
func Handler() http.Handler {
	h := &handler{files: map[string]*file{}}
	root, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embed directive guarantees the directory
	}
	err = fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok || strings.Contains(name, "/") {
			return nil // only the top level's files of known types
		}
		body, err := fs.ReadFile(root, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		h.files[name] = &file{body: body, contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		panic(err) // embedded files are in the binary: reading them cannot fail
	}
	h.index = h.files["index.html"]
	if h.index == nil {
		panic("dashboard: static/index.html is not embedded")
	}
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		problem(w, r, http.StatusMethodNotAllowed, "/problems/method-not-allowed", "Method not allowed",
			"This path does not accept the method "+r.Method+".")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok || (rest != "" && rest[0] != '/') {
		problem(w, r, http.StatusNotFound, "/problems/not-found", "Not found", "No resource lives at this path.")
		return
	}
	rest = strings.TrimPrefix(rest, "/")
	if name := rest; name != "" && !strings.Contains(name, "/") && strings.Contains(name, ".") {
		f := h.files[name]
		if f == nil {
			problem(w, r, http.StatusNotFound, "/problems/not-found", "Not found", "The dashboard has no file "+name+".")
			return
		}
		serve(w, r, f)
		return
	}
	serve(w, r, h.index)
}

// serve writes f, or 304 when the request's If-None-Match names its ETag
// (or is *); a HEAD gets the headers alone.
func serve(w http.ResponseWriter, r *http.Request, f *file) {
	hd := w.Header()
	hd.Set("ETag", f.etag)
	hd.Set("Cache-Control", "no-cache")
	if matches(r.Header.Get("If-None-Match"), f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Type", f.contentType)
	hd.Set("Content-Length", strconv.Itoa(len(f.body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(f.body)
	}
}

// matches reports whether an If-None-Match header names etag: "*", or
// the tag in a comma list, weak or strong (RFC 9110 §13.1.2 compares
// weakly).
func matches(header, etag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// problem writes an RFC 9457 problem as the API writes its own (the same
// types and titles, openapi.yaml's "Problem types"), with the request id
// the server's outermost middleware has already put on the response.
func problem(w http.ResponseWriter, r *http.Request, status int, typ, title, detail string) {
	body, _ := json.Marshal(map[string]any{
		"type": typ, "title": title, "status": status, "detail": detail,
		"instance": r.URL.Path, "requestId": w.Header().Get("X-Request-Id"),
	})
	w.Header().Set("Content-Type", "application/problem+json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
