package migrations_test

import (
	"os"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/pgtest"
)

// TestDerivationsAgreeWithSQL: the PL/pgSQL functions of migration 00017
// give what the SQL functions they replaced gave (its Down section,
// created in a schema of their own), for inputs at every edge: absent and
// malformed lists, entries that are not objects or hold no string value,
// NULL elements, several dimensions, and letters whose lower case depends
// on more than ASCII. The generated columns and index entries stored by
// the old functions stay valid only if they agree.
func TestDerivationsAgreeWithSQL(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	text, err := os.ReadFile("00017_plpgsql_derivations.sql")
	if err != nil {
		t.Fatal(err)
	}
	_, down, ok := strings.Cut(string(text), "-- +goose Down")
	if !ok {
		t.Fatal("migration 00017 has no Down section")
	}
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The old definitions bind the functions they call when created: with
	// old first on the path, old.customer_search_text calls the old
	// customer_contact_values.
	if _, err := conn.ExecContext(t.Context(), `CREATE SCHEMA old; SET search_path = old, public`); err != nil {
		t.Fatal(err)
	}
	created := 0
	for _, stmt := range strings.Split(down, "-- +goose StatementBegin") {
		stmt, _, _ = strings.Cut(stmt, "-- +goose StatementEnd")
		if !strings.Contains(stmt, "CREATE OR REPLACE FUNCTION ") {
			continue
		}
		if !strings.Contains(stmt, "LANGUAGE sql") {
			t.Fatalf("Down should restore SQL functions:\n%s", stmt)
		}
		stmt = strings.Replace(stmt, "CREATE OR REPLACE FUNCTION ", "CREATE FUNCTION old.", 1)
		if _, err := conn.ExecContext(t.Context(), stmt); err != nil {
			t.Fatalf("%v\n%s", err, stmt)
		}
		created++
	}
	if created != 4 {
		t.Fatalf("Down restored %d functions, want 4", created)
	}
	var lang string
	if err := conn.QueryRowContext(t.Context(), `SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
		WHERE p.oid = 'public.customer_contact_values(jsonb,text)'::regprocedure`).Scan(&lang); err != nil || lang != "plpgsql" {
		t.Fatalf("the migrated customer_contact_values is %q (%v), want plpgsql", lang, err)
	}

	contacts := []string{
		`NULL`, `'{}'`, `'null'`, `'[]'`, `'"x"'`, `'{"emails": null}'`, `'{"emails": "a@b.c"}'`, `'{"emails": {}}'`,
		`'{"emails": []}'`, `'{"emails": [[{"value": "Nested@X"}]]}'`,
		`'{"emails": [{"value": "A@B.C"}, {"label": "x"}, "str", 5, null, {"value": 5}, {"value": null}, {"value": "ÀÉÎ İSTANBUL ΣΑΣ Straße"}, {"value": ""}], "phoneNumbers": [{"value": "+1 555 0100"}, {"value": "+44 (0)20"}], "organization": "ACME Ltd"}'`,
		`'{"phoneNumbers": [{"value": "+1 555"}], "organization": null}'`,
		`'{"emails": [{"value": true}, {"value": {"deep": 1}}], "phoneNumbers": {"value": "x"}, "organization": 7}'`,
	}
	arrays := []string{
		`NULL`, `'{}'`, `'{A}'`, `'{A,b,NULL,"ÉCOLE",""}'`, `'{{A,B},{C,NULL}}'`, `'{"NULL","null"}'`, `'[0:1]={X,y}'`,
	}
	names := []string{`NULL`, `'Ada'`, `'ÅSA'`, `''`}
	var checks []string
	for _, c := range contacts {
		for _, list := range []string{`'emails'`, `'phoneNumbers'`, `'organization'`, `NULL`} {
			checks = append(checks, "customer_contact_values("+c+"::jsonb, "+list+")")
		}
		checks = append(checks, "customer_tax_values("+c+"::jsonb)", "customer_tax_values(("+c+"::jsonb) -> 'emails')")
		for _, n := range names {
			checks = append(checks, "customer_search_text('Cust-1', "+n+", "+n+", "+c+"::jsonb)",
				"customer_search_text(NULL, "+n+", NULL, "+c+"::jsonb)")
		}
	}
	for _, a := range arrays {
		checks = append(checks, "lower_all("+a+"::text[])")
	}
	for _, call := range checks {
		var same bool
		var got, want *string
		q := `SELECT public.` + call + `::text, old.` + call + `::text, public.` + call + ` IS NOT DISTINCT FROM old.` + call
		if err := conn.QueryRowContext(t.Context(), q).Scan(&got, &want, &same); err != nil {
			t.Fatalf("%s: %v", call, err)
		}
		if !same {
			t.Errorf("%s = %v, the SQL function gave %v", call, deref(got), deref(want))
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}
