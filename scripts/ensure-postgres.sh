#!/usr/bin/env bash
# Makes sure PostgreSQL's server binaries (initdb, pg_ctl, postgres) are on
# this machine, which `make run` and `make test` need to start a local cluster.
# As root it installs Debian's package; otherwise it says how to.
set -euo pipefail

if [ -n "${DATABASE_URL:-}" ] && [ -n "${TEST_DATABASE_URL:-}" ]; then
  exit 0 # both commands will use existing servers
fi
if command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "PostgreSQL server binaries not found: installing Debian's postgresql package" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  exit 0
fi
cat >&2 <<'MSG'
PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found.
Install them, for example on Debian or Ubuntu:
    sudo apt-get install -y postgresql
or point the service at an existing server:
    DATABASE_URL=postgres://user:pass@host:5432/db make run
    TEST_DATABASE_URL=postgres://user:pass@host:5432/postgres make test
MSG
exit 1
