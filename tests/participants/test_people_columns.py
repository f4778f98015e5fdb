"""The organiser's list of people and person form show only the profile fields of the
questions the programme asks: no department or level for a neighbourhood, where the
place and how far one can go matter instead."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kaffeeklatsch.programmes.kinds import DEFAULTS, Kind
from tests.support.web import login

pytestmark = pytest.mark.django_db


def headers(page: str) -> str:
    return page.split("<thead>", 1)[1].split("</thead>", 1)[0]


def test_a_neighbourhood_lists_place_and_distance_without_department_or_level(
    client: Any, organiser: Any, make_programme: Any, make_participant: Any
) -> None:
    programme = make_programme(
        organiser,
        kind=Kind.NEIGHBOURHOOD,
        questions=list(DEFAULTS[Kind.NEIGHBOURHOOD].questions),
    )
    person = make_participant(
        programme,
        "Hilde Brauer",
        department="Youth",
        level="team lead",
        place="Bonn",
        travel_km=5,
    )
    login(client, organiser)
    page = client.get(reverse("participants:list", args=[programme.pk])).content.decode()
    assert "Department" not in headers(page) and "Level" not in headers(page)
    assert "Place" in headers(page) and "How far one can go" in headers(page)
    assert "Youth" not in page and "team lead" not in page
    assert "Bonn" in page and "5 km" in page

    url = reverse("participants:edit", args=[programme.pk, person.pk])
    form = client.get(url).content.decode()
    assert 'name="department"' not in form and 'name="level"' not in form
    assert 'name="place"' in form and 'name="travel_km"' in form
    # Saving the form keeps what is stored in the fields it does not show.
    response = client.post(
        url,
        {
            "name": "Hilde Brauer",
            "email": person.email,
            "place": "Bonn",
            "travel_km": "2",
            "mode": "in_person",
            "language": "de",
            "status": "active",
            "reached_by": "email",
            "shares": "email",
            "reminders": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    person.refresh_from_db()
    assert person.travel_km == 2 and person.department == "Youth" and person.level == "team lead"


def test_a_workplace_lists_department_and_level(
    client: Any, organiser: Any, programme: Any, make_participant: Any
) -> None:
    person = make_participant(programme, "Anna Arndt", department="Youth", level="team lead")
    login(client, organiser)
    page = client.get(reverse("participants:list", args=[programme.pk])).content.decode()
    assert "Department" in headers(page) and "Level" in headers(page)
    assert "Youth" in page and "team lead" in page
    form = client.get(reverse("participants:edit", args=[programme.pk, person.pk])).content
    assert b'name="department"' in form and b'name="level"' in form
