package architecture

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/billing/customers-api"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
}

// listPackages asks the go tool for every package of the module with its
// direct imports and transitive dependencies.
func listPackages(t *testing.T) map[string]pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps=false", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs[p.ImportPath] = p
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages; is the module path %s?", len(pkgs), module)
	}
	return pkgs
}

func isStandard(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func TestDependencyDirection(t *testing.T) {
	pkgs := listPackages(t)
	// Adapters and infrastructure the domain must never reach, directly or
	// not. An entry ending in "/" forbids everything below it; any other
	// entry is one package (database/sql/driver, which uuid uses, is fine).
	adapters := []string{
		module + "/internal/httpapi", module + "/internal/postgres", module + "/internal/localpg",
		module + "/cmd/", "github.com/go-chi/", "github.com/jmoiron/sqlx", "github.com/lib/pq",
		"net/http", "net/http/", "database/sql",
	}
	rules := []struct {
		pkg       string
		forbidden []string
		// forbiddenImports may not be imported directly.
		forbiddenImports []string
		stdOnly          bool
	}{
		{pkg: module + "/internal/customers", forbidden: adapters},
		{pkg: module + "/internal/access", forbidden: adapters},
		{pkg: module + "/internal/config", stdOnly: true},
		{pkg: module + "/internal/localpg", stdOnly: true},
		{pkg: module + "/pkg/filter", stdOnly: true},
		{pkg: module + "/pkg/client", stdOnly: true},
		{pkg: module + "/internal/testsync", stdOnly: true},
		// The dashboard serves embedded files and nothing else: its pages
		// reach the API over HTTP, like any client.
		{pkg: module + "/internal/dashboard", stdOnly: true},
		{pkg: module + "/internal/httpapi", forbidden: []string{module + "/internal/postgres", module + "/internal/localpg", module + "/internal/app", "github.com/jmoiron/sqlx", "github.com/lib/pq"}},
		// The store serves no HTTP: it never reaches the API or a router,
		// and imports no net/http itself (it does depend on it through
		// package webhooks, whose worker is an HTTP client).
		{pkg: module + "/internal/postgres", forbidden: []string{module + "/internal/httpapi", module + "/internal/app", "github.com/go-chi/"},
			forbiddenImports: []string{"net/http"}},
		// Webhooks: the domain of subscriptions and their delivery, which
		// sends with net/http but knows no SQL and no API routes.
		{pkg: module + "/internal/webhooks", forbidden: []string{
			module + "/internal/httpapi", module + "/internal/postgres", module + "/internal/localpg", module + "/internal/app",
			module + "/cmd/", "github.com/go-chi/", "github.com/jmoiron/sqlx", "github.com/lib/pq", "database/sql"}},
	}
	// The foreign platforms' adapters: domain services in, their own wire
	// shapes out; no SQL, no API internals, and no knowledge of each other.
	for _, a := range []string{"cleeng", "adobevip", "worldline"} {
		forbidden := []string{module + "/internal/httpapi", module + "/internal/postgres", module + "/internal/localpg", module + "/internal/app",
			module + "/cmd/", "github.com/go-chi/", "github.com/jmoiron/sqlx", "github.com/lib/pq", "database/sql"}
		for _, other := range []string{"cleeng", "adobevip", "worldline"} {
			if other != a {
				forbidden = append(forbidden, module+"/internal/adapters/"+other)
			}
		}
		rules = append(rules, struct {
			pkg              string
			forbidden        []string
			forbiddenImports []string
			stdOnly          bool
		}{pkg: module + "/internal/adapters/" + a, forbidden: forbidden})
	}
	for _, r := range rules {
		if _, ok := pkgs[r.pkg]; !ok {
			t.Errorf("package %s not found", r.pkg)
			continue
		}
		for _, imp := range pkgs[r.pkg].Imports {
			if slices.Contains(r.forbiddenImports, imp) {
				t.Errorf("%s imports %s, which points the wrong way", r.pkg, imp)
			}
		}
		for _, d := range transitive(t, r.pkg) {
			// Standard-library-only packages are importable on their own:
			// not even the module's other packages may come along.
			if r.stdOnly && !isStandard(d) && d != r.pkg {
				t.Errorf("%s must use the standard library only, but depends on %s", r.pkg, d)
			}
			for _, f := range r.forbidden {
				if d == f || (strings.HasSuffix(f, "/") && strings.HasPrefix(d, f)) {
					t.Errorf("%s depends on %s, which points the wrong way", r.pkg, d)
				}
			}
		}
	}
	for path, p := range pkgs {
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, module+"/cmd") {
				t.Errorf("%s imports %s: nothing may import a command", path, imp)
			}
			// The composition root knows everyone, so only the commands
			// may use it (tests too: they are not listed here, and nor are
			// the test harnesses, which only tests import).
			if imp == module+"/internal/app" && !strings.HasPrefix(path, module+"/cmd/") && !testHarness(path) {
				t.Errorf("%s imports %s: only the commands wire the service", path, imp)
			}
			if testHarness(imp) && !testHarness(path) {
				t.Errorf("%s imports %s: a test harness is for tests only", path, imp)
			}
		}
	}
}

// testHarness reports whether a package is test support (pgtest,
// apitest, browsertest): named for it, and imported by tests and other harnesses only.
func testHarness(path string) bool {
	return strings.HasPrefix(path, module+"/internal/") && strings.HasSuffix(path, "test")
}

// transitive returns every package path pkg depends on.
func transitive(t *testing.T, pkgPath string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkgPath).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkgPath, err)
	}
	return strings.Fields(string(out))
}
