"""Backing up and restoring the whole database.

- SQLite: SQLite's online backup API, a consistent copy even while the web
  application and the worker are writing; the backup is itself an SQLite file.
- PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean`` when the client
  programs are installed (Debian: ``postgresql-client``); otherwise, and with
  ``--portable`` for any database, every row as JSON through Django's serializers
  (times kept to the microsecond, which ``dumpdata``'s JSON would cut to milliseconds).

``restore`` recognises the kind of backup by its first bytes. It replaces everything in
the database: stop the web application and the worker first.
"""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, connections, models, transaction

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
# Rows Django makes by itself after every migrate; natural keys find them again.
EXCLUDED = {"contenttypes.contenttype", "auth.permission"}


class BackupError(Exception):
    pass


class ExactEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


def _models() -> list[type[models.Model]]:
    configs = [(c, None) for c in apps.get_app_configs() if c.models_module is not None]
    return [
        m
        for m in serializers.sort_dependencies(configs, allow_cycles=True)
        if m._meta.label_lower not in EXCLUDED and m._meta.managed and not m._meta.proxy
    ]


def _rows() -> list[dict[str, Any]]:
    """Every row, read in one snapshot of the database."""
    rows: list[dict[str, Any]] = []
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for model in _models():
            objects = model._base_manager.order_by("pk").iterator(chunk_size=2000)
            rows.extend(serializers.serialize("python", objects, use_natural_foreign_keys=True))
    return rows


def _load(rows: list[dict[str, Any]]) -> None:
    with transaction.atomic():
        deferred = []
        for obj in serializers.deserialize("python", rows, handle_forward_references=True):
            obj.save()
            if obj.deferred_fields:
                deferred.append(obj)
        for obj in deferred:
            obj.save_deferred_fields()
        reset = connection.ops.sequence_reset_sql(no_style(), _models())
        with connection.cursor() as cursor:
            for sql in reset:
                cursor.execute(sql)


def _pg_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version)
    return candidates[-1] if candidates else None


def _version(path: str) -> tuple[int, ...]:
    part = Path(path).parent.parent.name
    return tuple(int(x) for x in part.split(".") if x.isdigit())


def _pg_env() -> tuple[list[str], dict[str, str]]:
    s = connection.settings_dict
    args = ["--dbname", s["NAME"]]
    if s.get("HOST"):
        args += ["--host", s["HOST"]]
    if s.get("PORT"):
        args += ["--port", str(s["PORT"])]
    if s.get("USER"):
        args += ["--username", s["USER"]]
    env = dict(os.environ)
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = s["PASSWORD"]
    return args, env


def backup(path: Path, native: bool = True) -> str:
    """Writes a backup of the database to ``path``; returns the method used.
    ``native=False`` writes the portable JSON dump whatever the database."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    if connection.vendor == "sqlite" and native:
        connection.ensure_connection()
        target = sqlite3.connect(tmp)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        method = "sqlite"
    elif connection.vendor == "postgresql" and native and (pg_dump := _pg_tool("pg_dump")):
        args, env = _pg_env()
        run = subprocess.run(
            [pg_dump, "--format=custom", "--no-owner", "--file", str(tmp), *args],
            env=env,
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise BackupError(run.stderr.strip())
        method = "pg_dump"
    else:
        with open(tmp, "w", encoding="utf-8") as out:
            json.dump(_rows(), out, cls=ExactEncoder)
        method = "portable"
    os.replace(tmp, path)
    return method


def restore(path: Path) -> str:
    """Replaces the database's contents with the backup at ``path``."""
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(16)
    if head.startswith(SQLITE_MAGIC):
        if connection.vendor != "sqlite":
            raise BackupError("an SQLite backup can only be restored into SQLite")
        connection.ensure_connection()
        source = sqlite3.connect(path)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
        return "sqlite"
    if head.startswith(PG_MAGIC):
        tool = _pg_tool("pg_restore")
        if connection.vendor != "postgresql" or tool is None:
            raise BackupError("a pg_dump backup needs PostgreSQL and pg_restore")
        connections.close_all()
        args, env = _pg_env()
        run = subprocess.run(
            [
                tool,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                *args,
                str(path),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            raise BackupError(run.stderr.strip())
        return "pg_restore"
    with open(path, encoding="utf-8") as handle:
        rows = json.load(handle)
    call_command("flush", interactive=False, verbosity=0)
    _load(rows)
    return "portable"
