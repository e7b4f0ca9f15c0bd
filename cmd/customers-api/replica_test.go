package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/postgres"
	"github.com/billing/customers-api/internal/testsync"
)

// TestServeWithReadReplica: serve reads collections from DATABASE_READ_URL
// and reports it in /readyz; it refuses a read URL that is no replica of
// the database, and serves on the primary alone while the replica does
// not answer.
func TestServeWithReadReplica(t *testing.T) {
	t.Parallel()
	r := pgtest.NewReplicated(t)
	ctx := context.Background()
	svc := access.NewService(postgres.New(r.Primary))
	org, err := svc.CreateOrganization(ctx, "Replica")
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := svc.CreateKey(ctx, org.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	serveWith := func(t *testing.T, readURL string) (addr string, logs *testsync.Buffer, stop func() error) {
		t.Helper()
		env := map[string]string{"DATABASE_URL": r.PrimaryURL, "DATABASE_READ_URL": readURL, "DATA_DIR": t.TempDir(), "WEBHOOK_WORKERS": "0"}
		runCtx, cancel := context.WithCancel(ctx)
		pr, pw := io.Pipe()
		logs = &testsync.Buffer{}
		done := make(chan error, 1)
		go func() {
			err := run(runCtx, []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, pw, logs)
			pw.Close()
			done <- err
		}()
		lines := bufio.NewScanner(pr)
		if !lines.Scan() {
			cancel()
			return "", logs, func() error { return <-done }
		}
		addr, _ = strings.CutPrefix(lines.Text(), "Customers API listening on ")
		go func() { _, _ = io.Copy(io.Discard, pr) }()
		return addr, logs, func() error { cancel(); return <-done }
	}
	send := func(t *testing.T, addr, method, path, body string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, addr+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("REB-APIKEY", key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		raw, _ := io.ReadAll(res.Body)
		_ = json.Unmarshal(raw, &m)
		return res.StatusCode, m
	}
	replicaOf := func(body map[string]any) map[string]any { m, _ := body["replica"].(map[string]any); return m }

	t.Run("replica", func(t *testing.T) {
		addr, logs, stop := serveWith(t, r.ReplicaURL)
		if addr == "" {
			t.Fatalf("serve did not start: %v\n%s", stop(), logs.String())
		}
		if status, _ := send(t, addr, http.MethodPut, "/customers/ada", `{"websiteId":"w1"}`); status != http.StatusCreated {
			t.Fatalf("PUT: %d", status)
		}
		req, _ := http.NewRequest(http.MethodGet, addr+"/customers?filter=id:ada", nil)
		req.Header.Set("REB-APIKEY", key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var list []map[string]any
		if err := json.NewDecoder(res.Body).Decode(&list); err != nil || len(list) != 1 || list[0]["websiteId"] != "w1" {
			t.Errorf("list after the write: %v, %v", list, err)
		}
		res.Body.Close()
		if status, body := send(t, addr, http.MethodGet, "/readyz", ""); status != http.StatusOK || replicaOf(body)["status"] != "up" {
			t.Errorf("/readyz: %d %v", status, body)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), "reading collections from the replica") {
			t.Errorf("no word of the replica in the log:\n%s", logs.String())
		}
	})
	t.Run("not a replica", func(t *testing.T) {
		addr, logs, stop := serveWith(t, r.PrimaryURL)
		err := stop()
		if addr != "" || err == nil || !strings.Contains(err.Error(), "DATABASE_READ_URL") {
			t.Errorf("serve with the primary as its replica: started %v, err %v\n%s", addr != "", err, logs.String())
		}
	})
	t.Run("replica down", func(t *testing.T) {
		addr, logs, stop := serveWith(t, "host=/nonexistent port=5432 user=postgres dbname=app sslmode=disable")
		if addr == "" {
			t.Fatalf("serve did not start without its replica: %v\n%s", stop(), logs.String())
		}
		if status, body := send(t, addr, http.MethodGet, "/readyz", ""); status != http.StatusOK || replicaOf(body)["status"] != "down" {
			t.Errorf("/readyz with the replica down: %d %v", status, body)
		}
		if status, _ := send(t, addr, http.MethodGet, "/customers", ""); status != http.StatusOK {
			t.Errorf("list with the replica down: %d", status)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), "the read replica does not answer") {
			t.Errorf("no warning of the missing replica in the log:\n%s", logs.String())
		}
	})
}
