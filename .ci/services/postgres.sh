# Sourced by .ci/test: a throwaway PostgreSQL server on loopback for the service tests.
# Installs PostgreSQL when absent (Debian, as root), runs initdb in a temporary folder as
# a non-root user, starts on a free port, creates a database and exports
# MEDPOLICY_TEST_POSTGRES_URL. The server is stopped and its folder removed on exit.
# With MEDPOLICY_REQUIRE_SERVICES=1 a server that cannot start fails the run.

_pg_fail() {
  if [ "${MEDPOLICY_REQUIRE_SERVICES:-0}" = "1" ]; then
    echo "postgres.sh: $1 (MEDPOLICY_REQUIRE_SERVICES=1)" >&2
    exit 1
  fi
  echo "postgres.sh: $1; PostgreSQL tests will be skipped" >&2
  return 1
}

_pg_bindir() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

_pg_start() {
  local bindir user dir port
  if [ -n "${MEDPOLICY_TEST_POSTGRES_URL:-}" ]; then
    echo "postgres.sh: using MEDPOLICY_TEST_POSTGRES_URL from the environment" >&2
    return 0
  fi
  if ! bindir="$(_pg_bindir)"; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
      echo "postgres.sh: installing PostgreSQL" >&2
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >&2 \
        || { _pg_fail "apt-get install postgresql failed"; return 1; }
    fi
    bindir="$(_pg_bindir)" || { _pg_fail "PostgreSQL is not installed"; return 1; }
  fi
  user="$(id -un)"
  if [ "$(id -u)" = "0" ]; then
    user=postgres
    id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user" \
      || { _pg_fail "cannot create the postgres user"; return 1; }
  fi
  dir="$(mktemp -d /tmp/medpolicy-pg.XXXXXX)"
  chown "$user" "$dir"
  chmod 700 "$dir"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  local as=""
  if [ "$(id -u)" = "0" ]; then as="runuser -u $user --"; fi
  _pg_as() { $as "$@"; }
  cleanup+=("$as '$bindir/pg_ctl' -D '$dir/data' -m fast stop >/dev/null 2>&1; rm -rf '$dir'")
  _pg_as "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || _pg_as "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; _pg_fail "initdb failed"; return 1; }
  _pg_as "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null \
    || { cat "$dir/server.log" >&2; _pg_fail "the server did not start"; return 1; }
  _pg_as "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres medpolicy_test \
    || { _pg_fail "createdb failed"; return 1; }
  export MEDPOLICY_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$port/medpolicy_test"
  echo "postgres.sh: PostgreSQL on 127.0.0.1:$port ($dir)" >&2
}

_pg_start || true
