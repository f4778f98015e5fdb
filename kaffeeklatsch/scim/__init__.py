"""Automatic provisioning of a programme's people with SCIM 2.0 (RFC 7643/7644)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kaffeeklatsch.programmes.models import Programme


@dataclass(frozen=True)
class ScimStatus:
    """What the organisers' page of connections shows about a programme's SCIM endpoint."""

    token_present: bool
    token_created_at: dt.datetime | None
    last_used_at: dt.datetime | None
    # People the identity system provisioned and has not deleted (whether they take
    # part, wait for their confirmation or left).
    people: int
    groups: int


def status(programme: Programme) -> ScimStatus:
    """The state of the programme's SCIM endpoint, in three queries at most."""
    # The package is imported while apps load, before models can be: so here.
    from kaffeeklatsch.scim.models import ScimConnection  # noqa: PLC0415

    connection = ScimConnection.objects.filter(programme=programme).first()
    if connection is None:
        return ScimStatus(False, None, None, 0, 0)
    return ScimStatus(
        token_present=connection.has_token,
        token_created_at=connection.token_created_at,
        last_used_at=connection.last_used_at,
        people=connection.users.filter(deleted=False).count(),
        groups=connection.groups.count(),
    )
