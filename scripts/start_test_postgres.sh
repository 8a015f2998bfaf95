#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster in a temporary folder and prints its database URL on stdout.
#   URL=$(scripts/start_test_postgres.sh)          # start; the URL works until the cluster is stopped
#   scripts/start_test_postgres.sh stop             # stop the cluster this script started last
# Runs the server as the `postgres` user when started as root (PostgreSQL refuses to run as root).
set -euo pipefail

STATE_FILE="${TMPDIR:-/tmp}/tumorpredict-test-postgres.dir"

find_bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir
    return
  fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
    echo "$dir"
    return
  fi
  echo "PostgreSQL is not installed (Debian: apt-get install -y postgresql)" >&2
  exit 1
}

as_db_user() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

BIN=$(find_bindir)

if [ "${1:-}" = "stop" ]; then
  if [ -f "$STATE_FILE" ]; then
    DIR=$(cat "$STATE_FILE")
    as_db_user "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >&2 || true
    rm -rf "$DIR" "$STATE_FILE"
  fi
  exit 0
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/tumorpredict-pg.XXXXXX")
chmod 755 "$DIR"
if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$DIR"
fi
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

as_db_user "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 >"$DIR/initdb.log" 2>&1 || {
  cat "$DIR/initdb.log" >&2
  exit 1
}
as_db_user "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >&2
as_db_user "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres tumorpredict_test
echo "$DIR" >"$STATE_FILE"
echo "postgresql://postgres@127.0.0.1:$PORT/tumorpredict_test"
