#!/usr/bin/env bash
# Installs everything Kaffeeklatsch needs into ./.venv, and the Debian packages the
# tests need (Chromium, PostgreSQL) when asked with --test. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_TEST=0
[[ "${1:-}" == "--test" ]] && WITH_TEST=1

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@";
    elif command -v sudo >/dev/null; then sudo "$@";
    else echo "install: need root (or sudo) for: $*" >&2; return 1; fi
}

apt_packages=()
if ! python3 -m venv --help >/dev/null 2>&1; then apt_packages+=(python3-venv); fi
# A font with the letters of every name for the printed letters and reports.
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || apt_packages+=(fonts-dejavu-core)
if [[ $WITH_TEST -eq 1 ]]; then
    command -v chromium >/dev/null || apt_packages+=(chromium)
    # xgettext: a test checks that every text of the code is in the German catalogue.
    command -v xgettext >/dev/null || apt_packages+=(gettext)
    # faketime: the Matrix tests run a second Synapse on a faster clock, so that its
    # default rate limits (one room a minute) pass in seconds.
    command -v faketime >/dev/null || apt_packages+=(faketime)
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_packages+=(postgresql)
    # Node.js: the single sign-out browser test runs an OpenID Connect provider with
    # sessions (panva's oidc-provider, tests/support/oidc_provider/).
    command -v npm >/dev/null || apt_packages+=(nodejs npm)
fi
if [[ ${#apt_packages[@]} -gt 0 ]]; then
    echo "install: Debian packages: ${apt_packages[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}"
fi

if [[ ! -x .venv/bin/python ]]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
if [[ $WITH_TEST -eq 1 ]]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
else
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
fi

if [[ $WITH_TEST -eq 1 ]]; then
    # The test provider's packages, exactly as locked; again only when the lock changed.
    provider_dir=tests/support/oidc_provider
    if [[ ! -f $provider_dir/node_modules/.package-lock.json \
        || $provider_dir/package-lock.json -nt $provider_dir/node_modules/.package-lock.json ]]; then
        npm ci --prefix "$provider_dir" --no-audit --no-fund
    fi
fi
