"""Previewing, editing and publishing rounds."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kaffeeklatsch.jobs.models import Job
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.rounds.models import Group, LeftOut, Round
from kaffeeklatsch.rounds.people import history
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.web import login, press

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(programme: Any, make_participant: Any) -> list[Participant]:
    return [make_participant(programme) for _ in range(6)]


def preview(client: Any, programme: Any) -> Round:
    response = press(client, reverse("rounds:preview", args=[programme.pk]))
    assert response.status_code == 200
    rnd = Round.objects.get(programme=programme, status=Round.Status.PREVIEW)
    # The organiser lands on the stored preview.
    assert response.redirect_chain[-1][0] == reverse("rounds:detail", args=[programme.pk, rnd.pk])
    return rnd


def test_preview_stores_groups_with_reasons_and_sends_nothing(
    client: Any, organiser: Any, programme: Any, people: list[Participant]
) -> None:
    login(client, organiser)
    rnd = preview(client, programme)
    groups = list(rnd.groups.all())
    assert len(groups) == 3
    members = [m.pk for g in groups for m in g.members.all()]
    assert sorted(members) == sorted(p.pk for p in people)
    assert all(g.reasons for g in groups)
    assert rnd.bound >= rnd.score > 0
    page = client.get(reverse("rounds:detail", args=[programme.pk, rnd.pk]))
    html = page.content.decode()
    assert "Quality" in html and "Publish" in html
    assert groups[0].reason_texts("en")[0] in html
    assert not OutboxMessage.objects.exists()
    assert not Job.objects.exists()


def test_paused_skipping_pending_and_left_people_are_not_matched(
    programme: Any, people: list[Participant], make_participant: Any
) -> None:
    import datetime as dt

    from django.utils import timezone

    paused = make_participant(programme, paused_until=timezone.localdate() + dt.timedelta(days=3))
    skipping = make_participant(programme, skip_next_round=True)
    pending = make_participant(programme, status=Participant.Status.PENDING)
    left = make_participant(programme, status=Participant.Status.LEFT)
    rnd = preview_round(programme)
    matched = {m.pk for g in rnd.groups.all() for m in g.members.all()}
    assert matched == {p.pk for p in people}
    assert not matched & {paused.pk, skipping.pk, pending.pk, left.pk}
    publish_round(rnd)
    skipping.refresh_from_db()
    assert skipping.skip_next_round is False  # skipped exactly one round


def test_publish_writes_one_introduction_per_person_and_a_feedback_job(
    client: Any, organiser: Any, programme: Any, people: list[Participant], make_participant: Any
) -> None:
    offline = make_participant(programme, email="", phone_note="Tel. 0221 123")
    login(client, organiser)
    rnd = preview(client, programme)
    response = press(client, reverse("rounds:publish", args=[programme.pk, rnd.pk]))
    assert response.redirect_chain[-1][0] == reverse("rounds:detail", args=[programme.pk, rnd.pk])
    assert "Round 1 is published; the e-mails are on their way." in response.content.decode()
    rnd.refresh_from_db()
    assert rnd.status == Round.Status.PUBLISHED and rnd.number == 1
    intros = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.INTRODUCTION)
    assert sorted(intros.values_list("to", flat=True)) == sorted(p.email for p in people)
    assert not intros.filter(to="").exists()
    [job] = Job.objects.all()
    assert job.kind == "feedback_request" and job.payload == {"round": rnd.pk}
    page = client.get(reverse("rounds:detail", args=[programme.pk, rnd.pk]), {"show": "no_email"})
    if offline.groups.exists():
        assert "Tel. 0221 123" in page.content.decode()
        assert "1 person in a group has no e-mail address" in page.content.decode()
    # Publishing twice is refused and changes nothing.
    again = press(client, reverse("rounds:publish", args=[programme.pk, rnd.pk]))
    assert again.status_code == 404
    assert intros.count() == len(people)


def test_a_failing_publish_leaves_nothing_behind(
    programme: Any, people: list[Participant], monkeypatch: Any
) -> None:
    rnd = preview_round(programme)

    def broken(*args: Any, **kwargs: Any) -> None:
        OutboxMessage.objects.create(
            kind="introduction",
            to="x@example.org",
            subject="s",
            body_text="t",
            next_attempt_at="2030-01-01T00:00Z",
        )
        raise RuntimeError("mail template broken")

    monkeypatch.setattr("kaffeeklatsch.rounds.publish.queue_introductions", broken)
    with pytest.raises(RuntimeError):
        publish_round(rnd)
    rnd.refresh_from_db()
    assert rnd.status == Round.Status.PREVIEW
    assert not OutboxMessage.objects.exists()
    assert not Job.objects.exists()


def test_history_keeps_recent_pairs_apart(programme: Any, people: list[Participant]) -> None:
    first = publish_round(preview_round(programme), notify=False)
    pairs_before = {frozenset(m.pk for m in g.members.all()) for g in first.groups.all()}
    assert len(history(programme)) == 3
    second = publish_round(preview_round(programme), notify=False)
    assert second.number == 2
    pairs_after = {frozenset(m.pk for m in g.members.all()) for g in second.groups.all()}
    assert not pairs_before & pairs_after


def test_blocked_people_are_never_grouped(programme: Any, make_participant: Any) -> None:
    a, b, c, d = (make_participant(programme) for _ in range(4))
    a.blocked.add(b)
    for _ in range(3):
        rnd = preview_round(programme)
        for group in rnd.groups.all():
            ids = {m.pk for m in group.members.all()}
            assert not {a.pk, b.pk} <= ids
        rnd.delete()


def test_move_a_person_between_groups(
    client: Any, organiser: Any, programme: Any, people: list[Participant]
) -> None:
    login(client, organiser)
    rnd = preview(client, programme)
    first, second, third = rnd.groups.all()
    mover = first.members.first()
    response = client.post(
        reverse("rounds:move", args=[programme.pk, rnd.pk]),
        {"participant": mover.pk, "target": second.pk},
    )
    assert response.status_code == 302
    assert set(second.members.all()) >= {mover}
    assert second.members.count() == 3
    second.refresh_from_db()
    # The changed group is scored and explained again for its new members.
    assert second.score is not None and second.score > 0
    assert {"code": "moved_by_organiser", "params": {}} in second.reasons
    assert any(r["code"] == "departments" for r in second.reasons)
    rnd.refresh_from_db()
    assert rnd.edited and not rnd.exact
    assert rnd.score == pytest.approx(sum(g.score or 0 for g in rnd.groups.all()))
    # The group left with one person cannot be published.
    press(client, reverse("rounds:publish", args=[programme.pk, rnd.pk]))
    rnd.refresh_from_db()
    assert rnd.status == Round.Status.PREVIEW
    # Out of the round, then into a new group with the remaining one.
    alone = first.members.get()
    client.post(
        reverse("rounds:move", args=[programme.pk, rnd.pk]),
        {"participant": alone.pk, "target": "out"},
    )
    assert not Group.objects.filter(pk=first.pk).exists()
    assert LeftOut.objects.filter(round=rnd, participant=alone).exists()
    client.post(
        reverse("rounds:move", args=[programme.pk, rnd.pk]),
        {"participant": alone.pk, "target": third.pk},
    )
    assert third.members.filter(pk=alone.pk).exists()
    press(client, reverse("rounds:publish", args=[programme.pk, rnd.pk]))
    rnd.refresh_from_db()
    assert rnd.status == Round.Status.PUBLISHED and rnd.edited


def test_a_new_preview_replaces_the_old_one_and_discard(
    client: Any, organiser: Any, programme: Any, people: list[Participant]
) -> None:
    login(client, organiser)
    first = preview(client, programme)
    second = preview(client, programme)
    assert not Round.objects.filter(pk=first.pk).exists()
    client.post(reverse("rounds:discard", args=[programme.pk, second.pk]))
    assert not Round.objects.exists()


def test_round_list(client: Any, organiser: Any, programme: Any, people: list[Participant]) -> None:
    login(client, organiser)
    publish_round(preview_round(programme), notify=False)
    html = client.get(reverse("rounds:list", args=[programme.pk])).content.decode()
    assert "Round 1" in html
    assert "6 people can be matched now" in html


CAMPS = {
    "language": ({"languages": ["de"]}, {"languages": ["tr"]}, "no language in common"),
    "mode": ({"mode": "in_person"}, {"mode": "online"}, "different ways"),
    "distance": (
        {"mode": "in_person", "place": "Köln", "latitude": 50.94, "longitude": 6.96},
        {"mode": "in_person", "place": "München", "latitude": 48.14, "longitude": 11.58},
        "more than 30 km apart",
    ),
    "availability": (
        {"availability": [[0, 8 * 60, 11 * 60]]},
        {"availability": [[2, 8 * 60, 11 * 60]]},
        "do not overlap",
    ),
}


def _group_of(rnd: Round, person: Participant) -> Group:
    return rnd.groups.get(members=person)


def _members(rnd: Round) -> set[frozenset[int]]:
    return {frozenset(m.pk for m in g.members.all()) for g in rnd.groups.all()}


@pytest.mark.parametrize("rule", sorted(CAMPS))
def test_a_move_that_breaks_a_hard_rule_is_refused_with_a_clear_message(
    rule: str, client: Any, organiser: Any, programme: Any, make_participant: Any
) -> None:
    first_camp, second_camp, words = CAMPS[rule]
    a1, a2 = (make_participant(programme, f"Anna {n}", **first_camp) for n in (1, 2))
    b1, b2 = (make_participant(programme, f"Bert {n}", **second_camp) for n in (1, 2))
    login(client, organiser)
    rnd = preview(client, programme)
    assert _members(rnd) == {frozenset({a1.pk, a2.pk}), frozenset({b1.pk, b2.pk})}
    before = (_members(rnd), [g.reasons for g in rnd.groups.all()], rnd.score)
    response = client.post(
        reverse("rounds:move", args=[programme.pk, rnd.pk]),
        {"participant": b1.pk, "target": _group_of(rnd, a1).pk},
        follow=True,
    )
    html = response.content.decode()
    assert "This move is not possible: it breaks a rule of the programme." in html
    assert '<p class="msg error" role="alert">This move is not possible' in html
    assert words in html and "Bert 1" in html and "Anna 1" in html
    rnd.refresh_from_db()
    assert (_members(rnd), [g.reasons for g in rnd.groups.all()], rnd.score) == before
    assert not rnd.edited


def test_a_move_that_brings_back_recent_partners_or_a_blocked_person_is_refused(
    client: Any, organiser: Any, programme: Any, make_participant: Any
) -> None:
    people = [make_participant(programme, f"Person {n}") for n in range(4)]
    first = publish_round(preview_round(programme), notify=False)
    met = {m.pk: g for g in first.groups.all() for m in g.members.all()}
    login(client, organiser)
    rnd = preview(client, programme)
    mover = people[0]
    partner = next(m for m in met[mover.pk].members.all() if m.pk != mover.pk)
    response = client.post(
        reverse("rounds:move", args=[programme.pk, rnd.pk]),
        {"participant": mover.pk, "target": _group_of(rnd, partner).pk},
        follow=True,
    )
    assert "met in the last 6 rounds" in response.content.decode()
    assert _group_of(rnd, mover) != _group_of(rnd, partner)

    # A block counts in both directions and the organiser is not told who blocked whom.
    other = next(p for p in people if p.pk not in (mover.pk, partner.pk))
    if _group_of(rnd, other) == _group_of(rnd, mover):
        other = next(p for p in people if p.pk not in (mover.pk, partner.pk, other.pk))
    other.blocked.add(mover)
    response = client.post(
        reverse("rounds:move", args=[programme.pk, rnd.pk]),
        {"participant": mover.pk, "target": _group_of(rnd, other).pk},
        follow=True,
    )
    assert "does not want to meet the other" in response.content.decode()
    assert _group_of(rnd, mover) != _group_of(rnd, other)


def test_publishing_checks_the_preview_again(
    client: Any, organiser: Any, programme: Any, make_participant: Any
) -> None:
    """A preview may be hours old: whoever left, paused or blocked a partner since then
    stops the publication, with a message, and nothing is sent."""
    anna, ben, cleo, dora = (
        make_participant(programme, name) for name in ("Anna", "Ben", "Cleo", "Dora")
    )
    login(client, organiser)
    rnd = preview(client, programme)
    partner = {
        m.pk: next(o for o in g.members.all() if o.pk != m.pk)
        for g in rnd.groups.all()
        for m in g.members.all()
    }
    partner[anna.pk].blocked.add(anna)
    leaver = next(p for p in (ben, cleo, dora) if p.pk not in (anna.pk, partner[anna.pk].pk))
    Participant.objects.filter(pk=leaver.pk).update(status=Participant.Status.LEFT)
    response = press(client, reverse("rounds:publish", args=[programme.pk, rnd.pk]))
    html = response.content.decode()
    assert "The round cannot be published as it is. Move these people" in html
    assert f"{leaver.name} no longer takes part in this round" in html
    assert "does not want to meet the other" in html
    rnd.refresh_from_db()
    assert rnd.status == Round.Status.PREVIEW
    assert not OutboxMessage.objects.exists() and not Job.objects.exists()
    # Calculated again, the round keeps the new wishes and can be published.
    rnd = preview(client, programme)
    press(client, reverse("rounds:publish", args=[programme.pk, rnd.pk]))
    rnd.refresh_from_db()
    assert rnd.status == Round.Status.PUBLISHED
    grouped = {m.pk for g in rnd.groups.all() for m in g.members.all()}
    assert leaver.pk not in grouped
    assert not rnd.groups.filter(members=anna).filter(members=partner[anna.pk]).exists()
