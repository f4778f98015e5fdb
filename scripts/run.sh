#!/usr/bin/env bash
# Installs Kaffeeklatsch and runs it on its embedded default: SQLite, a demo
# programme, the web application on http://localhost:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export KAFFEEKLATSCH_DATA_DIR="${KAFFEEKLATSCH_DATA_DIR:-$PWD/var}"
.venv/bin/kaffeeklatsch migrate --noinput
.venv/bin/kaffeeklatsch demo
exec .venv/bin/kaffeeklatsch runserver "${KAFFEEKLATSCH_ADDRESS:-127.0.0.1:8000}"
