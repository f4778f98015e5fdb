"""mozilla-django-oidc's backend, with the checks of an ID token it leaves out.

The library verifies the signature (with the provider's published keys) and the
nonce; it does not check the issuer and the audience, so the public hooks
:meth:`SsoBackend.get_payload_data` and :meth:`SsoBackend.verify_token` ask PyJWT for
all of them. Every refusal becomes a :class:`SignInRefused` with a reason the sign-in
page explains."""

from __future__ import annotations

import logging
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import absolutify

from kaffeeklatsch.matching.text import clean_one_line
from kaffeeklatsch.sso import provider
from kaffeeklatsch.sso.models import OrganiserIdentity

log = logging.getLogger(__name__)


class SignInRefused(Exception):
    """A sign-in through the identity provider that did not succeed; ``reason`` is one
    of the keys of kaffeeklatsch.sso.views.REASONS."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SsoBackend(OIDCAuthenticationBackend):
    """Not in AUTHENTICATION_BACKENDS: the callback view uses it for the exchange of
    the code and the checks, and signs organisers in with the OrganiserBackend."""

    get_settings = staticmethod(provider.setting)

    def get_payload_data(self, token: str, key: Any) -> dict[str, Any]:
        """The claims of a signed ID token, its signature, algorithm, expiry, issuer
        and audience checked (the library checks only the signature)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise SignInRefused("signature") from exc
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SignInRefused("signature")
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.SSO_ISSUER,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise SignInRefused("expired") from exc
        except jwt.InvalidIssuerError as exc:
            raise SignInRefused("issuer") from exc
        except jwt.InvalidAudienceError as exc:
            raise SignInRefused("audience") from exc
        except jwt.PyJWTError as exc:
            raise SignInRefused("signature") from exc

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The checked claims of the ID token; its nonce must be the one the sign-in
        was started with in this browser (else it may be replayed)."""
        try:
            if self.OIDC_RP_SIGN_ALGO.startswith("HS"):
                key = self.OIDC_RP_CLIENT_SECRET
            else:
                key = self.retrieve_matching_jwk(token)
        except (jwt.PyJWTError, ValueError, KeyError) as exc:
            raise SignInRefused("signature") from exc
        payload = self.get_payload_data(token, key)
        nonce = kwargs.get("nonce")
        if not nonce or payload.get("nonce") != nonce:
            raise SignInRefused("nonce")
        return payload

    def retrieve_matching_jwk(self, token: str) -> jwt.PyJWK:
        """The provider's key for this token: the one with the token's ``kid``, or
        the provider's only signing key when the token names none (the library
        insists on a ``kid``)."""
        header = jwt.get_unverified_header(token)
        response = requests.get(self.OIDC_OP_JWKS_ENDPOINT, timeout=settings.SSO_TIMEOUT_SECONDS)
        response.raise_for_status()
        keys = [
            key
            for key in response.json().get("keys", [])
            if isinstance(key, dict)
            and key.get("use", "sig") == "sig"
            and key.get("alg", header.get("alg")) == header.get("alg")
        ]
        if header.get("kid"):
            keys = [key for key in keys if key.get("kid") == header["kid"]]
        if len(keys) != 1:
            raise SignInRefused("signature")
        return jwt.PyJWK(keys[0])

    def claims(
        self, request: Any, code: str, nonce: str, code_verifier: str
    ) -> tuple[dict[str, Any], str]:
        """Exchanges the code (with the PKCE verifier), checks the ID token and returns
        the claims of the ID token and the user info endpoint together, and the ID
        token (for signing out at the provider)."""
        self.request = request
        token_payload = {
            "client_id": self.OIDC_RP_CLIENT_ID,
            "client_secret": self.OIDC_RP_CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": code,
            # The same address the sign-in was started with (OAuth 2.0, 4.1.3).
            "redirect_uri": absolutify(request, reverse(settings.OIDC_AUTHENTICATION_CALLBACK_URL)),
            "code_verifier": code_verifier,
        }
        try:
            token_info = self.get_token(token_payload)
        except (requests.RequestException, ValueError) as exc:
            raise SignInRefused("provider") from exc
        id_token, access_token = token_info.get("id_token"), token_info.get("access_token")
        if not isinstance(id_token, str) or not isinstance(access_token, str):
            raise SignInRefused("provider")
        try:
            payload = self.verify_token(id_token, nonce=nonce)
        except requests.RequestException as exc:
            raise SignInRefused("signature") from exc
        try:
            info = self.get_userinfo(access_token, id_token, payload)
        except (requests.RequestException, ValueError) as exc:
            raise SignInRefused("provider") from exc
        if not isinstance(info, dict) or info.get("sub") != payload.get("sub"):
            # OpenID Connect Core 5.3.2: the user info must be about the same subject.
            raise SignInRefused("provider")
        return {**info, **payload}, id_token

    def organiser(self, claims: dict[str, Any]) -> Any:
        """The organiser account of the account at the provider that signed in.

        Found by the binding of issuer and subject made at the first sign-in. Without
        one, the verified e-mail address finds an account that is not bound yet and
        has no administrator rights, and binds it; a staff or superuser account is
        bound only by an administrator (``manage.py sso_link``). Someone unknown gets
        an account when the configuration allows it."""
        subject = subject_of(claims)
        User = get_user_model()
        with transaction.atomic():
            identity = (
                OrganiserIdentity.objects.select_related("user")
                .filter(issuer=settings.SSO_ISSUER, subject=subject)
                .first()
            )
            if identity is not None:
                if not identity.user.is_active:
                    raise SignInRefused("no_account")
                return identity.user
            email = verified_email(claims)
            users = list(
                User._default_manager.select_for_update().filter(
                    email__iexact=email, is_active=True
                )[:2]
            )
            if len(users) > 1:
                raise SignInRefused("ambiguous")
            if users:
                user = users[0]
                if OrganiserIdentity.objects.filter(issuer=settings.SSO_ISSUER, user=user).exists():
                    raise SignInRefused("bound_elsewhere")
                if user.is_staff or user.is_superuser:
                    raise SignInRefused("privileged")
            else:
                if not may_become_organiser(claims, email):
                    raise SignInRefused("no_account")
                user = User._default_manager.create_user(self.get_username(claims), email=email)
                name = claim_text(claims, settings.SSO_NAME_CLAIM)
                if name:
                    first, _, last = name.partition(" ")
                    user.first_name, user.last_name = first[:150], last[:150]
                    user.save(update_fields=["first_name", "last_name"])
            OrganiserIdentity.objects.create(user=user, issuer=settings.SSO_ISSUER, subject=subject)
            return user


def subject_of(claims: dict[str, Any]) -> str:
    """The identifier of the account at the provider (the configured subject claim)."""
    subject = claims.get(settings.SSO_SUBJECT_CLAIM)
    if not isinstance(subject, str) or not subject.strip() or len(subject) > 255:
        raise SignInRefused("subject")
    return subject.strip()


def claim_text(claims: dict[str, Any], name: str) -> str:
    """A claim as one line of text. The provider cannot be asked again, so line breaks
    and other controls are removed rather than the sign-in refused, and the log says
    so (without the value, which may be a name)."""
    value = claims.get(name) if name else None
    if not isinstance(value, str):
        return ""
    cleaned = clean_one_line(value)
    if cleaned.removed:
        log.warning(
            "removed %s control characters from the claim %s at single sign-on",
            cleaned.removed,
            name,
        )
    return cleaned.text.strip()


def verified_email(claims: dict[str, Any]) -> str:
    email = claim_text(claims, settings.SSO_EMAIL_CLAIM).lower()
    if "@" not in email:
        raise SignInRefused("email")
    if settings.SSO_REQUIRE_VERIFIED_EMAIL and claims.get("email_verified") is not True:
        raise SignInRefused("email")
    return email


def may_become_organiser(claims: dict[str, Any], email: str) -> bool:
    domain = email.rpartition("@")[2]
    if domain in settings.SSO_NEW_ORGANISER_DOMAINS:
        return True
    groups = claims.get(settings.SSO_GROUPS_CLAIM) if settings.SSO_GROUPS_CLAIM else None
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list):
        return False
    return any(group in settings.SSO_NEW_ORGANISER_GROUPS for group in groups)
