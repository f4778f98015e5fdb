#!/usr/bin/env bash
# Installs everything (Python packages, Chromium, PostgreSQL) and runs the whole
# test suite once on SQLite, then again on a throwaway PostgreSQL server (that this
# script starts and stops) the tests whose behaviour depends on the database engine:
# those marked "database" (locks and leases, transactions, concurrency, migrations,
# raw SQL, aggregations, sorting and case-insensitive search) and those marked
# "postgres_only". Every test runs on at least one database; tests/README.md gives
# the rule. Both runs use one process per core and one more (pytest-xdist), each test module
# kept in one process so that a module's shared world and browser are built once.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test

PY=.venv/bin/python
# The checks read the package of this folder, whichever copy the venv installed.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
echo "== ruff check"
.venv/bin/ruff check .
echo "== ruff format --check"
.venv/bin/ruff format --check .
echo "== import contracts (pyproject.toml [tool.importlinter])"
.venv/bin/lint-imports
# mypy reads the code for a minute or two on one core while the tests mostly wait on
# browsers and servers: it runs beside the SQLite tests, and its result is shown and
# checked after them.
mypy_log=$(mktemp /tmp/kaffeeklatsch-mypy.XXXXXX.txt)
"$PY" -m mypy >"$mypy_log" 2>&1 &
mypy_pid=$!
trap 'kill "$mypy_pid" 2>/dev/null || true' EXIT
echo "== dependency audit"
"$PY" scripts/audit.py
# One process per core and one more, each test module in one process; tests marked "serial" (items
# that share one test id, which pytest-xdist would run only once) in one process after
# them. Each run then checks that every test it collected reported a result, so that
# no test is lost silently.
# One process more than cores: many tests wait on browsers, servers and retries
# rather than compute, so a third process on two cores keeps them busy.
workers=$(($(nproc) + 1))
run_tests() {
    local marks=$1 parallel serial collected status
    shift
    parallel=$(mktemp /tmp/kaffeeklatsch-tests.XXXXXX.xml)
    serial=$(mktemp /tmp/kaffeeklatsch-tests.XXXXXX.xml)
    collected=$(mktemp /tmp/kaffeeklatsch-tests.XXXXXX.txt)
    "$PY" -m pytest -q --collect-only -m "$marks" "$@" | grep '::' >"$collected"
    "$PY" -m pytest -q -n "$workers" --dist loadscope --junitxml="$parallel" \
        -m "($marks) and not serial" "$@"
    # Exit status 5: no test is marked serial in this selection.
    status=0
    "$PY" -m pytest -q --junitxml="$serial" -m "($marks) and serial" "$@" || status=$?
    if [[ $status -eq 5 ]]; then
        echo '<testsuites/>' >"$serial"
    elif [[ $status -ne 0 ]]; then
        return "$status"
    fi
    "$PY" scripts/reported.py "$collected" "$parallel" "$serial"
    rm -f "$parallel" "$serial" "$collected"
}

echo "== tests on SQLite"
run_tests "not postgres_only" "$@"

echo "== mypy (pyproject.toml [tool.mypy]: strict on the engine, django-stubs elsewhere)"
mypy_status=0
wait "$mypy_pid" || mypy_status=$?
cat "$mypy_log"
rm -f "$mypy_log"
if [[ $mypy_status -ne 0 ]]; then
    echo "mypy found problems (exit status $mypy_status)"
    exit "$mypy_status"
fi

echo "== tests that depend on the database engine, on PostgreSQL"
source scripts/postgres.sh
start_postgres
DATABASE_URL="$POSTGRES_URL" run_tests "(database or postgres_only) and not sqlite_only" "$@"
