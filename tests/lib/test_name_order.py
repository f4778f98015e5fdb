"""Names sort as German readers expect (Ä with A, Ö with O, Ü with U, ß as ss,
letter case ignored) in the people list, the API, the admin, the round page and the
exports, on SQLite and on PostgreSQL (run with DATABASE_URL set)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse

from kaffeeklatsch.lib.names import sort_key
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Group, Round
from tests.api.test_api import api_client, make_token
from tests.support.web import login

# Collation differs between the engines: every test runs on both.
pytestmark = pytest.mark.database

# In the order a German reader expects them.
EXPECTED = [
    "Anna Abel",
    "Änne Bär",
    "Arno Zeh",
    "Olaf Ost",
    "Ömer Öz",
    "Oskar Sommer",
    "Strauss, Eva",
    "Strauß, Franz",
    "Strauss, Gabi",
    "Ulrike Ulm",
    "Üwe Übel",
    "uwe Zander",
    "Zoe Zeller",
]
# A byte-wise order puts every umlaut after "Z"; the test data must show that.
assert sorted(EXPECTED) != EXPECTED


@pytest.fixture
def people(programme: Any, make_participant: Any) -> list[Participant]:
    # Created in an order unlike both the expected one and the byte-wise one.
    return [make_participant(programme, name) for name in sorted(EXPECTED, reverse=True)]


def test_the_sort_key_folds_umlauts_sharp_s_and_case() -> None:
    assert sorted(EXPECTED, key=sort_key) == EXPECTED
    assert sort_key("Straße")[0] == sort_key("STRASSE")[0] == "strasse"
    assert sort_key("Ærø")[0] == "aero"


@pytest.mark.django_db
def test_the_database_orders_as_readers_do(people: list[Participant]) -> None:
    assert connection.vendor in {"sqlite", "postgresql"}
    assert [p.name for p in Participant.objects.all()] == EXPECTED


@pytest.mark.django_db
def test_the_people_list_orders_names_as_readers_do(
    client: Any, programme: Any, people: list[Participant]
) -> None:
    login(client, programme.organisers.first())
    page = client.get(reverse("participants:list", args=[programme.pk])).content.decode()
    shown = [name for name in re.findall(r">([^<>]+)</a>", page) if name in EXPECTED]
    assert shown == EXPECTED


@pytest.mark.django_db
def test_the_api_lists_people_as_readers_do(programme: Any, people: list[Participant]) -> None:
    _token, secret = make_token(programme, scope="read")
    body = api_client(secret).get(reverse("api:people", args=[programme.pk])).json()
    assert [person["name"] for person in body["results"]] == EXPECTED


@pytest.mark.django_db
def test_the_admin_lists_people_as_readers_do(people: list[Participant]) -> None:
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw-12345-x")
    client = Client(headers={"accept-language": "en"})
    client.force_login(admin)
    page = client.get(reverse("admin:participants_participant_changelist")).content.decode()
    shown = [name for name in re.findall(r">([^<>]+)</a>", page) if name in EXPECTED]
    assert shown == EXPECTED


@pytest.mark.django_db
def test_programmes_are_listed_as_readers_do(organiser: Any, make_programme: Any) -> None:
    for name in ("Zwergenrunde", "Ärztenetz", "Apotheken"):
        make_programme(organiser, name=name)
    assert [p.name for p in Programme.objects.all()] == ["Apotheken", "Ärztenetz", "Zwergenrunde"]


@pytest.mark.django_db
def test_the_round_page_and_the_groups_export_list_members_as_readers_do(
    client: Any, programme: Any, people: list[Participant]
) -> None:
    rnd = Round.objects.create(
        programme=programme,
        number=1,
        status=Round.Status.PUBLISHED,
        meet_from=dt.date(2026, 12, 7),
        score=1.0,
    )
    group = Group.objects.create(round=rnd, mode="either", score=1.0, reasons=[])
    group.members.set(people)
    login(client, programme.organisers.first())
    page = client.get(reverse("rounds:detail", args=[programme.pk, rnd.pk])).content.decode()
    positions = [page.index(name) for name in EXPECTED]
    assert positions == sorted(positions)
    export = client.get(reverse("insights:groups_csv", args=[programme.pk]))
    text = b"".join(export.streaming_content if export.streaming else [export.content])
    decoded = text.decode("utf-8-sig")
    positions = [decoded.index(name) for name in EXPECTED]
    assert positions == sorted(positions)
