package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/migrations"
)

// TestRecountAndDistributeCommands: recount adds what hand-run SQL
// inserted to one organization's count, or to every organization's, and
// prints the corrections; distribute refuses a database without citus.
func TestRecountAndDistributeCommands(t *testing.T) {
	t.Parallel()
	db, url := pgtest.NewDBURL(t)
	c := newCLI(t, url)
	org, _, err := c.run("orgs", "create", "Counted")
	if err != nil {
		t.Fatal(err)
	}
	org = strings.TrimSpace(org)
	if _, err := db.Exec(`INSERT INTO customers (organization_id, id, created_time, updated_time)
		SELECT $1, 'sql-' || g, now(), now() FROM generate_series(1, 3) AS g`, org); err != nil {
		t.Fatal(err)
	}

	if out, _, err := c.run("recount", "--org", org); err != nil || out != org+"\t+3\n" {
		t.Errorf("recount --org: stdout %q, %v; want %q", out, err, org+"\t+3\n")
	}
	out, _, err := c.run("recount", "--all")
	if err != nil || !strings.Contains(out, org+"\t+0\n") {
		t.Errorf("recount --all: stdout %q, %v; want %q among the lines", out, err, org+"\t+0\n")
	}
	var total int
	if err := db.Get(&total, `SELECT sum(n) FROM customer_counts WHERE organization_id = $1`, org); err != nil || total != 3 {
		t.Errorf("count %d (%v), want 3", total, err)
	}
	for _, args := range [][]string{
		{"recount"},
		{"recount", "--org", org, "--all"},
		{"recount", "--org", "0b6a4631-02bf-4fc7-863d-0103fd1301fb"},
		{"recount", "--all", "extra"},
		{"distribute", "extra"},
	} {
		if out, _, err := c.run(args...); err == nil || out != "" {
			t.Errorf("%q: stdout %q, err %v; want an error and nothing on stdout", args, out, err)
		}
	}
	if out, _, err := c.run("distribute"); !errors.Is(err, migrations.ErrNoCitus) || out != "" {
		t.Errorf("distribute without citus: stdout %q, err %v; want ErrNoCitus", out, err)
	}
}
