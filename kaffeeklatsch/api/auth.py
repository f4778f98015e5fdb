"""Who calls the API: a programme's token, sent as ``Authorization: Bearer <token>``.

* :class:`TokenAuthentication` finds the token by its prefix and compares digests; an
  unknown, malformed or revoked token gets 401.
* :class:`TokenScope` lets a read token read and a write token also change.
* :class:`TokenRateThrottle` counts each token's requests per hour in the database
  (:mod:`kaffeeklatsch.front.ratelimit`), so every web process shares the count; past
  the limit the answer is 429 with Retry-After.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from kaffeeklatsch.api.models import ApiToken
from kaffeeklatsch.front import bearer
from kaffeeklatsch.front.ratelimit import hit, seconds_left

THROTTLE_ACTION = "api"


class TokenUser(AnonymousUser):
    """The caller of a request made with a token: no account, but authenticated as
    the token's programme (``request.auth`` is the token)."""

    @property
    def is_authenticated(self) -> bool:  # type: ignore[override]
        return True


class TokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[TokenUser, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("The Authorization header must be “Bearer” followed by the token.")
            )
        try:
            sent = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("This token is not valid.")) from None
        prefix = ApiToken.prefix_of(sent)
        token = (
            ApiToken.objects.filter(prefix=prefix).select_related("programme").first()
            if prefix is not None
            else None
        )
        if token is None or not token.matches(sent):
            raise exceptions.AuthenticationFailed(_("This token is not valid."))
        if token.revoked:
            raise exceptions.AuthenticationFailed(_("This token was revoked."))
        bearer.note_use(token)
        return TokenUser(), token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


def token_of(request: Request) -> ApiToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


class TokenScope(permissions.BasePermission):
    message = _("This token may only read. Changes need a token with write access.")

    def has_permission(self, request: Request, view: Any) -> bool:
        token = token_of(request)
        if token is None:
            raise exceptions.NotAuthenticated()
        return request.method in permissions.SAFE_METHODS or token.can_write


class TokenRateThrottle(BaseThrottle):
    """At most ``API_REQUESTS_PER_HOUR`` requests of one token in an hour."""

    def allow_request(self, request: Request, view: Any) -> bool:
        token = token_of(request)
        if token is None:
            return True
        self.client = f"token:{token.pk}"
        return hit(THROTTLE_ACTION, self.client, settings.API_REQUESTS_PER_HOUR)

    def wait(self) -> float | None:
        return seconds_left(THROTTLE_ACTION, self.client)


class TokenScheme(OpenApiAuthenticationExtension):
    """The token as the OpenAPI description names it: an HTTP bearer token."""

    target_class = TokenAuthentication
    name = "programmeToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Bearer"
        )
