from __future__ import annotations

import os
from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.utils.html import format_html
from django.utils.translation import trans_real

from kaffeeklatsch.front.jinja import TEXTS, texts_of


def participant(request: HttpRequest) -> dict[str, Any]:
    """Tells templates whether a participant is signed in through a magic link."""
    return {"participant_signed_in": bool(request.session.get("participant_id"))}


_INDEX = {char: n for n, char in enumerate(CSRF_ALLOWED_CHARS)}
_BASE = len(CSRF_ALLOWED_CHARS)
# Random bytes below this map evenly onto the alphabet (byte % _BASE); others are
# drawn again.
_EVEN = 256 - 256 % _BASE


def _mask(secret: str) -> str:
    """The secret masked as Django masks it (a random mask of the same alphabet and
    length, then the secret shifted by it), with the mask from one read of the
    system's random source instead of one per character."""
    mask: list[int] = []
    while len(mask) < CSRF_SECRET_LENGTH:
        mask += [byte % _BASE for byte in os.urandom(CSRF_SECRET_LENGTH + 8) if byte < _EVEN]
    mask = mask[:CSRF_SECRET_LENGTH]
    chars = CSRF_ALLOWED_CHARS
    return "".join(chars[m] for m in mask) + "".join(
        chars[(_INDEX[c] + m) % _BASE] for c, m in zip(secret, mask, strict=True)
    )


def masked_token(request: HttpRequest) -> str:
    """What ``django.middleware.csrf.get_token`` returns, masked more cheaply: a
    token for this response, accepted by the CSRF middleware, different on every
    page. A request without a secret yet (or with anything but one of Django's
    secrets, which its middleware never leaves) gets a new one from Django."""
    secret = request.META.get("CSRF_COOKIE")
    if (
        type(secret) is not str
        or len(secret) != CSRF_SECRET_LENGTH
        or not (secret.isascii() and secret.isalnum())
    ):
        request.META.pop("CSRF_COOKIE", None)
        return get_token(request)
    # As get_token does: the cookie goes out again, so its expiry is renewed.
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    return _mask(secret)


class OnePageToken:
    """The CSRF field of a Jinja2 page, made when the page first needs it and then
    reused by every form on it (Django's lazy field masks a new copy of the token
    for each form, which costs more than drawing the form)."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.html: str | None = None

    def __html__(self) -> str:
        if self.html is None:
            self.html = format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">',
                masked_token(self.request),
            )
        return self.html

    __str__ = __html__


def csrf_field(request: HttpRequest) -> dict[str, Any]:
    """``csrf_input`` for Jinja2 pages (see :class:`OnePageToken`)."""
    return {"csrf_input": OnePageToken(request)}


def translations(request: HttpRequest) -> dict[str, Any]:
    """The active language's catalogue for ``_()`` and ``ngettext()`` in Jinja2 pages,
    looked up once per page instead of once per text (a page has some sixty)."""
    catalogue = trans_real.catalog()
    return {
        "gettext": catalogue.gettext,
        "ngettext": catalogue.ngettext,
        TEXTS: texts_of(catalogue),
    }
