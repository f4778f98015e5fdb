"""The API reads and changes whether a programme matches interests by meaning, with
the settings page's checks."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_api import api_client, make_token, patch, url

pytestmark = pytest.mark.django_db


def test_the_setting_is_read_and_changed(programme: Any, organiser: Any) -> None:
    writer = api_client(make_token(programme, "write", organiser)[1])
    assert writer.get(url("programme", programme)).json()["match_by_meaning"] is True

    answer = patch(writer, url("programme", programme), {"match_by_meaning": False})
    assert answer.status_code == 200, answer.content
    assert answer.json()["match_by_meaning"] is False
    programme.refresh_from_db()
    assert programme.match_by_meaning is False and programme.rules().weight_meaning == 0
    # Other settings stay as they were.
    assert programme.name == "Kaffee im Haus" and programme.kind == "workplace"

    answer = patch(writer, url("programme", programme), {"match_by_meaning": True})
    assert answer.status_code == 200 and answer.json()["match_by_meaning"] is True
    programme.refresh_from_db()
    assert programme.match_by_meaning is True and programme.rules().weight_meaning > 0


@pytest.mark.parametrize("value", ["no", 0, None])
def test_a_value_other_than_true_or_false_gets_400_and_changes_nothing(
    programme: Any, organiser: Any, value: Any
) -> None:
    writer = api_client(make_token(programme, "write", organiser)[1], language="de")
    answer = patch(writer, url("programme", programme), {"match_by_meaning": value})
    assert answer.status_code == 400 and set(answer.json()) == {"match_by_meaning"}
    programme.refresh_from_db()
    assert programme.match_by_meaning is True


def test_a_read_token_cannot_turn_it_off(programme: Any, organiser: Any) -> None:
    reader = api_client(make_token(programme, "read", organiser)[1])
    answer = patch(reader, url("programme", programme), {"match_by_meaning": False})
    assert answer.status_code == 403
    programme.refresh_from_db()
    assert programme.match_by_meaning is True
