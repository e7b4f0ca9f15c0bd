# Shared by the end-to-end suites (source it, do not run it): builds the
# service, starts it exactly as a user would (no DATABASE_URL, so it starts
# its own PostgreSQL under DATA_DIR) on a port the kernel picks, waits until
# /readyz answers, and always stops it and removes every file on exit.
#
# E2E_SERVER_BIN, when set, is a customers-api binary to test instead of
# building this checkout's.
#
# After e2e_start_server these are set:
#   E2E_TMP       the temporary directory (removed on exit)
#   E2E_WORK      a directory laid out like a checkout after `make run`:
#                 bin/customers-api and .data/ (the server's DATA_DIR)
#   E2E_BIN       the built binary
#   E2E_DATA_DIR  the server's DATA_DIR ($E2E_WORK/.data)
#   E2E_BASE_URL  http://127.0.0.1:<port>, what the server printed
#   E2E_DEV_ORG   the development organization the server printed
#   E2E_DEV_KEY   the development API key the server printed
#   E2E_STDOUT    the file holding the server's standard output
#
# E2E_KILL_ON_EXIT: process ids (space-separated) a suite started beside the
# server, such as a webhook receiver; they are killed on exit too.

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

e2e_fail() {
  echo "FAIL: $*" >&2
  exit 1
}

e2e_cleanup() {
  local status=$?
  # Whoever reads our output may be gone (| head): neither SIGPIPE nor a
  # failed write may stop the cleanup half way.
  trap '' PIPE
  set +e
  local pid
  for pid in ${E2E_KILL_ON_EXIT:-}; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  if [ -n "${E2E_SERVER_PID:-}" ] && kill -0 "$E2E_SERVER_PID" 2>/dev/null; then
    # SIGTERM: graceful shutdown, which also stops the PostgreSQL it started.
    kill -TERM "$E2E_SERVER_PID" 2>/dev/null || true
    wait "$E2E_SERVER_PID" 2>/dev/null || true
  fi
  # The server stops the PostgreSQL it started; should it have died without
  # doing so, stop the cluster here rather than leave it running.
  if [ -n "${E2E_DATA_DIR:-}" ] && [ -f "$E2E_DATA_DIR/postgres/postmaster.pid" ]; then
    e2e_stop_postgres "$E2E_DATA_DIR/postgres" || true
  fi
  if [ "$status" != 0 ] && [ -n "${E2E_TMP:-}" ] && [ -f "$E2E_TMP/server.log" ]; then
    echo "--- last lines of the server's log ($E2E_TMP/server.log):" >&2
    tail -n 30 "$E2E_TMP/server.log" >&2 || true
  fi
  if [ -n "${E2E_TMP:-}" ]; then
    rm -rf "$E2E_TMP"
  fi
  exit "$status"
}

e2e_stop_postgres() {
  local pg_ctl
  pg_ctl=$(command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | tail -n 1)
  [ -n "$pg_ctl" ] || return 1
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$pg_ctl" -D "$1" -m fast -w stop >/dev/null
  else
    "$pg_ctl" -D "$1" -m fast -w stop >/dev/null
  fi
}

# e2e_start_server builds the binary into a new temporary directory and starts
# the server; called again after e2e_stop_server, it starts the same binary on
# the same DATA_DIR (a restart).
e2e_start_server() {
  if [ -z "${E2E_TMP:-}" ]; then
    e2e_prepare
  fi
  E2E_STDOUT="$E2E_TMP/server.out"
  # Created here: the server's own redirection opens it only once it has
  # forked, which the loop below may outrun.
  : >"$E2E_STDOUT"
  # Port 0: the kernel picks a free port and the server prints the address it
  # listens on, so there is no window in which another process can take it.
  DATABASE_URL='' DATA_DIR="$E2E_DATA_DIR" ADDR=127.0.0.1:0 LOG_LEVEL=info \
    "$E2E_BIN" serve >"$E2E_STDOUT" 2>>"$E2E_TMP/server.log" &
  E2E_SERVER_PID=$!

  # Wait for the line that says where it listens (or for the server to die).
  E2E_BASE_URL=
  while [ -z "$E2E_BASE_URL" ]; do
    kill -0 "$E2E_SERVER_PID" 2>/dev/null || e2e_fail "the server exited before listening"
    E2E_BASE_URL=$(sed -n 's|^Customers API listening on \(http://127\.0\.0\.1:[0-9][0-9]*\)$|\1|p' "$E2E_STDOUT")
    [ -n "$E2E_BASE_URL" ] || sleep 0.2
  done
  until command curl -sf "$E2E_BASE_URL/readyz" >/dev/null; do
    kill -0 "$E2E_SERVER_PID" 2>/dev/null || e2e_fail "the server exited before /readyz answered 200"
    sleep 0.2
  done
  E2E_DEV_ORG=$(sed -n 's/^Development organization: //p' "$E2E_STDOUT")
  E2E_DEV_KEY=$(sed -n 's/^Development API key (REB-APIKEY): //p' "$E2E_STDOUT")
  [ -n "$E2E_DEV_ORG" ] || e2e_fail "the server did not print the development organization"
  [ -n "$E2E_DEV_KEY" ] || e2e_fail "the server did not print the development API key"
  export E2E_TMP E2E_WORK E2E_BIN E2E_DATA_DIR E2E_BASE_URL E2E_DEV_ORG E2E_DEV_KEY E2E_STDOUT
  echo "e2e: server $E2E_BASE_URL (pid $E2E_SERVER_PID, DATA_DIR $E2E_DATA_DIR)"
}

# e2e_stop_server stops the server gracefully (SIGTERM), which also stops the
# PostgreSQL it started, and fails if it does not exit cleanly.
e2e_stop_server() {
  kill -TERM "$E2E_SERVER_PID"
  local status=0
  wait "$E2E_SERVER_PID" || status=$?
  E2E_SERVER_PID=
  [ "$status" = 0 ] || e2e_fail "the server exited with status $status on SIGTERM"
}

e2e_prepare() {
  E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/customers-e2e.XXXXXX")
  trap e2e_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  # As root the server runs PostgreSQL as the postgres user, which must be
  # able to enter this directory.
  chmod 755 "$E2E_TMP"
  E2E_WORK="$E2E_TMP/work"
  E2E_DATA_DIR="$E2E_WORK/.data"
  E2E_BIN="$E2E_WORK/bin/customers-api"
  mkdir -p "$E2E_WORK/bin"
  chmod 755 "$E2E_WORK"

  if [ -n "${E2E_SERVER_BIN:-}" ]; then
    # A binary built elsewhere (a release build, another checkout).
    cp "$E2E_SERVER_BIN" "$E2E_BIN" || e2e_fail "copy E2E_SERVER_BIN=$E2E_SERVER_BIN"
  else
    (cd "$E2E_ROOT" && go build -o "$E2E_BIN" ./cmd/customers-api) || e2e_fail "go build ./cmd/customers-api"
  fi
}

