"""Fifty writes at the same moment, through the API and through the pages, against
gunicorn as in production (two processes of sixteen threads): no server error, and
every write is stored.

On SQLite the site has a database file of its own (the test database lives in this
process's memory, where every thread would share one connection); on PostgreSQL it
uses the test database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from django.db import connection

from tests.support.site import ORGANISER, PASSWORD, Site, migrate, seed, site_env

pytestmark = [pytest.mark.database, pytest.mark.django_db(transaction=True)]

WRITES = 50
TIMEOUT = 120


def _database_url(tmp_path: Path) -> str:
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'kaffeeklatsch.sqlite3'}"
    s = connection.settings_dict
    user = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        user += ":" + quote(s["PASSWORD"])
    return f"postgres://{user}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Site, dict[str, Any]]]:
    env = site_env(_database_url(tmp_path), tmp_path)
    if connection.vendor == "sqlite":
        migrate(env)
    data = seed(env, WRITES)
    server = Site(env, tmp_path / "gunicorn.log")
    try:
        yield server, data
    finally:
        server.stop()


def at_once(calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """Runs every call in its own thread, all released at the same moment."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], requests.Response]) -> requests.Response:
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def failures(answers: list[requests.Response], expected: set[int]) -> list[str]:
    return [
        f"{a.request.method} {a.request.path_url} -> {a.status_code}: {a.text[:300]}"
        for a in answers
        if a.status_code not in expected
    ]


def client() -> requests.Session:
    """A client that opens a connection per request: one kept open from the sign-in
    could be closed by the server (idle too long) just as the write is sent on it."""
    session = requests.Session()
    session.headers["Accept-Language"] = "en"
    session.headers["Connection"] = "close"
    return session


def api(secret: str) -> requests.Session:
    session = client()
    session.headers["Authorization"] = f"Bearer {secret}"
    return session


def people_by_id(server: Site, data: dict[str, Any]) -> dict[int, dict[str, Any]]:
    listed = api(data["token"]).get(
        f"{server.url}/api/v1/programmes/{data['programme']}/people/", timeout=TIMEOUT
    )
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["next"] is None
    return {p["id"]: p for p in body["results"]}


def test_fifty_api_writes_at_once(site: tuple[Site, dict[str, Any]]) -> None:
    server, data = site
    base = f"{server.url}/api/v1/programmes/{data['programme']}/people/"
    people = [p["id"] for p in data["people"]]
    leaving, changed, added = people[:20], people[20:35], [f"New person {n}" for n in range(15)]

    def leave(pk: int) -> Callable[[], requests.Response]:
        session = api(data["token"])
        return lambda: session.post(f"{base}{pk}/leave/", timeout=TIMEOUT)

    def change(pk: int) -> Callable[[], requests.Response]:
        session = api(data["token"])
        return lambda: session.patch(
            f"{base}{pk}/", json={"department": f"Team {pk}"}, timeout=TIMEOUT
        )

    def add(name: str) -> Callable[[], requests.Response]:
        session = api(data["token"])
        email = name.lower().replace(" ", ".") + "@example.org"
        return lambda: session.post(base, json={"name": name, "email": email}, timeout=TIMEOUT)

    calls = [leave(pk) for pk in leaving] + [change(pk) for pk in changed]
    calls += [add(name) for name in added]
    assert len(calls) == WRITES
    answers = at_once(calls)
    refused = failures(answers, {200, 201})
    assert not refused, (refused, server.output()[-4000:])

    found = people_by_id(server, data)
    assert all(found[pk]["status"] == "left" for pk in leaving)
    assert all(found[pk]["department"] == f"Team {pk}" for pk in changed)
    names = {p["name"] for p in found.values()}
    assert set(added) <= names
    assert len(found) == WRITES + len(added)
    untouched = set(people) - set(leaving) - set(changed)
    assert all(found[pk]["status"] == "active" for pk in untouched)


def csrf_of(session: requests.Session) -> str:
    return session.cookies["csrftoken"]


def organiser_session(server: Site) -> requests.Session:
    session = client()
    session.get(f"{server.url}/accounts/login/", timeout=TIMEOUT).raise_for_status()
    signed_in = session.post(
        f"{server.url}/accounts/login/",
        data={"username": ORGANISER, "password": PASSWORD, "csrfmiddlewaretoken": csrf_of(session)},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert signed_in.status_code == 302, signed_in.text[:500]
    return session


def participant_session(server: Site, sign_in: str) -> requests.Session:
    session = client()
    session.get(server.url + sign_in, timeout=TIMEOUT).raise_for_status()
    signed_in = session.post(
        server.url + sign_in,
        data={"csrfmiddlewaretoken": csrf_of(session)},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert signed_in.status_code == 302, signed_in.text[:500]
    return session


def test_fifty_page_writes_at_once(site: tuple[Site, dict[str, Any]]) -> None:
    """The organiser changes people on the people page while others change their own
    profile and others leave on their own page, all at the same moment."""
    server, data = site
    people = data["people"]
    by_organiser, by_themselves, leaving = people[:20], people[20:35], people[35:]
    organiser = organiser_session(server)

    def organiser_edit(person: dict[str, Any]) -> Callable[[], requests.Response]:
        form = {**person["organiser_form"], "department": f"Organised {person['id']}"}
        form["csrfmiddlewaretoken"] = csrf_of(organiser)
        url = f"{server.url}/programmes/{data['programme']}/people/{person['id']}/"
        return lambda: organiser.post(url, data=form, allow_redirects=False, timeout=TIMEOUT)

    def own_edit(person: dict[str, Any]) -> Callable[[], requests.Response]:
        session = participant_session(server, person["sign_in"])
        form = {**person["profile"], "department": f"Own {person['id']}"}
        form["csrfmiddlewaretoken"] = csrf_of(session)
        url = f"{server.url}/me/profile/"
        return lambda: session.post(url, data=form, allow_redirects=False, timeout=TIMEOUT)

    def own_leave(person: dict[str, Any]) -> Callable[[], requests.Response]:
        session = participant_session(server, person["sign_in"])
        form = {"csrfmiddlewaretoken": csrf_of(session)}
        url = f"{server.url}/me/leave/"
        return lambda: session.post(url, data=form, allow_redirects=False, timeout=TIMEOUT)

    calls = [organiser_edit(p) for p in by_organiser] + [own_edit(p) for p in by_themselves]
    calls += [own_leave(p) for p in leaving]
    assert len(calls) == WRITES
    answers = at_once(calls)
    refused = failures(answers, {302})
    assert not refused, (refused, server.output()[-4000:])

    found = people_by_id(server, data)
    assert all(found[p["id"]]["department"] == f"Organised {p['id']}" for p in by_organiser)
    assert all(found[p["id"]]["department"] == f"Own {p['id']}" for p in by_themselves)
    assert all(found[p["id"]]["status"] == "left" for p in leaving)
    assert all(found[p["id"]]["status"] == "active" for p in by_organiser + by_themselves)
