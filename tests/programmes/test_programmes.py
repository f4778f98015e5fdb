"""Organisers: logging in, creating and editing programmes, the invitation link."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from kaffeeklatsch.programmes.models import Organiser, Programme
from tests.support.web import PASSWORD, login, press

pytestmark = pytest.mark.django_db

PROGRAMME = {
    "name": "Quer durchs Haus",
    "description": "Kaffee über Abteilungsgrenzen",
    "language": "de",
    "cadence": "weekly",
    "weekday": "2",
    "group_size": "3",
    "repeat_window": "4",
    "mode": "in_person",
    "max_distance_km": "15",
    "weight_interests": "2",
    "weight_department": "4",
    "weight_level": "1.5",
    "weight_organisation": "0",
    "registration_open": "on",
    "allowed_domains": "@Caritas.example, diakonie.example",
}


def test_login_and_logout(client: Any, organiser: Any) -> None:
    page = client.get(reverse("accounts:login"))
    assert 'for="id_username"' in page.content.decode()
    wrong = client.post(reverse("accounts:login"), {"username": "olga", "password": "nope"})
    assert wrong.status_code == 200
    ok = client.post(reverse("accounts:login"), {"username": "olga", "password": PASSWORD})
    assert ok.status_code == 302 and ok["Location"] == reverse("programmes:list")
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("programmes:list")).status_code == 302


def test_create_programme(client: Any, organiser: Any) -> None:
    login(client, organiser)
    response = client.post(reverse("programmes:create"), PROGRAMME)
    programme = Programme.objects.get()
    assert response["Location"] == reverse("programmes:detail", args=[programme.pk])
    assert programme.group_size == 3 and programme.mode == "in_person"
    assert programme.allowed_domains == "caritas.example, diakonie.example"
    assert programme.email_allowed("x@caritas.example")
    assert not programme.email_allowed("x@example.org")
    rules = programme.rules()
    assert (rules.group_size, rules.repeat_window, rules.max_distance_km) == (3, 4, 15.0)
    assert rules.weight_department == 4.0 and rules.weight_organisation == 0.0
    assert Organiser.objects.get(programme=programme).role == Organiser.Role.OWNER
    detail = client.get(response["Location"]).content.decode()
    assert f"/join/{programme.invite_token}/" in detail


def test_invalid_settings_are_rejected(client: Any, organiser: Any) -> None:
    login(client, organiser)
    response = client.post(
        reverse("programmes:create"),
        {
            **PROGRAMME,
            "group_size": "1",
            "weight_interests": "-3",
            "allowed_domains": "not a domain",
        },
    )
    errors = response.context["form"].errors
    assert {"group_size", "weight_interests", "allowed_domains"} <= errors.keys()
    assert not Programme.objects.exists()


def test_a_name_of_more_than_one_line_is_refused(client: Any, organiser: Any) -> None:
    """The name goes into every e-mail's headers, which are one line each."""
    login(client, organiser)
    response = client.post(reverse("programmes:create"), {**PROGRAMME, "name": "Kaffee\nim Haus"})
    assert "name" in response.context["form"].errors
    assert "Please write this on one line" in response.content.decode()
    assert not Programme.objects.exists()


def test_edit_and_automatic_schedule(client: Any, organiser: Any, programme: Any) -> None:
    login(client, organiser)
    client.post(reverse("programmes:edit", args=[programme.pk]), {**PROGRAMME, "automatic": "on"})
    programme.refresh_from_db()
    assert programme.name == "Quer durchs Haus" and programme.automatic
    assert programme.next_round_on is not None and programme.next_round_on.weekday() == 2
    client.post(reverse("programmes:edit", args=[programme.pk]), PROGRAMME)
    programme.refresh_from_db()
    assert not programme.automatic and programme.next_round_on is None


def test_list_shows_only_my_programmes(
    client: Any, organiser: Any, programme: Any, make_organiser: Any, make_programme: Any
) -> None:
    other = make_organiser("otto")
    make_programme(other, name="Ottos geheimes Programm")
    login(client, organiser)
    html = client.get(reverse("programmes:list")).content.decode()
    assert programme.name in html and "Ottos geheimes Programm" not in html


