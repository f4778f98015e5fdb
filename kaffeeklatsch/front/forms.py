"""How forms are drawn: Django's own widget templates, inside the product's form and
field templates (``front/forms/form.html`` and ``front/forms/field.html``), which
mark every field up the same way on every page: labels tied to inputs, help texts
and errors tied to them for screen readers, a star for required fields."""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates


class FormRenderer(DjangoTemplates):
    form_template_name = "front/forms/form.html"
    field_template_name = "front/forms/field.html"
