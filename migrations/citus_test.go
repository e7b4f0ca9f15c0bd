package migrations_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/migrations"
	"github.com/jmoiron/sqlx"
)

// citusLists returns the tables migration 00016 makes reference tables
// and the tables it distributes by organization, in its order.
func citusLists(t *testing.T) (reference, distributed []string) {
	t.Helper()
	block, err := migrations.DistributeSQL()
	if err != nil {
		t.Fatal(err)
	}
	list := func(name string) []string {
		m := regexp.MustCompile(`(?s)\b` + name + `\s+text\[\]\s*:=\s*ARRAY\[(.*?)\];`).FindStringSubmatch(block)
		if m == nil {
			t.Fatalf("migration 00016 has no %s text[] := ARRAY[...]", name)
		}
		var out []string
		for _, q := range regexp.MustCompile(`'([a-z_0-9]+)'`).FindAllStringSubmatch(m[1], -1) {
			out = append(out, q[1])
		}
		return out
	}
	return list("reference_tables"), list("distributed_tables")
}

// tenantTables are the tables of the migrated schema with an
// organization_id column, sorted.
func tenantTables(t *testing.T, db *sqlx.DB) []string {
	t.Helper()
	var out []string
	if err := db.Select(&out, `
SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
  AND a.attname = 'organization_id' AND NOT a.attisdropped
ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	return out
}

// distributionProblems reads the migrated catalog of db and returns what
// would keep Citus from distributing its tables by organization_id, with
// reference (the reference tables) exempt from the key rules:
//   - a primary key, unique or exclusion constraint (or unique index) of a
//     distributed table that does not include organization_id;
//   - a foreign key from a distributed table to another that does not
//     match organization_id with organization_id, or to a table that is
//     neither distributed nor a reference table, or from a reference
//     table to a distributed one;
//   - a statement-level trigger or a trigger with transition tables on
//     any of these tables (Citus runs neither on a distributed table).
func distributionProblems(t *testing.T, db *sqlx.DB, reference []string) []string {
	t.Helper()
	var distributed []string
	for _, name := range tenantTables(t, db) {
		if !slices.Contains(reference, name) {
			distributed = append(distributed, name)
		}
	}
	all := append(slices.Clone(reference), distributed...)
	var problems []string
	query := func(dest any, q string, args ...any) {
		if err := db.Select(dest, q, args...); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}

	var keys []struct {
		Index string `db:"index"`
		Table string `db:"tbl"`
		Def   string `db:"def"`
	}
	query(&keys, `
SELECT i.indexrelid::regclass::text AS index, i.indrelid::regclass::text AS tbl, pg_get_indexdef(i.indexrelid) AS def
FROM pg_index i
WHERE (i.indisunique OR i.indisexclusion) AND i.indrelid::regclass::text = ANY ($1)
  AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                  WHERE a.attrelid = i.indrelid AND a.attname = 'organization_id' AND a.attnum = ANY (i.indkey))
ORDER BY 1`, distributed)
	for _, k := range keys {
		problems = append(problems, fmt.Sprintf("%s: unique key %s does not include organization_id: %s", k.Table, k.Index, k.Def))
	}

	var fks []struct {
		Name       string `db:"conname"`
		From       string `db:"from_table"`
		To         string `db:"to_table"`
		Def        string `db:"def"`
		ByOrg      bool   `db:"by_org"`
		FromTenant bool   `db:"from_listed"`
	}
	query(&fks, `
SELECT c.conname, c.conrelid::regclass::text AS from_table, c.confrelid::regclass::text AS to_table,
       pg_get_constraintdef(c.oid) AS def,
       EXISTS (SELECT 1 FROM unnest(c.conkey, c.confkey) AS k(a, b)
               JOIN pg_attribute x ON x.attrelid = c.conrelid AND x.attnum = k.a
               JOIN pg_attribute y ON y.attrelid = c.confrelid AND y.attnum = k.b
               WHERE x.attname = 'organization_id' AND y.attname = 'organization_id') AS by_org,
       c.conrelid::regclass::text = ANY ($1) AS from_listed
FROM pg_constraint c
WHERE c.contype = 'f' AND (c.conrelid::regclass::text = ANY ($1) OR c.confrelid::regclass::text = ANY ($1))
ORDER BY 2, 1`, all)
	for _, fk := range fks {
		fromRef, toRef := slices.Contains(reference, fk.From), slices.Contains(reference, fk.To)
		fromDist, toDist := slices.Contains(distributed, fk.From), slices.Contains(distributed, fk.To)
		switch {
		case !fk.FromTenant || (!toRef && !toDist):
			problems = append(problems, fmt.Sprintf("%s: foreign key %s between a listed table and %s, which is neither distributed nor a reference table: %s", fk.From, fk.Name, map[bool]string{true: fk.From, false: fk.To}[!fk.FromTenant], fk.Def))
		case fromRef && toDist:
			problems = append(problems, fmt.Sprintf("%s: foreign key %s from a reference table to the distributed %s: %s", fk.From, fk.Name, fk.To, fk.Def))
		case fromDist && toDist && !fk.ByOrg:
			problems = append(problems, fmt.Sprintf("%s: foreign key %s to %s does not match organization_id with organization_id: %s", fk.From, fk.Name, fk.To, fk.Def))
		}
	}

	var triggers []struct {
		Name       string `db:"tgname"`
		Table      string `db:"tbl"`
		Statement  bool   `db:"statement"`
		Transition bool   `db:"transition"`
	}
	query(&triggers, `
SELECT tgname, tgrelid::regclass::text AS tbl, (tgtype & 1) = 0 AS statement,
       (tgoldtable IS NOT NULL OR tgnewtable IS NOT NULL) AS transition
FROM pg_trigger
WHERE NOT tgisinternal AND tgrelid::regclass::text = ANY ($1)
ORDER BY 2, 1`, all)
	for _, tg := range triggers {
		switch {
		case tg.Statement:
			problems = append(problems, fmt.Sprintf("%s: trigger %s is statement-level", tg.Table, tg.Name))
		case tg.Transition:
			problems = append(problems, fmt.Sprintf("%s: trigger %s has transition tables", tg.Table, tg.Name))
		default:
			t.Logf("row-level trigger %s on %s (needs citus.enable_unsafe_triggers)", tg.Name, tg.Table)
		}
	}
	return problems
}

// TestSchemaIsDistributable keeps the migrated schema distributable by
// organization (SPEC §9): see distributionProblems for the rules; the
// reference tables of migration 00016 are exempt from the key rules.
func TestSchemaIsDistributable(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	reference, _ := citusLists(t)
	for _, p := range distributionProblems(t, db, reference) {
		t.Error(p)
	}
}

// TestDistributionProblemsAreFound: the check above finds each kind of
// problem it is for, in tables added to a migrated schema.
func TestDistributionProblemsAreFound(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	if _, err := db.Exec(`
CREATE TABLE bad_keys (organization_id uuid NOT NULL, id text NOT NULL, email text,
    PRIMARY KEY (id), UNIQUE (email));
CREATE UNIQUE INDEX bad_keys_lower ON bad_keys (lower(email));
CREATE TABLE bad_refs (organization_id uuid NOT NULL, customer_id text NOT NULL, key_id text,
    PRIMARY KEY (organization_id, customer_id),
    FOREIGN KEY (customer_id) REFERENCES bad_keys (id));
CREATE TABLE plain (id text PRIMARY KEY);
ALTER TABLE bad_refs ADD FOREIGN KEY (key_id) REFERENCES plain (id);
CREATE FUNCTION bad_trigger() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER bad_statement AFTER INSERT ON customers FOR EACH STATEMENT EXECUTE FUNCTION bad_trigger();
CREATE TRIGGER bad_transition AFTER UPDATE ON tags REFERENCING NEW TABLE AS n FOR EACH ROW EXECUTE FUNCTION bad_trigger();
`); err != nil {
		t.Fatal(err)
	}
	reference, _ := citusLists(t)
	got := strings.Join(distributionProblems(t, db, reference), "\n")
	for _, want := range []string{
		"bad_keys: unique key bad_keys_pkey does not include organization_id",
		"bad_keys: unique key bad_keys_email_key does not include organization_id",
		"bad_keys: unique key bad_keys_lower does not include organization_id",
		"bad_refs: foreign key bad_refs_customer_id_fkey to bad_keys does not match organization_id",
		"bad_refs: foreign key bad_refs_key_id_fkey between a listed table and plain",
		"customers: trigger bad_statement is statement-level",
		"tags: trigger bad_transition has transition tables",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no problem %q in:\n%s", want, got)
		}
	}
}

// TestCitusMigrationCoversEveryTenantTable: migration 00016 lists every
// table with an organization_id column once, as a reference table or a
// distributed one (and organizations as a reference table), customers
// first, and each distributed table after those its foreign keys refer to.
func TestCitusMigrationCoversEveryTenantTable(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	reference, distributed := citusLists(t)
	listed := append(slices.Clone(reference), distributed...)
	want := append(tenantTables(t, db), "organizations")
	slices.Sort(want)
	got := slices.Sorted(slices.Values(listed))
	if !slices.Equal(got, want) {
		t.Errorf("migration 00016 lists %v; the tenant tables (and organizations) are %v", got, want)
	}
	if len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("a table is listed twice: %v", listed)
	}
	if !slices.Contains(reference, "organizations") || !slices.Contains(reference, "api_keys") {
		t.Errorf("reference tables %v, want organizations and api_keys among them", reference)
	}
	if len(distributed) == 0 || distributed[0] != "customers" {
		t.Errorf("distributed tables %v, want customers first (the others are co-located with it)", distributed)
	}
	var fks []struct {
		From string `db:"from_table"`
		To   string `db:"to_table"`
	}
	if err := db.Select(&fks, `SELECT conrelid::regclass::text AS from_table, confrelid::regclass::text AS to_table
FROM pg_constraint WHERE contype = 'f' AND conrelid <> confrelid`); err != nil {
		t.Fatal(err)
	}
	for _, fk := range fks {
		from, to := slices.Index(distributed, fk.From), slices.Index(distributed, fk.To)
		if from >= 0 && to > from {
			t.Errorf("%s is distributed before %s, which its foreign key refers to", fk.From, fk.To)
		}
	}
}

// TestCitusMigrationDoesNothingWithoutCitus: on plain PostgreSQL the
// migration applied and left the tables plain and the database's settings
// alone; Distribute refuses to run.
func TestCitusMigrationDoesNothingWithoutCitus(t *testing.T) {
	t.Parallel()
	db, url := pgtest.NewDBURL(t)
	var applied bool
	if err := db.Get(&applied, `SELECT EXISTS (SELECT 1 FROM goose_db_version WHERE version_id = 16 AND is_applied)`); err != nil || !applied {
		t.Fatalf("migration 00016 applied: %v (%v)", applied, err)
	}
	var settings int
	if err := db.Get(&settings, `SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database()`); err != nil || settings != 0 {
		t.Errorf("%d settings of this database (%v), want none", settings, err)
	}
	raw, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if err := migrations.Distribute(context.Background(), raw.DB); !errors.Is(err, migrations.ErrNoCitus) {
		t.Errorf("Distribute without citus: %v, want ErrNoCitus", err)
	}
}

// citusStubs stand in for the citus extension, in a schema of their own:
// pg_dist_partition and the three functions the block calls, which check
// what Citus would check of the table or function at that moment (its
// foreign keys lead only to tables already distributed or reference
// tables, the table it is co-located with is distributed, sequential mode,
// unsafe triggers on when the table has triggers) and record the call.
const citusStubs = `
CREATE SCHEMA citus_stub;
CREATE TABLE citus_stub.pg_dist_partition (logicalrelid regclass PRIMARY KEY, kind text NOT NULL, colocated_with text);
CREATE TABLE citus_stub.calls (n serial PRIMARY KEY, call text NOT NULL);
CREATE TABLE citus_stub.functions (f regprocedure PRIMARY KEY);

CREATE FUNCTION citus_stub.check_table(t regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    other text;
BEGIN
    IF current_setting('citus.multi_shard_modify_mode', true) IS DISTINCT FROM 'sequential' THEN
        RAISE EXCEPTION 'stub: % distributed in parallel mode', t;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = t AND NOT tgisinternal)
       AND current_setting('citus.enable_unsafe_triggers', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION 'stub: % has triggers and citus.enable_unsafe_triggers is off', t;
    END IF;
    SELECT string_agg(conname, ', ') INTO other FROM pg_constraint c
    WHERE c.contype = 'f' AND c.conrelid <> c.confrelid AND (c.conrelid = t OR c.confrelid = t)
      AND NOT EXISTS (SELECT 1 FROM citus_stub.pg_dist_partition p
                      WHERE p.logicalrelid = CASE WHEN c.conrelid = t THEN c.confrelid ELSE c.conrelid END);
    IF other IS NOT NULL THEN
        RAISE EXCEPTION 'stub: % has foreign keys with tables not distributed: %', t, other;
    END IF;
END $$;

CREATE FUNCTION citus_stub.create_reference_table(table_name regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM citus_stub.check_table(table_name);
    INSERT INTO citus_stub.pg_dist_partition VALUES (table_name, 'reference', NULL);
    INSERT INTO citus_stub.calls (call) VALUES ('reference ' || table_name::text);
END $$;

CREATE FUNCTION citus_stub.create_distributed_table(table_name regclass, distribution_column text,
    distribution_type text DEFAULT 'hash', colocate_with text DEFAULT 'default', shard_count int DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM citus_stub.check_table(table_name);
    IF colocate_with NOT IN ('none', 'default')
       AND NOT EXISTS (SELECT 1 FROM citus_stub.pg_dist_partition WHERE logicalrelid = colocate_with::regclass AND kind = 'hash') THEN
        RAISE EXCEPTION 'stub: % co-located with %, which is not distributed', table_name, colocate_with;
    END IF;
    INSERT INTO citus_stub.pg_dist_partition VALUES (table_name, 'hash', colocate_with);
    INSERT INTO citus_stub.calls (call) VALUES ('distribute ' || table_name::text || ' by ' || distribution_column || ' with ' || colocate_with);
END $$;

CREATE FUNCTION citus_stub.create_distributed_function(function_name regprocedure,
    distribution_arg_name text DEFAULT NULL, colocate_with text DEFAULT 'default', force_delegation bool DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO citus_stub.functions VALUES (function_name) ON CONFLICT DO NOTHING;
    INSERT INTO citus_stub.calls (call) VALUES ('function ' || function_name::text);
END $$;

-- The extension, as far as a look at pg_extension can tell.
INSERT INTO pg_extension (oid, extname, extowner, extnamespace, extrelocatable, extversion)
VALUES (4000000001, 'citus', (SELECT oid FROM pg_roles WHERE rolname = current_user), 'citus_stub'::regnamespace, false, 'stub');
`

// TestCitusBlockDistributesInOrder runs the block of migration 00016 (as
// Distribute does) against stubs of Citus's functions, on a migrated
// database: every listed table is distributed or made a reference table
// once, in an order Citus accepts; the foreign keys are as they were; the
// schema's functions (not the extensions') are propagated; a second run
// does nothing; a table left out is distributed by the next run alone.
func TestCitusBlockDistributesInOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin, url := pgtest.NewDBURL(t)
	if _, err := admin.Exec(citusStubs); err != nil {
		t.Fatal(err)
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	db, err := sqlx.Open("postgres", url+sep+"search_path=public,citus_stub")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	foreignKeys := func() []string {
		var defs []string
		if err := admin.Select(&defs, `SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
FROM pg_constraint WHERE contype = 'f' ORDER BY 1`); err != nil {
			t.Fatal(err)
		}
		return defs
	}
	calls := func() []string {
		var out []string
		if err := admin.Select(&out, `SELECT call FROM citus_stub.calls ORDER BY n`); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.Exec(`TRUNCATE citus_stub.calls`); err != nil {
			t.Fatal(err)
		}
		return out
	}
	fksBefore := foreignKeys()

	if err := migrations.Distribute(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	reference, distributed := citusLists(t)
	var want []string
	for _, name := range reference {
		want = append(want, "reference "+name)
	}
	for i, name := range distributed {
		with := "customers"
		if i == 0 {
			with = "none"
		}
		want = append(want, fmt.Sprintf("distribute %s by organization_id with %s", name, with))
	}
	got := calls()
	tables := slices.DeleteFunc(slices.Clone(got), func(c string) bool { return strings.HasPrefix(c, "function ") })
	if !slices.Equal(tables, want) {
		t.Errorf("the block made\n%s\nwant\n%s", strings.Join(tables, "\n"), strings.Join(want, "\n"))
	}
	if fks := foreignKeys(); !slices.Equal(fks, fksBefore) {
		t.Errorf("foreign keys after:\n%s\nbefore:\n%s", strings.Join(fks, "\n"), strings.Join(fksBefore, "\n"))
	}
	var functions []string
	if err := admin.Select(&functions, `SELECT f::text FROM citus_stub.functions ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"customer_representation(customers)", "render_customer()", "customer_tag_objects(uuid,text)", "customer_contact_values(jsonb,text)"} {
		if !slices.Contains(functions, f) {
			t.Errorf("function %s not propagated; propagated: %v", f, functions)
		}
	}
	for _, f := range functions {
		if strings.HasPrefix(f, "gin_") || strings.HasPrefix(f, "gtrgm") || strings.Contains(f, "similarity") {
			t.Errorf("an extension's function %s propagated", f)
		}
	}
	var setting string
	if err := admin.Get(&setting, `SELECT array_to_string(s.setconfig, ',') FROM pg_db_role_setting s
JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database() AND s.setrole = 0`); err != nil || setting != "citus.enable_unsafe_triggers=on" {
		t.Errorf("database settings %q (%v), want citus.enable_unsafe_triggers=on", setting, err)
	}

	if err := migrations.Distribute(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	if got := calls(); len(got) != 0 {
		t.Errorf("a second run made %v, want nothing", got)
	}

	// A table not distributed yet (as one a later migration adds): the
	// next run distributes it alone and puts its foreign keys back.
	if _, err := admin.Exec(`DELETE FROM citus_stub.pg_dist_partition WHERE logicalrelid = 'customer_field_values'::regclass`); err != nil {
		t.Fatal(err)
	}
	if err := migrations.Distribute(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	got = slices.DeleteFunc(calls(), func(c string) bool { return strings.HasPrefix(c, "function ") })
	if want := []string{"distribute customer_field_values by organization_id with customers"}; !slices.Equal(got, want) {
		t.Errorf("the run after a table was left out made %v, want %v", got, want)
	}
	if fks := foreignKeys(); !slices.Equal(fks, fksBefore) {
		t.Errorf("foreign keys after:\n%s\nbefore:\n%s", strings.Join(fks, "\n"), strings.Join(fksBefore, "\n"))
	}
}
