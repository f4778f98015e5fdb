"""The pages a reader sees when something goes wrong: in the site's layout and the
reader's language, each saying what happened and what to do next.

Django calls these for the statuses of the root URL conf's ``handler400`` ...
``handler500`` and for ``CSRF_FAILURE_VIEW``. The page for a server error is drawn
without the request's context (no session, no database), and should even that
fail, a fixed page in both languages answers instead, so it never fails itself.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

# The last resort when even the 500 template cannot be drawn.
PLAIN_SERVER_ERROR = """<!doctype html>
<html lang="de"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fehler – Kaffeeklatsch</title></head>
<body><main><h1>Etwas ist schiefgegangen</h1>
<p>Bitte versuchen Sie es in ein paar Minuten noch einmal.</p>
<h1 lang="en">Something went wrong</h1>
<p lang="en">Please try again in a few minutes.</p>
<p><a href="/">Kaffeeklatsch</a></p></main></body></html>
"""


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Drawn without the request's context: the request itself may be what is wrong
    # (e.g. an unknown host name), so nothing is read from it.
    return HttpResponse(render_to_string("400.html"), status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    try:
        return HttpResponseServerError(render_to_string("500.html"))
    except Exception:
        logger.exception("The page for a server error could not be drawn")
        return HttpResponseServerError(PLAIN_SERVER_ERROR)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without its protection against forgery, most often one left open
    so long that its session ended, or sent with cookies switched off."""
    return render(request, "403_csrf.html", status=403)
