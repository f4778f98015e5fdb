"""How form widgets are drawn."""

from __future__ import annotations

from typing import Any

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template.exceptions import TemplateDoesNotExist


class WidgetRenderer(BaseRenderer):
    """Django's widget templates through Jinja2 (Django ships a copy of each for it):
    the same HTML several times faster than through the Django template engine.
    Templates that exist only for the Django engine (the admin's) are drawn by it."""

    def __init__(self) -> None:
        self.jinja2 = Jinja2()
        self.django = DjangoTemplates()

    def get_template(self, template_name: str) -> Any:
        try:
            return self.jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self.django.get_template(template_name)
