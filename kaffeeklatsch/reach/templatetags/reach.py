"""Panels the reach app adds to other apps' pages without their views knowing it."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from kaffeeklatsch.notifications.dates import date_and_time
from kaffeeklatsch.reach.deliveries import Undelivered, undelivered
from kaffeeklatsch.reach.letters import OFFLINE
from kaffeeklatsch.reach.models import MeetingUpdate
from kaffeeklatsch.rounds.models import Group, Round

# The newest news from the groups shown on a round's page.
UPDATES_SHOWN = 20

register = template.Library()
register.filter("date_and_time", date_and_time)


@register.inclusion_tag("reach/round_panel.html", takes_context=True)
def reach_round_panel(context: dict[str, Any], programme: Any, rnd: Round) -> dict[str, Any]:
    published = rnd.status == Round.Status.PUBLISHED
    offline = 0
    updates: list[MeetingUpdate] = []
    failed: list[Undelivered] = []
    failed_total = 0
    if published:
        failed, failed_total = undelivered(programme, rnd)
        # Counted and listed in the database: a round may have 100,000 members.
        offline = Group.members.through.objects.filter(
            group__round=rnd,
            participant__programme=rnd.programme_id,
            participant__reached_by__in=OFFLINE,
        ).count()
        updates = list(
            MeetingUpdate.objects.filter(group__round=rnd)
            .select_related("participant")
            .order_by("-answered_at")[:UPDATES_SHOWN]
        )
    return {
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "programme": programme,
        "round": rnd,
        "published": published,
        "offline": offline,
        "updates": updates,
        "shown": UPDATES_SHOWN,
        "failed": failed,
        "failed_total": failed_total,
        "next": reverse("rounds:detail", args=[programme.pk, rnd.pk]),
    }
