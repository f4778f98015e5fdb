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
``_`` is the translation and nothing else in these templates: ``_("a literal")``
compiles to a lookup in the active language's table of texts (see :class:`Texts`),
not to a call.
"""

from __future__ import annotations

import functools
import types
from typing import Any

from django.conf import settings
from django.db.models import Model
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext, ngettext, trans_real
from jinja2 import Environment, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context

from kaffeeklatsch.front.templatetags.fields import form_fields
from kaffeeklatsch.notifications.dates import date_and_time


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
def choice_labels(model: type[Model], name: str) -> dict[Any, Any]:
    """The labels of a field's choices by value, looked up once per process (lazy
    texts: ``str()`` gives them in the active language)."""
    return dict(model._meta.get_field(name).flatchoices)


def display(instance: Model, name: str) -> str:
    """What ``get_FOO_display()`` gives, from the field's choices looked up once."""
    value = getattr(instance, name)
    return str(choice_labels(type(instance), name).get(value, value))


def date(value: Any, format_name: str) -> str:
    """Django's ``date`` filter, with the local time it is given in Django templates."""
    return defaultfilters.date(timezone.template_localtime(value), format_name)


class Texts(dict[str, str]):
    """The texts of the templates in one language, each translated on first use.

    A catalogue does not change while the process runs, so a text looked up once is
    kept; there are a few hundred texts."""

    def __init__(self, catalogue: Any) -> None:
        super().__init__()
        self.catalogue = catalogue

    def __missing__(self, message: str) -> str:
        text = self[message] = self.catalogue.gettext(message)
        return text


_texts: dict[Any, Texts] = {}

# The name under which a page's context carries its Texts.
TEXTS = "_kaffeeklatsch_texts"


def texts_of(catalogue: Any) -> Texts:
    """The table of texts for a catalogue: kept for Django's catalogues, one per
    language for as long as the process runs; a new one for anything else (no
    language active: Django makes a new stand-in each time)."""
    found = _texts.get(catalogue)
    if found is None:
        found = Texts(catalogue)
        if isinstance(catalogue, trans_real.DjangoTranslation):
            _texts[catalogue] = found
    return found


class _Generator(CodeGenerator):
    """Compiles ``_("a literal")`` to a lookup in the page's :class:`Texts`."""

    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        if (
            not forward_caller
            and isinstance(node.node, nodes.Name)
            and node.node.name == "_"
            and len(node.args) == 1
            and isinstance(node.args[0], nodes.Const)
            and isinstance(node.args[0].value, str)
            and not (node.kwargs or node.dyn_args or node.dyn_kwargs)
        ):
            self.write(f"environment.texts(context)[{node.args[0].value!r}]")
            return
        super().visit_Call(node, frame, forward_caller=forward_caller)


class _Context(Context):
    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        """Calls a plain function (one without ``pass_context`` and the like)
        directly; anything else as Jinja2 does."""
        if type(__obj) in _PLAIN and not hasattr(__obj, "jinja_pass_arg"):
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
            try:
                return __obj(*args, **kwargs)
            except StopIteration:
                return __self.environment.undefined(
                    "value was undefined because a callable raised a StopIteration exception"
                )
        return super().call(__obj, *args, **kwargs)


_PLAIN = (types.FunctionType, types.BuiltinFunctionType, types.MethodType)


class PageEnvironment(Environment):
    code_generator_class = _Generator
    context_class = _Context

    @staticmethod
    def texts(context: Context) -> Texts:
        """The active language's texts: from the page's context processor, or
        looked up (a template rendered without a request)."""
        found = context.parent.get(TEXTS)
        return found if found is not None else texts_of(trans_real.catalog())


def environment(**options: Any) -> Environment:
    env = PageEnvironment(extensions=["jinja2.ext.i18n"], **options)
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
    env.filters.update(date=date, capfirst=capfirst, date_and_time=date_and_time)
    return env
