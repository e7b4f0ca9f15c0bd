# The two commands a newcomer needs: `make run` and `make test`.
# Everything else is for working on the service.

GO        ?= go
BIN       := bin/customers-api
PKGS      := ./...

.PHONY: run test e2e fuzz openapi-lint check build fmt vet lint tools help postgres-check e2e-check browser-check

help:
	@echo "make run    start the API on 127.0.0.1:8080 (local PostgreSQL under .data/ unless DATABASE_URL is set)"
	@echo "make test   run every test against a throwaway PostgreSQL the tests start themselves"
	@echo "make e2e    only the end-to-end suites: the README walk-through and Rebilly's JS SDK"
	@echo "make fuzz   run each fuzz target of the query language for FUZZTIME (default 20s) beyond its seeds"
	@echo "make openapi-lint  lint openapi.yaml with Redocly CLI (zero problems allowed)"
	@echo "make check  gofmt check, go vet, staticcheck, the OpenAPI lint and the race-enabled tests: the merge gate"
	@echo "make build  build $(BIN)"

build:
	$(GO) build -o $(BIN) ./cmd/customers-api

run: postgres-check build
	./$(BIN) serve

# The Go tests (the dashboard's among them, in headless Chromium), then the
# end-to-end suites against a real server each starts on a free port: the
# README walk-through and Rebilly's JavaScript SDK.
test: postgres-check e2e-check browser-check
	$(GO) test -count=1 $(PKGS)
	test/e2e/readme.sh
	test/e2e/js-sdk.sh

# Only the end-to-end suites (each builds the binary and starts its server).
e2e: postgres-check e2e-check
	test/e2e/readme.sh
	test/e2e/js-sdk.sh

# The query language's fuzz targets (go test runs their seed corpus on every
# make test); CI gives each FUZZTIME of new inputs. A failing input is saved
# under pkg/filter/testdata/fuzz/ and becomes a seed: commit it with the fix.
FUZZTIME    ?= 20s
FUZZ_TARGETS = FuzzFilter FuzzSort FuzzFields
fuzz:
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz $$t for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) ./pkg/filter || exit 1; \
	done

# openapi.yaml linted by Redocly CLI (pinned in tools/openapi-lint), with
# zero problems allowed; CI runs it.
openapi-lint: e2e-check
	cd tools/openapi-lint && npm ci --no-audit --no-fund && npm run --silent lint

check: postgres-check browser-check openapi-lint
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)
	$(GO) test -race -count=1 $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

# PostgreSQL's server binaries are needed unless DATABASE_URL (for run) or
# TEST_DATABASE_URL (for test) points at a server.
postgres-check:
	@scripts/ensure-postgres.sh

# node and npm (the JS SDK test), curl and jq (the README walk-through).
e2e-check:
	@scripts/ensure-e2e-tools.sh

# Headless Chromium for the dashboard's browser tests (internal/dashboard);
# they also need node and npm, for the pinned axe-core (e2e-check).
browser-check:
	@scripts/ensure-chromium.sh

# The benchmark behind docs/PERFORMANCE.md: a throwaway PostgreSQL, BENCH_ROWS
# seeded customers (BENCH_ROWS=1000000 for the large run), the server on a
# free port of 127.0.0.1, fixed concurrency for a bounded time per scenario,
# then the report. BENCH_FLAGS passes more flags to cmd/customers-bench
# (e.g. BENCH_FLAGS="-c 32 -d 20s"). A report, never a test.
BENCH_ROWS  ?= 100000
BENCH_FLAGS ?=
.PHONY: bench
bench: postgres-check build
	$(GO) build -o bin/customers-bench ./cmd/customers-bench
	bin/customers-bench -bin $(BIN) -rows $(BENCH_ROWS) $(BENCH_FLAGS)
