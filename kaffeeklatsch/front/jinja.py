"""The Jinja2 side of the pages.

The page layout (``front/jinja2/layout.html``) and the pages opened most often (the
participant's own page) are Jinja2 templates, which render several times faster
than Django's engine; the other pages are Django templates whose ``base.html``
hands its blocks to the same layout (see ``templatetags/layout.py``).

Texts are translated by Django's catalogues: write ``{{ _("Text") }}`` (a variable
with arguments: ``{{ _("Hello %(name)s!")|format(name=...) }}``), which
``makemessages`` finds as it finds ``_("...")`` in Django templates; plurals with
``ngettext`` must also appear in a Django template or Python file to be extracted.
``tests/web/test_jinja.py`` checks that every text of these templates is translated.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.db.models import Model
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext, ngettext
from jinja2 import Environment

from kaffeeklatsch.front.templatetags.fields import form_fields


@functools.lru_cache(maxsize=4096)
def _reverse(prefix: str, name: str, args: tuple[Any, ...]) -> str:
    return reverse(name, args=args or None)


def url(name: str, *args: Any) -> str:
    """Django's ``reverse``, remembered: the URLconf does not change while the
    process runs, and a page links to the same dozen places on every visit."""
    return _reverse(get_script_prefix(), name, args)


@functools.cache
def _static(path: str) -> str:
    return static(path)


@functools.cache
def _labels(model: type[Model], name: str) -> dict[Any, Any]:
    return dict(model._meta.get_field(name).flatchoices)


def display(instance: Model, name: str) -> str:
    """What ``get_FOO_display()`` gives, from the field's choices looked up once."""
    value = getattr(instance, name)
    return str(_labels(type(instance), name).get(value, value))


def date(value: Any, format_name: str) -> str:
    """Django's ``date`` filter, with the local time it is given in Django templates."""
    return defaultfilters.date(timezone.template_localtime(value), format_name)


def environment(**options: Any) -> Environment:
    env = Environment(extensions=["jinja2.ext.i18n"], **options)
    env.install_gettext_callables(gettext, ngettext, newstyle=False)  # type: ignore[attr-defined]
    env.globals.update(
        url=url,
        # The manifest of static files does not change while the process runs.
        static=_static,
        display=display,
        get_current_language=get_language,
        LANGUAGES=settings.LANGUAGES,
        form_fields=form_fields,
    )
    env.filters.update(date=date, capfirst=capfirst)
    return env
