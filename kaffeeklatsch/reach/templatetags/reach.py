"""Panels the reach app adds to other apps' pages without their views knowing it."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.reach.forms import OrganiserAnswerForm
from kaffeeklatsch.reach.letters import OFFLINE
from kaffeeklatsch.reach.models import ChatChannel, MeetingUpdate
from kaffeeklatsch.rounds.models import Group, Round

register = template.Library()


@register.inclusion_tag("reach/round_panel.html", takes_context=True)
def reach_round_panel(context: dict[str, Any], programme: Any, rnd: Round) -> dict[str, Any]:
    published = rnd.status == Round.Status.PUBLISHED
    groups = list(rnd.groups.prefetch_related("members")) if published else []
    people = [(m.pk, m.name) for g in groups for m in g.members.all()]
    offline = [m for g in groups for m in g.members.all() if m.reached_by in OFFLINE]
    updates = MeetingUpdate.objects.filter(group__round=rnd).select_related("participant")
    return {
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "programme": programme,
        "round": rnd,
        "published": published,
        "offline": offline,
        "updates": list(updates),
        "answer_form": OrganiserAnswerForm(people=people) if people else None,
    }


@register.inclusion_tag("reach/me_panel.html", takes_context=True)
def reach_participant_panel(
    context: dict[str, Any], participant: Participant, groups: Any = None
) -> dict[str, Any]:
    """``groups``: the participant's groups of published rounds, newest round first, with
    their members, when the page has them already (saves the query)."""
    if groups is None:
        groups = (
            Group.objects.filter(members=participant, round__status=Round.Status.PUBLISHED)
            .select_related("round")
            .prefetch_related("members")
            .order_by("-round__number")[:1]
        )
    upcoming = list(groups[:1])
    mine = {u.group_id: u for u in participant.meeting_updates.all()} if upcoming else {}
    meetings = [
        {
            "group": g,
            "others": [m.name for m in g.members.all() if m.pk != participant.pk],
            "update": mine.get(g.pk),
        }
        for g in upcoming
        if g.suggested_start is None or g.suggested_start >= timezone.now() or g.pk in mine
    ]
    channels = (
        [c for c in participant.programme.channels.all() if c.sends_direct_messages]
        if ChatChannel.any_for(participant.programme_id)
        else []
    )
    return {
        "csrf_token": context.get("csrf_token"),
        "participant": participant,
        "meetings": meetings,
        "statuses": MeetingUpdate.Status.choices,
        "dm_channels": channels,
        "handles": list(participant.chat_handles.select_related("channel")) if channels else [],
    }
