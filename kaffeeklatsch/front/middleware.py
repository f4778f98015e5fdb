"""Chooses the language of every page without a cookie of its own.

Order: the choice made on the page (kept in the session), the language of the
participant who is signed in, then the browser's Accept-Language header.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

SESSION_KEY = "language"


def language_for(request: HttpRequest) -> str:
    supported = {code for code, _ in settings.LANGUAGES}
    chosen = request.session.get(SESSION_KEY)
    if chosen in supported:
        return chosen
    participant_lang = request.session.get("participant_language")
    if participant_lang in supported:
        return participant_lang
    header = translation.get_language_from_request(request, check_path=False)
    base = (header or settings.LANGUAGE_CODE).split("-")[0]
    return base if base in supported else settings.LANGUAGE_CODE


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response
