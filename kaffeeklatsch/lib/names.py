"""Names in the order readers expect: "Ärztin" next to "Arzt", "Strauß" next to
"Strauss", "Özil" before "Peters", whatever the letter case.

Databases compare text by its bytes unless told otherwise, which puts every name
beginning with an umlaut after "Z". :class:`NameOrder` orders a query by name with
a collation that knows better: ICU's root collation on PostgreSQL (``und-x-icu``,
present in every PostgreSQL built with ICU, as Debian's and the official images
are), and on SQLite the collation :func:`register_sqlite_collation` adds to every
connection, which compares :func:`sort_key`. Lists sorted in Python use
:func:`sort_key` too, so pages, exports and the API agree.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from typing import Any

from django.db.models import F, Func

SQLITE_COLLATION = "kaffeeklatsch_name"
POSTGRES_COLLATION = "und-x-icu"
# Letters that decompose into no base letter plus marks, written as readers sort them.
_SQLITE_TEMPLATE = f"%(expressions)s COLLATE {SQLITE_COLLATION}"
_POSTGRES_TEMPLATE = f'%(expressions)s COLLATE "{POSTGRES_COLLATION}"'
_SPELLED_OUT = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe", "þ": "th"})


def sort_key(name: str) -> tuple[str, str]:
    """The key names are sorted by: letters without their accents and case (``ß``
    as ``ss``), then the name as written, so that equal keys still sort the same way
    every time."""
    folded = unicodedata.normalize("NFKD", name.casefold()).translate(_SPELLED_OUT)
    base = "".join(char for char in folded if not unicodedata.combining(char))
    return " ".join(base.split()), name


def compare(left: str, right: str) -> int:
    """-1, 0 or 1 as ``left`` sorts before, with or after ``right``."""
    a, b = sort_key(left), sort_key(right)
    return (a > b) - (a < b)


def register_sqlite_collation(connection: sqlite3.Connection) -> None:
    connection.create_collation(SQLITE_COLLATION, compare)


class NameOrder(Func):
    """An expression for ``order_by`` and ``Meta.ordering``: the named field in the
    readers' order, e.g. ``order_by(NameOrder("participant__name"), "pk")``."""

    template = "%(expressions)s"

    def __init__(self, field: str, **extra: Any) -> None:
        super().__init__(F(field), **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template=f"%(expressions)s COLLATE {SQLITE_COLLATION}", **extra
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template=f'%(expressions)s COLLATE "{POSTGRES_COLLATION}"',
            **extra,
        )
