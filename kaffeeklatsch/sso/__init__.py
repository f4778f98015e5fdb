"""Single sign-on with the organisation's identity provider (OpenID Connect)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Max

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from kaffeeklatsch.programmes.models import Programme
    from kaffeeklatsch.sso.models import SignInRecord


@dataclass(frozen=True)
class Status:
    """What the organisers' connections page shows of single sign-on."""

    configured: bool
    issuer: str
    required: bool
    # Whether the programme asked about lets its participants sign in this way.
    participants: bool
    # The last sign-in through the identity provider: of an organiser of the
    # programme asked about (without one: of any organiser on the server), and of a
    # participant of that programme.
    last_organiser_sign_in: dt.datetime | None
    last_participant_sign_in: dt.datetime | None

    @property
    def last_sign_in(self) -> dt.datetime | None:
        times = [t for t in (self.last_organiser_sign_in, self.last_participant_sign_in) if t]
        return max(times) if times else None


def status(programme: Programme | None = None) -> Status:
    """Single sign-on as the connections page shows it, for ``programme`` if given."""
    # The package is imported while apps load, before models can be: so here.
    from kaffeeklatsch.programmes.models import Organiser  # noqa: PLC0415
    from kaffeeklatsch.sso import provider  # noqa: PLC0415
    from kaffeeklatsch.sso.models import SignInRecord  # noqa: PLC0415

    def latest(records: QuerySet[SignInRecord]) -> dt.datetime | None:
        return records.aggregate(last=Max("last_at"))["last"]

    organisers = SignInRecord.objects.filter(user__isnull=False)
    if programme is not None:
        organisers = organisers.filter(
            user__in=Organiser.objects.filter(programme=programme).values("user")
        )

    configured = provider.configured()
    return Status(
        configured=configured,
        issuer=settings.SSO_ISSUER if configured else "",
        required=provider.sso_required(),
        participants=bool(configured and programme is not None and programme.sso_sign_in),
        last_organiser_sign_in=latest(organisers),
        last_participant_sign_in=(
            latest(SignInRecord.objects.filter(programme=programme))
            if programme is not None
            else None
        ),
    )
