#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests and CI.
#
#   bash .ci/pg-cluster.sh start DIR PORT   initdb into DIR/data (trust auth, loopback only,
#                                           unix socket in DIR, fsync on) and start it
#   bash .ci/pg-cluster.sh stop DIR         stop the server and remove DIR
#
# DIR must be an existing empty directory (mktemp -d) or not exist yet. Superuser is
# `postgres`, so the connection URL is postgres://postgres@127.0.0.1:PORT/postgres.
# PostgreSQL refuses to run as root: as root the cluster is owned by and run as the
# `postgres` OS user (created if missing); as anyone else it runs as that user.
# Server binaries: $PG_BIN, else /usr/lib/postgresql/15/bin, else the newest
# /usr/lib/postgresql/N/bin (N >= 14). Exit code 3 means they are missing.
set -euo pipefail

MARKER=.ledger-pg-cluster
PG_USER=postgres

die() { echo "pg-cluster: $*" >&2; exit 1; }
usage() { die "usage: pg-cluster.sh start DIR PORT | stop DIR"; }

find_pg_bin() {
  local d
  for d in "${PG_BIN:-}" /usr/lib/postgresql/15/bin; do
    if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
      echo "$d"; return 0
    fi
  done
  for d in $(printf "%s\n" /usr/lib/postgresql/*/bin | sort -t/ -k5,5nr); do
    local v; v=$(basename "$(dirname "$d")")
    if [ "${v%%.*}" -ge 14 ] 2>/dev/null && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
      echo "$d"; return 0
    fi
  done
  return 1
}

# Run a command as the cluster owner (postgres when we are root, else ourselves).
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    if command -v runuser >/dev/null 2>&1; then
      runuser -u "$PG_USER" -- "$@"
    else
      su "$PG_USER" -s /bin/sh -c "$(printf '%q ' "$@")"
    fi
  else
    "$@"
  fi
}

ensure_pg_user() {
  [ "$(id -u)" = 0 ] || return 0
  id -u "$PG_USER" >/dev/null 2>&1 && return 0
  echo "pg-cluster: creating OS user $PG_USER" >&2
  useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin "$PG_USER" || die "could not create OS user $PG_USER"
}

cmd_start() {
  local dir=$1 port=$2 bin
  [[ "$port" =~ ^[0-9]+$ ]] || die "bad port: $port"
  if ! bin=$(find_pg_bin); then
    echo "pg-cluster: PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in /usr/lib/postgresql/15/bin; run \`bash .ci/install-deps\` (it installs the Debian package postgresql-15), or set PG_BIN" >&2
    exit 3
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)
  [ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
  ensure_pg_user
  touch "$dir/$MARKER"
  if [ "$(id -u)" = 0 ]; then
    chown "$PG_USER:" "$dir" "$dir/$MARKER"
  fi
  chmod 700 "$dir"
  as_owner test -w "$dir" ||
    die "user $PG_USER cannot reach $dir (a parent directory is not searchable by it); use a directory under /tmp"
  # cd: the owner may not be allowed into the caller's working directory.
  cd "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-locale -E UTF8 \
    --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  local opts="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir'"
  opts+=" -c fsync=on -c max_connections=200"
  if ! as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 -o "$opts" start \
      >"$dir/pg_ctl.log" 2>&1; then
    cat "$dir/pg_ctl.log" >&2
    tail -n 20 "$dir/postgres.log" >&2 2>/dev/null || true
    die "PostgreSQL did not start on 127.0.0.1:$port"
  fi
  echo "pg-cluster: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $dir/data" >&2
}

cmd_stop() {
  local dir=$1 bin pid
  [ -d "$dir" ] || return 0
  [ -e "$dir/$MARKER" ] || die "$dir was not made by pg-cluster.sh start; not touching it"
  cd /
  if [ -f "$dir/data/postmaster.pid" ]; then
    pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
    if bin=$(find_pg_bin); then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
        as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) [ $# -eq 3 ] || usage; cmd_start "$2" "$3" ;;
  stop) [ $# -eq 2 ] || usage; cmd_stop "$2" ;;
  *) usage ;;
esac
