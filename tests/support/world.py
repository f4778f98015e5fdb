"""The world of the authorization matrix: every role of the site, and an object behind
every URL parameter of the URLconf, in two programmes."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils import timezone

from kaffeeklatsch.api.models import ApiToken
from kaffeeklatsch.downloads.models import Download
from kaffeeklatsch.jobs.models import Job
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Organiser, OrganiserInvitation, Programme
from kaffeeklatsch.reach.models import ChatChannel, ChatHandle
from kaffeeklatsch.rounds.models import Round, RoundTask
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.web import create_organiser, create_participant, create_programme


@dataclass
class World:
    programme: Programme
    other_programme: Programme
    owner: Any
    co: Any
    stranger: Any
    staff: Any
    participant: Participant
    other_participant: Participant
    published: Round
    preview: Round
    co_membership: Organiser
    # Objects other apps add to the world for their own URLs' arguments.
    extra: dict[str, Any] = field(default_factory=dict)


def build_world() -> World:
    """Two programmes, their organisers and participants, a published round and a
    preview, and one object of every kind that a URL of the site names."""
    numbers = itertools.count(1)

    def make_participant(programme: Programme, name: str | None = None) -> Participant:
        return create_participant(programme, next(numbers), name)

    make_organiser, make_programme = create_organiser, create_programme
    owner, co, stranger = make_organiser("owner"), make_organiser("co"), make_organiser("stranger")
    staff = make_organiser("admin")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    programme = make_programme(owner, name="Haus A")
    co_membership = Organiser.objects.create(programme=programme, user=co)
    other = make_programme(stranger, name="Haus B")
    people = [make_participant(programme) for _ in range(4)]
    make_participant(other)
    published = publish_round(preview_round(programme), notify=False)
    preview = preview_round(programme)
    other_participant = make_participant(other, "Outsider")
    channel = ChatChannel.objects.create(
        programme=programme,
        kind="webhook",
        config={"url": "https://hooks.example.org/in", "secret": "s3cret-s3cret-s3cret"},
    )
    world = World(
        programme,
        other,
        owner,
        co,
        stranger,
        staff,
        people[0],
        other_participant,
        published,
        preview,
        co_membership,
    )
    world.extra["channel"] = channel
    # The organiser of the other programme, invited to co-organise this one.
    world.extra["invitation"] = OrganiserInvitation.objects.create(
        programme=programme,
        user=stranger,
        invited_by=owner,
        invited_at=timezone.now(),
        expires_at=timezone.now() + OrganiserInvitation.VALID_FOR,
    )
    world.extra["failed_job"] = Job.objects.create(
        kind="reach_announce",
        payload={"channel": channel.pk, "round": published.pk},
        run_at=timezone.now(),
        status=Job.Status.FAILED,
        attempts=8,
        last_error="TransportError: HTTP 403",
    )
    world.extra["refused_handle"] = ChatHandle.objects.create(
        participant=people[1],
        channel=channel,
        handle="someone",
        refused=True,
        last_error="the Matrix ID cannot be invited (HTTP 403)",
    )
    token = ApiToken(programme=programme, name="HR system", scope=ApiToken.Scope.WRITE)
    token.issue()
    token.save()
    world.extra["token"] = token
    world.extra["task"] = RoundTask.objects.create(
        programme=programme, kind=RoundTask.Kind.PREVIEW, status=RoundTask.Status.FAILED
    )
    world.extra["download"] = Download.objects.create(
        programme=programme,
        kind=Download.Kind.ROUNDS_CSV,
        language="en",
        status=Download.Status.READY,
        content=b"Round\r\n",
        content_type="text/csv",
        filename="rounds.csv",
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    return world


def snapshot() -> dict[str, Any]:
    """Every row of every model of the project (and the accounts), so a refused
    request that changed anything is caught, in any app, also in apps added later."""
    state: dict[str, Any] = {
        "users": list(
            get_user_model().objects.order_by("pk").values("username", "email", "password")
        )
    }
    for config in apps.get_app_configs():
        if not config.name.startswith("kaffeeklatsch."):
            continue
        for model in config.get_models(include_auto_created=True):
            state[model._meta.label] = list(model._default_manager.order_by("pk").values())
    return state
