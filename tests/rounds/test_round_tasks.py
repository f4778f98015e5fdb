"""Previews and publications as background work: one task per programme at a time,
progress on the page, and a worker killed half way leaving no half-stored round."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.rounds.models import Group, Round, RoundTask
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.tasks import request_preview, request_publish, run_round_tasks
from tests.support.faults import Worker, eventually, free_port, worker_env
from tests.support.web import login, press

pytestmark = pytest.mark.database

PEOPLE = 12


@pytest.fixture
def people(programme: Any, make_participant: Any) -> list[Participant]:
    return [make_participant(programme) for _ in range(PEOPLE)]


def assert_one_preview_of_everyone(programme: Any, people: list[Participant]) -> Round:
    [rnd] = Round.objects.filter(programme=programme)
    assert rnd.status == Round.Status.PREVIEW
    members = list(
        Group.members.through.objects.filter(group__round=rnd).values_list(
            "participant_id", flat=True
        )
    )
    left = list(rnd.left_out.values_list("participant_id", flat=True))
    # Everyone exactly once: in one group, or left out.
    assert sorted(members + left) == sorted(p.pk for p in people)
    assert list(rnd.groups.values_list("number", flat=True)) == list(
        range(1, rnd.groups.count() + 1)
    )
    return rnd


@pytest.mark.django_db
def test_the_press_hands_the_work_to_the_worker_and_the_page_shows_how_far_it_is(
    client: Any, organiser: Any, programme: Any, people: list[Participant]
) -> None:
    login(client, organiser)
    response = client.post(reverse("rounds:preview", args=[programme.pk]))
    [task] = RoundTask.objects.all()
    assert response["Location"] == reverse("rounds:task", args=[programme.pk, task.pk])
    # Nothing is calculated in the request: the worker has not run yet.
    assert not Round.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "Waiting for the worker" in page and 'value="0"' in page
    assert reverse("rounds:task_status", args=[programme.pk, task.pk]) in page
    status = client.get(reverse("rounds:task_status", args=[programme.pk, task.pk])).json()
    assert status["status"] == "waiting" and status["percent"] == 0 and not status["done"]
    # The round list says so too, instead of offering a second preview.
    listing = client.get(reverse("rounds:list", args=[programme.pk])).content.decode()
    assert "A round is being calculated." in listing
    assert "Preview the next round" not in listing

    assert run_round_tasks() == 1
    task.refresh_from_db()
    assert task.status == RoundTask.Status.DONE and task.percent == 100
    rnd = assert_one_preview_of_everyone(programme, people)
    assert task.round == rnd
    status = client.get(reverse("rounds:task_status", args=[programme.pk, task.pk])).json()
    assert status["done"] and status["percent"] == 100
    # The task page now leads to the stored preview.
    done = client.get(reverse("rounds:task", args=[programme.pk, task.pk]))
    assert done["Location"] == reverse("rounds:detail", args=[programme.pk, rnd.pk])


@pytest.mark.django_db
def test_progress_is_written_as_the_worker_goes(
    programme: Any, people: list[Participant], monkeypatch: Any
) -> None:
    """What the task's row says each time the worker reports (as the page would read
    it): the stages in order, the share growing, 100 % only with the stored result."""
    from kaffeeklatsch.rounds import tasks

    seen: list[tuple[str, int]] = []
    task = request_preview(programme)
    original = tasks.Reporter.__call__

    def watching(self: Any, stage: str, share: float) -> None:
        original(self, stage, share)
        row = RoundTask.objects.get(pk=task.pk)
        seen.append((row.stage, row.percent))

    monkeypatch.setattr(tasks.Reporter, "__call__", watching)
    run_round_tasks()
    stages = [stage for stage, _ in seen]
    assert stages[0] == "reading" and "matching" in stages
    assert stages[-2:] == ["storing", "done"]
    percents = [percent for _, percent in seen]
    assert percents == sorted(percents) and percents[-2] < 100 and percents[-1] == 100


@pytest.mark.django_db
def test_a_second_press_while_one_runs_finds_the_running_task(
    client: Any, organiser: Any, make_organiser: Any, programme: Any, people: list[Participant]
) -> None:
    from kaffeeklatsch.programmes.models import Organiser

    co = make_organiser("cora")
    Organiser.objects.create(programme=programme, user=co)
    other = Client()
    login(client, organiser)
    login(other, co)
    first = client.post(reverse("rounds:preview", args=[programme.pk]))
    again = client.post(reverse("rounds:preview", args=[programme.pk]), follow=True)
    by_co = other.post(reverse("rounds:preview", args=[programme.pk]), follow=True)
    [task] = RoundTask.objects.all()
    for response in (again, by_co):
        assert response.redirect_chain[-1][0] == first["Location"]
    assert "is already being calculated or published" in again.content.decode()
    # The co-organiser's browser asks for no language: German, the default.
    assert "wird schon berechnet oder veröffentlicht" in by_co.content.decode()
    run_round_tasks()
    rnd = assert_one_preview_of_everyone(programme, people)

    # Publishing while a new calculation waits is refused the same way, and so are
    # moves and discarding the preview: the calculation would replace it.
    client.post(reverse("rounds:preview", args=[programme.pk]))
    waiting = RoundTask.objects.get(status=RoundTask.Status.WAITING)
    for url, data in (
        (reverse("rounds:publish", args=[programme.pk, rnd.pk]), {}),
        (reverse("rounds:discard", args=[programme.pk, rnd.pk]), {}),
    ):
        response = client.post(url, data)
        assert response["Location"] == reverse("rounds:task", args=[programme.pk, waiting.pk])
    member = rnd.groups.first().members.first()
    client.post(
        reverse("rounds:move", args=[programme.pk, rnd.pk]),
        {"participant": member.pk, "target": "out"},
    )
    assert not rnd.left_out.filter(participant=member).exists()
    assert RoundTask.objects.filter(status__in=RoundTask.ACTIVE).count() == 1
    assert task.pk != waiting.pk
    run_round_tasks()
    # The new preview replaced the old one; still exactly one.
    assert_one_preview_of_everyone(programme, people)
    assert not Round.objects.filter(pk=rnd.pk).exists()


@pytest.mark.django_db
def test_a_failed_publication_says_why_in_the_readers_language(
    client: Any, organiser: Any, programme: Any, people: list[Participant]
) -> None:
    rnd = preview_round(programme)
    leaver = rnd.groups.first().members.first()
    Participant.objects.filter(pk=leaver.pk).update(status=Participant.Status.LEFT)
    task = request_publish(rnd, organiser)
    run_round_tasks()
    task.refresh_from_db()
    assert task.status == RoundTask.Status.FAILED and task.error == "rule_broken"
    login(client, organiser)
    url = reverse("rounds:task", args=[programme.pk, task.pk])
    english = client.get(url).content.decode()
    assert f"{leaver.name} no longer takes part in this round" in english
    german = client.get(url, headers={"accept-language": "de"}).content.decode()
    assert f"{leaver.name} nimmt an dieser Runde nicht mehr teil" in german
    rnd.refresh_from_db()
    assert rnd.status == Round.Status.PREVIEW and not OutboxMessage.objects.exists()


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def start(tmp_path: Path, **extra: str) -> Worker:
    return Worker(worker_env(database_url(), free_port(), tmp_path, **extra))


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_storing_leaves_no_preview_and_nobody_else_takes_it_meanwhile(
    programme: Any, people: list[Participant], tmp_path: Path
) -> None:
    task = request_preview(programme)
    first = start(tmp_path, KAFFEEKLATSCH_TEST_PAUSE="task.storing_end",
                  KAFFEEKLATSCH_ROUND_LEASE_SECONDS="1")  # fmt: skip
    second = None
    try:
        first.wait_for("paused at task.storing_end")
        # The first worker's lease runs out while it stores; the second must not take
        # the task it still holds.
        second = start(tmp_path, KAFFEEKLATSCH_ROUND_LEASE_SECONDS="1")
        time.sleep(3)
        task.refresh_from_db()
        assert task.attempts == 1 and task.status == RoundTask.Status.RUNNING
        assert not Round.objects.exists()
        first.kill()
        # Killed: nothing of the preview was committed, and the task is taken again.
        eventually(
            lambda: RoundTask.objects.get(pk=task.pk).status == RoundTask.Status.DONE,
            "the task done by the second worker",
        )
    finally:
        first.stop()
        if second is not None:
            second.stop()
    task.refresh_from_db()
    assert task.attempts == 2
    assert task.round == assert_one_preview_of_everyone(programme, people)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_publishing_leaves_the_preview_then_publishes_once(
    programme: Any, people: list[Participant], tmp_path: Path
) -> None:
    rnd = preview_round(programme)
    task = request_publish(rnd)
    first = start(tmp_path, KAFFEEKLATSCH_TEST_PAUSE="task.storing_end",
                  KAFFEEKLATSCH_ROUND_LEASE_SECONDS="1")  # fmt: skip
    try:
        first.wait_for("paused at task.storing_end")
        first.kill()
    finally:
        first.stop()
    rnd.refresh_from_db()
    assert rnd.status == Round.Status.PREVIEW
    assert not OutboxMessage.objects.exists()
    second = start(tmp_path, KAFFEEKLATSCH_ROUND_LEASE_SECONDS="1")
    try:
        eventually(
            lambda: RoundTask.objects.get(pk=task.pk).status == RoundTask.Status.DONE,
            "published by the next worker",
        )
    finally:
        second.stop()
    rnd.refresh_from_db()
    assert rnd.status == Round.Status.PUBLISHED and rnd.number == 1
    intros = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.INTRODUCTION)
    assert sorted(intros.values_list("to", flat=True)) == sorted(p.email for p in people)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_organisers_pressing_at_once_start_one_task(
    organiser: Any, make_organiser: Any, programme: Any, people: list[Participant]
) -> None:
    from kaffeeklatsch.programmes.models import Organiser

    co = make_organiser("cora")
    Organiser.objects.create(programme=programme, user=co)
    clients = [Client(), Client()]
    login(clients[0], organiser)
    login(clients[1], co)
    for attempt in range(5):
        barrier = threading.Barrier(2)
        answers: list[str] = []

        def press_now(
            client: Client, barrier: threading.Barrier = barrier, answers: list[str] = answers
        ) -> None:
            try:
                barrier.wait()
                response = client.post(reverse("rounds:preview", args=[programme.pk]))
                answers.append(response["Location"])
            finally:
                connection.close()

        threads = [threading.Thread(target=press_now, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Both land on the one task that was started.
        [task] = RoundTask.objects.filter(status__in=RoundTask.ACTIVE)
        assert answers == [reverse("rounds:task", args=[programme.pk, task.pk])] * 2
        run_round_tasks()
        assert RoundTask.objects.count() == attempt + 1
        assert_one_preview_of_everyone(programme, people)


@pytest.mark.django_db
def test_press_follows_to_the_preview(
    client: Any, organiser: Any, programme: Any, people: list[Participant]
) -> None:
    login(client, organiser)
    response = press(client, reverse("rounds:preview", args=[programme.pk]))
    rnd = assert_one_preview_of_everyone(programme, people)
    assert response.redirect_chain[-1][0] == reverse("rounds:detail", args=[programme.pk, rnd.pk])


@pytest.mark.django_db
def test_a_task_whose_workers_keep_dying_ends_failed_and_frees_the_programme(
    programme: Any, people: list[Participant]
) -> None:
    from kaffeeklatsch.rounds.tasks import MAX_ATTEMPTS, claim

    task = request_preview(programme)
    # As if its worker had been killed MAX_ATTEMPTS times, the last lease run out.
    RoundTask.objects.filter(pk=task.pk).update(
        status=RoundTask.Status.RUNNING, attempts=MAX_ATTEMPTS, claimed_until=timezone.now()
    )
    assert claim() is None
    task.refresh_from_db()
    assert task.status == RoundTask.Status.FAILED and task.error == "internal"
    # The programme can be previewed again.
    request_preview(programme)
    assert run_round_tasks() == 1
    assert_one_preview_of_everyone(programme, people)


@pytest.mark.django_db
def test_an_old_task_page_of_a_replaced_preview_leads_to_the_round_list(
    client: Any, organiser: Any, programme: Any, people: list[Participant]
) -> None:
    login(client, organiser)
    first = request_preview(programme)
    run_round_tasks()
    request_preview(programme)
    run_round_tasks()
    first.refresh_from_db()
    assert first.status == RoundTask.Status.DONE and first.round_id is None
    response = client.get(reverse("rounds:task", args=[programme.pk, first.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("rounds:list", args=[programme.pk])
    assert "This preview was replaced or discarded since." in response.content.decode()


@pytest.mark.django_db
def test_finished_tasks_are_erased_with_the_other_expired_rows(
    programme: Any, people: list[Participant], settings: Any
) -> None:
    from kaffeeklatsch.jobs.registry import erase_expired

    rnd = preview_round(programme)
    Participant.objects.filter(pk=people[0].pk).update(status=Participant.Status.LEFT)
    failed = request_publish(rnd)
    run_round_tasks()
    failed.refresh_from_db()
    assert people[0].name in str(failed.problems)
    waiting = request_preview(programme)
    old = timezone.now() - dt.timedelta(days=settings.RETENTION_EMAIL_DAYS + 1)
    RoundTask.objects.update(created_at=old)
    erase_expired()
    # The failed one (which named a person) is gone; the waiting one stays.
    assert list(RoundTask.objects.values_list("pk", flat=True)) == [waiting.pk]


@pytest.mark.django_db
def test_the_move_page_links_back_only_to_the_round(
    client: Any, organiser: Any, programme: Any, people: list[Participant]
) -> None:
    login(client, organiser)
    rnd = preview_round(programme)
    person = rnd.groups.first().members.first()
    url = reverse("rounds:move_to", args=[programme.pk, rnd.pk, person.pk])
    round_page = reverse("rounds:detail", args=[programme.pk, rnd.pk])
    page = client.get(url, {"next": "https://evil.example.org/"}).content.decode()
    assert f'<p><a href="{round_page}">←' in page
    assert 'value="https://evil.example.org/"' not in page
    own = round_page + "?q=x&page=2"
    page = client.get(url, {"next": own}).content.decode()
    assert f'<p><a href="{own.replace("&", "&amp;")}">←' in page
