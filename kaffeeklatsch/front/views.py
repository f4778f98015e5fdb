from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kaffeeklatsch.front.middleware import SESSION_KEY
from kaffeeklatsch.front.signals import language_chosen


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("programmes:list")
    return render(request, "front/home.html")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("language", "")
    if code in {c for c, _ in settings.LANGUAGES}:
        request.session[SESSION_KEY] = code
        language_chosen.send(sender=None, request=request, language=code)
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    return HttpResponseRedirect(target)


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "front/privacy.html")
