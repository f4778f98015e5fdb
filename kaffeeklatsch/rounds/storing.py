"""Writing and removing the rows of a whole round at once.

A round of 100,000 people has 50,000 groups, 100,000 memberships and as many e-mails;
written one ``create`` at a time that is minutes of round trips. Here they go in as
plain rows (:func:`kaffeeklatsch.front.bulk.insert_rows`: ``COPY`` on PostgreSQL),
and a preview is removed with one statement per table instead of Django's collector,
which would first load every group into memory.

Callers run these inside their own transaction: nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.db import connection

from kaffeeklatsch.front.bulk import insert_rows
from kaffeeklatsch.rounds.models import Group, LeftOut, Round


def membership_table() -> str:
    return Group.members.through._meta.db_table


class GroupRow(NamedTuple):
    """A group of a round as it is stored (its members go in separately)."""

    number: int
    mode: str
    score: float | None
    reasons: list[dict[str, Any]]
    suggested_start: dt.datetime | None
    video_url: str
    across_departments: bool
    across_levels: bool
    across_organisations: bool
    size: int
    unreached: int
    moved: bool = False
    former_members: int = 0
    common_time: bool = True


def create_groups(rnd: Round, groups: Iterable[GroupRow]) -> dict[int, int]:
    """Inserts the round's groups; returns their ids by number."""
    insert_rows(Group, ("round", *GroupRow._fields), ((rnd.pk, *g) for g in groups))
    return dict(Group.objects.filter(round=rnd).values_list("number", "pk"))


def add_members(pairs: Iterable[tuple[int, int]]) -> int:
    """Inserts (group id, participant id) memberships; returns how many."""
    through = Group.members.through
    return insert_rows(through, ("group", "participant"), pairs)


def create_left_out(rnd: Round, items: Iterable[tuple[int, dict]]) -> int:
    """Inserts (participant id, reason) of the people left out of the round."""
    return insert_rows(
        LeftOut, ("round", "participant", "reason"), ((rnd.pk, p, r) for p, r in items)
    )


def delete_preview(rnd: Round) -> None:
    """Removes a preview with its groups, memberships and left-out people.

    A preview has no answers, e-mails or jobs that point at its groups; the database's
    foreign keys would refuse the deletion (and roll back the caller's transaction) if
    one did.
    """
    # Locked and checked again: it may have been published (or removed) meanwhile.
    if not Round.objects.select_for_update().filter(pk=rnd.pk, status=Round.Status.PREVIEW):
        return
    quote = connection.ops.quote_name
    members, groups = quote(membership_table()), quote(Group._meta.db_table)
    left_out = quote(LeftOut._meta.db_table)
    with connection.cursor() as cursor:
        # Table names from the models, the round's id as a parameter.
        cursor.execute(
            f"DELETE FROM {members} WHERE group_id IN "  # noqa: S608
            f"(SELECT id FROM {groups} WHERE round_id = %s)",
            [rnd.pk],
        )
        cursor.execute(f"DELETE FROM {left_out} WHERE round_id = %s", [rnd.pk])  # noqa: S608
        cursor.execute(f"DELETE FROM {groups} WHERE round_id = %s", [rnd.pk])  # noqa: S608
    # The round itself through the ORM: its tasks keep their history (SET_NULL).
    Round.objects.filter(pk=rnd.pk).delete()
