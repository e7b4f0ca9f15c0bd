package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/postgres"
	"github.com/billing/customers-api/internal/testsync"
)

// TestServeShutdownPastItsTimeout: a request still running when the
// shutdown timeout runs out is logged by id and path, cut off, and the
// command fails (a clean shutdown returns nil: TestRunServe).
func TestServeShutdownPastItsTimeout(t *testing.T) {
	t.Parallel()
	db, url := pgtest.NewDBURL(t)
	svc := access.NewService(postgres.New(db))
	ctx := context.Background()
	org, err := svc.CreateOrganization(ctx, "Shutdown")
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := svc.CreateKey(ctx, org.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := newCLI(t, url)
	env := c.getenv
	c.getenv = func(k string) string {
		switch k {
		case "SHUTDOWN_TIMEOUT":
			return "300ms"
		case "DB_STATEMENT_TIMEOUT":
			return "20s"
		}
		return env(k)
	}
	// Migrate first: the lock below must not stop serve's own start.
	if _, _, err := c.run("migrate"); err != nil {
		t.Fatal(err)
	}

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
	var addr string
	for lines.Scan() {
		if a, ok := strings.CutPrefix(lines.Text(), "Customers API listening on "); ok {
			addr = a
			break
		}
	}
	if addr == "" {
		t.Fatalf("serve did not say where it listens: %v\n%s", <-done, logs.String())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()

	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `LOCK TABLE customers, customer_representations IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	answered := make(chan error, 1)
	go func() {
		r, _ := http.NewRequest(http.MethodGet, addr+"/customers/stuck", nil)
		r.Header.Set("REB-APIKEY", key)
		r.Header.Set("X-Request-Id", "slow-1")
		res, err := http.DefaultClient.Do(r)
		if err == nil {
			res.Body.Close()
		}
		answered <- err
	}()
	time.Sleep(300 * time.Millisecond) // the request is waiting behind the lock
	stop()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "shutdown") {
			t.Fatalf("serve returned %v, want a shutdown error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return after its shutdown timeout")
	}
	if err := <-answered; err == nil {
		t.Error("the cut-off request got an answer")
	}
	out := logs.String()
	if !strings.Contains(out, `"msg":"request cut off by shutdown"`) || !strings.Contains(out, `"request_id":"slow-1"`) ||
		!strings.Contains(out, `"path":"/customers/stuck"`) {
		t.Fatalf("the log does not name the cut-off request:\n%s", out)
	}
	_ = tx.Rollback()
}
