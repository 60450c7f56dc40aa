#!/usr/bin/env bash
# Runs a command with a private PostgreSQL cluster (Debian's server), then stops and removes it.
# The cluster lives in a temporary directory, listens on a free loopback port only (its Unix
# socket in that directory, never the system's), and runs as an unprivileged user: `postgres`
# when this script runs as root (the server refuses root), else the caller. Password
# authentication (scram-sha-256) for every connection, as a practice's server would have.
#
# It serves TLS (ssl = on), as a managed PostgreSQL does, with a certificate for `localhost` and
# 127.0.0.1 from a CA made for this run (its key deleted once it signed): the tests can check
# that every connection is encrypted and that each sslmode verifies what it promises. A second,
# small cluster with TLS off is beside it, for what each sslmode does against a server that
# offers none.
#
# The command sees TENANTRY_TEST_DATABASE_URL (a superuser's URL; tests create a schema each),
# TENANTRY_TEST_DATABASE_URL_NOTLS (the same on the TLS-off cluster), TENANTRY_TEST_PG_CA (the
# CA's certificate, PEM) and PGPASSWORD. Usage: with-postgres.sh COMMAND [ARGS...]
set -euo pipefail

BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$BIN/initdb" ] || { echo "PostgreSQL's server is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
command -v openssl >/dev/null || { echo "openssl is not installed (scripts/setup.sh installs it)" >&2; exit 1; }

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
  for data in "$CLUSTER/data" "$CLUSTER/plain"; do
    [ -d "$data" ] && "${RUN_AS[@]}" "$BIN/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$CLUSTER"
}
trap cleanup EXIT

# The run's CA and the server's certificate (P-256 keys: quick to make). The server's key must be
# the server user's and private, or PostgreSQL refuses to start.
TLS="$CLUSTER/tls"
mkdir "$TLS"
{
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=Tenantry test CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -keyout "$TLS/ca.key" -out "$TLS/ca.pem" &&
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
      -keyout "$TLS/server.key" -out "$TLS/server.csr" &&
    printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$TLS/server.ext" &&
    openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" \
      -CAcreateserial -days 2 -extfile "$TLS/server.ext" -out "$TLS/server.pem"
} >"$CLUSTER/openssl.log" 2>&1 || { cat "$CLUSTER/openssl.log" >&2; exit 1; }
rm -f "$TLS/ca.key" "$TLS/ca.srl" "$TLS/server.csr" "$TLS/server.ext"
chmod 0600 "$TLS/server.key"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$TLS"

"${RUN_AS[@]}" "$BIN/initdb" -D "$CLUSTER/data" -U tenantry --pwfile="$CLUSTER/pw" \
  --auth=scram-sha-256 -E UTF8 --no-sync >"$CLUSTER/initdb.log" 2>&1 ||
  { cat "$CLUSTER/initdb.log" >&2; exit 1; }
# The TLS-off cluster: a copy of the fresh one, taken before it first starts (the same user and
# password, and quicker than a second initdb).
"${RUN_AS[@]}" cp -a "$CLUSTER/data" "$CLUSTER/plain"

# Two free ports: the kernel picks them, and the servers take them a moment later.
read -r PORT PORT_NOTLS < <(python3 -c '
import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
# fsync off: the cluster is thrown away, and the tests are about Tenantry's durability, not the
# disk's. Connections: the full-size load test's 32 processes each hold up to 10 (the store, a
# window's change feed, and at most 8 lock connections: engine/locks.rs), beside the other tests.
"${RUN_AS[@]}" "$BIN/pg_ctl" -D "$CLUSTER/data" -l "$CLUSTER/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $CLUSTER -c fsync=off -c max_connections=600 -c ssl=on -c ssl_cert_file=$TLS/server.pem -c ssl_key_file=$TLS/server.key" \
  start >/dev/null || { cat "$CLUSTER/server.log" >&2; exit 1; }
"${RUN_AS[@]}" "$BIN/pg_ctl" -D "$CLUSTER/plain" -l "$CLUSTER/plain.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT_NOTLS -k $CLUSTER -c fsync=off -c max_connections=20 -c ssl=off" \
  start >/dev/null || { cat "$CLUSTER/plain.log" >&2; exit 1; }

export PGPASSWORD="$PASSWORD"
export TENANTRY_TEST_DATABASE_URL="postgres://tenantry@127.0.0.1:$PORT/postgres"
export TENANTRY_TEST_DATABASE_URL_NOTLS="postgres://tenantry@127.0.0.1:$PORT_NOTLS/postgres"
export TENANTRY_TEST_PG_CA="$TLS/ca.pem"
"$@"
