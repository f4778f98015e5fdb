"""The API keeps its OpenAPI description: Schemathesis generates requests from the
description (valid and invalid ones, every operation, with a write token, a read
token and none), sends them to the live server and runs all its checks on the
answers: status codes, content types, headers and bodies as documented, valid input
accepted, invalid input refused, no server error.

The requests go to real data: the ids in the paths are those of a programme with
people, a published round with answers, a preview and a finished task (set on each
generated case that did not make its path invalid on purpose), so the answers are the
API's real ones rather than "not found". The only failures set aside are refusals of
valid data by the few rules of the forms an OpenAPI 3.0 description cannot express
(``BEYOND_DESCRIPTION``, each said in its operation's description).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData

from kaffeeklatsch.api.models import ApiToken
from kaffeeklatsch.rounds.models import Feedback, Round, RoundTask
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from kaffeeklatsch.rounds.tasks import request_preview, run_round_tasks

# Schemathesis makes one test item per operation, all with one test id: pytest-xdist
# would run only one of them, so they run in one process after the others.
pytestmark = [pytest.mark.serial, pytest.mark.django_db(transaction=True)]

# The description as the schema URL serves it (checked below).
DESCRIPTION = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))
PROGRAMME = "/api/v1/programmes/{programme_id}"
# Examples per operation and way of generating; with three tokens per example the
# whole file runs in a couple of minutes.
EXAMPLES = 15


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
def world(programme: Any, make_participant: Any, settings: Any) -> dict[str, Any]:
    """A programme with people, a published round whose groups answered, a preview of
    the next round made by a finished task, and a write and a read token."""
    # Every request of the run counts against the token's hourly limit; the limit
    # itself is tested in test_api.py.
    settings.API_REQUESTS_PER_HOUR = 1_000_000
    # The person changed has every address, so that a change of how they are reached
    # or what they share can take what is stored.
    people = [
        make_participant(
            programme,
            phone="+49 221 123456",
            postal_address="Hauptstr. 1, 50667 Köln",
            phone_note="Mornings",
            place="50667",
        ),
        *(make_participant(programme) for _ in range(9)),
    ]
    published = publish_round(preview_round(programme), notify=False)
    for group in published.groups.all():
        for member in group.members.all():
            Feedback.objects.create(group=group, participant=member, met=group.number % 2 == 1)
    task = request_preview(programme)
    run_round_tasks()
    task.refresh_from_db()
    assert task.status == RoundTask.Status.DONE and task.round is not None
    assert task.round.status == Round.Status.PREVIEW
    return {
        "programme": programme.pk,
        "person": people[0].pk,
        "leaving": people[1].pk,
        "published": published.pk,
        "preview": task.round.pk,
        "task": task.pk,
        "write": issue(programme, "write"),
        "read": issue(programme, "read"),
    }


# Where a path must point to something else than the usual ids of ``world``.
PATH_IDS = {
    # Leaving is for good: another person than the one changed and paused.
    f"{PROGRAMME}/people/{{participant_id}}/leave/": {"participant_id": "leaving"},
    # Only a preview can be published; answers are a published round's.
    f"{PROGRAMME}/rounds/{{round_id}}/publish/": {"round_id": "preview"},
}
USUAL_IDS = {
    "programme_id": "programme",
    "participant_id": "person",
    "round_id": "published",
    "task_id": "task",
}


# Rules of the pages' forms that an OpenAPI 3.0 description cannot express, by
# operation: the fields whose 400 may answer data the description calls valid. Each
# operation's description says them; any other refusal of valid data stays a failure.
BEYOND_DESCRIPTION = {
    # A period that ends before it starts: a rule between two parameters.
    ("GET", f"{PROGRAMME}/insights/"): {"non_field_errors"},
    # A place must be in the server's list of German postcodes and towns.
    ("POST", f"{PROGRAMME}/people/"): {"place"},
    # A change is checked together with what is stored (reached by post needs a
    # postal address, sent now or stored before), and the place as above.
    ("PATCH", f"{PROGRAMME}/people/{{participant_id}}/"): {
        "email",
        "phone",
        "phone_note",
        "place",
        "postal_address",
    },
    # A break ends today or later: a rule over the current date.
    ("POST", f"{PROGRAMME}/people/{{participant_id}}/pause/"): {"paused_until"},
}

schema = schemathesis.openapi.from_dict(
    DESCRIPTION, config=schemathesis.Config.from_dict({"seed": 22})
)


@schema.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keeps every failure but valid data refused with 400 by a rule above."""
    if not isinstance(failure, RejectedPositiveData) or response.status_code != 400:
        return True
    fields = BEYOND_DESCRIPTION.get((case.method, case.path), set())
    return not set(response.json()) <= fields


def at_real_ids(case: Any, world: dict[str, Any]) -> None:
    """Points the case's path to the ``world``'s programme, person, round and task,
    unless the path is what Schemathesis made invalid on purpose (that one must get
    its 404). The ids are made by the test's database, after the tests are built, so
    they are set here rather than in the configuration."""
    if not case.path_parameters or case.meta.is_negative_at(ParameterLocation.PATH):
        return
    names = {**USUAL_IDS, **PATH_IDS.get(case.path, {})}
    case.path_parameters = {name: world[names[name]] for name in case.path_parameters}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_description(case: Any, live_server: Any, world: dict[str, Any]) -> None:
    at_real_ids(case, world)
    for secret in (world["read"], None, world["write"]):
        headers = {"Accept-Language": "en"}
        if secret is not None:
            headers["Authorization"] = f"Bearer {secret}"
        case.call_and_validate(base_url=live_server.url, headers=headers)
