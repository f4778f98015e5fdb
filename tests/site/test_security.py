"""Security: headers and no inline script on any page, CSRF on every form, signed
single-use expiring links, no way to learn whether an address is known, rate limits
on what sends e-mail, no personal data in the logs, ``check --deploy`` clean."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from kaffeeklatsch.front.models import RateLimit
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.tokens import SIGN_IN_SALT, feedback_url, sign_in_token
from kaffeeklatsch.rounds.models import Feedback
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.site.test_authorization import (
    GET,
    ROLES,
    RULES,
    checked_urls,
    client_for,
    url_for,
)
from tests.support.mail import send_outbox
from tests.support.web import login, path_of
from tests.support.world import World

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)
JAVASCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def assert_secure_page(response: Any, where: str) -> None:
    csp = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'", where
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in csp, where
    assert response["X-Frame-Options"] == "DENY", where
    assert response["X-Content-Type-Options"] == "nosniff", where
    assert response["Referrer-Policy"] == "same-origin", where
    if response.get("Content-Type", "").startswith("text/html"):
        html = response.content.decode()
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, STYLE_ATTRIBUTE, JAVASCRIPT_URL):
            found = pattern.search(html)
            assert found is None, f"{where}: {found.group(0) if found else ''}"


@pytest.mark.parametrize("role", ROLES)
def test_every_page_has_security_headers_and_no_inline_script(role: str, world: World) -> None:
    client = client_for(role, world)
    seen = 0
    for named in checked_urls():
        rule = RULES.get(named.name)  # a URL without a rule fails the matrix itself
        if rule is None or role not in rule.allowed or GET not in rule.requests or rule.by_link:
            continue
        response = client.get(url_for(named, world), follow=True)
        assert_secure_page(response, f"{role} {named.name}")
        seen += 1
    assert seen > 3


def test_pages_opened_from_links_and_error_pages_are_covered_too(world: World) -> None:
    client = Client(headers={"accept-language": "en"})
    for url in (
        reverse("participants:sign_in", args=[sign_in_token(world.participant)]),
        reverse("participants:confirm", args=["forged"]),
        "/no-such-page/",
    ):
        assert_secure_page(client.get(url), url)


def test_hsts_is_sent_behind_tls_only(client: Client, settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert "Strict-Transport-Security" not in client.get(reverse("front:home"))
    secure = client.get(reverse("front:home"), headers={"x-forwarded-proto": "https"})
    assert secure["Strict-Transport-Security"] == "max-age=3600"


def production_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_"))}
    env.update(
        DEBUG="",
        SECRET_KEY="a9Pq-" + "x7Lm2Rt8Vw" * 6,
        KAFFEEKLATSCH_BASE_URL="https://kaffee.example.org",
        ALLOWED_HOSTS="kaffee.example.org",
        KAFFEEKLATSCH_DATA_DIR=str(tmp_path),
    )
    return env


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    kaffeeklatsch = Path(sys.executable).with_name("kaffeeklatsch")
    run = subprocess.run(
        [str(kaffeeklatsch), "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no issues" in run.stdout
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.BEHIND_PROXY)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**production_env(tmp_path), "DJANGO_SETTINGS_MODULE": "kaffeeklatsch.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.split() == ["31536000", "True", "True", "True", "True"]


# --- CSRF ------------------------------------------------------------------


# Posted by mail providers without a session (RFC 8058 one-click unsubscribe): the
# signed link is the authority, and a forged one changes nothing (test_unsubscribe.py).
CSRF_EXEMPT = {"participants:unsubscribe"}


@pytest.mark.parametrize("role", ROLES)
def test_every_form_needs_the_csrf_token(role: str, world: World) -> None:
    client = client_for(role, world)
    client.handler.enforce_csrf_checks = True
    tried = 0
    for named in checked_urls():
        rule = RULES.get(named.name)
        if rule is None or role not in rule.allowed or named.name in CSRF_EXEMPT:
            continue
        for method, data in rule.requests:
            if method != "post":
                continue
            response = client.post(url_for(named, world), data(world) if callable(data) else data)
            assert response.status_code == 403, (role, named.name, response.status_code)
            tried += 1
    assert tried > 0


# --- Links -------------------------------------------------------------------


def test_sign_in_links_are_signed_expiring_single_use(
    client: Client, world: World, settings: Any
) -> None:
    participant = world.participant
    token = sign_in_token(participant)
    url = reverse("participants:sign_in", args=[token])
    # Tampered: another participant's id with the same signature.
    payload, _, signature = token.partition(":")
    forged = signing.dumps({"p": world.other_participant.pk, "g": 0}, salt=SIGN_IN_SALT)
    mixed = forged.split(":")[0] + ":" + token.split(":", 1)[1]
    for bad in (mixed, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "x" * 40):
        response = client.post(reverse("participants:sign_in", args=[bad]))
        assert response.status_code == 400
        assert "participant_id" not in client.session
    # Expired.
    settings.MAGIC_LINK_MAX_AGE = -1
    assert client.post(url).status_code == 400
    settings.MAGIC_LINK_MAX_AGE = 3600
    # Used once, then refused: a replay opens nothing.
    assert client.post(url).status_code == 302
    assert client.session["participant_id"] == participant.pk
    other = Client()
    response = other.post(url)
    assert response.status_code == 400 and "participant_id" not in other.session
    # Only POST uses a link; a GET (a mail scanner following it) does not.
    fresh = reverse(
        "participants:sign_in", args=[sign_in_token(Participant.objects.get(pk=participant.pk))]
    )
    assert other.get(fresh).status_code == 200
    assert other.post(fresh).status_code == 302


def test_feedback_links_refuse_forged_and_tampered_tokens(client: Client, world: World) -> None:
    group = world.published.groups.filter(members=world.participant).get()
    good = feedback_url(group.pk, world.participant.pk, True)
    token = path_of(good).rstrip("/").rsplit("/", 1)[-1]
    other = signing.dumps({"g": group.pk, "p": world.other_participant.pk, "m": 1}, salt="x")
    for bad in (token[:-3] + "abc", other, "bad:token", "A" * 200):
        response = client.get(reverse("rounds_feedback", args=[bad]))
        assert response.status_code in (400, 404), bad
    assert not Feedback.objects.exists()


# --- Not revealing who is known -------------------------------------------


def _form_html(response: Any) -> str:
    html = response.content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _signup(programme: Any, email: str) -> dict[str, Any]:
    return {
        "name": "Probe",
        "email": email,
        "department": "IT",
        "level": "staff",
        "languages_text": "Deutsch",
        "mode": "either",
        "language": "en",
        "shares": "email",
        "consent": "on",
    }


def test_sign_up_answers_the_same_for_a_known_address(client: Client, world: World) -> None:
    url = reverse("participants:join", args=[world.programme.invite_token])
    known = world.participant.email
    count = Participant.objects.count()
    new = client.post(url, _signup(world.programme, "new-person@example.org"))
    assert new.status_code == 302, new.content.decode()[:3000]
    again = Client(headers={"accept-language": "en"}).post(url, _signup(world.programme, known))
    assert (again.status_code, again["Location"]) == (new.status_code, new["Location"])
    assert _form_html(client.get(new["Location"])) == _form_html(
        Client(headers={"accept-language": "en"}).get(again["Location"])
    )
    # The known person was not stored twice and was sent their link instead.
    assert Participant.objects.count() == count + 1
    assert Participant.objects.filter(email=known).count() == 1
    kinds = set(OutboxMessage.objects.filter(to=known).values_list("kind", flat=True))
    assert kinds & {OutboxMessage.Kind.LINK, OutboxMessage.Kind.CONFIRM}


def test_link_request_and_organiser_login_do_not_reveal_known_addresses(
    client: Client, world: World
) -> None:
    url = reverse("participants:request_link")
    known = client.post(url, {"email": world.participant.email})
    unknown = Client(headers={"accept-language": "en"}).post(url, {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert _form_html(known) == _form_html(unknown)
    login_url = reverse("accounts:login")
    wrong_password = Client(headers={"accept-language": "en"}).post(
        login_url, {"username": world.owner.username, "password": "wrong-password-1"}
    )
    no_such_user = Client(headers={"accept-language": "en"}).post(
        login_url, {"username": "no-such-organiser", "password": "wrong-password-1"}
    )
    assert wrong_password.status_code == no_such_user.status_code == 200
    assert _form_html(wrong_password).replace(world.owner.username, "X") == _form_html(
        no_such_user
    ).replace("no-such-organiser", "X")
    reset = reverse("accounts:password_reset")
    a = Client().post(reset, {"email": world.owner.email})
    b = Client().post(reset, {"email": "nobody@example.org"})
    assert (a.status_code, a["Location"]) == (b.status_code, b["Location"])


# --- Rate limits ------------------------------------------------------------


def test_link_requests_are_rate_limited_per_client(world: World, settings: Any) -> None:
    settings.RATE_LIMIT_PER_HOUR = 3
    url = reverse("participants:request_link")
    client = Client(headers={"accept-language": "en"}, REMOTE_ADDR="203.0.113.7")
    for n in range(3):
        assert client.post(url, {"email": f"x{n}@example.org"}).status_code == 200
    before = OutboxMessage.objects.count()
    refused = client.post(url, {"email": world.participant.email})
    assert refused.status_code == 429
    assert "Please try again in an hour" in refused.content.decode()
    assert OutboxMessage.objects.count() == before
    german = Client(headers={"accept-language": "de"}, REMOTE_ADDR="203.0.113.7")
    assert (
        "Bitte versuchen Sie es in einer Stunde"
        in german.post(url, {"email": "a@b.de"}).content.decode()
    )
    # Another client is not affected; the count lives in the database, so every web
    # process sees it, and it holds no address.
    other = Client(headers={"accept-language": "en"}, REMOTE_ADDR="198.51.100.2")
    assert other.post(url, {"email": world.participant.email}).status_code == 200
    assert RateLimit.objects.count() == 2
    assert not any("203.0.113.7" in r.key for r in RateLimit.objects.all())


def test_sign_ups_and_invitations_are_rate_limited(world: World, settings: Any) -> None:
    settings.RATE_LIMIT_PER_HOUR = 2
    join = reverse("participants:join", args=[world.programme.invite_token])
    client = Client(headers={"accept-language": "en"})
    for n in range(2):
        assert client.post(join, _signup(world.programme, f"s{n}@example.org")).status_code == 302
    count = Participant.objects.count()
    assert client.post(join, _signup(world.programme, "s9@example.org")).status_code == 429
    assert Participant.objects.count() == count
    owner = Client(headers={"accept-language": "en"})
    login(owner, world.owner)
    invite = reverse("programmes:organisers", args=[world.programme.pk])
    for n in range(2):
        assert owner.post(invite, {"email": f"co{n}@example.org"}).status_code == 302
    assert owner.post(invite, {"email": "co9@example.org"}).status_code == 429
    assert not OutboxMessage.objects.filter(to="co9@example.org").exists()


def test_behind_a_proxy_the_forwarded_address_counts(world: World, settings: Any) -> None:
    settings.RATE_LIMIT_PER_HOUR = 1
    settings.BEHIND_PROXY = True
    url = reverse("participants:request_link")
    for n in range(3):
        client = Client(headers={"x-forwarded-for": f"spoofed, 192.0.2.{n}"})
        assert client.post(url, {"email": "a@example.org"}).status_code == 200
    again = Client(headers={"x-forwarded-for": "192.0.2.1"})
    assert again.post(url, {"email": "a@example.org"}).status_code == 429


# --- Logs -------------------------------------------------------------------


@pytest.fixture
def all_logs(caplog: Any) -> Any:
    caplog.set_level(logging.DEBUG)
    for name in ("django", "django.request", "mail.log", "kaffeeklatsch"):
        logger = logging.getLogger(name)
        logger.propagate = True
    return caplog


def test_no_personal_data_in_logs(
    all_logs: Any, client: Client, programme: Any, make_participant: Any, smtp: Any
) -> None:
    people = [make_participant(programme, f"Zoe Quentin-{n}") for n in range(4)]
    join = reverse("participants:join", args=[programme.invite_token])
    client.post(join, {**_signup(programme, "xavera.secret@example.org"), "name": "Xavera Geheim"})
    smtp.refuse = True
    send_outbox()  # refused: logged as a failed attempt
    smtp.refuse = False
    OutboxMessage.objects.update(next_attempt_at=OutboxMessage.objects.first().created_at)
    publish_round(preview_round(programme))
    send_outbox()
    assert len(smtp.messages) >= 5
    # Everything logged but the test's own mail server (aiosmtpd's "mail.log").
    text = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''}"
        for r in all_logs.records
        if not r.name.startswith("mail.")
    )
    assert "attempt 1 failed" in text  # the logs did capture the sending
    for secret in (
        ["xavera.secret", "Xavera", "Geheim"] + [p.email for p in people] + [p.name for p in people]
    ):
        assert secret not in text, secret
