#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests: a temporary folder, a free port on 127.0.0.1,
# trust authentication and no fsync (fast, and nothing in it is meant to survive).
#
#   eval "$(scripts/postgres-throwaway.sh start)"   # exports DATABASE_URL and GRIDCARE_PG_DIR
#   make test                                        # SQLite, then the same suite on PostgreSQL
#   scripts/postgres-throwaway.sh stop               # stops the cluster and deletes its folder
#
# `start` prints only `export ...` lines on stdout; progress goes to stderr. `stop` takes the
# folder from GRIDCARE_PG_DIR or as its argument. PostgreSQL refuses to run as root, so when
# run as root the cluster runs as the `postgres` user (created by Debian's postgresql-common).
# Ports 5432 and 55432 are left alone: a system or developer cluster may be using them.
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
DATABASE_NAME="${GRIDCARE_PG_DATABASE:-gridcare}"

as_cluster_owner() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 - <<'PY'
import socket

while True:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    if port not in (5432, 55432):
        print(port)
        break
PY
}

start_failed() {
    local cluster_dir="$1"
    echo "Could not start the throwaway PostgreSQL; its logs follow." >&2
    cat "$cluster_dir"/*.log >&2 2>/dev/null || true
    if [[ -f "$cluster_dir/data/postmaster.pid" ]]; then
        as_cluster_owner "$PG_BIN/pg_ctl" --pgdata="$cluster_dir/data" --mode=immediate stop >&2 || true
    fi
    rm -rf "$cluster_dir"
    exit 1
}

start() {
    [[ -x "$PG_BIN/postgres" ]] || {
        echo "PostgreSQL 15 not found in $PG_BIN (Debian: apt-get install postgresql-15)" >&2
        exit 1
    }
    local cluster_dir port
    # As root the folder must be one the postgres user can reach, hence /tmp and not $TMPDIR.
    if [[ $EUID -eq 0 ]]; then
        cluster_dir="$(mktemp -d /tmp/gridcare-pg.XXXXXX)"
        chown postgres: "$cluster_dir"
    else
        cluster_dir="$(mktemp -d "${TMPDIR:-/tmp}/gridcare-pg.XXXXXX")"
    fi
    port="$(free_port)"
    as_cluster_owner "$PG_BIN/initdb" --pgdata="$cluster_dir/data" --username=postgres \
        --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$cluster_dir/initdb.log" 2>&1 || start_failed "$cluster_dir"
    as_cluster_owner "$PG_BIN/pg_ctl" --pgdata="$cluster_dir/data" --log="$cluster_dir/server.log" \
        --wait --silent start --options="-p $port -k $cluster_dir -c listen_addresses=127.0.0.1 \
-c fsync=off -c synchronous_commit=off -c full_page_writes=off" >&2 || start_failed "$cluster_dir"
    as_cluster_owner "$PG_BIN/createdb" --host=127.0.0.1 --port="$port" --username=postgres "$DATABASE_NAME" \
        || start_failed "$cluster_dir"
    echo "Throwaway PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" \
        "(folder $cluster_dir)" >&2
    echo "export GRIDCARE_PG_DIR=$cluster_dir"
    echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$port/$DATABASE_NAME"
}

stop() {
    local cluster_dir="${1:-${GRIDCARE_PG_DIR:-}}"
    [[ -n "$cluster_dir" ]] || {
        echo "usage: $0 stop FOLDER (or set GRIDCARE_PG_DIR)" >&2
        exit 2
    }
    # Refuse anything this script did not create: `stop` ends with rm -rf.
    [[ "$(basename "$cluster_dir")" == gridcare-pg.* && -f "$cluster_dir/data/PG_VERSION" ]] || {
        echo "$cluster_dir is not a throwaway cluster made by $0" >&2
        exit 2
    }
    if [[ -f "$cluster_dir/data/postmaster.pid" ]]; then
        as_cluster_owner "$PG_BIN/pg_ctl" --pgdata="$cluster_dir/data" --mode=immediate --wait --silent \
            stop >&2 || true
    fi
    rm -rf "$cluster_dir"
    echo "Throwaway PostgreSQL stopped and $cluster_dir removed" >&2
}

case "${1:-}" in
    start) start ;;
    stop) stop "${2:-}" ;;
    *)
        echo "usage: $0 start | stop [FOLDER]" >&2
        exit 2
        ;;
esac
