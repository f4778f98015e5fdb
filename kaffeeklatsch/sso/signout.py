"""Signing out at the identity provider too (OpenID Connect RP-Initiated Logout 1.0)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import resolve_url

from kaffeeklatsch.sso import provider

# The ID tokens of the session's sign-ins through the identity provider, sent back
# to it as the hint of whom to sign out.
ORGANISER_ID_TOKEN = "oidc_id_token"
PARTICIPANT_ID_TOKEN = "sso_participant_id_token"


def end_session_url(request: HttpRequest, id_token: str | None) -> str | None:
    """Where to send the browser to sign out at the identity provider too
    (RP-initiated logout), if the provider offers it."""
    if not id_token or not provider.configured():
        return None
    try:
        endpoint = provider.metadata().end_session_endpoint
    except provider.ProviderUnavailable:
        return None
    if not endpoint:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.SSO_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(
                resolve_url(settings.LOGOUT_REDIRECT_URL)
            ),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