def test_new_invitation_link_retires_the_old_one(
    client: Any, organiser: Any, programme: Any
) -> None:
    old = programme.invite_token
    login(client, organiser)
    client.post(reverse("programmes:new_invitation", args=[programme.pk]), {"confirm": "yes"})
    programme.refresh_from_db()
    assert programme.invite_token != old
    assert client.get(reverse("participants:join", args=[old])).status_code == 404
    assert (
        client.get(reverse("participants:join", args=[programme.invite_token])).status_code == 200
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("group_size", "5"), ("group_size", "6"), ("max_distance_km", "0"), ("repeat_window", "-1")],
)
def test_rules_the_engine_cannot_use_are_refused(
    client: Any, organiser: Any, field: str, value: str
) -> None:
    login(client, organiser)
    response = client.post(reverse("programmes:create"), {**PROGRAMME, field: value})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Programme.objects.exists()


def test_a_programme_with_unusable_rules_gets_a_message_not_an_error(
    client: Any, organiser: Any, programme: Any, make_participant: Any
) -> None:
    from kaffeeklatsch.rounds.models import Round
    from kaffeeklatsch.rounds.tasks import start_due_rounds

    for _ in range(4):
        make_participant(programme)
    # Written past the form, as an older version or the database shell could have.
    Programme.objects.filter(pk=programme.pk).update(group_size=6)
    login(client, organiser)
    response = press(client, reverse("rounds:preview", args=[programme.pk]))
    assert response.status_code == 200
    assert "cannot be used for a round" in response.content.decode()
    assert not Round.objects.exists()
    # The worker logs the broken programme and goes on with the others.
    Programme.objects.filter(pk=programme.pk).update(
        automatic=True, next_round_on=dt.date(2020, 1, 6)
    )
    assert start_due_rounds() == 0
    assert not Round.objects.exists()


def test_dashboard_figures_count_what_the_programme_has(
    client: Any, organiser: Any, programme: Programme, make_participant: Any, make_programme: Any
) -> None:
    from kaffeeklatsch.participants.models import Participant
    from kaffeeklatsch.rounds.models import Feedback, Group
    from kaffeeklatsch.rounds.preview import preview_round
    from kaffeeklatsch.rounds.publish import publish_round

    login(client, organiser)
    url = reverse("programmes:detail", args=[programme.pk])
    empty = client.get(url).context["figures"]
    assert empty == dict.fromkeys(
        ("active", "pending", "departments", "rounds", "groups", "answers", "met"), 0
    )
    people = [
        make_participant(programme, name, department=department)
        for name, department in (("Anna", "IT"), ("Ben", "IT"), ("Cem", "Pflege"), ("Dora", ""))
    ]
    make_participant(programme, "Eva", department="Kita", status=Participant.Status.PENDING)
    other = make_programme(organiser, name="Anderes")
    make_participant(other, "Fritz", department="Küche")
    first = publish_round(preview_round(programme), notify=False)
    publish_round(preview_round(programme), notify=False)
    preview_round(programme)  # a draft counts for nothing
    group = Group.objects.filter(round=first).first()
    members = list(group.members.all())
    Feedback.objects.create(group=group, participant=members[0], met=True)
    Feedback.objects.create(group=group, participant=members[1], met=False)
    publish_round(preview_round(other), notify=False)
    figures = client.get(url).context["figures"]
    assert figures == {
        "active": 4,
        "pending": 1,
        "departments": 2,  # IT and Pflege; nobody active in Kita, Dora has none
        "rounds": 2,
        "groups": Group.objects.filter(round__programme=programme, round__status="published")
        .distinct()
        .count(),
        "answers": 2,
        "met": 1,
    }
    assert figures["groups"] >= 2 and len(people) == 4
    page = client.get(url).content.decode()
    assert "<strong>1/2</strong>" in page
