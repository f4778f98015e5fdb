"""The migrations describe the models as they are: nothing left for makemigrations."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.database


@pytest.mark.django_db
def test_no_model_change_is_missing_a_migration() -> None:
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit:  # makemigrations --check exits 1 when one is missing
        pytest.fail(f"a migration is missing (exit {exit.code}):\n{out.getvalue()}")
