#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:$PGPORT (default 5432)
# with trust authentication for user postgres, starting or installing one if
# needed, and prints the URL of its maintenance database:
#   postgres://postgres@127.0.0.1:PORT/postgres
# Tests create (and drop) their own databases on that server.
# Written from the verified recipe in shared/peers (Debian's postgresql packages).
set -euo pipefail
port=${PGPORT:-5432}
data=${PGDATA:-/var/lib/postgresql/congso-$port}

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if ! pg_isready -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
  bin=$(find_bin)
  if [ -z "$bin" ] || ! command -v pg_isready >/dev/null; then
    [ "$(id -u)" = 0 ] || { echo "pg-start: PostgreSQL is not installed and we are not root" >&2; exit 1; }
    mkdir -p /etc/postgresql-common
    grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf ||
      echo 'create_main_cluster = false' >>/etc/postgresql-common/createcluster.conf
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin=$(find_bin)
  fi
  # A Debian cluster that is merely stopped: start it.
  if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | awk -v p="$port" '$3==p' | grep -q down; then
    cluster=$(pg_lsclusters -h | awk -v p="$port" '$3==p {print $1" "$2; exit}')
    pg_ctlcluster --skip-systemctl-redirect $cluster start || true
  fi
  if ! pg_isready -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
    if [ ! -f "$data/PG_VERSION" ]; then
      mkdir -p "$data"
      [ "$(id -u)" = 0 ] && chown postgres:postgres "$data"
      chmod 700 "$data"
      as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$data -c max_connections=300" start >/dev/null
  fi
  pg_isready -q -h 127.0.0.1 -p "$port" || { echo "pg-start: server did not come up" >&2; exit 1; }
fi
if ! PGCONNECT_TIMEOUT=5 psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; then
  echo "pg-start: a server answers on 127.0.0.1:$port but user postgres cannot log in without a password" >&2
  exit 1
fi
echo "postgres://postgres@127.0.0.1:$port/postgres"
