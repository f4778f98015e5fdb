"""The round page at every size: a summary and one page of groups, searchable and
filterable, whose size and number of queries do not grow with the round."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Feedback, Group, Round
from kaffeeklatsch.rounds.moves import move_participant
from kaffeeklatsch.rounds.pages import GROUPS_PER_PAGE
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.web import DEPARTMENTS, LEVELS, login

pytestmark = [pytest.mark.database, pytest.mark.django_db]


def programme_of(organiser: Any, make_programme: Any, size: int, name: str) -> Programme:
    programme = make_programme(organiser, name=name, language="en")
    Participant.objects.bulk_create(
        Participant(
            programme=programme,
            name=f"{name} Person {n}",
            email=f"{name.lower()}{n}@example.org" if n % 25 else "",
            reached_by="email" if n % 25 else "post",
            department=DEPARTMENTS[n % len(DEPARTMENTS)],
            level=LEVELS[n % len(LEVELS)],
            languages=["de", "en"],
            status=Participant.Status.ACTIVE,
        )
        for n in range(size)
    )
    return programme


def groups_on(html: str) -> int:
    return html.count('<li class="card group">')


def measured(client: Any, url: str, **params: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_the_page_stays_the_same_size_as_the_round_grows(
    client: Any, organiser: Any, make_programme: Any
) -> None:
    login(client, organiser)
    figures = {}
    for size in (120, 1200):
        programme = programme_of(organiser, make_programme, size, f"P{size}")
        rnd = preview_round(programme)
        url = reverse("rounds:detail", args=[programme.pk, rnd.pk])
        html, queries = measured(client, url)
        shown = min(GROUPS_PER_PAGE, rnd.groups.count())
        assert groups_on(html) == shown
        # The summary counts the whole round.
        assert f"<strong>{rnd.groups.count()}</strong> groups" in html
        people = Group.members.through.objects.filter(group__round=rnd).count()
        assert f"<strong>{people}</strong> people in groups" in html
        figures[size] = (len(html.encode()), queries, shown)
    (small_bytes, small_queries, small_shown), (big_bytes, big_queries, big_shown) = (
        figures[120],
        figures[1200],
    )
    assert big_shown == small_shown == GROUPS_PER_PAGE
    # Ten times the people: the same number of queries and about the same bytes
    # (50 groups of either), nothing that grows with the round.
    assert big_queries == small_queries
    assert big_bytes < 1.2 * small_bytes
    assert big_bytes < 300_000


def test_search_by_name_email_department_and_number(
    client: Any, organiser: Any, make_programme: Any
) -> None:
    login(client, organiser)
    programme = programme_of(organiser, make_programme, 400, "S")
    rnd = preview_round(programme)
    url = reverse("rounds:detail", args=[programme.pk, rnd.pk])
    person = Participant.objects.get(name="S Person 317")
    group = rnd.groups.get(members=person)
    for query in ("Person 317", "s317@example", str(group.number)):
        html, _ = measured(client, url, q=query)
        assert groups_on(html) == 1, query
        assert f"Group {group.number} " in html
        assert "S Person 317" in html
    html, _ = measured(client, url, q="Kita")
    kita = rnd.groups.filter(members__department="Kita").distinct().count()
    assert f"{kita} groups" in html and groups_on(html) == min(kita, GROUPS_PER_PAGE)
    html, _ = measured(client, url, q="nobody-is-called-this")
    assert groups_on(html) == 0 and "No group matches this search." in html


def test_filters_low_scores_moved_groups_and_people_without_email(
    client: Any, organiser: Any, make_programme: Any
) -> None:
    login(client, organiser)
    programme = programme_of(organiser, make_programme, 200, "F")
    rnd = preview_round(programme)
    url = reverse("rounds:detail", args=[programme.pk, rnd.pk])
    html, _ = measured(client, url, show="no_email")
    offline = Participant.objects.filter(programme=programme, email="")
    expected = rnd.groups.filter(members__in=offline).distinct().count()
    assert groups_on(html) == expected > 0
    assert html.count('<span class="badge">no e-mail</span>') == offline.count()
    # Two people moved by hand: their groups, and only those, are "changed by hand".
    first, second, third = list(rnd.groups.all()[:3])
    move_participant(rnd, first.members.first().pk, str(second.pk))
    html, _ = measured(client, url, show="moved")
    moved = set(rnd.groups.filter(moved=True).values_list("number", flat=True))
    assert moved == {first.number, second.number}
    assert set(map(int, re.findall(r"<h3>Group (\d+) ", html))) == moved
    # Low scores: below half the round's average.
    Group.objects.filter(pk=third.pk).update(score=0.0)
    html, _ = measured(client, url, show="low")
    shown = set(map(int, re.findall(r"<h3>Group (\d+) ", html)))
    assert third.number in shown
    scores = dict(rnd.groups.values_list("number", "score"))
    known = [score for score in scores.values() if score is not None]
    mean = sum(known) / len(known)
    # A group left with one person has no score: low too.
    assert shown == {n for n, score in scores.items() if score is None or score < mean / 2}
    assert first.number in shown


def test_left_out_people_are_counted_by_reason_and_listed_with_a_move_link(
    client: Any, organiser: Any, make_programme: Any
) -> None:
    login(client, organiser)
    programme = programme_of(organiser, make_programme, 41, "L")
    rnd = preview_round(programme)
    member = rnd.groups.first().members.first()
    move_participant(rnd, member.pk, "out")
    url = reverse("rounds:detail", args=[programme.pk, rnd.pk])
    html, _ = measured(client, url)
    assert "Not in a group this round, by reason" in html
    assert "taken out by the organiser: 1" in html
    listing, _ = measured(client, url, show="left_out")
    assert member.name in listing
    move = reverse("rounds:move_to", args=[programme.pk, rnd.pk, member.pk])
    assert move in listing


def test_moving_picks_the_target_group_by_searching_a_person_in_it(
    client: Any, organiser: Any, make_programme: Any
) -> None:
    login(client, organiser)
    programme = programme_of(organiser, make_programme, 300, "M")
    rnd = preview_round(programme)
    mover = Participant.objects.get(name="M Person 5")
    target_person = Participant.objects.exclude(groups=rnd.groups.get(members=mover)).get(
        name="M Person 250"
    )
    target = rnd.groups.get(members=target_person)
    back = reverse("rounds:detail", args=[programme.pk, rnd.pk]) + "?q=M+Person+5&page=1"
    form = reverse("rounds:move_to", args=[programme.pk, rnd.pk, mover.pk])
    page = client.get(form, {"q": "Person 250", "next": back}).content.decode()
    # Only groups with someone the search names, not a list of every group.
    # The group, out, and a new group when someone may start one with the mover.
    assert page.count('name="target" value="') == 1 + 1 + ('id="new-group"' in page)
    assert f'name="target" value="{target.pk}"' in page
    response = client.post(
        reverse("rounds:move", args=[programme.pk, rnd.pk]),
        {"participant": mover.pk, "target": target.pk, "next": back},
    )
    # Back to the page the organiser came from, with its search.
    assert response["Location"] == back
    assert target.members.filter(pk=mover.pk).exists()
    # A "next" that leads elsewhere is not followed.
    response = client.post(
        reverse("rounds:move", args=[programme.pk, rnd.pk]),
        {"participant": mover.pk, "target": "out", "next": "https://evil.example.org/"},
    )
    assert response["Location"] == reverse("rounds:detail", args=[programme.pk, rnd.pk])


def test_a_published_round_shows_the_answers_of_its_page_only(
    client: Any, organiser: Any, make_programme: Any
) -> None:
    login(client, organiser)
    figures = {}
    for size in (120, 1200):
        programme = programme_of(organiser, make_programme, size, f"A{size}")
        rnd = publish_round(preview_round(programme), notify=False)
        groups = list(rnd.groups.prefetch_related("members"))
        Feedback.objects.bulk_create(
            Feedback(group=g, participant=g.members.all()[0], met=True) for g in groups[::2]
        )
        html, queries = measured(client, reverse("rounds:detail", args=[programme.pk, rnd.pk]))
        assert html.count(": we met") == (GROUPS_PER_PAGE + 1) // 2
        assert f"{round(100 * len(groups[::2]) / len(groups))} %</strong> of the groups met" in html
        assert rnd.status == Round.Status.PUBLISHED
        figures[size] = (len(html.encode()), queries)
    assert figures[120][1] == figures[1200][1]
    assert figures[1200][0] < 1.2 * figures[120][0]


def test_the_kept_figures_follow_every_move_as_a_fresh_count_would(
    client: Any, organiser: Any, make_programme: Any
) -> None:
    from kaffeeklatsch.rounds import figures

    programme = programme_of(organiser, make_programme, 61, "K")
    rnd = preview_round(programme)
    groups = list(rnd.groups.all())
    people = [g.members.first() for g in groups[:4]]
    move_participant(rnd, people[0].pk, str(groups[5].pk))
    move_participant(rnd, people[1].pk, "out")
    move_participant(rnd, people[2].pk, "new", people[1].pk)
    move_participant(rnd, people[1].pk, str(groups[7].pk))
    move_participant(rnd, people[3].pk, "out")
    rnd.refresh_from_db()
    kept = rnd.figures
    Round.objects.filter(pk=rnd.pk).update(figures={})
    rnd.refresh_from_db()
    fresh = figures.of(rnd)
    assert fresh["left_out"] == kept["left_out"]
    assert {k: v for k, v in fresh["counts"].items() if k != "score_sum"} == {
        k: v for k, v in kept["counts"].items() if k != "score_sum"
    }
    assert fresh["counts"]["score_sum"] == pytest.approx(kept["counts"]["score_sum"])
    # And the page shows them.
    login(client, organiser)
    html, _ = measured(client, reverse("rounds:detail", args=[programme.pk, rnd.pk]))
    assert f"<strong>{fresh['counts']['groups']}</strong> groups" in html
    assert f"<strong>{sum(kept['left_out'].values())}</strong> not in a group" in html
