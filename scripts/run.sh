#!/usr/bin/env bash
# Installs Kaffeeklatsch and runs it on its embedded default: SQLite, a demo
# programme, the web application on http://localhost:8000 and a worker beside it
# (it previews and publishes rounds; its e-mails go to files in var/mail).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export KAFFEEKLATSCH_DATA_DIR="${KAFFEEKLATSCH_DATA_DIR:-$PWD/var}"
.venv/bin/kaffeeklatsch migrate --noinput
.venv/bin/kaffeeklatsch demo
export EMAIL_BACKEND="${EMAIL_BACKEND:-django.core.mail.backends.filebased.EmailBackend}"
.venv/bin/kaffeeklatsch worker --interval 2 &
WORKER=$!
trap 'kill "$WORKER" 2>/dev/null || true' EXIT
.venv/bin/kaffeeklatsch runserver "${KAFFEEKLATSCH_ADDRESS:-127.0.0.1:8000}"
