package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"maps"
	pathpkg "path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/pgtest"
	"github.com/jmoiron/sqlx"
)

// tenancyAllowance is a statement that cannot be held to one organization:
// the tenant tables it may read or write unheld, and why.
type tenancyAllowance struct {
	tables []string
	why    string
}

// tenancyAllowed are the statements that cannot name one organization,
// by the Go identifier of their constant, or Func#n for the n-th SQL
// literal of a function (as the scan numbers them). Each says why; the
// list stays as short as honest reasons allow, and an entry that is no
// longer needed fails the test.
var tenancyAllowed = map[string]tenancyAllowance{
	// The API key is how a request's organization is found, so its lookup
	// comes before any organization is known (api_keys_secret_hash_key,
	// unique, makes it one index probe). The UPDATE that notes the key's
	// use is held to the row the lookup found, through the CTE k, which
	// the checker cannot count as held because k itself is not.
	"sqlKeyBySecretHash": {[]string{"api_keys"}, "the API-key lookup by secret hash finds the organization"},
	// The operator's `customers-api keys revoke KEY_ID` knows the key's id
	// (a random UUID) and nothing else; no request reaches it.
	"sqlRevokeKey": {[]string{"api_keys"}, "operator command: revokes a key by its UUID alone"},
	// The janitor (internal/app) deletes expired idempotency answers of
	// every organization, a batch at a time.
	"sqlDeleteExpiredIdempotencyKeys": {[]string{"idempotency_keys"}, "upkeep across organizations"},
	// The delivery worker's poll: which organizations have deliveries
	// due. It returns organization ids only; the claim (sqlClaim) and the
	// attempts that follow are each held to one of them.
	"sqlDueOrganizations": {[]string{"webhook_queue", "webhooks"}, "finds the organizations with due deliveries"},
	// The worker's prune loop lists the organizations with webhooks or
	// queued deliveries; Prune then runs per organization.
	"Store.Organizations#1": {[]string{"webhooks", "webhook_queue"}, "finds the organizations to prune"},
	// `customers-api recount --all` lists every organization, then
	// recounts each in a statement held to it (sqlRecount).
	"Store.OrganizationIDs#1": {[]string{"organizations"}, "operator command: lists the organizations to recount"},
	// The /metrics backlog gauge: a count and a time over every
	// organization's pending deliveries, no row leaves the database.
	"Store.Backlog#1": {[]string{"webhook_queue"}, "metrics across organizations"},
	// Seed's settle: VACUUM (ANALYZE) of the two tables a load fills,
	// maintenance of whole tables that returns no rows.
	"Store.settle#3": {[]string{"customers", "lead_sources"}, "VACUUM after a bulk load"},
}

// tenancyBuilders are the functions that put SQL together at run time
// (or hand pieces of it to one that does), each with the builders below
// whose statements must contain every SQL piece of the function: the
// statements those builders produce are what this test checks for it.
var tenancyBuilders = map[string][]string{
	"compileList":          {"compileList"},
	"typedFields":          {"compileList"},
	"listPage":             {"Store.ListTags", "tokenCollection", "timelineCollection", "webhookCollection", "deliveryCollection"},
	"listOfCustomer":       {"tokenCollection", "timelineCollection"},
	"recordSQL":            {"sqlRecord", "sqlRecordView"},
	"queueFrom":            {"sqlRecord", "sqlRecordView", "sqlRetryDelivery", "sqlRecordAttempts"},
	"Store.ListTags":       {"Store.ListTags"},
	"Store.ListTimeline":   {"timelineCollection"},
	"Store.ListWebhooks":   {"webhookCollection"},
	"Store.ListDeliveries": {"deliveryCollection"},
}

// tenancyDynamic are the functions that put SQL together from text no
// test can give them (it comes from the catalog), each with why it
// needs no organization.
var tenancyDynamic = map[string]string{
	"dropSecondaryIndexes": "DROP INDEX of a name read from pg_index by sqlSecondaryIndexes: DDL, no rows",
}

