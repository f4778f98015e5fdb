"""Trigram indexes for searching people by part of a name, e-mail address or
department (PostgreSQL only).

Django's ``icontains`` on PostgreSQL is ``UPPER(column) LIKE UPPER('%term%')``, which
no B-tree index serves: every search read the whole programme. A GIN index of
trigrams on ``UPPER(column)`` does (pg_trgm, which PostgreSQL ships and a database's
owner may enable since version 13). Where the extension cannot be enabled, nothing
changes but the speed of searching.
"""

from django.db import DatabaseError, migrations, transaction

COLUMNS = ("name", "email", "department")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic():
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:
        return
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS participant_{column}_trgm "
            f"ON participants_participant USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS participant_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("participants", "0004_list_order")]

    operations = [migrations.RunPython(create, drop)]
