#!/usr/bin/env bash
# Installs everything (Python packages, Chromium, PostgreSQL) and runs the whole
# test suite once on SQLite, then again on a throwaway PostgreSQL server (that this
# script starts and stops) the tests whose behaviour depends on the database engine:
# those marked "database" (locks and leases, transactions, concurrency, migrations,
# raw SQL, aggregations, sorting and case-insensitive search) and those marked
# "postgres_only". Every test runs on at least one database; tests/README.md gives
# the rule. Both runs use one process per core (pytest-xdist), each test module
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
echo "== mypy (pyproject.toml [tool.mypy]: strict on the engine, django-stubs elsewhere)"
"$PY" -m mypy
echo "== dependency audit"
"$PY" scripts/audit.py
# One process per core, each test module in one process; tests marked "serial" (items
# that share one test id, which pytest-xdist would run only once) in one process after
# them. Each run then checks that every test it collected reported a result, so that
# no test is lost silently.
run_tests() {
    local marks=$1 parallel serial collected status
    shift
    parallel=$(mktemp /tmp/kaffeeklatsch-tests.XXXXXX.xml)
    serial=$(mktemp /tmp/kaffeeklatsch-tests.XXXXXX.xml)
    collected=$(mktemp /tmp/kaffeeklatsch-tests.XXXXXX.txt)
    "$PY" -m pytest -q --collect-only -m "$marks" "$@" | grep '::' >"$collected"
    "$PY" -m pytest -q -n auto --dist loadscope --junitxml="$parallel" \
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

echo "== tests that depend on the database engine, on PostgreSQL"
source scripts/postgres.sh
start_postgres
DATABASE_URL="$POSTGRES_URL" run_tests "(database or postgres_only) and not sqlite_only" "$@"