// TestTenantStatementsFilterByOrganization reads every SQL statement this
// package sends and fails when one reads or writes a tenant table (any
// table with an organization_id column, as migrated) without holding it
// to one organization; see tenancy_check_test.go for the rule. The
// statements are:
//
//   - the string constants of the package, with their values as the
//     compiler computes them (go/types);
//   - the package-level variables built at init (sqlRecord, ...), read by
//     name here: builtStatements must evaluate every variable whose
//     initializer holds SQL or uses what does, no more;
//   - the SQL literals inside functions: checked whole when they are a
//     statement, else each must be found inside a statement of the
//     builders tenancyBuilders names for its function;
//   - the statements the builders compile: compileList over a spread of
//     filters, sorts, q and typed custom fields, and the collection
//     queries of listPage, run against a driver that records them.
//
// Every function that joins SQL with run-time text must be in
// tenancyBuilders (or tenancyDynamic), and every call that runs a
// package-level constant or variable must run one the scan found, so a
// new statement cannot go unseen. Statements that cannot name an
// organization are in tenancyAllowed.
func TestTenantStatementsFilterByOrganization(t *testing.T) {
	t.Parallel()
	tn := tenantTables(t)
	scan := scanSQLSites(t, tn)

	statements := map[string][]string{} // by key: a constant, a variable, Func#n or a builder
	var fragments []sqlSite
	counts := map[string]int{}
	classify := func(s sqlSite, text string, whole bool, kind string) {
		if whole && sqlStatementStart.MatchString(text) {
			_, err := tn.check(text)
			if err == nil {
				if !slices.Contains(statements[s.key], text) {
					statements[s.key] = append(statements[s.key], text)
					counts[kind]++
				}
				return
			}
			s.err = err // a piece of a statement, not one: found below inside one
		}
		s.text = text
		fragments = append(fragments, s)
	}
	vars, builders := builtStatements(t)
	for _, s := range scan.sites {
		switch {
		case s.isVar:
			texts, ok := vars[s.key]
			if !ok {
				t.Errorf("%s: variable %s holds SQL that this test does not evaluate: add it to builtStatements", s.pos, s.key)
			}
			for _, text := range texts {
				classify(s, text, true, "variables")
			}
		case s.inFunc:
			classify(s, s.text, !s.partial, "inline literals")
		default:
			classify(s, s.text, true, "constants")
		}
	}
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		if !slices.ContainsFunc(scan.sites, func(s sqlSite) bool { return s.isVar && s.key == name }) {
			t.Errorf("builtStatements evaluates %s, which the scan does not find holding SQL: remove it", name)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(builders)) {
		for _, text := range builders[key] {
			if !slices.Contains(statements[key], text) {
				statements[key] = append(statements[key], text)
				counts["builders"]++
			}
		}
	}
	for _, c := range scan.calls {
		if !slices.ContainsFunc(scan.sites, func(s sqlSite) bool { return s.key == c.arg }) {
			t.Errorf("%s: %s runs %s, which the scan did not recognise as SQL", c.pos, c.fn, c.arg)
		}
	}

	// What a function puts together at run time must be found in the
	// statements of the builders that run it; a constant's or variable's
	// fragment in any statement checked here.
	var all []string
	for _, texts := range statements {
		all = append(all, texts...)
	}
	needs := map[string]token.Position{} // functions that build SQL, or hold fragments of it
	for fn, pos := range scan.composers {
		needs[fn] = pos
	}
	for _, f := range fragments {
		if f.inFunc {
			fn, _, _ := strings.Cut(f.key, "#")
			needs[fn] = f.pos
		}
	}
	for _, fn := range slices.Sorted(maps.Keys(needs)) {
		pos := needs[fn]
		_, built := tenancyBuilders[fn]
		_, dynamic := tenancyDynamic[fn]
		if !built && !dynamic {
			t.Errorf("%s: %s builds SQL at run time: add it to tenancyBuilders with the builders of this test that run it", pos, fn)
		}
	}
	for _, fn := range slices.Sorted(maps.Keys(tenancyBuilders)) {
		if _, ok := needs[fn]; !ok {
			t.Errorf("tenancyBuilders lists %s, which builds no SQL: remove it", fn)
		}
		for _, key := range tenancyBuilders[fn] {
			if len(statements[key]) == 0 {
				t.Errorf("tenancyBuilders: %s is built by %s, which produced no statement", fn, key)
			}
		}
	}
	for _, fn := range slices.Sorted(maps.Keys(tenancyDynamic)) {
		if _, ok := needs[fn]; !ok {
			t.Errorf("tenancyDynamic lists %s, which builds no SQL: remove it", fn)
		}
	}
	for _, f := range fragments {
		within, fn := all, ""
		if f.inFunc {
			fn, _, _ = strings.Cut(f.key, "#")
			if _, ok := tenancyDynamic[fn]; ok {
				continue
			}
			within = nil
			for _, key := range tenancyBuilders[fn] {
				within = append(within, statements[key]...)
			}
		}
		for _, piece := range fmtVerb.Split(f.text, -1) {
			piece = strings.TrimSpace(piece)
			if piece == "" || slices.ContainsFunc(within, func(s string) bool { return strings.Contains(s, piece) }) {
				continue
			}
			hint := ""
			if f.err != nil {
				hint = fmt.Sprintf(" (read alone: %v)", f.err)
			}
			t.Errorf("%s: SQL %s is in no statement this test checks%s: run the builder that sends it (tenancyBuilders[%q])\n%q", f.pos, f.key, hint, fn, piece)
		}
	}

	allowedUsed := map[string]bool{}
	n := 0
	for _, key := range slices.Sorted(maps.Keys(statements)) {
		for _, text := range statements[key] {
			n++
			problems, err := tn.check(text)
			if err != nil {
				t.Errorf("%s: cannot read the statement: %v\n%s", key, err, text)
				continue
			}
			allow, allowed := tenancyAllowed[key]
			var unexplained []string
			for _, p := range problems {
				if allowed && slices.Contains(allow.tables, p.table) {
					allowedUsed[key] = true
					continue
				}
				unexplained = append(unexplained, p.msg)
			}
			if len(unexplained) > 0 {
				t.Errorf("%s does not hold every tenant table to one organization:\n\t%s\n%s", key, strings.Join(unexplained, "\n\t"), text)
			}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(tenancyAllowed)) {
		if !allowedUsed[key] {
			t.Errorf("tenancyAllowed lists %s (%s), which now holds every table or no longer exists: remove it", key, tenancyAllowed[key].why)
		}
	}
	var tables []string
	for _, name := range slices.Sorted(maps.Keys(tn)) {
		tables = append(tables, name+"."+tn[name])
	}
	t.Logf("%d SQL sites in the source; checked %d statements (%d from constants, %d from variables, %d inline, %d from builders) "+
		"and found %d fragments inside them; of %d calls that run SQL, %d pass a package-level constant or variable; "+
		"%d functions build SQL; %d statements allowed without the predicate; tenant tables %v",
		len(scan.sites), n, counts["constants"], counts["variables"], counts["inline literals"], counts["builders"],
		len(fragments), scan.sqlCalls, len(scan.calls), len(needs), len(allowedUsed), tables)
}

// tenantTables reads the tenancy from a migrated database: every table
// (or view) with an organization_id column, and each table such a column
// refers to, keyed by the column referred to (organizations.id).
func tenantTables(t *testing.T) sqlTenancy {
	t.Helper()
	ctx := context.Background()
	db := pgtest.NewDB(t)
	tn := sqlTenancy{}
	var tables []string
	if err := db.SelectContext(ctx, &tables, `SELECT DISTINCT table_name::text FROM information_schema.columns
WHERE table_schema = current_schema() AND column_name = 'organization_id'`); err != nil {
		t.Fatal(err)
	}
	for _, name := range tables {
		tn[name] = "organization_id"
	}
	var roots []struct{ Table, Column string }
	if err := db.SelectContext(ctx, &roots, `
SELECT DISTINCT rt.relname::text AS table, ra.attname::text AS column
FROM pg_constraint k
JOIN pg_class rt ON rt.oid = k.confrelid
JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
JOIN pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = k.confkey[1]
WHERE k.contype = 'f' AND cardinality(k.conkey) = 1 AND a.attname = 'organization_id'
  AND rt.relnamespace = current_schema()::regnamespace`); err != nil {
		t.Fatal(err)
	}
	for _, r := range roots {
		if _, ok := tn[r.Table]; !ok {
			tn[r.Table] = r.Column
		}
	}
	if len(tables) < 10 || tn["organizations"] != "id" {
		t.Fatalf("unexpected tenancy %v: is the schema migrated?", tn)
	}
	return tn
}

var (
	// sqlWords mark a string as SQL: keywords as this package writes
	// them (upper case), or a $n parameter.
	sqlWords = regexp.MustCompile(`\b(SELECT|INSERT|UPDATE|DELETE|MERGE|COPY|VACUUM|ANALYZE|TRUNCATE|FROM|JOIN|WHERE|WITH|VALUES|RETURNING|CONFLICT|SET|SAVEPOINT|RELEASE|ROLLBACK|CREATE|DROP|ALTER|LOCK|EXISTS|ORDER BY|GROUP BY|LIMIT|OFFSET|AND|OR|NOT|CASE|WHEN|LIKE|ANY)\b|\$\d`)
	// sqlLower marks a statement written in lower case.
	sqlLower = regexp.MustCompile(`(?is)^\s*(select\b.*\bfrom\b|insert\s+into\b|update\s+\w+(\s+\w+)?\s+set\b|delete\s+from\b|with\s+\w+\s+as\s*\()`)
	// sqlFromItem is a table and its alias ("tags t"), as the collections
	// name their FROM.
	sqlFromItem = regexp.MustCompile(`^\s*(\w+)\s+[a-z_]\w*\s*$`)
	// sqlStatementStart is how a whole statement begins.
	sqlStatementStart = regexp.MustCompile(`(?i)^\s*(select|insert|update|delete|with|values|merge|copy|vacuum|analyze|truncate|lock|set|reset|savepoint|release|rollback|commit|begin|drop|create|alter|table|explain|show)\b`)
	// fmtVerb splits a format string into its literal pieces.
	fmtVerb = regexp.MustCompile(`%[sdvq]`)
)

func looksLikeSQL(s string, tn sqlTenancy) bool {
	if sqlWords.MatchString(s) || sqlLower.MatchString(s) {
		return true
	}
	if m := sqlFromItem.FindStringSubmatch(s); m != nil {
		_, tenant := tn[strings.ToLower(m[1])]
		return tenant
	}
	return false
}

// sqlSite is SQL text in the package's source.
type sqlSite struct {
	key     string // the constant's or variable's name, or Func#n
	pos     token.Position
	text    string // a constant's value
	isVar   bool   // a package-level variable: its value is read by name
	inFunc  bool   // a literal inside a function
	partial bool   // joined with text known only at run time, or a format
	err     error  // why it does not read as a statement by itself
}

type sqlCall struct {
	pos token.Position
	fn  string // the call: "q.queryRow"
	arg string // the constant or variable passed as the SQL
}

type sqlScan struct {
	sites     []sqlSite
	calls     []sqlCall                 // calls that run a package-level constant or variable
	sqlCalls  int                       // every call of a method that runs SQL
	composers map[string]token.Position // functions that join SQL with run-time text
}

// sqlRunners are the methods that run SQL, and the index of the SQL among
// their arguments.
var sqlRunners = map[string]int{
	"query": 1, "queryUnprepared": 1, "queryRow": 1, "exec": 1,
	"QueryContext": 1, "QueryRowContext": 1, "ExecContext": 1, "PrepareContext": 1,
	"Query": 0, "QueryRow": 0, "Exec": 0, "Prepare": 0,
}

// scanSQLSites finds the SQL in the package's non-test files: string
// constants, package-level variables whose initializer holds SQL, and
// the SQL literals of functions. go/types computes the constants' values
// (its importer is a stub: only this package's own constants matter).
func scanSQLSites(t *testing.T, tn sqlTenancy) sqlScan {
	t.Helper()
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: stubImporter{}, Error: func(error) {}}
	pkg, _ := conf.Check("github.com/billing/customers-api/internal/postgres", fset, files, info)
	if pkg == nil || len(files) == 0 {
		t.Fatal("no package to scan")
	}
	var out sqlScan
	type pendingVar struct {
		name *ast.Ident
		init ast.Expr
	}
	var vars []pendingVar // package-level variables not found holding SQL literals
	for _, f := range files {
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					vs, ok := spec.(*ast.ValueSpec)
					if !ok {
						continue
					}
					for i, name := range vs.Names {
						pos := fset.Position(name.Pos())
						switch d.Tok {
						case token.CONST:
							c, ok := info.Defs[name].(*types.Const)
							if ok && c.Val().Kind() == constant.String && looksLikeSQL(constant.StringVal(c.Val()), tn) {
								out.sites = append(out.sites, sqlSite{key: name.Name, pos: pos, text: constant.StringVal(c.Val())})
							}
						case token.VAR:
							if len(vs.Values) != len(vs.Names) {
								continue
							}
							found := false
							constPieces(info, vs.Values[i], func(_ ast.Expr, s string, _ bool) { found = found || looksLikeSQL(s, tn) })
							if found {
								out.sites = append(out.sites, sqlSite{key: name.Name, pos: pos, isVar: true})
							} else {
								vars = append(vars, pendingVar{name, vs.Values[i]})
							}
						}
					}
				}
			case *ast.FuncDecl:
				if d.Body == nil {
					continue
				}
				key, n := funcKey(d), 0
				constPieces(info, d.Body, func(e ast.Expr, s string, partial bool) {
					if !looksLikeSQL(s, tn) {
						return
					}
					n++
					out.sites = append(out.sites, sqlSite{key: fmt.Sprintf("%s#%d", key, n), pos: fset.Position(e.Pos()), text: s,
						inFunc: true, partial: partial || fmtVerb.MatchString(s)})
				})
			}
		}
	}
	// A variable built by this package's SQL (sqlRecord = recordSQL(...)):
	// one that uses a constant, variable or function holding SQL holds SQL.
	sqlNames := map[string]bool{}
	for _, site := range out.sites {
		name, _, _ := strings.Cut(site.key, "#")
		sqlNames[name] = true
	}
	for changed := true; changed; {
		changed = false
		for _, v := range vars {
			if sqlNames[v.name.Name] {
				continue
			}
			uses := false
			ast.Inspect(v.init, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok {
					if obj := info.Uses[id]; obj != nil && obj.Parent() == pkg.Scope() && sqlNames[obj.Name()] {
						uses = true
					}
				}
				return !uses
			})
			if uses {
				out.sites = append(out.sites, sqlSite{key: v.name.Name, pos: fset.Position(v.name.Pos()), isVar: true})
				sqlNames[v.name.Name], changed = true, true
			}
		}
	}
	out.composers = map[string]token.Position{}
	for _, f := range files {
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.GenDecl:
				scanCode(fset, info, pkg, d, "", sqlNames, tn, &out)
			case *ast.FuncDecl:
				if d.Body != nil {
					scanCode(fset, info, pkg, d.Body, funcKey(d), sqlNames, tn, &out)
				}
			}
		}
	}
	return out
}

