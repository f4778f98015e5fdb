"""The API keeps its OpenAPI description: Schemathesis generates requests from the
description (valid and invalid ones, every operation, with a write token, a read
token and none), sends them to the live server and runs all its checks on the
answers: status codes, content types, headers and bodies as documented, valid input
accepted, invalid input refused, no server error."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings

from kaffeeklatsch.api.models import ApiToken

pytestmark = pytest.mark.django_db(transaction=True)

# The description as the schema URL serves it (checked below), made when the tests
# are collected: Schemathesis' loading from a fixture does not run on this pytest.
DESCRIPTION = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))
schema = schemathesis.openapi.from_dict(DESCRIPTION)


def test_the_description_tested_is_the_one_served(live_server: Any) -> None:
    served = requests.get(f"{live_server.url}/api/v1/schema/?format=json", timeout=60)
    assert served.status_code == 200
    assert served.json() == DESCRIPTION


def issue(programme: Any, scope: str) -> str:
    token = ApiToken(programme=programme, name=f"{scope} token", scope=scope)
    secret = token.issue()
    token.save()
    return secret


@pytest.fixture
def tokens(programme: Any, make_participant: Any) -> dict[str, str | None]:
    for _ in range(6):
        make_participant(programme)
    return {"write": issue(programme, "write"), "read": issue(programme, "read"), "none": None}


@schema.parametrize()
@settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_description(
    case: Any, live_server: Any, tokens: dict[str, str | None]
) -> None:
    for secret in tokens.values():
        headers = {"Accept-Language": "en"}
        if secret is not None:
            headers["Authorization"] = f"Bearer {secret}"
        case.call_and_validate(base_url=live_server.url, headers=headers)
