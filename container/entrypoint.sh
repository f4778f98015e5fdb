#!/bin/sh
# The image's entry: "web" brings the database schema up to date, then serves the site
# with gunicorn; "worker" waits until the schema is there, then does the background
# work; anything else runs as given, e.g. "kaffeeklatsch backup /data/backups/x.bak".
set -eu

# Where the worker notes each pass; "kaffeeklatsch health worker" reads it.
HEARTBEAT=/tmp/kaffeeklatsch-worker.heartbeat

case "${1:-web}" in
web)
    # The database may still be starting (a first start of PostgreSQL creates it).
    tries=0
    until kaffeeklatsch migrate --noinput; do
        tries=$((tries + 1))
        if [ "$tries" -ge 30 ]; then
            echo "kaffeeklatsch-container: the database could not be migrated" >&2
            exit 1
        fi
        sleep 2
    done
    # --preload: the application is loaded once and shared by the worker processes,
    # which start at once instead of each loading it.
    exec gunicorn kaffeeklatsch.wsgi --preload --logger-class kaffeeklatsch.serving.Logger
    ;;
worker)
    shift
    # The web container migrates; a worker on an older schema would fail every pass.
    until kaffeeklatsch migrate --check --skip-checks >/dev/null 2>&1; do
        echo "kaffeeklatsch-container: waiting for the database and its migrations" >&2
        sleep 5
    done
    exec kaffeeklatsch worker --heartbeat "$HEARTBEAT" "$@"
    ;;
*)
    exec "$@"
    ;;
esac