// scanCode notes, under root (the body of function fn, or a declaration
// when fn is ""), the calls that run SQL and of those the ones that pass
// a package-level constant or variable; and whether fn joins SQL with
// text known only at run time: a + or += with SQL on one side, a
// fmt.Sprintf or Fprintf of SQL, or a call that runs SQL it builds in its
// argument list.
func scanCode(fset *token.FileSet, info *types.Info, pkg *types.Package, root ast.Node, fn string, sqlNames map[string]bool, tn sqlTenancy, out *sqlScan) {
	isSQL := func(e ast.Expr) bool {
		if tv, ok := info.Types[e]; ok && tv.Value != nil && tv.Value.Kind() == constant.String {
			return looksLikeSQL(constant.StringVal(tv.Value), tn) || isNamedSQL(info, pkg, e, sqlNames)
		}
		return isNamedSQL(info, pkg, e, sqlNames)
	}
	composes := func(n ast.Node) {
		if _, ok := out.composers[fn]; !ok && fn != "" {
			out.composers[fn] = fset.Position(n.Pos())
		}
	}
	ast.Inspect(root, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.BinaryExpr:
			if x.Op == token.ADD && info.Types[x].Value == nil && (isSQL(x.X) || isSQL(x.Y)) {
				composes(x)
			}
		case *ast.AssignStmt:
			if x.Tok == token.ADD_ASSIGN && len(x.Rhs) == 1 && isSQL(x.Rhs[0]) {
				composes(x)
			}
		case *ast.CallExpr:
			sel, ok := x.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if pkgName, ok := sel.X.(*ast.Ident); ok && pkgName.Name == "fmt" && strings.Contains(sel.Sel.Name, "printf") {
				if slices.ContainsFunc(x.Args, isSQL) {
					composes(x)
				}
				return true
			}
			at, ok := sqlRunners[sel.Sel.Name]
			if !ok || at >= len(x.Args) || (x.Ellipsis.IsValid() && at == len(x.Args)-1) {
				return true // not SQL: a prepared statement's arguments
			}
			out.sqlCalls++
			arg := x.Args[at]
			for {
				ix, ok := arg.(*ast.IndexExpr)
				if !ok {
					break
				}
				arg = ix.X
			}
			id, ok := arg.(*ast.Ident)
			if !ok {
				switch arg.(type) {
				case *ast.BinaryExpr, *ast.CallExpr:
					if info.Types[x.Args[at]].Value == nil {
						composes(x) // built in the call
					}
				}
				return true // a field, like listSQL.Page: scanned where it is written
			}
			obj := info.Uses[id]
			if obj == nil || obj.Parent() != pkg.Scope() {
				return true // a local or a parameter: what reaches it is scanned where it is written
			}
			recv := ""
			if r, ok := sel.X.(*ast.Ident); ok {
				recv = r.Name + "."
			}
			out.calls = append(out.calls, sqlCall{pos: fset.Position(x.Pos()), fn: strings.TrimPrefix(fn+" ", " ") + recv + sel.Sel.Name, arg: id.Name})
		}
		return true
	})
}

