from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.backends.utils import csrf_input
from django.utils.translation import trans_real


def participant(request: HttpRequest) -> dict[str, Any]:
    """Tells templates whether a participant is signed in through a magic link."""
    return {"participant_signed_in": bool(request.session.get("participant_id"))}


class OnePageToken:
    """The CSRF field of a Jinja2 page, made when the page first needs it and then
    reused by every form on it (Django's lazy field masks a new copy of the token
    for each form, which costs more than drawing the form)."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.html: str | None = None

    def __html__(self) -> str:
        if self.html is None:
            self.html = csrf_input(self.request)
        return self.html

    __str__ = __html__


def csrf_field(request: HttpRequest) -> dict[str, Any]:
    """``csrf_input`` for Jinja2 pages (see :class:`OnePageToken`)."""
    return {"csrf_input": OnePageToken(request)}


def translations(request: HttpRequest) -> dict[str, Any]:
    """The active language's catalogue for ``_()`` and ``ngettext()`` in Jinja2 pages,
    looked up once per page instead of once per text (a page has some sixty)."""
    from kaffeeklatsch.front.jinja import TEXTS, texts_of

    catalogue = trans_real.catalog()
    return {
        "gettext": catalogue.gettext,
        "ngettext": catalogue.ngettext,
        TEXTS: texts_of(catalogue),
    }
