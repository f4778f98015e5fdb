"""Querysets turned into SQL once and run again with other ids.

Building a queryset's SQL costs Django far more than PostgreSQL needs to answer it
(about a millisecond for a lookup with ``select_related``, against a tenth of that
for the round trip). The pages everybody opens ask the same few questions on every
visit, differing only in an id; :class:`CompiledQuery` builds each such question's
SQL once per process and database, then binds the ids of the request and turns the
rows into model instances (or tuples) exactly as the queryset itself would.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.sql.compiler import SQLCompiler

T = TypeVar("T")

# Stand-ins for the arguments while the SQL is built, found again among the
# statement's parameters afterwards: negative integers no table here ever holds (in
# the range of a 32-bit column such as Django's user id, which the ORM would
# otherwise leave out of the statement as matching nothing), and strings with a NUL
# character, which no text column can hold. The strings also hold the characters
# LIKE patterns escape (% _ \), so that a lookup which escapes or wraps its text
# (iexact on SQLite, contains, startswith) changes the stand-in and is refused
# instead of binding the caller's text unescaped.
_PLACEHOLDER_BASE = -2_147_480_000


def _placeholder(value: Any, n: int) -> int | str:
    if type(value) is int:
        return _PLACEHOLDER_BASE - n
    if type(value) is str:
        return f"\x00kaffeeklatsch-argument-{n}%_\\\x00"
    raise TypeError(f"arguments must be integers or strings, not {type(value).__name__}")


class _Compiled:
    def __init__(self, queryset: QuerySet[Any], placeholders: list[int | str]) -> None:
        self.db = queryset.db
        self.placeholders = placeholders
        self.iterable = queryset._iterable_class
        if self.iterable not in (ModelIterable, ValuesListIterable, FlatValuesListIterable):
            raise TypeError("CompiledQuery takes model, values_list() or flat querysets")
        if queryset._prefetch_related_lookups:
            raise TypeError("CompiledQuery runs one statement: no prefetch_related()")
        compiler = queryset.query.get_compiler(using=self.db)
        sql, params = compiler.as_sql()
        self.compiler: SQLCompiler = compiler
        self.sql = sql
        self.params = list(params)
        # Which parameter takes which of the caller's values (None: a constant).
        self.slots: list[int | None] = []
        for value in self.params:
            slot = None
            if type(value) in (int, str) and value in placeholders:
                slot = placeholders.index(value)
            self.slots.append(slot)
        missing = set(range(len(placeholders))) - {s for s in self.slots if s is not None}
        if missing:
            raise ValueError(
                "every value must reach the statement as a parameter of its own; "
                f"not found: {sorted(missing)}"
            )
        # How values become Python's, as SQLCompiler.results_iter works it out on
        # every query.
        self.converters = compiler.get_converters(
            [column[0] for column in compiler.select[: compiler.col_count]]
        )
        if self.iterable is ModelIterable:
            # How rows become instances, as ModelIterable works it out on every query.
            select, klass_info = compiler.select, compiler.klass_info
            fields = klass_info["select_fields"]
            self.model = klass_info["model"]
            self.model_columns = slice(fields[0], fields[-1] + 1)
            self.names = [column[0].target.attname for column in select[self.model_columns]]
            self.populators = get_related_populators(klass_info, select, self.db)

    def bind(self, values: tuple[int | str, ...]) -> list[Any]:
        return [
            value if slot is None else values[slot]
            for value, slot in zip(self.params, self.slots, strict=True)
        ]

    def run(self, values: tuple[int | str, ...]) -> list[Any]:
        if not _storable(values):
            return []
        return self.result(fetch_all(connections[self.db], self.sql, self.bind(values)))

    def result(self, rows: list[Any]) -> list[Any]:
        if self.compiler.has_extra_select:
            # Columns added only for ordering, as SQLCompiler.execute_sql drops them.
            rows = [row[: self.compiler.col_count] for row in rows]
        converted = rows
        if self.converters:
            converted = self.compiler.apply_converters(rows, self.converters)
        if self.iterable is FlatValuesListIterable:
            return [row[0] for row in converted]
        if self.iterable is ValuesListIterable:
            return [tuple(row) for row in converted]
        return self._instances(converted)

    def _instances(self, rows: Any) -> list[Any]:
        annotations = self.compiler.annotation_col_map
        objects = []
        for row in rows:
            obj = self.model.from_db(self.db, self.names, row[self.model_columns])
            for populator in self.populators:
                populator.populate(row, obj)
            for name, position in annotations.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects


class CompiledQuery(Generic[T]):
    """``build(*arguments)`` returns a queryset; calling the CompiledQuery with
    arguments returns the list that queryset would, while its SQL is built only on
    the first call.

    The arguments are integers (ids) or strings, of the same types on every call.
    Each must reach the statement unchanged as a parameter (``filter(pk=...)``,
    ``filter(email=...)``; not turned into text, changed or combined with other
    values first: ``iexact`` or ``contains`` are refused); constants in ``build``
    stay as they were on the first call, so anything that varies must be an argument.
    Supported: querysets of models (with ``select_related`` and annotations), and
    ``values_list()`` (flat or not); ``prefetch_related`` is refused. The SQL is kept
    for the database the first queryset was sent to (this project has one).
    """

    def __init__(self, build: Callable[..., QuerySet[Any]]) -> None:
        self.build = build
        self._compiled: _Compiled | None = None
        self._lock = threading.Lock()

    def compiled(self, ids: tuple[int | str, ...]) -> _Compiled:
        """The statement for these arguments (built on the first call), after checking
        them."""
        compiled = self._compiled
        if compiled is None:
            with self._lock:
                if self._compiled is None:
                    placeholders = [_placeholder(value, n) for n, value in enumerate(ids)]
                    self._compiled = _Compiled(self.build(*placeholders), placeholders)
                compiled = self._compiled
        if len(ids) != len(compiled.placeholders):
            raise TypeError(f"{len(compiled.placeholders)} arguments expected, {len(ids)} given")
        for value, placeholder in zip(ids, compiled.placeholders, strict=True):
            if type(value) is not type(placeholder):
                raise TypeError(
                    f"argument of type {type(value).__name__} where the statement takes "
                    f"{type(placeholder).__name__}"
                )
        return compiled

    def __call__(self, *ids: int | str) -> list[T]:
        return self.compiled(ids).run(ids)


# A compiled query with the arguments to run it with.
Call = tuple[CompiledQuery[Any], tuple[int | str, ...]]


def run_together(*calls: Call) -> list[list[Any]]:
    """The results of several compiled queries, as calling each would give them.

    On PostgreSQL they travel in one round trip (the pipeline mode of the protocol):
    the server runs them one after another while the web process waits once instead
    of once per statement. Elsewhere they run one after another."""
    prepared = [(query.compiled(ids), ids, _storable(ids)) for query, ids in calls]
    aliases = {compiled.db for compiled, _ids, _sent in prepared}
    if len(aliases) != 1:
        return [compiled.run(ids) for compiled, ids, _sent in prepared]
    connection = connections[aliases.pop()]
    # Before the pipeline opens: the health check is a statement of its own.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    pipeline = getattr(connection.connection, "pipeline", None)
    if connection.vendor != "postgresql" or pipeline is None or not _pipelines():
        return [compiled.run(ids) for compiled, ids, _sent in prepared]
    cursors = []
    try:
        # An error of a statement in the pipeline surfaces when it ends; Django's
        # wrapper turns it into Django's exception and marks the connection, so
        # that a broken one is not kept for the next request.
        with connection.wrap_database_errors:
            with pipeline():
                for compiled, ids, sent in prepared:
                    if sent:
                        cursor = driver_cursor(connection)
                        cursors.append(cursor)
                        cursor.execute(compiled.sql, compiled.bind(ids))
            rows = iter([cursor.fetchall() for cursor in cursors])
    finally:
        for cursor in cursors:
            close_quietly(connection, cursor)
    # Arguments no column can hold were not sent: they match nothing.
    return [compiled.result(next(rows)) if sent else [] for compiled, _ids, sent in prepared]


def driver_cursor(connection: BaseDatabaseWrapper) -> Any:
    """A cursor of the database driver, made as ``connection.cursor()`` makes it but
    without Django's wrapper around it, whose bookkeeping costs a statement that
    PostgreSQL answers from a prepared plan about as much as the driver itself.

    Run it inside ``connection.wrap_database_errors`` (so that errors become Django's
    and a broken connection is not kept) and close it with :func:`close_quietly`.
    Where Django records queries (``DEBUG``, the tests' ``CaptureQueriesContext``) or
    wraps their execution (``connection.execute_wrapper``) this is Django's own
    cursor, so every statement is still recorded and wrapped."""
    if connection.queries_logged or connection.execute_wrappers:
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        return connection.create_cursor()


def fetch_all(connection: BaseDatabaseWrapper, sql: str, params: list[Any]) -> list[Any]:
    """The rows of one statement, run on a :func:`driver_cursor`."""
    cursor = driver_cursor(connection)
    try:
        with connection.wrap_database_errors:
            cursor.execute(sql, params)
            return cursor.fetchall()
    finally:
        close_quietly(connection, cursor)


def close_quietly(connection: BaseDatabaseWrapper, cursor: Any) -> None:
    """Closes a cursor, as Django's wrapper does: an error while closing (a
    connection that broke during the statement) does not hide the statement's own."""
    try:
        cursor.close()
    except connection.Database.Error:
        pass


# The ids a database column can hold (64-bit signed integers); a larger one, or a
# string with a NUL character (which PostgreSQL's text cannot hold), matches nothing
# instead of failing in the database driver.
_ID_RANGE = range(-(2**63), 2**63)


def _storable(values: tuple[int | str, ...]) -> bool:
    return all(
        "\x00" not in value if type(value) is str else value in _ID_RANGE for value in values
    )


@functools.cache
def _pipelines() -> bool:
    """Whether the PostgreSQL client library can pipeline (libpq 14 and newer)."""
    from psycopg import Pipeline

    return bool(Pipeline.is_supported())
