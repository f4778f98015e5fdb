"""The SCIM endpoint checked by the independent compliance checker scim2-tester,
against a live server on loopback."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.scim.models import ScimConnection

pytestmark = pytest.mark.django_db(transaction=True)

FAILED = {Status.ERROR, Status.CRITICAL, Status.DEVIATION, Status.SKIPPED}


def _report(results: list[Any]) -> str:
    return "\n".join(
        f"{r.status.name} {r.resource_type or ''} {r.title}: {r.reason}"
        for r in results
        if r.status in FAILED
    )


def test_scim2_tester_finds_no_failure(live_server: Any, programme: Any) -> None:
    connection = ScimConnection.objects.create(programme=programme)
    token = connection.new_token()
    base = f"{live_server.url}/scim/v2/{programme.pk}"
    with httpx2.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
        results = check_server(SyncSCIMClient(http))
    assert not [r for r in results if r.status in FAILED], _report(results)
    # Nothing left out: every check ran and passed.
    assert all(r.status == Status.SUCCESS for r in results), _report(results)
    passed = {r.title for r in results if r.status == Status.SUCCESS}
    # Discovery, and create, read, replace, patch and delete of both resource types.
    for needed in ("object_creation", "object_query", "object_replacement", "object_deletion"):
        assert needed in passed, sorted(passed)
    assert {r.resource_type for r in results if r.status == Status.SUCCESS} >= {"User", "Group"}
    assert len([r for r in results if r.status == Status.SUCCESS]) > 40
    # The checker's people went through the programme and were deleted again: they
    # left, as people the identity system deletes do.
    assert Participant.objects.filter(programme=programme).exists()
    assert not programme.participants.exclude(status=Participant.Status.LEFT).exists()
