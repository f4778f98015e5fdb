"""Fixtures for the web application's tests: real database, real SMTP server on
loopback, real organisers, programmes and participants."""

from __future__ import annotations

import email
import os
import re
import socket
import threading
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

# Playwright's synchronous API runs an event loop in the test's thread; Django's ORM
# refuses to run next to one unless told that this thread is not really async.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "a-long-organiser-password-7"


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []
        self.lock = threading.Lock()
        self.refuse = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "451 Try again later"
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.envelopes.append(envelope)
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.envelopes.clear()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
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


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content()


def ics_part(message: EmailMessage) -> str | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            return payload.decode("utf-8") if isinstance(payload, bytes) else str(payload)
    return None


def links(text: str, base: str = "") -> list[str]:
    return [u for u in re.findall(r"https?://[^\s<>\"]+", text) if u.startswith(base)]


# Signed links carry the time they were made: two renderings differ only there.
_SIGNED = re.compile(r"/(sign-in|feedback)/[^/\s\"<>]+/")
_STAMP = re.compile(r"DTSTAMP:\d{8}T\d{6}Z")


def comparable(text: str) -> str:
    """An e-mail's text or calendar with CRLF line ends (as SMTP carries text parts)
    made LF, and without what changes from one rendering to the next: the time in
    signed links and the calendar's DTSTAMP."""
    text = _STAMP.sub("DTSTAMP:…", text.replace("\r\n", "\n"))
    return _SIGNED.sub(lambda m: f"/{m.group(1)}/…/", text)


def send_outbox() -> int:
    """What the worker does, once."""
    from kaffeeklatsch.jobs.management.commands.worker import work_once

    return work_once()["emails"]


#: What the tests' chat servers on loopback need: the default refuses loopback.
LOOPBACK_ALLOWED = ["127.0.0.0/8", "::1/128"]


@pytest.fixture
def allow_loopback(settings: Any) -> None:
    """Lets outbound requests (chat channels, webhooks) reach servers on loopback."""
    settings.OUTBOUND_ALLOW = LOOPBACK_ALLOWED


#: A public address (example.com's) that the example names below resolve to.
PUBLIC_ADDRESS = "93.184.215.14"
_EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net", "example", "test")


@pytest.fixture
def public_dns(monkeypatch: pytest.MonkeyPatch) -> str:
    """Names under the reserved example domains (``matrix.example.org``, ``mm.example``)
    resolve to a public address, as a real chat server's name would, without asking a
    DNS server; other names resolve as usual."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if any(name == d or name.endswith("." + d) for d in _EXAMPLE_DOMAINS):
            host = PUBLIC_ADDRESS
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return PUBLIC_ADDRESS


@pytest.fixture
def make_organiser(db: Any) -> Any:
    from django.contrib.auth import get_user_model

    def make(username: str = "olga", email: str | None = None) -> Any:
        return get_user_model().objects.create_user(
            username=username, email=email or f"{username}@example.org", password=PASSWORD
        )

    return make


@pytest.fixture
def organiser(make_organiser: Any) -> Any:
    return make_organiser("olga")


@pytest.fixture
def make_programme(db: Any) -> Any:
    from kaffeeklatsch.programmes.models import Organiser, Programme

    def make(owner: Any, **fields: Any) -> Programme:
        fields.setdefault("name", "Kaffee im Haus")
        programme = Programme.objects.create(**fields)
        Organiser.objects.create(programme=programme, user=owner, role=Organiser.Role.OWNER)
        return programme

    return make


@pytest.fixture
def programme(organiser: Any, make_programme: Any) -> Any:
    return make_programme(organiser, name="Kaffee im Haus", language="en")


DEPARTMENTS = ["Care", "Admin", "Youth", "IT", "Counselling", "Kita"]
LEVELS = ["trainee", "staff", "team lead"]


@pytest.fixture
def make_participant(db: Any) -> Any:
    from kaffeeklatsch.participants.models import Participant

    counter = {"n": 0}

    def make(programme: Any, name: str | None = None, **fields: Any) -> Participant:
        counter["n"] += 1
        n = counter["n"]
        fields.setdefault("email", f"person{n}@example.org")
        fields.setdefault("department", DEPARTMENTS[n % len(DEPARTMENTS)])
        fields.setdefault("level", LEVELS[n % len(LEVELS)])
        fields.setdefault("languages", ["de", "en"])
        fields.setdefault("language", "en")
        fields.setdefault("status", Participant.Status.ACTIVE)
        return Participant.objects.create(programme=programme, name=name or f"Person {n}", **fields)

    return make


def login(client: Any, user: Any) -> None:
    assert client.login(username=user.get_username(), password=PASSWORD)


def sign_in_participant(client: Any, participant: Any) -> None:
    """Signs a participant in the way the product does: through their e-mail link."""
    from django.urls import reverse

    from kaffeeklatsch.participants.tokens import sign_in_token

    response = client.post(reverse("participants:sign_in", args=[sign_in_token(participant)]))
    assert response.status_code == 302, response.content[:500]
    participant.refresh_from_db()


@pytest.fixture
def client() -> Any:
    """A browser that asks for English pages (the server's default is German)."""
    from django.test import Client

    return Client(headers={"accept-language": "en"})


@pytest.fixture
def german_client() -> Any:
    from django.test import Client

    return Client(headers={"accept-language": "de-DE,de;q=0.9"})


def path_of(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path


def press(client: Any, url: str, data: dict[str, Any] | None = None) -> Any:
    """Presses a button whose work the worker does (preview, publish): posts, lets one
    pass of the worker's round tasks run (the code ``kaffeeklatsch worker`` runs), and
    follows to the page the organiser then sees."""
    from kaffeeklatsch.rounds.tasks import run_round_tasks

    response = client.post(url, data or {})
    run_round_tasks()
    if response.status_code != 302:
        return response
    return client.get(response["Location"], follow=True)


class RoundWorker:
    """The worker's round tasks, run in a thread of the test process (as ``kaffeeklatsch
    worker`` runs them), for pages driven by a browser against the live server. It
    runs from :meth:`start` on, so a test can first see a task waiting."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        from django.db import connection

        from kaffeeklatsch.rounds.tasks import run_round_tasks

        try:
            while not self.stopping.is_set():
                if not run_round_tasks():
                    self.stopping.wait(0.2)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=60)


@pytest.fixture
def round_worker() -> Iterator[RoundWorker]:
    worker = RoundWorker()
    try:
        yield worker
    finally:
        worker.stop()


_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def press_link_button(client: Any, url: str) -> Any:
    """Opens a link from a message, which shows a page with one button, and presses
    the button as a browser does (a POST with the page's CSRF token)."""
    page = client.get(path_of(url))
    assert page.status_code == 200, page.content[:500]
    token = _CSRF_FIELD.search(page.content.decode())
    assert token is not None, "the page has no form with a CSRF token"
    return client.post(path_of(url), {"csrfmiddlewaretoken": token.group(1)})
