#!/usr/bin/env bash
# Start (or stop) a private PostgreSQL cluster in .local/pgdata, for machines where no server
# answers but PostgreSQL's binaries are installed. Writes .local/pg.env (PGHOST/PGPORT) that
# the other scripts load. Usage: private_pg.sh start|stop
set -euo pipefail
. "$(dirname "$0")/lib.sh"

pgdata="$LOCAL_DIR/pgdata"
bindir=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { bindir="$d"; break; }
done
if [ -z "$bindir" ] && command -v pg_ctl >/dev/null; then bindir="$(dirname "$(command -v pg_ctl)")"; fi
[ -n "$bindir" ] || die "no PostgreSQL server answers and PostgreSQL's programs (initdb, pg_ctl) are not installed.
Install PostgreSQL (e.g. sudo apt-get install postgresql) or point PGHOST/PGPORT/PGUSER at a running server."

# PostgreSQL refuses to run as root: run its programs as the 'postgres' system user then.
as_owner=()
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root and there is no 'postgres' user to run a private cluster."
    as_owner=(runuser -u postgres --)
fi

# Unix socket paths are limited to ~100 characters: fall back to /tmp for deep checkouts.
sockdir="$LOCAL_DIR/pgrun"
if [ ${#sockdir} -gt 80 ]; then sockdir="/tmp/gcs-pg-$(echo "$REPO_ROOT" | sha256sum | cut -c1-8)"; fi

case "${1:-start}" in
start)
    mkdir -p "$pgdata" "$sockdir"
    [ ${#as_owner[@]} -eq 0 ] || chown postgres "$pgdata" "$sockdir"
    if [ ! -f "$pgdata/PG_VERSION" ]; then
        say "Creating a private PostgreSQL cluster in $pgdata"
        "${as_owner[@]}" "$bindir/initdb" -D "$pgdata" -U "$(id -un)" --auth=trust -E UTF8 \
            --locale=C >"$LOCAL_DIR/initdb.log" 2>&1 || die "initdb failed; see $LOCAL_DIR/initdb.log"
    fi
    port=$(cat "$LOCAL_DIR/pg.port" 2>/dev/null || "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    echo "$port" > "$LOCAL_DIR/pg.port"
    if ! "${as_owner[@]}" "$bindir/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
        touch "$LOCAL_DIR/pg.log"; [ ${#as_owner[@]} -eq 0 ] || chown postgres "$LOCAL_DIR/pg.log"
        "${as_owner[@]}" "$bindir/pg_ctl" -D "$pgdata" -l "$LOCAL_DIR/pg.log" -w \
            -o "-k $sockdir -p $port -c listen_addresses=''" start >/dev/null \
            || die "the private PostgreSQL cluster did not start; see $LOCAL_DIR/pg.log"
    fi
    printf 'export PGHOST=%q\nexport PGPORT=%q\nexport PGUSER=%q\n' "$sockdir" "$port" "$(id -un)" > "$LOCAL_DIR/pg.env"
    ;;
stop)
    [ -f "$pgdata/PG_VERSION" ] && "${as_owner[@]}" "$bindir/pg_ctl" -D "$pgdata" -m fast stop >/dev/null 2>&1 || true
    ;;
*) die "usage: $0 start|stop" ;;
esac
