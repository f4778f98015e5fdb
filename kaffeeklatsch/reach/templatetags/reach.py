"""Panels the reach app adds to other apps' pages without their views knowing it."""

from __future__ import annotations

from typing import Any

from django import template

from kaffeeklatsch.reach.forms import OrganiserAnswerForm
from kaffeeklatsch.reach.letters import OFFLINE
from kaffeeklatsch.reach.models import MeetingUpdate
from kaffeeklatsch.rounds.models import Round

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
