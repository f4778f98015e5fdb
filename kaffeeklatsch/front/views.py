from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kaffeeklatsch.front.middleware import SESSION_KEY
from kaffeeklatsch.front.signals import language_chosen

# Browsers ask for /favicon.ico on their own; pages link the SVG.
FAVICON = (Path(__file__).parent / "static" / "kaffeeklatsch" / "favicon.ico").read_bytes()


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
    """What is kept of whom, why, for how long and who answers for it; the times
    and the people responsible come from the server's settings."""
    return render(
        request,
        "front/privacy.html",
        {
            "controller": settings.PRIVACY_CONTROLLER,
            "contact": settings.PRIVACY_CONTACT,
            "officer": settings.PRIVACY_OFFICER,
            "left_days": settings.RETENTION_LEFT_DAYS,
            "unconfirmed_days": settings.RETENTION_UNCONFIRMED_DAYS,
            "email_days": settings.RETENTION_EMAIL_DAYS,
            "link_hours": settings.MAGIC_LINK_MAX_AGE // 3600,
            "session_days": settings.SESSION_COOKIE_AGE // (24 * 3600),
            "download_hours": round(settings.DOWNLOAD_KEEP_HOURS),
            "lock_minutes": settings.SIGN_IN_LOCK_MINUTES,
        },
    )


def help_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "front/help.html",
        {
            "sso_callback": request.build_absolute_uri(reverse("sso:callback")),
            "privacy_url": reverse("front:privacy"),
        },
    )


def favicon(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(FAVICON, content_type="image/vnd.microsoft.icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
