"""The API reads and changes a programme's kind, questions and phone sign-up with the
settings page's checks."""

from __future__ import annotations

from typing import Any

import pytest

from kaffeeklatsch.programmes.kinds import DEFAULTS, Kind
from tests.api.test_api import api_client, make_token, patch, url

pytestmark = pytest.mark.django_db


def test_the_kind_questions_and_phone_sign_up_are_read_and_changed(
    programme: Any, organiser: Any
) -> None:
    writer = api_client(make_token(programme, "write", organiser)[1])
    shown = writer.get(url("programme", programme)).json()
    assert shown["kind"] == "workplace" and shown["phone_sign_up"] is False
    assert shown["questions"] == list(DEFAULTS[Kind.WORKPLACE].questions)

    # A new kind brings its questions, way to meet and lead time, as on the page.
    answer = patch(writer, url("programme", programme), {"kind": "neighbourhood"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["questions"] == list(DEFAULTS[Kind.NEIGHBOURHOOD].questions)
    programme.refresh_from_db()
    assert programme.kind == "neighbourhood" and programme.mode == "in_person"
    assert programme.lead_days == DEFAULTS[Kind.NEIGHBOURHOOD].lead_days

    answer = patch(
        writer,
        url("programme", programme),
        {"questions": ["place", "times"], "phone_sign_up": True},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["questions"] == ["times", "place"]  # in the order people are asked
    programme.refresh_from_db()
    assert programme.phone_sign_up is True and programme.name == "Kaffee im Haus"


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "office"},
        {"questions": ["salary"]},
        {"questions": "place"},
        {"phone_sign_up": "yes"},
        {"name": "New"},
    ],
)
def test_bad_values_get_400_and_change_nothing(
    programme: Any, organiser: Any, body: dict[str, Any]
) -> None:
    writer = api_client(make_token(programme, "write", organiser)[1])
    answer = patch(writer, url("programme", programme), body)
    assert answer.status_code == 400 and set(answer.json()) == set(body)
    programme.refresh_from_db()
    assert programme.kind == "workplace" and programme.phone_sign_up is False
    assert programme.questions == list(DEFAULTS[Kind.WORKPLACE].questions)
    assert programme.name == "Kaffee im Haus"


def test_a_read_token_changes_nothing(programme: Any, organiser: Any) -> None:
    reader = api_client(make_token(programme, "read", organiser)[1])
    assert patch(reader, url("programme", programme), {"kind": "network"}).status_code == 403
    programme.refresh_from_db()
    assert programme.kind == "workplace"
