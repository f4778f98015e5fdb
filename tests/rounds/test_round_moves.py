"""Moves by hand keep the rules: the move form offers only the groups a person may
join, a new group starts with two people, a group left with one person is named at
once and keeps the round from being published, the summary counts people alone, a
failed publication names every group at fault, and a score never shows above its
bound."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.rounds.checks import RuleBroken
from kaffeeklatsch.rounds.models import Group, Round
from kaffeeklatsch.rounds.moves import move_participant
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.web import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def rnd(programme: Any, make_participant: Any) -> Round:
    """A preview of three pairs: two of German speakers, one of French speakers only."""
    for n in range(4):
        make_participant(programme, f"Deutsch {n}", languages=["de"])
    for n in range(2):
        make_participant(programme, f"Français {n}", languages=["fr"])
    preview = preview_round(programme)
    assert sorted(g.members.count() for g in preview.groups.all()) == [2, 2, 2]
    return preview


def group_of(rnd: Round, name: str) -> Group:
    return rnd.groups.get(members__name=name)


def other_german(rnd: Round, own: Group) -> Group:
    """The pair of German speakers that is not ``own``."""
    return (
        rnd.groups.exclude(pk=own.pk).filter(members__name__startswith="Deutsch").distinct().get()
    )


def move_form(client: Any, rnd: Round, person: Participant, **params: str) -> str:
    url = reverse("rounds:move_to", args=[rnd.programme_id, rnd.pk, person.pk])
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def offered(html: str) -> set[int]:
    found = re.search(r'<ol class="cards plain bare" id="targets">(.*?)</ol>', html, re.S)
    assert found is not None
    return {int(pk) for pk in re.findall(r'name="target" value="(\d+)"', found.group(1))}


def summary_alone(html: str) -> int:
    found = re.search(r'<li id="alone"><strong>(\d+)</strong>', html)
    assert found is not None
    return int(found.group(1))


def test_the_move_form_offers_only_groups_the_person_may_join(
    client: Any, organiser: Any, rnd: Round
) -> None:
    login(client, organiser)
    mover = Participant.objects.get(name="Deutsch 0")
    own = group_of(rnd, "Deutsch 0")
    german = other_german(rnd, own)
    french = group_of(rnd, "Français 0")
    assert offered(move_form(client, rnd, mover)) == {german.pk}
    # The search filters the groups offered, without JavaScript.
    other = german.members.first()
    assert offered(move_form(client, rnd, mover, q=other.name)) == {german.pk}
    assert offered(move_form(client, rnd, mover, q="Français")) == set()
    # A group the form does not offer is refused when posted anyway, naming the people.
    response = client.post(
        reverse("rounds:move", args=[rnd.programme_id, rnd.pk]),
        {"participant": mover.pk, "target": french.pk},
        follow=True,
    )
    assert "no language in common" in response.content.decode()
    assert group_of(rnd, "Deutsch 0") == own


def test_a_move_that_leaves_someone_alone_is_named_and_blocks_publishing(
    client: Any, organiser: Any, rnd: Round
) -> None:
    login(client, organiser)
    mover = Participant.objects.get(name="Deutsch 0")
    own = group_of(rnd, "Deutsch 0")
    partner = own.members.exclude(pk=mover.pk).get()
    german = other_german(rnd, own)
    page = reverse("rounds:detail", args=[rnd.programme_id, rnd.pk])
    assert summary_alone(client.get(page).content.decode()) == 0

    response = client.post(
        reverse("rounds:move", args=[rnd.programme_id, rnd.pk]),
        {"participant": mover.pk, "target": german.pk},
        follow=True,
    )
    html = response.content.decode()
    named = f"Group {own.number} has only {partner.name}: every group needs at least two people."
    assert "the round cannot be published like this" in html and named in html
    assert summary_alone(html) == 1
    to_fix = re.search(r'<div class="errors" id="to-fix" role="alert">(.*?)</div>', html, re.S)
    assert to_fix is not None and named in to_fix.group(1)
    assert "Publish and send the e-mails" not in html

    # Moving someone out of the other pair leaves a second group of one: publishing
    # names both groups, not only the first.
    french = group_of(rnd, "Français 0")
    move_participant(rnd, Participant.objects.get(name="Français 0").pk, "out")
    with translation.override("en"), pytest.raises(RuleBroken) as refused:
        publish_round(rnd, notify=False)
    problems = refused.value.problems
    assert f"Group {own.number} has only {partner.name}" in problems[0]
    assert f"Group {french.number} has only Français 1" in problems[1]
    assert Round.objects.get(pk=rnd.pk).status == Round.Status.PREVIEW

    # The move form of the person alone offers the group the mover went to.
    form = move_form(client, rnd, partner)
    assert german.pk in offered(form)
    # Moving them there fixes the round.
    move_participant(rnd, partner.pk, str(german.pk))
    html = client.get(page).content.decode()
    assert summary_alone(html) == 1  # Français 1 is still alone
    assert (
        f"Group {own.number}" not in (re.search(r'id="to-fix"(.*?)</div>', html, re.S) or [""])[0]
    )


def test_a_new_group_starts_with_two_people(client: Any, organiser: Any, rnd: Round) -> None:
    login(client, organiser)
    mover = Participant.objects.get(name="Deutsch 0")
    own = group_of(rnd, "Deutsch 0")
    # Nobody to start a new group with: no form, and a post without a partner is refused.
    assert 'id="new-group"' not in move_form(client, rnd, mover)
    response = client.post(
        reverse("rounds:move", args=[rnd.programme_id, rnd.pk]),
        {"participant": mover.pk, "target": "new"},
        follow=True,
    )
    assert "Deutsch 0 would be alone in a new group" in response.content.decode()
    assert group_of(rnd, "Deutsch 0") == own

    # Someone out of the round can start one with the mover (a French speaker cannot).
    other = other_german(rnd, own)
    leaver, stayer = other.members.order_by("name")
    move_participant(rnd, leaver.pk, "out")
    move_participant(rnd, Participant.objects.get(name="Français 0").pk, "out")
    form = move_form(client, rnd, mover)
    options = re.findall(r'<option value="(\d+)">([^<–]*)', form)
    # People out of the round or alone in a group who may meet the mover.
    assert [int(pk) for pk, _name in options] == [leaver.pk, stayer.pk]
    response = client.post(
        reverse("rounds:move", args=[rnd.programme_id, rnd.pk]),
        {"participant": mover.pk, "target": "new", "partner": leaver.pk},
        follow=True,
    )
    new = group_of(rnd, "Deutsch 0")
    assert new != own and set(new.members.all()) == {mover, leaver}
    assert f"Group {own.number} has only" in response.content.decode()


def test_a_broken_pair_at_publication_is_named_with_its_group(organiser: Any, rnd: Round) -> None:
    pairs = list(rnd.groups.order_by("number"))
    first, second = (list(g.members.all()) for g in pairs[:2])
    first[0].blocked.add(first[1])
    second[1].blocked.add(second[0])
    with translation.override("en"), pytest.raises(RuleBroken) as refused:
        publish_round(rnd, notify=False)
    problems = refused.value.problems
    assert len(problems) == 2
    assert problems[0].startswith(f"Group {pairs[0].number}: ")
    assert problems[1].startswith(f"Group {pairs[1].number}: ")


@pytest.mark.parametrize(
    ("score", "bound", "shown"),
    [
        (245.85, 245.84, "Punktzahl 245,8 von höchstens 245,9"),
        (245.9, 245.8, "Punktzahl 245,8 von höchstens 245,8"),
        (10.04, 12.0, "Punktzahl 10,0 von höchstens 12,0"),
        (0.0, 0.0, "Punktzahl 0,0 von höchstens 0,0"),
    ],
)
def test_a_score_never_shows_above_its_bound(
    german_client: Any, organiser: Any, rnd: Round, score: float, bound: float, shown: str
) -> None:
    Round.objects.filter(pk=rnd.pk).update(score=score, bound=bound)
    login(german_client, organiser)
    html = german_client.get(reverse("rounds:detail", args=[rnd.programme_id, rnd.pk]))
    quality = re.search(r'<p id="quality">(.*?)</p>', html.content.decode(), re.S)
    assert quality is not None and shown in " ".join(quality.group(1).split())


def test_shown_scores_stay_below_their_shown_bounds() -> None:
    for score_tenths in range(0, 3000, 7):
        for delta in (-0.05, -0.01, 0.0, 0.001, 0.04, 0.05):
            bound = score_tenths / 10
            shown = Round(score=bound + delta, bound=bound)
            assert shown.shown_score <= shown.shown_bound
            assert shown.shown_bound >= bound
