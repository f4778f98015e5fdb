"""``{% form_fields form %}``: every field of a form with its label, help text and
errors, drawn by the form renderer's templates (see ``kaffeeklatsch/front/forms.py``)."""

from __future__ import annotations

from django import template
from django.forms import BaseForm
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def form_fields(form: BaseForm) -> SafeString:
    return form.render()
