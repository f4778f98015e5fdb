"""Every role tries the pages and actions of the others and is refused.

Roles: anonymous, a participant (signed in by link), the organiser of another
programme, a co-organiser and the owner of the programme.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.tokens import feedback_url
from kaffeeklatsch.programmes.models import Organiser
from kaffeeklatsch.rounds.models import Round
from kaffeeklatsch.rounds.services import preview_round, publish_round
from tests.web.conftest import login, path_of, sign_in_participant

pytestmark = pytest.mark.django_db


@dataclass
class World:
    programme: Any
    owner: Any
    co: Any
    stranger: Any
    participant: Participant
    other_participant: Participant
    published: Round
    preview: Round
    co_membership: Organiser


@pytest.fixture
def world(make_organiser: Any, make_programme: Any, make_participant: Any) -> World:
    owner, co, stranger = make_organiser("owner"), make_organiser("co"), make_organiser("stranger")
    programme = make_programme(owner, name="Haus A")
    co_membership = Organiser.objects.create(programme=programme, user=co)
    other = make_programme(stranger, name="Haus B")
    people = [make_participant(programme) for _ in range(4)]
    make_participant(other)
    published = publish_round(preview_round(programme), notify=False)
    preview = preview_round(programme)
    other_participant = make_participant(other, "Outsider")
    return World(
        programme,
        owner,
        co,
        stranger,
        people[0],
        other_participant,
        published,
        preview,
        co_membership,
    )


def organiser_urls(w: World) -> list[tuple[str, str, dict[str, Any]]]:
    p = w.programme.pk
    person = w.participant.pk
    return [
        ("get", reverse("programmes:detail", args=[p]), {}),
        ("get", reverse("programmes:edit", args=[p]), {}),
        ("post", reverse("programmes:edit", args=[p]), {"name": "Hijacked"}),
        ("post", reverse("programmes:new_invitation", args=[p]), {}),
        ("get", reverse("participants:list", args=[p]), {}),
        ("get", reverse("participants:add", args=[p]), {}),
        (
            "post",
            reverse("participants:add", args=[p]),
            {"name": "Intruder", "mode": "either", "language": "de", "status": "active"},
        ),
        ("get", reverse("participants:edit", args=[p, person]), {}),
        ("post", reverse("participants:edit", args=[p, person]), {"name": "Renamed"}),
        ("get", reverse("participants:remove", args=[p, person]), {}),
        ("post", reverse("participants:remove", args=[p, person]), {}),
        ("get", reverse("participants:import", args=[p]), {}),
        ("get", reverse("participants:import_preview", args=[p]), {}),
        ("get", reverse("rounds:list", args=[p]), {}),
        ("post", reverse("rounds:preview", args=[p]), {}),
        ("get", reverse("rounds:detail", args=[p, w.published.pk]), {}),
        ("get", reverse("rounds:detail", args=[p, w.preview.pk]), {}),
        (
            "post",
            reverse("rounds:move", args=[p, w.preview.pk]),
            {"participant": person, "target": "out"},
        ),
        ("post", reverse("rounds:publish", args=[p, w.preview.pk]), {}),
        ("post", reverse("rounds:discard", args=[p, w.preview.pk]), {}),
    ] + insights_urls(w) + owner_urls(w)


def insights_urls(w: World) -> list[tuple[str, str, dict[str, Any]]]:
    """The insights are for the programme's organisers (owner and co-organisers) only."""
    p = w.programme.pk
    names = ["dashboard", "rounds_csv", "rounds_xlsx", "groups_csv", "groups_xlsx", "report"]
    return [("get", reverse(f"insights:{name}", args=[p]), {}) for name in names]


def owner_urls(w: World) -> list[tuple[str, str, dict[str, Any]]]:
    p = w.programme.pk
    return [
        ("get", reverse("programmes:organisers", args=[p]), {}),
        ("post", reverse("programmes:organisers", args=[p]), {"email": "mole@example.org"}),
        ("post", reverse("programmes:remove_organiser", args=[p, w.co_membership.pk]), {}),
    ]


PARTICIPANT_URLS = [
    ("get", "participants:me", {}),
    ("get", "participants:edit_profile", {}),
    ("post", "participants:edit_profile", {"name": "Hijacked"}),
    ("post", "participants:pause", {"skip_next_round": "on"}),
    ("post", "participants:block", {"person": "1"}),
    ("get", "participants:leave", {}),
    ("post", "participants:leave", {}),
    ("post", "participants:rejoin", {}),
    ("get", "participants:export", {}),
    ("get", "participants:erase", {}),
    ("post", "participants:erase", {}),
]


