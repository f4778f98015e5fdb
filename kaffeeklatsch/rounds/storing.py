"""Writing and removing the rows of a whole round at once.

A round of 100,000 people has 50,000 groups, 100,000 memberships and as many e-mails;
written one ``create`` at a time that is minutes of round trips, and even Django's
``bulk_create`` spends most of its time building model instances. Here rows go in as
plain values, prepared by their fields, with PostgreSQL's ``COPY`` (or ``executemany``
in large batches on SQLite); a preview is removed with one statement per table
instead of Django's collector, which would first load every group into memory.

Callers run these inside their own transaction: nothing here commits.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import DateField, Field, JSONField, Model

from kaffeeklatsch.rounds.models import Group, LeftOut, Round

BATCH = 5000


def membership_table() -> str:
    return Group.members.through._meta.db_table


def insert_rows(
    model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]], table: str = ""
) -> int:
    """Inserts plain rows (values in the order of ``fields``) into the model's table,
    each value prepared by its field as Django prepares it for saving; returns how many.

    No model instances are built: for a round of 100,000 people that is most of the
    time Django's ``bulk_create`` takes. PostgreSQL gets them through ``COPY``.
    """
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    table = table or meta.db_table
    quote = connection.ops.quote_name
    names = ", ".join(quote(c.column) for c in columns)
    convert = [_converter(c) for c in columns]
    prepared = (
        [v if c is None else c(v) for c, v in zip(convert, row, strict=True)] for row in rows
    )
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's cursor wraps the driver's (psycopg 3), which speaks COPY.
            with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in prepared:
                    copy.write_row(row)
                    count += 1
            return count
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"  # noqa: S608
        while batch := list(islice(prepared, BATCH)):
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _converter(field: Field) -> Callable[[Any], Any] | None:
    """How a value goes to the database driver: JSON as its text (which both databases
    take for their JSON columns), dates and times as Django prepares them; ids,
    numbers, texts and booleans as they are, which the drivers adapt themselves."""
    if isinstance(field, JSONField):
        return lambda value: json.dumps(value, cls=field.encoder)
    if isinstance(field, DateField):  # DateTimeField too
        database = connections[DEFAULT_DB_ALIAS]
        return lambda value: field.get_db_prep_save(value, database)
    return None


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
