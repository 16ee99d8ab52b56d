#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests (and benches) of the PostgreSQL storage.
#
#   eval "$(.ci/postgres.sh start)"   # prints `export TUNEKIT_TEST_PG=postgresql://...` and `export TUNEKIT_TEST_PG_DIR=...`
#   .ci/postgres.sh stop "$TUNEKIT_TEST_PG_DIR"
#
# start: installs Debian's postgresql with apt-get when /usr/lib/postgresql/15/bin/initdb is missing, runs initdb in a new temp
# dir (as the `postgres` user when run as root: the server refuses to run as root), starts it on a free 127.0.0.1 port with
# password (scram) auth over TCP, creates the database `tunekit_test`. Everything but the export lines goes to stderr.
# It exits non-zero with the reason (and the server log) when the server cannot start, so CI fails and says why.
set -euo pipefail

PGBIN=${TUNEKIT_PG_BIN:-/usr/lib/postgresql/15/bin}

fail() { echo "postgres.sh: $*" >&2; exit 1; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  if [ ! -x "$PGBIN/initdb" ]; then
    [ "$(id -u)" = 0 ] || fail "$PGBIN/initdb is missing and we are not root: install PostgreSQL 15 (apt-get install postgresql) or set TUNEKIT_PG_BIN"
    echo "postgres.sh: installing postgresql with apt-get" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2 \
      || fail "apt-get install postgresql failed"
    [ -x "$PGBIN/initdb" ] || fail "apt-get installed postgresql but $PGBIN/initdb is still missing (another major version?); set TUNEKIT_PG_BIN"
  fi
  command -v node >/dev/null || fail "node is needed to find a free port"
  local dir port password
  dir=$(mktemp -d "${TMPDIR:-/tmp}/tunekit-pg.XXXXXX")
  # A failed start leaves nothing behind (no server, no directory).
  trap 'status=$?; if [ $status -ne 0 ]; then as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; fi' EXIT
  chmod 755 "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
  password=$(node -e "process.stdout.write(require('crypto').randomBytes(12).toString('hex'))")
  printf '%s\n' "$password" > "$dir/pwfile"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir/pwfile"; fi
  # --no-sync: a throwaway cluster need not be fsynced at creation (seconds saved on a busy disk).
  as_pg "$PGBIN/initdb" --no-sync -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 --pwfile="$dir/pwfile" \
    -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; fail "initdb failed in $dir (log above)"; }
  rm -f "$dir/pwfile"
  # process.stdout.write, not console.log: with FORCE_COLOR set (test runners set it) console.log colours numbers.
  port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})")
  # max_connections: the tests open several pools at once (concurrency tests), 4 bench workers each hold a few connections.
  as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >&2 \
    || { cat "$dir/server.log" >&2 || true; fail "the server did not start (port $port, data $dir/data; its log is above)"; }
  as_pg "$PGBIN/createdb" -h "$dir" -p "$port" -U postgres tunekit_test >&2 || fail "createdb tunekit_test failed"
  echo "export TUNEKIT_TEST_PG=postgresql://postgres:$password@127.0.0.1:$port/tunekit_test"
  echo "export TUNEKIT_TEST_PG_DIR=$dir"
}

stop() {
  local dir=${1:-${TUNEKIT_TEST_PG_DIR:-}}
  [ -n "$dir" ] || fail "stop needs the directory start printed (TUNEKIT_TEST_PG_DIR)"
  case "$dir" in */tunekit-pg.*) ;; *) fail "refusing to remove $dir: not a directory made by postgres.sh start" ;; esac
  if [ -d "$dir/data" ]; then as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true; fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