// isNamedSQL reports whether e names (or indexes) a package-level
// constant or variable found holding SQL.
func isNamedSQL(info *types.Info, pkg *types.Package, e ast.Expr, sqlNames map[string]bool) bool {
	for {
		ix, ok := e.(*ast.IndexExpr)
		if !ok {
			break
		}
		e = ix.X
	}
	id, ok := e.(*ast.Ident)
	if !ok {
		return false
	}
	obj := info.Uses[id]
	return obj != nil && obj.Parent() == pkg.Scope() && sqlNames[obj.Name()]
}

// constPieces calls visit with each maximal constant string expression
// under root that is not merely a named constant (those are scanned where
// they are declared), and whether it is joined with run-time text.
func constPieces(info *types.Info, root ast.Node, visit func(e ast.Expr, s string, partial bool)) {
	var stack []ast.Node
	ast.Inspect(root, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		if e, ok := n.(ast.Expr); ok {
			_, ident := e.(*ast.Ident)
			_, selector := e.(*ast.SelectorExpr)
			if tv, ok := info.Types[e]; ok && !ident && !selector && tv.Value != nil && tv.Value.Kind() == constant.String {
				partial := false
				if len(stack) > 0 {
					switch p := stack[len(stack)-1].(type) {
					case *ast.BinaryExpr:
						partial = p.Op == token.ADD
					case *ast.AssignStmt:
						partial = p.Tok == token.ADD_ASSIGN
					}
				}
				visit(e, constant.StringVal(tv.Value), partial)
				return false
			}
		}
		stack = append(stack, n)
		return true
	})
}

