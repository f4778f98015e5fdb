"""Every CSV file an organiser downloads opens right in the reader's spreadsheet: for
German readers semicolons, decimal commas and a UTF-8 byte order mark; for English
readers commas and dots. Each file is parsed back with the locale's rules."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from kaffeeklatsch.rounds.models import Group, Round
from tests.support.web import login

pytestmark = pytest.mark.django_db

BOM = b"\xef\xbb\xbf"
LOCALES = {"german_client": (";", ","), "client": (",", ".")}


@pytest.fixture
def published(programme: Any, make_participant: Any) -> Round:
    """A published round of three pairs, one of them reached by phone, with a score and
    a bound that have decimals."""
    people = [make_participant(programme, f"Person {n}") for n in range(5)]
    people.append(
        make_participant(programme, "Emil Jones", email="", reached_by="phone", phone="030 555")
    )
    day = dt.date(2026, 1, 5)
    rnd = Round.objects.create(
        programme=programme,
        number=1,
        status=Round.Status.PUBLISHED,
        meet_from=day,
        published_at=timezone.make_aware(dt.datetime.combine(day, dt.time(12))),
        score=245.85,
        bound=246.25,
    )
    for n in range(3):
        group = Group.objects.create(round=rnd, number=n + 1, mode="either", score=1.25, reasons=[])
        group.members.set(people[2 * n : 2 * n + 2])
    return rnd


def _rows(response: Any, delimiter: str) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content.startswith(BOM)
    rows = list(csv.reader(io.StringIO(content[len(BOM) :].decode("utf-8")), delimiter=delimiter))
    assert len(rows) > 1 and all(len(row) == len(rows[0]) > 3 for row in rows)
    return rows


@pytest.mark.parametrize("reader", sorted(LOCALES))
def test_rounds_csv_follows_the_readers_language(
    request: Any, reader: str, published: Round, organiser: Any
) -> None:
    browser = request.getfixturevalue(reader)
    delimiter, decimal = LOCALES[reader]
    login(browser, organiser)
    url = reverse("insights:rounds_csv", args=[published.programme.pk])
    header, row = _rows(browser.get(url), delimiter)
    assert header[0] == ("Runde" if reader == "german_client" else "Round")
    assert row[0] == "1" and row[1] == "2026-01-05"
    assert f"245{decimal}85" in row and f"246{decimal}25" in row


@pytest.mark.parametrize("reader", sorted(LOCALES))
def test_groups_csv_follows_the_readers_language(
    request: Any, reader: str, published: Round, organiser: Any
) -> None:
    browser = request.getfixturevalue(reader)
    delimiter, decimal = LOCALES[reader]
    login(browser, organiser)
    url = reverse("insights:groups_csv", args=[published.programme.pk])
    header, *rows = _rows(browser.get(url), delimiter)
    assert len(rows) == 3
    assert all(f"1{decimal}25" in row for row in rows)
    # Names are separated within a cell; in a German file that cell is quoted, not split.
    assert rows[0][header.index("Gruppe" if reader == "german_client" else "Group") + 3] == (
        "Person 0; Person 1"
    )


@pytest.mark.parametrize("reader", sorted(LOCALES))
def test_the_phone_list_follows_the_readers_language(
    request: Any, reader: str, published: Round, organiser: Any
) -> None:
    browser = request.getfixturevalue(reader)
    delimiter, _decimal = LOCALES[reader]
    login(browser, organiser)
    url = reverse("reach:phone_list_csv", args=[published.programme.pk, published.pk])
    header, *rows = _rows(browser.get(url), delimiter)
    assert header[1] == ("Telefon" if reader == "german_client" else "Phone")
    assert [row[:2] for row in rows] == [["Emil Jones", "030 555"]]


def test_the_import_example_follows_the_readers_language(
    german_client: Any, client: Any, organiser: Any, programme: Any
) -> None:
    for reader, browser in (("german_client", german_client), ("client", client)):
        login(browser, organiser)
        url = reverse("participants:import_example", args=[programme.pk])
        header, *_rows_ = _rows(browser.get(url), LOCALES[reader][0])
        assert header[1] == ("E-Mail" if reader == "german_client" else "Email")
