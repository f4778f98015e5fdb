"""How form widgets are drawn.

Django draws each widget (and each choice of a radio or checkbox list) through a
template. The common ones are written out here in Python, producing the same HTML
as Django's Jinja2 copies of those templates, which costs a fraction of a template
render per widget: the sign-up form alone draws about thirty. Every other widget
template goes through Jinja2 (Django ships a copy of each for it), and templates that
exist only for the Django engine (the admin's) through Django's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template.exceptions import TemplateDoesNotExist
from markupsafe import escape

Widget = dict[str, Any]
PREFIX = "django/forms/widgets/"


def _attrs(attrs: dict[str, Any]) -> str:
    # attrs.html: an attribute set to True is written bare, one set to False not at all.
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"')
    return "".join(parts)


def _input(widget: Widget) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{escape(value)}"'
    return (
        f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _textarea(widget: Widget) -> str:
    value = widget["value"]
    return (
        f'<textarea name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{escape(value) if value else ''}</textarea>"
    )


def _input_option(widget: Widget) -> str:
    if not widget["wrap_label"]:
        return _input(widget)
    target = widget["attrs"].get("id")
    label_for = f' for="{escape(target)}"' if target else ""
    return f"<label{label_for}>{_input(widget)} {escape(widget['label'])}</label>"


def _select_option(widget: Widget) -> str:
    return (
        f'<option value="{escape(widget["value"])}"{_attrs(widget["attrs"])}>'
        f"{escape(widget['label'])}</option>"
    )


def _option(renderer: WidgetRenderer, option: Widget) -> str:
    return str(renderer.get_template(option["template_name"]).render({"widget": option}))


def _grouped(
    widget: Widget, renderer: WidgetRenderer, opening: str, each: str, closing: str
) -> str:
    """The choices of a select or of a list of checkboxes or radio buttons: ``opening``
    (with ``{group}``) and ``closing`` around each named group, ``each`` (with
    ``{option}``) for every choice."""
    parts = []
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(opening.format(group=escape(group)))
        parts.extend(each.format(option=_option(renderer, option)) for option in options)
        if group:
            parts.append(closing)
    return "".join(parts)


def _select(widget: Widget, renderer: WidgetRenderer) -> str:
    choices = _grouped(
        widget, renderer, '\n  <optgroup label="{group}">', "\n  {option}", "\n  </optgroup>"
    )
    return f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>{choices}\n</select>'


def _multiple_input(widget: Widget, renderer: WidgetRenderer) -> str:
    attrs = widget["attrs"]
    target = f' id="{escape(attrs["id"])}"' if attrs.get("id") else ""
    css = f' class="{escape(attrs["class"])}"' if attrs.get("class") else ""
    choices = _grouped(
        widget,
        renderer,
        "\n  <div><label>{group}</label>",
        "<div>\n    {option}</div>",
        "\n  </div>",
    )
    return f"<div{target}{css}>{choices}\n</div>"


_INPUTS = "input checkbox color date datetime email hidden number password search tel text time url"
_SIMPLE: dict[str, Callable[[Widget], str]] = {
    **{f"{PREFIX}{kind}.html": _input for kind in _INPUTS.split()},
    f"{PREFIX}textarea.html": _textarea,
    f"{PREFIX}input_option.html": _input_option,
    f"{PREFIX}checkbox_option.html": _input_option,
    f"{PREFIX}radio_option.html": _input_option,
    f"{PREFIX}select_option.html": _select_option,
}
_NESTED: dict[str, Callable[[Widget, WidgetRenderer], str]] = {
    f"{PREFIX}select.html": _select,
    f"{PREFIX}multiple_input.html": _multiple_input,
    f"{PREFIX}checkbox_select.html": _multiple_input,
    f"{PREFIX}radio.html": _multiple_input,
}


class PythonTemplate:
    """One widget template written in Python, with a template's ``render``."""

    def __init__(self, draw: Callable[[Widget], str]) -> None:
        self.draw = draw

    def render(self, context: dict[str, Any] | None = None, request: Any = None) -> str:
        return self.draw((context or {})["widget"])


class WidgetRenderer(BaseRenderer):
    def __init__(self) -> None:
        self.jinja2 = Jinja2()
        self.django = DjangoTemplates()
        self.python = {name: PythonTemplate(draw) for name, draw in _SIMPLE.items()}
        for name, nested in _NESTED.items():
            self.python[name] = PythonTemplate(
                lambda widget, nested=nested: nested(widget, self)  # type: ignore[misc]
            )

    def get_template(self, template_name: str) -> Any:
        written = self.python.get(template_name)
        if written is not None:
            return written
        try:
            return self.jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self.django.get_template(template_name)
