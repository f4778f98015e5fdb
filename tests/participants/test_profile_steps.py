"""After the short way in: the rest of the profile, one short step at a time on the
person's own page, each saying why it helps, each skippable for good."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kaffeeklatsch.participants.profile import utc_offset_minutes
from kaffeeklatsch.programmes.kinds import DEFAULTS, Kind, any_time, slots_of
from tests.support.web import sign_in_participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def neighbour(organiser: Any, make_programme: Any, make_participant: Any) -> Any:
    programme = make_programme(
        organiser,
        name="Nachbarschaftscafé Südstadt",
        kind=Kind.NEIGHBOURHOOD,
        questions=list(DEFAULTS[Kind.NEIGHBOURHOOD].questions),
        mode="in_person",
    )
    return make_participant(programme, department="", level="", languages=["de"], interests=[])


def test_answer_one_step_and_skip_another_for_good(client: Any, neighbour: Any) -> None:
    sign_in_participant(client, neighbour)
    page = client.get(reverse("participants:me")).content.decode()
    # The first step: interests, saying how they improve the matches.
    assert "What do you like to do or talk about?" in page
    assert "share some of your interests" in page
    assert "5 short questions left" in page

    answered = client.post(
        reverse("participants:step"),
        {"question": "interests", "interests_text": "Kochen, Spazierengehen"},
    )
    assert answered.status_code == 302
    neighbour.refresh_from_db()
    assert neighbour.interests == ["Kochen", "Spazierengehen"]

    # Next: times, as a few broad slots of the neighbourhood.
    page = client.get(reverse("participants:me")).content.decode()
    assert "When do you have time?" in page and "Weekend afternoons (14–17)" in page
    assert "mornings, afternoons and evenings on any day" in page
    assert "Weekday lunchtimes" not in page  # a workplace's slot
    skipped = client.post(reverse("participants:step"), {"question": "times", "skip": "1"})
    assert skipped.status_code == 302
    neighbour.refresh_from_db()
    assert neighbour.availability == [] and neighbour.finished_steps == ["interests", "times"]

    page = client.get(reverse("participants:me")).content.decode()
    assert "When do you have time?" not in page  # skipped for good
    assert "Which other languages do you speak?" in page
    # Skipping is remembered across sign-ins.
    client.post(reverse("participants:sign_out"))
    sign_in_participant(client, neighbour)
    assert "When do you have time?" not in client.get(reverse("participants:me")).content.decode()


def test_times_are_broad_slots_stored_as_windows(client: Any, neighbour: Any) -> None:
    sign_in_participant(client, neighbour)
    response = client.post(
        reverse("participants:step"),
        {"question": "times", "times": ["weekend-afternoon", "weekday-evening"]},
    )
    assert response.status_code == 302
    neighbour.refresh_from_db()
    offset = utc_offset_minutes()
    assert sorted({day for day, _start, _end in neighbour.availability}) == list(range(7))
    assert [5, 14 * 60 - offset, 17 * 60 - offset] in neighbour.availability
    assert slots_of(neighbour.availability, offset) == ["weekday-evening", "weekend-afternoon"]
    # No times given means any of the kind's times, weekends included.
    assert {day for day, _s, _e in any_time(Kind.NEIGHBOURHOOD, offset)} == set(range(7))
    assert {day for day, _s, _e in any_time(Kind.WORKPLACE, offset)} == set(range(5))


def test_a_bad_answer_is_refused_with_a_message_and_changes_nothing(
    german_client: Any, neighbour: Any
) -> None:
    neighbour.language = "de"
    neighbour.save()
    sign_in_participant(german_client, neighbour)
    bad_place = german_client.post(
        reverse("participants:step"), {"question": "place", "place": "Nirgendwo-xyz-123"}
    )
    assert bad_place.status_code == 400
    assert "Diesen Ort haben wir nicht gefunden" in bad_place.content.decode()
    bad_times = german_client.post(
        reverse("participants:step"), {"question": "times", "times": ["weekday-midday"]}
    )
    assert bad_times.status_code == 400  # not a time a neighbourhood offers
    bad_language = german_client.post(
        reverse("participants:step"), {"question": "languages", "languages_text": "Klingonisch"}
    )
    assert "Klingonisch" in bad_language.content.decode()
    neighbour.refresh_from_db()
    assert neighbour.place == "" and neighbour.availability == []
    assert neighbour.languages == ["de"] and neighbour.finished_steps == []
    # A question the programme does not ask has no step.
    assert (
        german_client.get(reverse("participants:step"), {"question": "department"}).status_code
        == 404
    )


def test_the_place_step_locates_the_person(client: Any, neighbour: Any) -> None:
    sign_in_participant(client, neighbour)
    client.post(reverse("participants:step"), {"question": "place", "place": "50677"})
    client.post(reverse("participants:step"), {"question": "distance", "travel_km": "1"})
    neighbour.refresh_from_db()
    assert neighbour.place == "50677" and neighbour.latitude is not None
    assert neighbour.travel_km == 1
    assert "about 1 km" in client.get(reverse("participants:me")).content.decode()
