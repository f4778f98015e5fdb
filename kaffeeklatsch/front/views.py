from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kaffeeklatsch.front.middleware import SESSION_KEY


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("programmes:list")
    return render(request, "front/home.html")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("language", "")
    if code in {c for c, _ in settings.LANGUAGES}:
        request.session[SESSION_KEY] = code
        if request.session.get("participant_id"):
            from kaffeeklatsch.participants.models import Participant

            Participant.objects.filter(pk=request.session["participant_id"]).update(language=code)
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    return HttpResponseRedirect(target)


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "front/privacy.html")
