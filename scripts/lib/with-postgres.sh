#!/usr/bin/env bash
# Runs a command with a private PostgreSQL cluster (Debian's server), then stops and removes it.
# The cluster lives in a temporary directory, listens on a free loopback port only (its Unix
# socket in that directory, never the system's), and runs as an unprivileged user: `postgres`
# when this script runs as root (the server refuses root), else the caller. Password
# authentication (scram-sha-256) for every connection, as a practice's server would have.
# The command sees TENANTRY_TEST_DATABASE_URL (a superuser's URL; tests create a database each)
# and PGPASSWORD. Usage: with-postgres.sh COMMAND [ARGS...]
set -euo pipefail

BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$BIN/initdb" ] || { echo "PostgreSQL's server is not installed (scripts/setup.sh installs it)" >&2; exit 1; }

# In /tmp, not $TMPDIR: the suite's TMPDIR is inside a home only root may enter.
CLUSTER="$(mktemp -d /tmp/tenantry-pg.XXXXXX)"
RUN_AS=()
if [ "$(id -u)" -eq 0 ]; then
  RUN_AS=(runuser -u postgres --)
  chown postgres: "$CLUSTER"
fi
chmod 0700 "$CLUSTER"
PASSWORD="$(head -c 18 /dev/urandom | base64 | tr -d '+/=')"
printf '%s\n' "$PASSWORD" >"$CLUSTER/pw"
[ "$(id -u)" -eq 0 ] && chown postgres: "$CLUSTER/pw"

cleanup() {
  "${RUN_AS[@]}" "$BIN/pg_ctl" -D "$CLUSTER/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$CLUSTER"
}
trap cleanup EXIT

"${RUN_AS[@]}" "$BIN/initdb" -D "$CLUSTER/data" -U tenantry --pwfile="$CLUSTER/pw" \
  --auth=scram-sha-256 -E UTF8 --no-sync >"$CLUSTER/initdb.log" 2>&1 ||
  { cat "$CLUSTER/initdb.log" >&2; exit 1; }

# A free port: the kernel picks one, and the server takes it a moment later.
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# fsync off: the cluster is thrown away, and the tests are about Tenantry's durability, not the
# disk's. Connections: the full-size load test's 32 processes each hold up to 10 (the store, a
# window's change feed, and at most 8 lock connections: engine/locks.rs), beside the other tests.
"${RUN_AS[@]}" "$BIN/pg_ctl" -D "$CLUSTER/data" -l "$CLUSTER/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $CLUSTER -c fsync=off -c max_connections=600" \
  start >/dev/null || { cat "$CLUSTER/server.log" >&2; exit 1; }

export PGPASSWORD="$PASSWORD"
export TENANTRY_TEST_DATABASE_URL="postgres://tenantry@127.0.0.1:$PORT/postgres"
"$@"
