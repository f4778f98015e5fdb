"""``{% kind_text programme "welcome" %}`` and ``{% cadence_text programme %}``: the
sentences that differ by kind of programme (see :mod:`kaffeeklatsch.programmes.kinds`)."""

from __future__ import annotations

from django import template

from kaffeeklatsch.programmes import kinds
from kaffeeklatsch.programmes.models import Programme

register = template.Library()


@register.simple_tag
def kind_text(programme: Programme, key: str) -> str:
    return kinds.text(key, programme.kind, programme.name)


@register.simple_tag
def cadence_text(programme: Programme) -> str:
    return str(kinds.CADENCE_TEXTS[programme.cadence])