// funcKey names a function as the allow-list does: Store.settle, listPage.
func funcKey(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return d.Name.Name
	}
	typ := d.Recv.List[0].Type
	for {
		switch x := typ.(type) {
		case *ast.StarExpr:
			typ = x.X
			continue
		case *ast.IndexExpr:
			typ = x.X
			continue
		case *ast.IndexListExpr:
			typ = x.X
			continue
		case *ast.Ident:
			return x.Name + "." + d.Name.Name
		}
		return d.Name.Name
	}
}

// stubImporter gives every import as an empty package: type-checking this
// package alone still computes its own constants.
type stubImporter struct{}

func (stubImporter) Import(path string) (*types.Package, error) {
	p := types.NewPackage(path, pathpkg.Base(path))
	p.MarkComplete()
	return p, nil
}

// builtStatements returns the values of the package-level variables that
// hold SQL (builtVars), and the statements the builders compile, by
// builder.
func builtStatements(t *testing.T) (vars, builders map[string][]string) {
	t.Helper()
	const org, customer, webhook = "00000000-0000-0000-0000-000000000001", "cus-1", "00000000-0000-0000-0000-000000000002"
	rec := &sqlRecorder{}
	db := sqlx.NewDb(sql.OpenDB(rec), "postgres")
	t.Cleanup(func() { _ = db.Close() })
	s := New(db)
	ctx := context.Background()
	// capture runs a builder for each query and returns what it sent; a
	// page of limit 0 sends the count too.
	capture := func(name string, run func(customers.ListQuery) error, lqs ...customers.ListQuery) []string {
		var out []string
		for _, lq := range lqs {
			err := run(lq)
			texts := rec.take()
			if len(texts) == 0 || (lq.Limit == 0 && len(texts) < 2) {
				t.Errorf("%s %+v sent %d statements (%v)", name, lq, len(texts), err)
			}
			out = append(out, texts...)
		}
		return out
	}
	limit0 := customers.ListQuery{Limit: 0, Offset: 10}
	tokens := capture("ListTokens", func(lq customers.ListQuery) error {
		_, _, _, err := s.ListTokens(ctx, org, customer, lq)
		return err
	}, customers.ListQuery{Filter: "expiredTime:2024-01-01..;createdTime:..2025-01-01", Sort: []string{"expiredTime"}, Limit: 10}, limit0)
	timeline := capture("ListTimeline", func(lq customers.ListQuery) error {
		_, _, _, err := s.ListTimeline(ctx, org, customer, lq)
		return err
	}, customers.ListQuery{Filter: "type:customer-created,customer-updated;occurredTime:2024-01-01..2024-02-01", Q: "name", Sort: []string{"occurredTime"}, Limit: 10}, limit0)
	webhooks := capture("ListWebhooks", func(lq customers.ListQuery) error {
		_, _, err := s.ListWebhooks(ctx, org, lq)
		return err
	}, customers.ListQuery{Filter: "status:active;url:*example.com*", Q: "hook", Sort: []string{"url"}, Limit: 10}, limit0)
	deliveries := capture("ListDeliveries", func(lq customers.ListQuery) error {
		_, _, err := s.ListDeliveries(ctx, org, webhook, lq)
		return err
	}, customers.ListQuery{Filter: "status:pending,failed;eventType:customer-created;createdTime:..2024-01-01", Q: "cus", Limit: 10}, limit0)
	tags := capture("ListTags", func(lq customers.ListQuery) error {
		_, _, err := s.ListTags(ctx, org, lq)
		return err
	}, customers.ListQuery{Filter: "name:vip,gold;createdTime:2024-01-01..", Q: "vi", Sort: []string{"-name"}, Limit: 10}, limit0)

	vars = map[string][]string{
		"sqlGetCustomer":            {sqlGetCustomer},
		"viewColumnsWithLeadSource": {viewColumnsWithLeadSource},
		"sqlGetView":                {sqlGetView},
		"sqlGetViewWithLeadSource":  {sqlGetViewWithLeadSource},
		"sqlGetLeadSourceView":      {sqlGetLeadSourceView},
		"sqlLockCustomer":           {sqlLockCustomer},
		"sqlInsertCustomer":         {sqlInsertCustomer},
		"sqlUpdateCustomer":         {sqlUpdateCustomer},
		"recordEvents":              {recordEvents},
		"sqlRecord":                 sqlRecord[:],
		"viewTail":                  {viewTail(customers.ViewOptions{}, "$14"), viewTail(customers.ViewOptions{LeadSource: true}, "$19")},
		"sqlRecordView":             {sqlRecordView[0][0], sqlRecordView[0][1], sqlRecordView[1][0], sqlRecordView[1][1]},
		"sqlCopyCustomers":          {sqlCopyCustomers},
		"tokenCollection":           tokens,
		"timelineCollection":        timeline,
		"webhookCollection":         webhooks,
		"deliveryCollection":        deliveries,
		"sqlRetryDelivery":          {sqlRetryDelivery},
		"sqlRecordAttempts":         {sqlRecordAttempts},
	}
	builders = map[string][]string{"Store.ListTags": tags, "compileList": compiledLists(t, org)}
	return vars, builders
}

