"""No token, e-mail address or name in any log line.

The links of the product carry their tokens in the path, and Django's request logger,
``runserver`` and gunicorn write the paths of the answers; exception texts quote data.
Requests with bad and expired tokens on every tokenised URL, through the test client
(every logger captured at DEBUG, and the output of the configured handlers) and
through real servers on loopback (gunicorn and ``runserver``: their request and error
logs), and failures of the worker, must leave no token and no address in the logs.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kaffeeklatsch.notifications.emails import queue_sign_in_link
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.tokens import SIGN_IN_SALT, sign_in_token, unsubscribe_url
from kaffeeklatsch.reach.tokens import update_url
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.mail import send_outbox
from tests.support.web import path_of

ROOT = Path(__file__).parents[2]
EMAIL = "xavera.secret@example.org"


def tokenised_routes() -> list[str]:
    """The names of every route of the URL configuration with a token in its path."""
    found = []

    def walk(patterns: list[Any], namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and entry.name:
                if {"token", "uidb64"} & set(entry.pattern.converters):
                    found.append(f"{namespace}:{entry.name}" if namespace else entry.name)

    walk(get_resolver().url_patterns, "")
    return found


def bad_paths(participant: Any, group: Any) -> list[tuple[str, str]]:
    """(path, token) of every tokenised route: with a forged token, a token that has
    expired or was used (the test makes the sign-in links expire), and the address in
    a query string."""
    forged = signing.dumps({"p": participant.pk, "e": EMAIL}, salt="forged")
    paths = []
    for name in tokenised_routes():
        kwargs = {"token": forged}
        if name == "accounts:password_reset_confirm":
            kwargs = {"uidb64": "MTIzNDU2Nzg", "token": "cyq4lk-0123456789abcdef0123456789abcdef"}
        paths.append((reverse(name, kwargs=kwargs), kwargs["token"]))
    real = [
        reverse("participants:sign_in", args=[sign_in_token(participant)]),
        reverse("participants:confirm", args=[sign_in_token(participant)]),
        path_of(unsubscribe_url(participant))[:-5] + "xxxx/",
        path_of(update_url(group.pk, 999999, "cannot_meet")),
    ]
    paths += [(path, path.rstrip("/").rsplit("/", 1)[1]) for path in real]
    return [(f"{path}?email={EMAIL}&next=/me/", token) for path, token in paths]


def assert_clean(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        for part in [secret, *secret.split(":")]:
            if len(part) >= 8:
                assert part not in text, (part, text[-2000:])


@pytest.fixture
def every_logger(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog at DEBUG for every logger, including those that do not propagate."""
    caplog.set_level(logging.DEBUG)
    names = ["django", "django.server", "gunicorn.error", "gunicorn.access"]
    loggers = [logging.getLogger(name) for name in names]
    kept = [(logger, logger.propagate, logger.level) for logger in loggers]
    for logger in loggers:
        logger.propagate = True
        logger.setLevel(logging.DEBUG)
    try:
        yield caplog
    finally:
        for logger, propagate, level in kept:
            logger.propagate, logger.level = propagate, level


@pytest.fixture
def handler_output() -> Iterator[io.StringIO]:
    """What the handlers of the settings' LOGGING write."""
    output = io.StringIO()
    handlers = {
        handler
        for name in ("", "django", "django.server")
        for handler in logging.getLogger(name).handlers
        if isinstance(handler, logging.StreamHandler) and handler.__class__.__module__ == "logging"
    }
    assert handlers
    kept = [(handler, handler.setStream(output)) for handler in handlers]
    # The test's own mail server (aiosmtpd) logs every line it receives: no part of
    # the product, and not wanted here.
    mail_server = logging.getLogger("mail.log")
    mail_server.propagate = False
    try:
        yield output
    finally:
        mail_server.propagate = True
        for handler, stream in kept:
            handler.setStream(stream)


def captured(caplog: pytest.LogCaptureFixture) -> str:
    """Every record's message, arguments and exception text, formatted too, but for
    the test's own mail server (aiosmtpd's "mail.log", which is no part of the
    product)."""
    return "\n".join(
        f"{r.getMessage()} {r.args!r} {r.exc_text or ''} {r.stack_info or ''} "
        + caplog.handler.format(r)
        for r in caplog.records
        if not r.name.startswith("mail.")
    )


