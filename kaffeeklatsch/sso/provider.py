"""The configured identity provider and what its discovery document says.

The endpoints are not configured one by one: they come from the provider's
``/.well-known/openid-configuration`` (OpenID Connect Discovery 1.0), fetched when
first needed and kept for an hour."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

DISCOVERY_MAX_AGE = 3600.0


class ProviderUnavailable(Exception):
    """The discovery document could not be fetched or does not describe the issuer."""


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str


def configured() -> bool:
    return bool(settings.SSO_ISSUER and settings.SSO_CLIENT_ID)


def sso_required() -> bool:
    """Organisers sign in through the identity provider only (no passwords)."""
    return bool(settings.SSO_REQUIRED and configured())


_cache: dict[str, tuple[float, Metadata]] = {}
_lock = threading.Lock()


def metadata() -> Metadata:
    issuer = settings.SSO_ISSUER
    with _lock:
        cached = _cache.get(issuer)
        if cached is not None and time.monotonic() - cached[0] < DISCOVERY_MAX_AGE:
            return cached[1]
    found = _discover(issuer)
    with _lock:
        _cache[issuer] = (time.monotonic(), found)
    return found


def forget() -> None:
    """Drops the cached discovery documents (after the configuration changed)."""
    with _lock:
        _cache.clear()


def _discover(issuer: str) -> Metadata:
    url = issuer + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.SSO_TIMEOUT_SECONDS)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"discovery document of {issuer} not readable") from exc
    # OpenID Connect Discovery 1.0, section 4.3: the issuer in the document must be
    # exactly the one configured.
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        raise ProviderUnavailable(f"discovery document does not describe {issuer}")
    try:
        return Metadata(
            issuer=issuer,
            authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]),
            userinfo_endpoint=str(document["userinfo_endpoint"]),
            jwks_uri=str(document["jwks_uri"]),
            end_session_endpoint=str(document.get("end_session_endpoint") or ""),
        )
    except KeyError as exc:
        raise ProviderUnavailable(f"discovery document of {issuer} lacks {exc}") from exc


# mozilla-django-oidc reads the provider's endpoints as settings; these come from
# the discovery document instead.
_ENDPOINT_SETTINGS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def setting(name: str, *default: Any) -> Any:
    """A mozilla-django-oidc setting, the endpoints taken from discovery."""
    if name in _ENDPOINT_SETTINGS:
        return getattr(metadata(), _ENDPOINT_SETTINGS[name])
    return getattr(settings, name, *default)
