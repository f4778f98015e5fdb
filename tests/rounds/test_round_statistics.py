"""A large round is stored with PostgreSQL's statistics of its tables gathered in the
same transaction, so that its page, asked for as soon as the task is done, is planned
for the tables as they are."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from kaffeeklatsch.rounds import tasks
from kaffeeklatsch.rounds.models import Group, Round, RoundTask

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def estimated_rows(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def test_statistics_are_gathered_before_the_task_is_done(
    programme: Any, make_participant: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(8):
        make_participant(programme)
    monkeypatch.setattr(tasks, "ANALYSE_FROM", 2)
    seen: dict[str, float] = {}
    end = tasks.Storing.end

    def end_seeing_statistics(storing: tasks.Storing, rnd: Round) -> None:
        seen["groups"] = estimated_rows(Group._meta.db_table)
        seen["members"] = estimated_rows(Group.members.through._meta.db_table)
        end(storing, rnd)

    monkeypatch.setattr(tasks.Storing, "end", end_seeing_statistics)
    task = tasks.request_preview(programme)
    assert tasks.run_round_tasks() == 1
    task.refresh_from_db()
    assert task.status == RoundTask.Status.DONE
    assert seen == {"groups": 4, "members": 8}
    assert Group.objects.count() == 4