@pytest.mark.django_db
def test_bad_and_expired_links_leave_no_token_in_the_logs(
    every_logger: pytest.LogCaptureFixture,
    handler_output: io.StringIO,
    programme: Any,
    make_participant: Any,
    settings: Any,
) -> None:
    anna = make_participant(programme, "Anna", email=EMAIL)
    make_participant(programme, "Ben")
    group = publish_round(preview_round(programme), notify=False).groups.get()
    settings.MAGIC_LINK_MAX_AGE = -1  # the sign-in links above have expired
    paths = bad_paths(anna, group)
    assert {"participants:sign_in", "rounds_feedback", "reach:meeting_update_link"} <= set(
        tokenised_routes()
    )
    for path, _token in paths:
        for method in ("get", "head", "post"):
            status = getattr(Client(), method)(path).status_code
            if "/reset/" not in path:  # Django's reset page answers 200 ("invalid link")
                assert 400 <= status < 500, (method, path, status)
    text = captured(every_logger) + handler_output.getvalue()
    assert "Bad Request: /sign-in/[token]/" in text  # it did log
    assert_clean(text, [token for _path, token in paths] + [EMAIL, "email="])


@pytest.mark.django_db
def test_failures_of_the_worker_log_no_address_and_no_name(
    every_logger: pytest.LogCaptureFixture,
    handler_output: io.StringIO,
    organiser: Any,
    programme: Any,
    make_programme: Any,
    make_participant: Any,
    smtp: Any,
) -> None:
    # A name with a line break (cleaned out of the partner's subject), and a mail
    # server that refuses a recipient, quoting the address.
    odd = make_participant(programme, "Odd\nNamesake", email="odd.namesake@example.org")
    others = [make_participant(programme, "Quentin Zed")]
    elsewhere = make_programme(organiser, name="Elsewhere")
    refused = make_participant(elsewhere, "Rita Ablehnung", email="rita.ablehnung@example.org")

    async def refuse_rita(server: Any, session: Any, envelope: Any, address: str, _: Any) -> str:
        if address == refused.email:
            return f"550 5.1.1 <{address}>: Recipient address rejected (Rita Ablehnung)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    smtp.handle_RCPT = refuse_rita
    publish_round(preview_round(programme))
    queue_sign_in_link(refused)
    send_outbox()
    # Rita's link fails; Quentin's introduction, whose subject names Odd, is delivered,
    # since subjects are cleaned of line breaks on the way out.
    failed = OutboxMessage.objects.exclude(last_error="")
    assert list(failed.values_list("to", flat=True)) == [refused.email]
    assert smtp.to(others[0].email)
    text = captured(every_logger) + handler_output.getvalue()
    assert "attempt 1 failed" in text
    people = [odd, refused, *others]
    secrets = [p.email for p in people] + ["Namesake", "Rita", "Ablehnung", "Quentin"]
    for secret in secrets:
        assert secret not in text, secret


# --- Real servers on loopback ------------------------------------------------


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database of its own for the servers."""
    directory = tmp_path_factory.mktemp("served")
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--noinput"],
        env=server_env(directory),
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return directory


def server_env(directory: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LOG_LEVEL")}
    return {
        **env,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "kaffeeklatsch.settings",
        "KAFFEEKLATSCH_DATA_DIR": str(directory),
        "LOG_LEVEL": "DEBUG",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(url: str, method: str = "GET") -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        assert process.poll() is None, "the server stopped"
        try:
            request(base + "/privacy/")
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the server did not start")


@pytest.mark.parametrize("server", ["gunicorn", "runserver"])
def test_real_servers_log_no_token(server: str, data_dir: Path, tmp_path: Path) -> None:
    port = free_port()
    if server == "gunicorn":
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "kaffeeklatsch.wsgi",
            "--bind", f"127.0.0.1:{port}",
            "--workers", "1",
            "--access-logfile", "-",
            "--error-logfile", "-",
            "--log-level", "debug",
        ]  # fmt: skip
    else:
        command = [sys.executable, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{port}"]
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        # Started in the repository, as the README's service is: gunicorn reads its
        # gunicorn.conf.py there.
        process = subprocess.Popen(
            command, cwd=ROOT, env=server_env(data_dir), stdout=output, stderr=output
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base, process)
            token = signing.dumps({"p": 1}, salt=SIGN_IN_SALT)
            paths = [
                f"/sign-in/{token}/",
                f"/unsubscribe/{token}/?email={EMAIL}",
                f"/feedback/{token}/",
                f"/meeting/{token}/",
                f"/join/{token}/",
                f"/accounts/reset/MTIzNDU2Nzg/{token}/",
            ]
            for path in paths:
                assert request(base + path) in (200, 400, 404)
                request(base + path, "HEAD")
        finally:
            process.terminate()
            process.wait(timeout=30)
    text = log.read_text(errors="replace")
    assert "/sign-in/[token]/" in text, text[-2000:]  # the request log was written
    assert_clean(text, [token, EMAIL])
