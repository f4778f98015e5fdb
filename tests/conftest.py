"""Settings and fixtures for the whole test suite: a real database, a real SMTP server
on loopback, real organisers, programmes and participants, Debian's Chromium."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import settings
from playwright.sync_api import sync_playwright

from tests.support.mail import Inbox
from tests.support.web import (
    EXAMPLE_DOMAINS,
    LOOPBACK_ALLOWED,
    PUBLIC_ADDRESS,
    RoundWorker,
    create_organiser,
    create_participant,
    create_programme,
)

# Playwright's synchronous API runs an event loop in the test's thread; Django's ORM
# refuses to run next to one unless told that this thread is not really async.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The suite is the project's gate, so property tests draw the same examples on
# every run; KAFFEEKLATSCH_HYPOTHESIS=explore draws new ones to look for bugs.
settings.register_profile("gate", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("KAFFEEKLATSCH_HYPOTHESIS", "gate"))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """SQLite's test database is a file, as in production, not Django's shared in-memory
    database: the live server's threads and the tests' worker threads then each have a
    connection of their own that waits for the write lock (busy timeout, WAL), where
    connections to a shared in-memory database fail at once with "table is locked"."""
    database = django_settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(
            tmp_path_factory.mktemp("database") / "kaffeeklatsch.sqlite3"
        )


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    """A real SMTP server on loopback that Django's SMTP backend sends to."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def allow_loopback(settings: Any) -> None:
    """Lets outbound requests (chat channels, webhooks) reach servers on loopback."""
    settings.OUTBOUND_ALLOW = LOOPBACK_ALLOWED


@pytest.fixture
def public_dns(monkeypatch: pytest.MonkeyPatch) -> str:
    """Names under the reserved example domains (``matrix.example.org``, ``mm.example``)
    resolve to a public address, as a real chat server's name would, without asking a
    DNS server; other names resolve as usual."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if any(name == d or name.endswith("." + d) for d in EXAMPLE_DOMAINS):
            host = PUBLIC_ADDRESS
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return PUBLIC_ADDRESS


@pytest.fixture
def make_organiser(db: Any) -> Any:
    return create_organiser


@pytest.fixture
def organiser(make_organiser: Any) -> Any:
    return make_organiser("olga")


@pytest.fixture
def make_programme(db: Any) -> Any:
    return create_programme


@pytest.fixture
def programme(organiser: Any, make_programme: Any) -> Any:
    return make_programme(organiser, name="Kaffee im Haus", language="en")


@pytest.fixture
def make_participant(db: Any) -> Any:
    """Makes participants numbered from 1 in each test."""
    numbers = itertools.count(1)

    def make(programme: Any, name: str | None = None, **fields: Any) -> Any:
        return create_participant(programme, next(numbers), name, **fields)

    return make


@pytest.fixture
def client() -> Any:
    """A browser that asks for English pages (the server's default is German)."""
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def german_client() -> Any:
    return Client(headers={"accept-language": "de-DE,de;q=0.9"})


@pytest.fixture
def round_worker() -> Iterator[RoundWorker]:
    worker = RoundWorker()
    try:
        yield worker
    finally:
        worker.stop()


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, one per test module."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