def untouched(w: World) -> None:
    """Nothing any refused request could have changed has changed."""
    w.programme.refresh_from_db()
    assert w.programme.name == "Haus A"
    assert Participant.objects.filter(
        pk=w.participant.pk, name=w.participant.name, status="active"
    ).exists()
    assert not Participant.objects.filter(name="Intruder").exists()
    w.preview.refresh_from_db()
    assert w.preview.status == Round.Status.PREVIEW
    assert Organiser.objects.filter(pk=w.co_membership.pk).exists()
    assert not Organiser.objects.filter(user__email="mole@example.org").exists()


def request(client: Client, method: str, url: str, data: dict[str, Any]) -> Any:
    return getattr(client, method)(url, data)


def client_for(role: str, w: World) -> Client:
    client = Client(headers={"accept-language": "en"})
    if role == "participant":
        sign_in_participant(client, w.participant)
    elif role == "other_participant":
        sign_in_participant(client, w.other_participant)
    elif role == "stranger":
        login(client, w.stranger)
    elif role == "co":
        login(client, w.co)
    elif role == "owner":
        login(client, w.owner)
    return client


@pytest.mark.parametrize("role", ["anonymous", "participant", "other_participant"])
def test_people_without_an_organiser_login_are_sent_to_the_login(role: str, world: World) -> None:
    client = client_for(role, world)
    for method, url, data in organiser_urls(world):
        response = request(client, method, url, data)
        assert response.status_code == 302, (role, method, url)
        assert response["Location"].startswith(reverse("accounts:login")), url
    untouched(world)


def test_the_organiser_of_another_programme_sees_nothing(world: World) -> None:
    client = client_for("stranger", world)
    for method, url, data in organiser_urls(world):
        assert request(client, method, url, data).status_code == 404, (method, url)
    untouched(world)
    html = client.get(reverse("programmes:list")).content.decode()
    assert "Haus A" not in html


def test_a_co_organiser_runs_the_programme_but_does_not_manage_organisers(world: World) -> None:
    client = client_for("co", world)
    for method, url, data in owner_urls(world):
        assert request(client, method, url, data).status_code == 404, (method, url)
    untouched(world)
    assert client.get(reverse("programmes:detail", args=[world.programme.pk])).status_code == 200
    assert client.get(reverse("rounds:list", args=[world.programme.pk])).status_code == 200
    for _method, url, _data in insights_urls(world):
        assert client.get(url).status_code == 200, url


def test_the_owner_may_do_everything(world: World) -> None:
    client = client_for("owner", world)
    for method, url, data in organiser_urls(world):
        if method == "get":
            assert request(client, method, url, data).status_code in (200, 302), url


@pytest.mark.parametrize("role", ["anonymous", "stranger", "co", "owner"])
def test_only_participants_reach_participant_pages(role: str, world: World) -> None:
    client = client_for(role, world)
    for method, name, data in PARTICIPANT_URLS:
        response = request(client, method, reverse(name), data)
        assert response.status_code == 302, (role, name)
        assert response["Location"] == reverse("participants:request_link")
    untouched(world)


def test_a_participant_sees_only_their_own_data(world: World) -> None:
    client = client_for("other_participant", world)
    export = client.get(reverse("participants:export")).content.decode()
    assert "Outsider" in export and world.participant.name not in export
    assert world.participant.email not in export
    page = client.get(reverse("participants:me")).content.decode()
    assert world.participant.name not in page
    # Blocking someone never met is refused.
    client.post(reverse("participants:block"), {"person": world.participant.pk})
    assert not world.other_participant.blocked.exists()


def test_feedback_only_for_ones_own_group(world: World, client: Client) -> None:
    group = world.published.groups.first()
    outsider_link = feedback_url(group.pk, world.other_participant.pk, True)
    assert client.get(path_of(outsider_link)).status_code == 404
    forged = path_of(feedback_url(group.pk, world.participant.pk, True))[:-4] + "xyz/"
    assert client.get(forged).status_code == 400


@pytest.mark.parametrize("role", ["anonymous", "participant", "stranger", "co", "owner"])
def test_the_admin_is_for_staff_only(role: str, world: World) -> None:
    client = client_for(role, world)
    response = client.get("/admin/participants/participant/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
