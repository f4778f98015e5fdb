"""Writing many rows at once, without model instances.

Even Django's ``bulk_create`` spends most of its time building model instances and
preparing every value through them; for the 100,000 groups, memberships and e-mails
of a large round that is most of the time. :func:`insert_rows` takes plain values,
prepares only what needs it, and hands them to PostgreSQL's ``COPY`` (or to
``executemany`` in large batches on SQLite). Callers run it inside their own
transaction: nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import DateField, Field, JSONField, Model

from kaffeeklatsch.lib.fields import model_field

BATCH = 5000


def insert_rows(
    model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]], table: str = ""
) -> int:
    """Inserts plain rows (values in the order of ``fields``) into the model's table;
    returns how many. Every column without a database default must be given (Django's
    defaults, ``auto_now_add`` included, are not applied here). ``rows`` may be a
    generator, but must not query the database: its connection is busy copying.

    No model instances are built: for a round of 100,000 people that is most of the
    time Django's ``bulk_create`` takes. PostgreSQL gets them through ``COPY``.
    """
    meta = model._meta
    columns = [model_field(model, name) for name in fields]
    table = table or meta.db_table
    quote = connection.ops.quote_name
    names = ", ".join(quote(c.column) for c in columns)
    convert = [_converter(c) for c in columns]
    database = connections[DEFAULT_DB_ALIAS]
    prepared = (
        [v if c is None else c(v) for c, v in zip(convert, row, strict=True)] for row in rows
    )
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's cursor wraps the driver's (psycopg 3), which speaks COPY.
            # Errors of the driver raised as Django's (IntegrityError ...), as
            # Django's own cursor raises them.
            with database.wrap_database_errors:
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


def _converter(field: Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How a value goes to the database driver: JSON as its text (which both databases
    take for their JSON columns), dates and times as Django prepares them for SQLite; ids,
    numbers, texts and booleans as they are, which the drivers adapt themselves."""
    if isinstance(field, JSONField):
        return lambda value: json.dumps(value, cls=field.encoder)
    database = connections[DEFAULT_DB_ALIAS]
    if isinstance(field, DateField) and database.vendor != "postgresql":
        # PostgreSQL's driver takes dates and aware datetimes as they are.
        return lambda value: field.get_db_prep_save(value, database)
    return None
