package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/postgres"

	"github.com/billing/customers-api/internal/testsync"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var (
	uuidLine   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n$`)
	secretLine = regexp.MustCompile(`^sk_live_[0-9A-Za-z]{40}\n$`)
)

// cli runs command lines through run against one test database, as a
// script would run the binary with DATABASE_URL set.
type cli struct {
	t      *testing.T
	getenv func(string) string
}

func newCLI(t *testing.T, dbURL string) *cli {
	env := map[string]string{"DATABASE_URL": dbURL, "DATA_DIR": t.TempDir()}
	return &cli{t: t, getenv: func(k string) string { return env[k] }}
}

func (c *cli) run(args ...string) (stdout, stderr string, err error) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, c.getenv, &out, &errOut)
	return out.String(), errOut.String(), err
}

// TestRunAdminCommands: the exact forms scripts depend on print only the new
// id or secret on stdout, and what they create is what was asked for.
func TestRunAdminCommands(t *testing.T) {
	t.Parallel()
	db, url := pgtest.NewDBURL(t)
	c := newCLI(t, url)
	svc := access.NewService(postgres.New(db))
	ctx := context.Background()

	if out, _, err := c.run("migrate"); err != nil || out != "" {
		t.Fatalf("migrate: stdout %q, err %v", out, err)
	}

	org, _, err := c.run("orgs", "create", "Acme Ltd")
	if err != nil || !uuidLine.MatchString(org) {
		t.Fatalf("orgs create: stdout %q (want only the id), err %v", org, err)
	}
	org = strings.TrimSpace(org)
	var name string
	if err := db.Get(&name, `SELECT name FROM organizations WHERE id = $1`, org); err != nil || name != "Acme Ltd" {
		t.Fatalf("organization %s: name %q, %v", org, name, err)
	}

	for _, tc := range []struct {
		name  string
		args  []string
		perms []string
	}{
		{"default permissions", []string{"keys", "create", "--org", org}, []string{"*"}},
		{"listed permissions", []string{"keys", "create", "--org", org, "--permissions", "GetCustomer,PutCustomer"}, []string{"GetCustomer", "PutCustomer"}},
		{"= form, spaces", []string{"keys", "create", "--org=" + org, "--permissions= DeleteCustomer , GetCustomerLeadSource"}, []string{"DeleteCustomer", "GetCustomerLeadSource"}},
		{"star", []string{"keys", "create", "--permissions", "*", "--org", org}, []string{"*"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := c.run(tc.args...)
			if err != nil || !secretLine.MatchString(out) {
				t.Fatalf("stdout %q (want only the secret), err %v", out, err)
			}
			p, err := svc.Authenticate(ctx, strings.TrimSpace(out))
			if err != nil {
				t.Fatalf("the printed secret does not authenticate: %v", err)
			}
			got := slices.Sorted(slices.Values(p.Permissions))
			if p.OrganizationID != org || !slices.Equal(got, tc.perms) {
				t.Errorf("key of %s with %v, want %s with %v", p.OrganizationID, got, org, tc.perms)
			}
		})
	}

	var keysBefore int
	if err := db.Get(&keysBefore, `SELECT count(*) FROM api_keys`); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"orgs", "create"},
		{"orgs", "create", "  "},
		{"orgs", "list"},
		{"keys", "create"},
		{"keys", "create", "--org", "not-a-uuid"},
		{"keys", "create", "--org", "0b6a4631-02bf-4fc7-863d-0103fd1301fb"}, // no such organization
		{"keys", "create", "--org", org, "--permissions", "GetCustomer,Bogus"},
		{"keys", "create", "--org", org, "--permissions", ""}, // never "everything"
		{"keys", "create", "--org", org, "--permissions", " , "},
		{"keys", "create", "--org", org, "extra"},
		{"nonsense"},
	} {
		out, _, err := c.run(args...)
		if err == nil || out != "" {
			t.Errorf("%q: stdout %q, err %v; want an error and nothing on stdout", args, out, err)
		}
	}
	var keysAfter int
	if err := db.Get(&keysAfter, `SELECT count(*) FROM api_keys`); err != nil || keysAfter != keysBefore {
		t.Errorf("refused commands created keys: %d before, %d after (%v)", keysBefore, keysAfter, err)
	}
}

// TestRunServe starts the real command on a free port, talks HTTP to it,
// stops it as SIGTERM would (cancelling the context), and reads its access
// log: one JSON line per request with the request id and organization, and
// never the API key.
func TestRunServe(t *testing.T) {
	t.Parallel()
	db, url := pgtest.NewDBURL(t)
	svc := access.NewService(postgres.New(db))
	ctx := context.Background()
	org, err := svc.CreateOrganization(ctx, "Serve")
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := svc.CreateKey(ctx, org.ID, nil)
	if err != nil {
		t.Fatal(err)
	}

	c := newCLI(t, url)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	pr, pw := io.Pipe()
	var logs testsync.Buffer
	done := make(chan error, 1)
	go func() {
		err := run(runCtx, []string{"serve", "--addr", "127.0.0.1:0"}, c.getenv, pw, &logs)
		pw.Close()
		done <- err
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatalf("serve printed nothing and ended: %v\n%s", <-done, logs.String())
	}
	addr, ok := strings.CutPrefix(lines.Text(), "Customers API listening on ")
	if !ok {
		t.Fatalf("first stdout line %q", lines.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()

	send := func(method, path, body, requestID string) int {
		t.Helper()
		r, err := http.NewRequest(method, addr+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("REB-APIKEY", key)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Request-Id", requestID)
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, res.Body)
		return res.StatusCode
	}
	if got := send(http.MethodGet, "/readyz", "", "probe-1"); got != http.StatusOK {
		t.Errorf("GET /readyz: %d", got)
	}
	if got := send(http.MethodPut, "/customers/serve-1", `{"websiteId":"w"}`, "put-1"); got != http.StatusCreated {
		t.Errorf("PUT: %d", got)
	}
	if got := send(http.MethodGet, "/customers/nobody", "", "get-1"); got != http.StatusNotFound {
		t.Errorf("GET missing: %d", got)
	}

	stop()
	if err := <-done; err != nil {
		t.Fatalf("serve after cancel: %v", err)
	}
	// Shutdown waited for the handlers, so every access line is written.
	out := logs.String()
	if strings.Contains(out, key) || strings.Contains(out, key[len(access.SecretPrefix):]) {
		t.Errorf("the log holds the API key:\n%s", out)
	}
	want := map[string]struct {
		method, path string
		status       float64
		org          bool
	}{
		"probe-1": {"GET", "/readyz", 200, false},
		"put-1":   {"PUT", "/customers/serve-1", 201, true},
		"get-1":   {"GET", "/customers/nobody", 404, true},
	}
	seen := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		if e["msg"] != "request" {
			continue
		}
		rid, _ := e["request_id"].(string)
		w, ok := want[rid]
		if !ok {
			t.Errorf("access line for an unknown request: %s", line)
			continue
		}
		seen[rid]++
		if e["method"] != w.method || e["path"] != w.path || e["status"] != w.status {
			t.Errorf("access line %s, want %s %s %v", line, w.method, w.path, w.status)
		}
		if d, ok := e["duration_ms"].(float64); !ok || d < 0 {
			t.Errorf("access line without a duration: %s", line)
		}
		if gotOrg := e["organization_id"]; w.org && gotOrg != org.ID || !w.org && gotOrg != nil {
			t.Errorf("access line organization %v, want %v: %s", gotOrg, w.org, line)
		}
	}
	for rid := range want {
		if seen[rid] != 1 {
			t.Errorf("request %s has %d access lines, want 1\n%s", rid, seen[rid], out)
		}
	}
	if !strings.Contains(out, `"msg":"shutting down"`) {
		t.Errorf("no shutdown in the log:\n%s", out)
	}
}

// TestHTTPServerTimeouts: every timeout of the http.Server is set, so a
// slow client cannot hold a connection (and a goroutine) forever.
func TestHTTPServerTimeouts(t *testing.T) {
	srv := newHTTPServer("127.0.0.1:0", http.NotFoundHandler())
	for name, d := range map[string]time.Duration{
		"ReadHeaderTimeout": srv.ReadHeaderTimeout, "ReadTimeout": srv.ReadTimeout,
		"WriteTimeout": srv.WriteTimeout, "IdleTimeout": srv.IdleTimeout,
	} {
		if d <= 0 {
			t.Errorf("%s is not set", name)
		}
	}
	if srv.MaxHeaderBytes == 0 {
		t.Error("MaxHeaderBytes is not set")
	}
}