// compiledLists compiles customer collection queries that reach every
// branch of compileList and of the typed custom fields.
func compiledLists(t *testing.T, org string) []string {
	t.Helper()
	typed := typedFields(customers.FieldDefinitions{
		"points": {Name: "points", Type: customers.FieldInteger},
		"seen":   {Name: "seen", Type: customers.FieldDatetime},
		"vip":    {Name: "vip", Type: customers.FieldBoolean},
	})
	queries := []customers.ListQuery{
		{Limit: 20},
		{Limit: 0, Offset: 40},
		{Q: "smith", Limit: 20},
		{Filter: "email:ada@example.com", Sort: []string{"-email"}, Limit: 20},
		{Filter: "email:a@example.com,b@example.com;tags:vip", Limit: 20, Offset: 20},
		{Filter: "createdTime:2024-01-01..;leadSource.source:google", Sort: []string{"leadSource.source"}, Q: "ada", Limit: 20},
		{Filter: "customFields.points:100..120;customFields.seen:2024-01-02", Sort: []string{"customFields.points", "-customFields.seen"}, Limit: 20},
		{Filter: "customFields.points:null;customFields.vip:true;customFields.plain:x*", Sort: []string{"-customFields.plain"}, Limit: 20},
		{Filter: "primaryAddress.emails:ada@example.com;taxNumbers.value:de4242;notificationEmails:n@example.com", Limit: 20},
		{Filter: "email:!x@example.com,!y@example.com;firstName:null;primaryAddress.country:GB", Limit: 20},
	}
	var out []string
	for _, q := range queries {
		for _, ls := range []bool{false, true} {
			l, err := compileList(org, q, customers.ViewOptions{LeadSource: ls}, typed)
			if err != nil {
				t.Errorf("compileList %+v: %v", q, err)
				continue
			}
			for _, text := range []string{l.Page, l.Count} {
				if !slices.Contains(out, text) {
					out = append(out, text)
				}
			}
		}
	}
	return out
}

