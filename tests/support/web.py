"""What the web application's tests share: the organisers' password, signing in as an
organiser or a participant, pressing buttons whose work the worker does."""

from __future__ import annotations

import re
import threading
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.tokens import sign_in_token
from kaffeeklatsch.programmes.models import Organiser, Programme
from kaffeeklatsch.rounds.tasks import run_round_tasks

PASSWORD = "a-long-organiser-password-7"


#: What the tests' chat servers on loopback need: the default refuses loopback.
LOOPBACK_ALLOWED = ["127.0.0.0/8", "::1/128"]


#: A public address (example.com's) that names under the reserved example domains
#: resolve to (the ``public_dns`` fixture).
PUBLIC_ADDRESS = "93.184.215.14"
EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net", "example", "test")


DEPARTMENTS = ["Care", "Admin", "Youth", "IT", "Counselling", "Kita"]
LEVELS = ["trainee", "staff", "team lead"]


def create_organiser(username: str = "olga", email: str | None = None) -> Any:
    """An organiser's account, signed in with :data:`PASSWORD`."""
    return get_user_model().objects.create_user(
        username=username, email=email or f"{username}@example.org", password=PASSWORD
    )


def create_programme(owner: Any, **fields: Any) -> Programme:
    """A programme that ``owner`` owns."""
    fields.setdefault("name", "Kaffee im Haus")
    programme = Programme.objects.create(**fields)
    Organiser.objects.create(programme=programme, user=owner, role=Organiser.Role.OWNER)
    return programme


def create_participant(
    programme: Any, n: int, name: str | None = None, **fields: Any
) -> Participant:
    """The ``n``-th active participant of a test: its address, department and level
    follow from ``n``."""
    fields.setdefault("email", f"person{n}@example.org")
    fields.setdefault("department", DEPARTMENTS[n % len(DEPARTMENTS)])
    fields.setdefault("level", LEVELS[n % len(LEVELS)])
    fields.setdefault("languages", ["de", "en"])
    fields.setdefault("language", "en")
    fields.setdefault("status", Participant.Status.ACTIVE)
    return Participant.objects.create(programme=programme, name=name or f"Person {n}", **fields)


def login(client: Any, user: Any) -> None:
    assert client.login(username=user.get_username(), password=PASSWORD)


def sign_in_participant(client: Any, participant: Any) -> None:
    """Signs a participant in the way the product does: through their e-mail link."""

    response = client.post(reverse("participants:sign_in", args=[sign_in_token(participant)]))
    assert response.status_code == 302, response.content[:500]
    participant.refresh_from_db()


def path_of(url: str) -> str:
    return urlsplit(url).path


def press(client: Any, url: str, data: dict[str, Any] | None = None) -> Any:
    """Presses a button whose work the worker does (preview, publish): posts, lets one
    pass of the worker's round tasks run (the code ``kaffeeklatsch worker`` runs), and
    follows to the page the organiser then sees."""

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


_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def press_link_button(client: Any, url: str) -> Any:
    """Opens a link from a message, which shows a page with one button, and presses
    the button as a browser does (a POST with the page's CSRF token)."""
    page = client.get(path_of(url))
    assert page.status_code == 200, page.content[:500]
    token = _CSRF_FIELD.search(page.content.decode())
    assert token is not None, "the page has no form with a CSRF token"
    return client.post(path_of(url), {"csrfmiddlewaretoken": token.group(1)})
