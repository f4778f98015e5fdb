# Starts a throwaway PostgreSQL server on loopback for the tests.
# Source this file, call start_postgres; it sets POSTGRES_URL and stops the
# server (and removes its data) when the calling shell exits.

start_postgres() {
    local bin port
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    port="${POSTGRES_PORT:-54329}"
    PG_TMP=$(mktemp -d /tmp/kaffeeklatsch-pg.XXXXXX)
    local run=()
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres "$PG_TMP"
        run=(runuser -u postgres --)
    fi
    "${run[@]}" "$bin/initdb" -D "$PG_TMP/data" -A trust -U kaffeeklatsch -E UTF8 --locale=C.UTF-8 >/dev/null
    "${run[@]}" "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/log" -w \
        -o "-p $port -k $PG_TMP -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
    PG_STOP=("${run[@]}" "$bin/pg_ctl" -D "$PG_TMP/data" -m immediate stop)
    trap 'stop_postgres' EXIT
    export POSTGRES_URL="postgres://kaffeeklatsch@127.0.0.1:$port/postgres"
}

stop_postgres() {
    "${PG_STOP[@]}" >/dev/null 2>&1 || true
    rm -rf "$PG_TMP"
}
