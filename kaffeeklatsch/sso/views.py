"""Signing in with the organisation's identity provider (OpenID Connect).

One callback serves organisers and participants: what a sign-in was started for is
kept in the session next to its state, nonce and PKCE verifier (mozilla-django-oidc's
``oidc_states``), and every entry is used once."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from kaffeeklatsch.lib.fields import max_length
from kaffeeklatsch.lib.names import NameOrder, sort_key
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.sessions import start_session
from kaffeeklatsch.sso import provider
from kaffeeklatsch.sso.backends import (
    SignInRefused,
    SsoBackend,
    claim_text,
    subject_of,
    verified_email,
)
from kaffeeklatsch.sso.models import ParticipantIdentity, SignInRecord
from kaffeeklatsch.sso.signout import (
    ORGANISER_ID_TOKEN,
    PARTICIPANT_ID_TOKEN,
    continue_at_provider,
    end_session_url,
)

logger = logging.getLogger(__name__)

ORGANISER_BACKEND = "kaffeeklatsch.accounts.backends.OrganiserBackend"
PURPOSES = "sso_purposes"
CANDIDATES = "sso_candidates"
# How long the choice between one's programmes stays open after signing in.
CHOICE_SECONDS = 600

# Why a sign-in was refused, as the page explains it.
REASONS: dict[str, Any] = {
    "state": gettext_lazy(
        "This sign-in answer does not belong to a sign-in started in this browser, or it "
        "was already used. Please start again."
    ),
    "provider": gettext_lazy("The identity provider did not confirm the sign-in."),
    "unavailable": gettext_lazy(
        "The identity provider cannot be reached or is not configured correctly. Please "
        "try again later or tell the administrator."
    ),
    "issuer": gettext_lazy(
        "The sign-in was issued by another identity provider than the one configured."
    ),
    "audience": gettext_lazy("The sign-in was issued for another application."),
    "signature": gettext_lazy("The signature of the sign-in is not valid."),
    "expired": gettext_lazy("The sign-in has expired. Please start again."),
    "nonce": gettext_lazy(
        "The sign-in does not belong to the one started in this browser (it may have "
        "been replayed)."
    ),
    "email": gettext_lazy("The identity provider gave no verified e-mail address."),
    "ambiguous": gettext_lazy(
        "Several organiser accounts have this e-mail address. Please ask the administrator."
    ),
    "no_account": gettext_lazy(
        "There is no organiser account with your e-mail address, and this server does not "
        "create one. Please ask the administrator."
    ),
    "subject": gettext_lazy("The identity provider gave no identifier of your account."),
    "bound_elsewhere": gettext_lazy(
        "The organiser account with your e-mail address is linked to another account at "
        "the identity provider. Please ask the administrator."
    ),
    "privileged": gettext_lazy(
        "The organiser account with your e-mail address has administrator rights and is "
        "linked to the identity provider only by an administrator. Please ask the "
        "administrator."
    ),
    "participant_bound_elsewhere": gettext_lazy(
        "Your participation is linked to another account at the identity provider. Please "
        "ask the programme's organisers."
    ),
    "no_participant": gettext_lazy(
        "No programme that lets its participants sign in with the organisation's account "
        "has a participant with your e-mail address."
    ),
}


def refused(request: HttpRequest, reason: str) -> HttpResponse:
    status = 503 if reason == "unavailable" else 400
    return render(
        request,
        "sso/refused.html",
        {"reason": REASONS[reason]},
        status=status,
    )


class _StartView(OIDCAuthenticationRequestView):
    """mozilla-django-oidc's start of the code flow (state, nonce, PKCE S256), with
    the endpoints from discovery; notes what the sign-in is for."""

    purpose = "organiser"
    get_settings = staticmethod(provider.setting)

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        view = super().as_view(**initkwargs)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            # The library reads the endpoints when the view is made: a provider that
            # cannot be reached gets a page that says so.
            if not provider.configured():
                raise Http404
            try:
                return view(request, *args, **kwargs)
            except provider.ProviderUnavailable as exc:
                logger.warning("identity provider unavailable: %s", exc)
                return refused(request, "unavailable")

        guarded.view_class = view.view_class  # type: ignore[attr-defined]
        guarded.view_initkwargs = view.view_initkwargs  # type: ignore[attr-defined]
        return guarded

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request)
        # The state the library made is the one sent to the provider (the query of
        # the redirect, as OAuth 2.0 defines it); the library keeps the nonce and
        # PKCE verifier under it in the session ("oidc_states", pinned version).
        state = parse_qs(urlparse(response["Location"]).query)["state"][0]
        purposes = request.session.get(PURPOSES)
        purposes = purposes if isinstance(purposes, dict) else {}
        known = request.session.get("oidc_states", {})
        purposes = {key: value for key, value in purposes.items() if key in known}
        purposes[state] = self.purpose
        request.session[PURPOSES] = purposes
        return response

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        return {"ui_locales": get_language() or settings.LANGUAGE_CODE}


class OrganiserStartView(_StartView):
    purpose = "organiser"


class ParticipantStartView(_StartView):
    purpose = "participant"


@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    if not provider.configured():
        raise Http404
    state = request.GET.get("state", "")
    states = request.session.get("oidc_states")
    purposes = request.session.get(PURPOSES)
    entry = states.pop(state, None) if isinstance(states, dict) and state else None
    purpose = purposes.pop(state, None) if isinstance(purposes, dict) and state else None
    if entry is not None:
        # Used once, whatever comes of it: a replayed answer finds nothing.
        request.session["oidc_states"] = states
        request.session[PURPOSES] = purposes
    if not isinstance(entry, dict) or purpose not in ("organiser", "participant"):
        return refused(request, "state")
    code = request.GET.get("code", "")
    if request.GET.get("error") or not code:
        return refused(request, "provider")
    try:
        backend = SsoBackend()
        claims, id_token = backend.claims(
            request, code, entry.get("nonce") or "", entry.get("code_verifier") or ""
        )
        if purpose == "organiser":
            return _organiser_signed_in(request, backend.organiser(claims), id_token)
        return _participant_signed_in(request, claims, id_token)
    except SignInRefused as exc:
        # The reason and the kind of its cause go to the log for the administrator,
        # not the cause's text (it may quote the token's claims).
        logger.warning(
            "sign-in through the identity provider refused: %s (%s)",
            exc.reason,
            type(exc.__cause__).__name__ if exc.__cause__ is not None else "no cause",
        )
        return refused(request, exc.reason)
    except provider.ProviderUnavailable as exc:
        logger.warning("identity provider unavailable: %s", exc)
        return refused(request, "unavailable")


def _organiser_signed_in(request: HttpRequest, user: Any, id_token: str) -> HttpResponse:
    next_url = request.session.pop("oidc_login_next", None)
    auth.login(request, user, backend=ORGANISER_BACKEND)
    request.session[ORGANISER_ID_TOKEN] = id_token
    SignInRecord.note(user=user)
    return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


def _participant_signed_in(
    request: HttpRequest, claims: dict[str, Any], id_token: str
) -> HttpResponse:
    """The participants of programmes that let them sign in this way: those bound to
    this account at the provider, and those with its verified e-mail address that are
    bound to none yet (bound when they enter)."""
    subject = subject_of(claims)
    open_ones = (
        Participant.objects.filter(programme__sso_sign_in=True)
        .exclude(status=Participant.Status.LEFT)
        .select_related("programme")
    )
    found = list(
        open_ones.filter(sso_identity__issuer=settings.SSO_ISSUER, sso_identity__subject=subject)
    )
    try:
        email = verified_email(claims)
    except SignInRefused:
        if not found:
            raise
        email = ""
    taken = False
    if email:
        for one in open_ones.filter(email=email).exclude(pk__in=[p.pk for p in found]):
            if ParticipantIdentity.objects.filter(participant=one).exists():
                taken = True
            else:
                found.append(one)
    if not found:
        raise SignInRefused("participant_bound_elsewhere" if taken else "no_participant")
    found.sort(key=lambda p: (sort_key(p.programme.name), p.pk))
    request.session[PARTICIPANT_ID_TOKEN] = id_token
    if len(found) == 1:
        return _enter(request, found[0], claims, subject)
    request.session[CANDIDATES] = {
        "ids": [participant.pk for participant in found],
        "until": time.time() + CHOICE_SECONDS,
        "subject": subject,
        "claims": {
            key: claim_text(claims, getattr(settings, key))
            for key in ("SSO_NAME_CLAIM", "SSO_DEPARTMENT_CLAIM", "SSO_LEVEL_CLAIM")
        },
    }
    return redirect("sso:choose")


def _enter(
    request: HttpRequest, participant: Participant, claims: dict[str, Any], subject: str
) -> HttpResponse:
    """Signs the participant in and binds them to the account at the provider; the
    profile follows what the identity provider says of name, department and level
    (where configured), and a pending sign-up is confirmed, as the link in the
    confirmation e-mail would."""
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        identity, _made = ParticipantIdentity.objects.get_or_create(
            participant=participant,
            defaults={"issuer": settings.SSO_ISSUER, "subject": subject},
        )
        if (identity.issuer, identity.subject) != (settings.SSO_ISSUER, subject):
            return refused(request, "participant_bound_elsewhere")
        changed = []
        for field, setting in (
            ("name", "SSO_NAME_CLAIM"),
            ("department", "SSO_DEPARTMENT_CLAIM"),
            ("level", "SSO_LEVEL_CLAIM"),
        ):
            value = claim_text(claims, getattr(settings, setting))
            limit = max_length(Participant, field)
            if value and value[:limit] != getattr(participant, field):
                setattr(participant, field, value[:limit])
                changed.append(field)
        if participant.status == Participant.Status.PENDING:
            participant.activate()
            changed += ["status", "confirmed_at"]
            messages.success(request, _("Thank you! You are taking part now."))
        if changed:
            participant.save(update_fields=changed)
        SignInRecord.note(participant.programme)
    start_session(request, participant)
    return redirect("participants:me")


@require_http_methods(["GET", "POST"])
def choose(request: HttpRequest) -> HttpResponse:
    """After signing in: the participant takes part in several programmes that let
    them sign in this way, and picks the one to open."""
    offer = request.session.get(CANDIDATES)
    if (
        not isinstance(offer, dict)
        or offer.get("until", 0) < time.time()
        or not offer.get("subject")
    ):
        request.session.pop(CANDIDATES, None)
        return redirect("participants:request_link")
    found = list(
        Participant.objects.filter(pk__in=offer["ids"], programme__sso_sign_in=True)
        .exclude(status=Participant.Status.LEFT)
        .select_related("programme")
        .order_by(NameOrder("programme__name"), "pk")
    )
    if request.method == "POST":
        chosen = next((p for p in found if str(p.pk) == request.POST.get("participant")), None)
        if chosen is None:
            messages.error(request, _("Please choose one of your programmes."))
            return redirect("sso:choose")
        request.session.pop(CANDIDATES, None)
        claims = {getattr(settings, key): value for key, value in offer["claims"].items()}
        return _enter(request, chosen, claims, str(offer.get("subject", "")))
    return render(request, "sso/choose.html", {"participants": found})


class OrganiserLoginView(auth_views.LoginView):
    """Django's sign-in page, with the button for the identity provider; when the
    administrator requires single sign-on, without the password form."""

    template_name = "accounts/login.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sso_configured"] = provider.configured()
        context["sso_required"] = provider.sso_required()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if provider.sso_required():
            messages.error(request, _("Passwords are switched off on this server."))
            return redirect(reverse("accounts:login"))
        return super().post(request, *args, **kwargs)


class OrganiserLogoutView(auth_views.LogoutView):
    """Ends the session; after a sign-in through the identity provider, the browser
    goes on to sign out there too."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        id_token = request.session.get(ORGANISER_ID_TOKEN)
        response = super().post(request, *args, **kwargs)
        elsewhere = end_session_url(request, id_token)
        return continue_at_provider(request, elsewhere) if elsewhere else response
