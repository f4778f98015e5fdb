#!/usr/bin/env bash
# Builds the container image from this clone and runs compose.yaml with it, as an
# administrator would: PostgreSQL, the web process and the worker. Checks that the web
# container answers the home page, a static file and the admin's sign-in page; that the
# worker sends the introductions of a published demo round to an SMTP server on
# loopback; that the health checks pass; that the data outlives the containers (down,
# then up again); and that "kaffeeklatsch backup" and "restore" work in the containers.
# The last line is JSON: the image's size and the seconds from "up" to the first page.
#
# Sets up what it needs on a Debian 12 machine (run it as root): podman with
# runc, mmdebstrap (a Debian base image made from Debian's packages, as no image
# registry may be reachable), podman-compose and aiosmtpd in a virtual environment.
# What it sets up is kept in KAFFEEKLATSCH_CONTAINER_CACHE (the base image, the
# virtual environment, the image layers), so a second run builds only what changed.
#
# Networking: the SMTP server listens on the host's loopback, which containers on
# compose's network cannot reach, so the worker runs on the host's network in this
# test (an override file); the web container and PostgreSQL stay on compose's
# network, the web one published on a loopback port as compose.yaml has it.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
script_started=$(date +%s)

cache=${KAFFEEKLATSCH_CONTAINER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kaffeeklatsch-container}
mirror=${KAFFEEKLATSCH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
base_image=localhost/debian-base
image=localhost/kaffeeklatsch:container-test
postgres_image=localhost/kaffeeklatsch-container-test-postgres
mkdir -p "$cache"

say() { echo "container-test: $*" >&2; }
fail() {
    say "FAILED: $*"
    exit 1
}
# podman runs as root here: rootless podman needs more of the machine (subordinate ids,
# a user session) than a CI machine may offer.
[[ $(id -u) -eq 0 ]] || fail "run it as root"

# --- What the machine needs -----------------------------------------------------------
packages=()
for tool in podman runc mmdebstrap iptables; do
    command -v "$tool" >/dev/null || packages+=("$tool")
done
# podman 4.3's networks: netavark (and its DNS, for the service names).
[[ -x /usr/lib/podman/netavark ]] || packages+=(netavark)
[[ -x /usr/lib/podman/aardvark-dns ]] || packages+=(aardvark-dns)
python3 -m venv --help >/dev/null 2>&1 || packages+=(python3-venv)
if [[ ${#packages[@]} -gt 0 ]]; then
    say "Debian packages: ${packages[*]}"
    apt-get update -qq
    env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${packages[@]}" >/dev/null
fi

# This script's own containers.conf: runc (crun cannot set cgroups on every machine),
# and no default ulimits (a machine that refuses raising limits refuses every
# container otherwise). The machine's own configuration is left as it is.
export CONTAINERS_CONF=$cache/containers.conf
printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n' >"$CONTAINERS_CONF"

if [[ ! -x $cache/venv/bin/podman-compose || ! -x $cache/venv/bin/aiosmtpd ]]; then
    say "podman-compose and aiosmtpd into $cache/venv"
    python3 -m venv "$cache/venv"
    "$cache/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        'podman-compose>=1.4,<2' 'aiosmtpd>=1.4,<2'
fi
compose_bin=$cache/venv/bin/podman-compose

if ! podman image exists "$base_image"; then
    say "Debian base image from $mirror"
    # Without manuals, documentation and translations, as Debian's slim images.
    mmdebstrap --quiet --variant=minbase --include=python3,python3-venv \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --customize-hook='rm -rf "$1"/var/cache/apt/*.bin "$1"/var/lib/apt/lists/*' \
        bookworm "$cache/base.tar" "$mirror"
    podman import --quiet "$cache/base.tar" "$base_image" >/dev/null
    rm -f "$cache/base.tar"
fi

# --- The images -----------------------------------------------------------------------
build_args=(--build-arg "BASE=$base_image")
# pip in the build trusts what this machine trusts (a TLS-inspecting proxy's authority).
if [[ -s /etc/ssl/certs/ca-certificates.crt ]]; then
    build_args+=(--secret id=ca-certificates,src=/etc/ssl/certs/ca-certificates.crt)
fi
image_id() { podman image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }
# Builds an image and removes the one it replaces (the build stage's layers stay, as
# the cache of the next build).
build() {
    local tag=$1 log=$2 old
    shift 2
    old=$(image_id "$tag")
    podman build "$@" --tag "$tag" >"$log" 2>&1 ||
        { tail -n 30 "$log" >&2; fail "building $tag (log: $log)"; }
    if [[ -n $old && $old != "$(image_id "$tag")" ]]; then
        podman rmi "$old" >/dev/null 2>&1 || true
    fi
}
say "building $image"
build_started=$(date +%s)
build "$image" "$cache/build.log" "${build_args[@]}" --file Containerfile .
build_seconds=$(($(date +%s) - build_started))
build "$postgres_image" "$cache/build-postgres.log" --build-arg "BASE=$base_image" \
    --file scripts/container-test/postgres.Containerfile scripts/container-test
image_bytes=$(podman image inspect --format '{{.Size}}' "$image")

# --- The project: compose.yaml as shipped, a .env, and the test's override -------------
work=$(mktemp -d)
project=kkctest$$
sink_pid=
compose() { "$compose_bin" --project-name "$project" -f "$work/compose.yaml" -f "$work/test.yaml" "$@"; }
cleanup() {
    set +e
    if [[ -f $work/compose.yaml ]]; then
        compose down --volumes --timeout 5 >/dev/null 2>&1
        podman pod rm --force "pod_$project" >/dev/null 2>&1
    fi
    [[ -n $sink_pid ]] && kill "$sink_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
web_port=$(free_port)
db_port=$(free_port)
smtp_port=$(free_port)
password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')

cp compose.yaml "$work/compose.yaml"
# .env.example with the values of this test.
sed -e "s|^POSTGRES_PASSWORD=.*|POSTGRES_PASSWORD=$password|" \
    -e "s|^KAFFEEKLATSCH_BASE_URL=.*|KAFFEEKLATSCH_BASE_URL=http://127.0.0.1:$web_port|" \
    -e "s|^ALLOWED_HOSTS=.*|ALLOWED_HOSTS=127.0.0.1,localhost|" \
    -e "s|^KAFFEEKLATSCH_LISTEN=.*|KAFFEEKLATSCH_LISTEN=127.0.0.1:$web_port|" \
    -e "s|^EMAIL_HOST=.*|EMAIL_HOST=127.0.0.1|" \
    -e "s|^EMAIL_PORT=.*|EMAIL_PORT=$smtp_port|" \
    -e "s|^EMAIL_USE_TLS=.*|EMAIL_USE_TLS=false|" \
    .env.example >"$work/.env"
echo "KAFFEEKLATSCH_IMAGE=$image" >>"$work/.env"
cat >"$work/test.yaml" <<EOF
services:
  db:
    image: $postgres_image
    ports:
      - 127.0.0.1:$db_port:5432
  worker:
    network_mode: host
    environment:
      DATABASE_URL: postgres://kaffeeklatsch:$password@127.0.0.1:$db_port/kaffeeklatsch
EOF

mkdir -p "$work/mail/cur" "$work/mail/new" "$work/mail/tmp"  # a Maildir
"$cache/venv/bin/python" -m aiosmtpd --nosetuid --listen "127.0.0.1:$smtp_port" \
    --class aiosmtpd.handlers.Mailbox "$work/mail" >"$work/smtp.log" 2>&1 &
sink_pid=$!

# --- Checks ---------------------------------------------------------------------------
# The status of a page of the web container (000: no answer).
status() { python3 - "$1" <<'EOF'
import sys, urllib.error, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=10).status)
except urllib.error.HTTPError as exc:
    print(exc.code)
except OSError:
    print("000")
EOF
}
# Seconds until the home page answers 200.
first_page() {
    local started=$1 deadline=$(($(date +%s) + 300))
    until [[ $(status "http://127.0.0.1:$web_port/") == 200 ]]; do
        [[ $(date +%s) -lt $deadline ]] || { compose logs >&2 || true; fail "no home page after 300 s"; }
        sleep 0.5
    done
    python3 -c "import time; print(round(time.time() - $started, 1))"
}
in_web() { compose exec -T web "$@"; }
count_programmes() {
    in_web kaffeeklatsch shell -c \
        'from kaffeeklatsch.programmes.models import Programme; print(Programme.objects.count())' | tail -1
}

say "compose up"
up_started=$(python3 -c 'import time; print(time.time())')
compose up -d >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; fail "compose up"; }
say "compose up returned after $(python3 -c "import time; print(round(time.time() - $up_started, 1))") s"
first_page_seconds=$(first_page "$up_started")
say "home page after $first_page_seconds s"

page=$(python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$web_port/').read().decode())")
stylesheet=$(grep -o 'href="/static/[^"]*\.css"' <<<"$page" | head -1 | cut -d'"' -f2)
[[ -n $stylesheet ]] || fail "the home page links no stylesheet"
[[ $(status "http://127.0.0.1:$web_port$stylesheet") == 200 ]] || fail "static file $stylesheet"
[[ $(status "http://127.0.0.1:$web_port/admin/login/") == 200 ]] || fail "the admin's sign-in page"
admin=$(python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$web_port/admin/login/').read().decode())")
grep -q 'name="password"' <<<"$admin" || fail "the admin's sign-in page has no password field"

say "demo programme, a round published"
in_web kaffeeklatsch demo >/dev/null
before=$(find "$work/mail" -type f -path '*/new/*' | wc -l)
in_web kaffeeklatsch round preview 1 >/dev/null 2>&1 || fail "round preview"
in_web kaffeeklatsch round publish 1 >/dev/null 2>&1 || fail "round publish"
deadline=$(($(date +%s) + 120))
until [[ $(find "$work/mail" -type f -path '*/new/*' | wc -l) -gt $before ]]; do
    [[ $(date +%s) -lt $deadline ]] || { compose logs worker >&2 || true; fail "no e-mail from the worker"; }
    sleep 1
done
sleep 3 # the rest of the round's introductions
mails=$(find "$work/mail" -type f -path '*/new/*' | wc -l)
grep -l -i '^Subject:' "$work"/mail/new/* >/dev/null || fail "the e-mails have no subject"
say "$mails e-mails received"

say "health checks"
podman healthcheck run "${project}_web_1" >/dev/null || fail "web health check"
podman healthcheck run "${project}_worker_1" >/dev/null || fail "worker health check"

programmes=$(count_programmes)
[[ $programmes -gt 0 ]] || fail "no programmes after the demo"
say "down and up again"
compose down --timeout 10 >/dev/null 2>&1
restart_started=$(python3 -c 'import time; print(time.time())')
compose up -d >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; fail "compose up again"; }
restart_seconds=$(first_page "$restart_started")
[[ $(count_programmes) == "$programmes" ]] || fail "the programmes did not outlive the containers"

say "backup and restore"
in_web kaffeeklatsch backup /data/backups/test.bak | grep -q pg_dump || fail "backup with pg_dump"
in_web kaffeeklatsch shell -c \
    'from kaffeeklatsch.programmes.models import Programme; Programme.objects.all().delete()' >/dev/null
[[ $(count_programmes) == 0 ]] || fail "programmes not deleted before the restore"
compose stop web worker >/dev/null 2>&1
compose run --rm -T web kaffeeklatsch restore --yes /data/backups/test.bak >/dev/null 2>&1 ||
    fail "restore"
compose start web worker >/dev/null 2>&1
first_page "$(python3 -c 'import time; print(time.time())')" >/dev/null
[[ $(count_programmes) == "$programmes" ]] || fail "the restore did not bring the programmes back"

total_seconds=$(($(date +%s) - script_started))
say "passed"
printf '{"image_bytes": %s, "image_mb": %s, "up_to_first_page_seconds": %s, "restart_to_first_page_seconds": %s, "build_seconds": %s, "emails": %s, "total_seconds": %s}\n' \
    "$image_bytes" "$((image_bytes / 1000000))" "$first_page_seconds" "$restart_seconds" \
    "$build_seconds" "$mails" "$total_seconds"
