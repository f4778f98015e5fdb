#!/usr/bin/env bash
# Extracts the translatable texts into the German and English catalogues and compiles
# them: the web application's (Django's "django" domain, kaffeeklatsch/locale) and the
# engine's (the "matching" domain read with the standard library's gettext,
# kaffeeklatsch/matching/locale; texts marked with N_). Needs GNU gettext (Debian
# package "gettext"). Translate new entries in the two German .po files, then run again.
set -euo pipefail
cd "$(dirname "$0")/../kaffeeklatsch"
export KAFFEEKLATSCH_DATA_DIR="${KAFFEEKLATSCH_DATA_DIR:-$(mktemp -d)}"
../.venv/bin/kaffeeklatsch makemessages -l de -l en --ignore 'matching/*' --no-location
../.venv/bin/kaffeeklatsch compilemessages --ignore 'matching/*'

engine=matching/locale/de/LC_MESSAGES
template="$(mktemp)"
trap 'rm -f "$template"' EXIT
find matching -name '*.py' | sort | xargs xgettext -L Python -k -kN_ --from-code=UTF-8 \
    --no-location -o "$template"
msgmerge --quiet --update --backup=none --no-fuzzy-matching "$engine/matching.po" "$template"
msgfmt --check -o "$engine/matching.mo" "$engine/matching.po"
