#!/usr/bin/env bash
# Installs everything (Python packages, Chromium, PostgreSQL) and runs the whole
# test suite: once on SQLite, then the database tests again on a throwaway
# PostgreSQL server that this script starts and stops.
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
echo "== tests on SQLite"
"$PY" -m pytest -q -m "not postgres_only" "$@"

if compgen -G "tests/web" >/dev/null; then
    echo "== database tests on PostgreSQL"
    source scripts/postgres.sh
    start_postgres
    DATABASE_URL="$POSTGRES_URL" "$PY" -m pytest -q -m "not sqlite_only" tests/web "$@"
fi
