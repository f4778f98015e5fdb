"""Writing and removing the rows of a whole round at once.

A round of 100,000 people has 50,000 groups, 100,000 memberships and as many e-mails;
written one ``create`` at a time that is minutes of round trips. Here groups go in
with ``bulk_create`` in large batches, memberships (the largest table, whose ids
nobody needs back) with PostgreSQL's ``COPY`` where the database is PostgreSQL, and a
preview is removed with one statement per table instead of Django's collector, which
would first load every group of the round into memory.

Callers run these inside their own transaction: nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection

from kaffeeklatsch.rounds.models import Group, LeftOut, Round

BATCH = 5000


def membership_table() -> str:
    return Group.members.through._meta.db_table


def create_groups(groups: list[Group]) -> list[Group]:
    """Inserts the groups and gives each its id."""
    return Group.objects.bulk_create(groups, batch_size=BATCH)


def add_members(pairs: Iterable[tuple[int, int]]) -> int:
    """Inserts (group id, participant id) memberships; returns how many."""
    rows = list(pairs)
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(membership_table())
        with connection.cursor() as cursor:
            # Django's cursor wraps the driver's (psycopg 3), which speaks COPY.
            with cursor.cursor.copy(
                f"COPY {table} (group_id, participant_id) FROM STDIN"  # noqa: S608 - a table name
            ) as copy:
                for row in rows:
                    copy.write_row(row)
        return len(rows)
    through = Group.members.through
    through.objects.bulk_create(
        (through(group_id=g, participant_id=p) for g, p in rows), batch_size=BATCH
    )
    return len(rows)


def create_left_out(items: Sequence[LeftOut]) -> None:
    LeftOut.objects.bulk_create(items, batch_size=BATCH)


def delete_preview(rnd: Round) -> None:
    """Removes a preview with its groups, memberships and left-out people.

    A preview has no answers, e-mails or jobs that point at its groups; the database's
    foreign keys would refuse the deletion (and roll back the caller's transaction) if
    one did.
    """
    if rnd.status != Round.Status.PREVIEW:
        raise ValueError("only a preview is removed this way")
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
