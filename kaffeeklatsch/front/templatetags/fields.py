"""``{% form_fields form %}``: every field of a form with its label, help text and
errors, marked up the same way on every page (labels tied to inputs, help and
errors tied to them for screen readers, a star for required fields).

Written in Python rather than as an included template: forms are on the most
visited pages, and the template engine spent more time on the field loop than on
drawing the widgets themselves.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BaseForm, BoundField
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

REQUIRED = ' <span aria-hidden="true">*</span>'


def _errors(field: BoundField, with_id: bool) -> str:
    if with_id:
        return "".join(
            format_html('<p class="error" role="alert" id="{}_error">{}</p>', field.auto_id, e)
            for e in field.errors
        )
    return "".join(format_html('<p class="error" role="alert">{}</p>', e) for e in field.errors)


def _help(field: BoundField, suffix: str) -> str:
    if not field.help_text:
        return ""
    return format_html('<p class="help" id="{}{}">{}</p>', field.auto_id, suffix, field.help_text)


def _field(field: BoundField) -> str:
    kind = field.widget_type
    required = REQUIRED if field.field.required else ""
    classes = "field"
    if field.errors:
        classes += " invalid"
    if kind == "checkbox":
        classes += " check"
    if kind == "checkboxselectmultiple":
        choices = "".join(
            format_html("<label>{} {}</label>", choice.tag(), choice.choice_label)
            for choice in field
        )
        inner = (
            f"<fieldset><legend>{conditional_escape(field.label)}{required}</legend>"
            f'{_help(field, "_help")}<div class="choices">{choices}</div>'
            f"{_errors(field, with_id=False)}</fieldset>"
        )
    elif kind == "checkbox":
        inner = (
            format_html('<label for="{}">{} {}</label>', field.id_for_label, field, field.label)
            + _help(field, "_helptext")
            + _errors(field, with_id=True)
        )
    else:
        inner = (
            format_html('<label for="{}">{}', field.id_for_label, field.label)
            + required
            + "</label>\n"
            + str(field)
            + "\n"
            + _help(field, "_helptext")
            + _errors(field, with_id=True)
        )
    return f'<div class="{classes}">\n{inner}\n</div>\n'


@register.simple_tag
def form_fields(form: BaseForm) -> SafeString:
    parts: list[Any] = []
    errors = form.non_field_errors()
    if errors:
        parts.append('<div class="errors" role="alert">')
        parts.extend(format_html("<p>{}</p>", e) for e in errors)
        parts.append("</div>")
    parts.append("\n")
    parts.extend(str(field) for field in form.hidden_fields())
    parts.append("\n")
    parts.extend(_field(field) for field in form.visible_fields())
    return mark_safe("".join(parts))