// sqlRecorder is a database/sql connector that keeps the text of every
// statement and answers each with no rows: the store's builders run
// against it to show what they send.
type sqlRecorder struct {
	mu    sync.Mutex
	texts []string
}

func (r *sqlRecorder) record(q string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.texts = append(r.texts, q)
}

// take returns the statements recorded since the last take.
func (r *sqlRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.texts
	r.texts = nil
	return out
}

func (r *sqlRecorder) Connect(context.Context) (driver.Conn, error) { return recorderConn{r}, nil }
func (r *sqlRecorder) Driver() driver.Driver                        { return recorderDriver{r} }

type recorderDriver struct{ r *sqlRecorder }

func (d recorderDriver) Open(string) (driver.Conn, error) { return recorderConn(d), nil }

type recorderConn struct{ r *sqlRecorder }

func (c recorderConn) Prepare(q string) (driver.Stmt, error) {
	c.r.record(q)
	return recorderStmt{}, nil
}
func (c recorderConn) Close() error                             { return nil }
func (c recorderConn) Begin() (driver.Tx, error)                { return recorderTx{}, nil }
func (c recorderConn) CheckNamedValue(*driver.NamedValue) error { return nil }
func (c recorderConn) QueryContext(_ context.Context, q string, _ []driver.NamedValue) (driver.Rows, error) {
	c.r.record(q)
	return noRows{}, nil
}
func (c recorderConn) ExecContext(_ context.Context, q string, _ []driver.NamedValue) (driver.Result, error) {
	c.r.record(q)
	return driver.RowsAffected(0), nil
}

type recorderStmt struct{}

func (recorderStmt) Close() error                               { return nil }
func (recorderStmt) NumInput() int                              { return -1 }
func (recorderStmt) Exec([]driver.Value) (driver.Result, error) { return driver.RowsAffected(0), nil }
func (recorderStmt) Query([]driver.Value) (driver.Rows, error)  { return noRows{}, nil }
func (recorderStmt) CheckNamedValue(*driver.NamedValue) error   { return nil }

type recorderTx struct{}

func (recorderTx) Commit() error   { return nil }
func (recorderTx) Rollback() error { return nil }

type noRows struct{}

func (noRows) Columns() []string         { return nil }
func (noRows) Close() error              { return nil }
func (noRows) Next([]driver.Value) error { return io.EOF }
