#!/usr/bin/env bash
# Rebilly's JavaScript SDK end to end: installs the pinned SDK from the lock
# file (npm ci), starts a real server and runs test/e2e/js-sdk/*.test.mjs with
# node's built-in test runner against it.
#
# Usage: test/e2e/js-sdk.sh [node --test options, e.g. --test-name-pattern=merge]
# Needs go, node (20+), npm with access to the npm registry, and PostgreSQL's
# binaries; scripts/ensure-e2e-tools.sh checks (and as root installs) them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dir="$E2E_ROOT/test/e2e/js-sdk"
for tool in node npm curl; do
  command -v "$tool" >/dev/null || e2e_fail "$tool is needed (scripts/ensure-e2e-tools.sh installs it)"
done

# npm ci installs exactly the lock file; it is skipped when node_modules
# already holds what the lock file names (npm writes its own copy of the lock
# there), so repeated runs need no network.
if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.ci" 2>/dev/null; then
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || e2e_fail "npm ci in $dir"
  cp "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.ci"
fi

e2e_start_server
cd "$dir"
node --test --test-reporter=spec "$@" ./*.test.mjs
