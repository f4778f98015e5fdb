#!/usr/bin/env bash
# Extracts the translatable texts of the web application into the German and English
# catalogues and compiles them. Needs GNU gettext (Debian package "gettext").
# Translate new entries in kaffeeklatsch/locale/de/LC_MESSAGES/django.po, then run again.
set -euo pipefail
cd "$(dirname "$0")/../kaffeeklatsch"
export KAFFEEKLATSCH_DATA_DIR="${KAFFEEKLATSCH_DATA_DIR:-$(mktemp -d)}"
../.venv/bin/kaffeeklatsch makemessages -l de -l en --ignore 'matching/*' --no-location
../.venv/bin/kaffeeklatsch compilemessages --ignore 'matching/*'
