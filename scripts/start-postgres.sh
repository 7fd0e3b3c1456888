#!/usr/bin/env bash
# Start a throwaway PostgreSQL (Debian's packages, or PG_BINDIR) on 127.0.0.1 in a fresh /tmp directory.
#   scripts/start-postgres.sh [PORT]      -> prints "DIR URL" (URL is an SQLAlchemy URL)
#   scripts/start-postgres.sh --stop DIR  -> stops it and removes DIR
# PostgreSQL refuses to run as root, so as root it runs as the `postgres` user (or nobody);
# the directory is made by mktemp directly in /tmp so that user can reach it.
set -euo pipefail

# PG_BINDIR picks the binaries (tests use the pgserver wheel's, which include pgvector).
bindir="${PG_BINDIR:-}"
if [ -n "$bindir" ]; then
  [ -x "$bindir/pg_ctl" ] || { echo "no pg_ctl in PG_BINDIR=$bindir" >&2; exit 3; }
elif command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
  bindir="$(dirname "$(command -v pg_ctl)")"
else
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && bindir="$d"; done
fi
if [ -z "$bindir" ]; then
  echo "PostgreSQL binaries not found (apt-get install -y postgresql)" >&2
  exit 3
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    local user=postgres
    id "$user" >/dev/null 2>&1 || user=nobody
    runuser -u "$user" -- "$@"
  else
    "$@"
  fi
}

if [ "${1:-}" = "--stop" ]; then
  case "$2" in /tmp/hindsight-pg.*) ;; *) echo "refusing to remove $2" >&2; exit 2 ;; esac
  for copied in "$2"/site/*/*/bin; do [ -x "$copied/pg_ctl" ] && bindir="$copied"; done
  as_owner "$bindir/pg_ctl" -D "$2/data" -m immediate -w stop >/dev/null || true
  rm -rf "$2"
  exit 0
fi

dir="$(mktemp -d /tmp/hindsight-pg.XXXXXX)"
port="${1:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
if [ "$(id -u)" = 0 ]; then
  user=postgres
  id "$user" >/dev/null 2>&1 || user=nobody
  chown "$user" "$dir"
  # Binaries inside a root-only tree (a venv under /root): run a copy the user can reach,
  # keeping the layout the wheel's RPATH expects (<pkg>/pginstall/bin -> ../../../<pkg>.libs).
  if ! runuser -u "$user" -- test -x "$bindir/postgres"; then
    install_root="$(dirname "$bindir")"
    pkg="$(dirname "$install_root")"
    mkdir -p "$dir/site/$(basename "$pkg")"
    cp -r "$install_root" "$dir/site/$(basename "$pkg")/"
    for libs in "$(dirname "$pkg")"/*.libs; do [ -d "$libs" ] && cp -r "$libs" "$dir/site/"; done
    bindir="$dir/site/$(basename "$pkg")/$(basename "$install_root")/bin"
  fi
fi
as_owner "$bindir/initdb" -D "$dir/data" -U hindsight --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1
as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null
echo "$dir postgresql+psycopg://hindsight@127.0.0.1:$port/postgres"
