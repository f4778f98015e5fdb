"""Signing out at the identity provider too (OpenID Connect RP-Initiated Logout 1.0).

Sign-out is a form POST, and a redirect to another site in answer to a form is
governed by the page's Content-Security-Policy (``form-action 'self'``): browsers
block it. So the answer is a page of our own that sends the browser on to the
provider's end-session endpoint (a Refresh, as a ``<meta http-equiv="refresh">``
would, which ``form-action`` does not govern, and a link for browsers that do not
follow it); the CSP stays as strict as on every other page.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.cache import add_never_cache_headers

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


def continue_at_provider(request: HttpRequest, url: str) -> HttpResponse:
    """The page after signing out here that takes the browser on to ``url``, the
    provider's end-session endpoint."""
    response = render(request, "sso/signing_out.html", {"url": url})
    response["Refresh"] = f"0;url={url}"
    # The page carries the ID token as the provider's hint: never kept by a cache.
    add_never_cache_headers(response)
    return response
