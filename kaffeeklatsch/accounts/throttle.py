"""Throttling of password sign-in (the site's and the admin's), with django-axes.

Failures are counted per account and client address together, so that someone
guessing an organiser's password from one address does not lock the organiser out
everywhere else; and per client address alone, with a higher limit, so that guessing
many accounts from one address is stopped too. A lock ends a fixed time after the
last counted failure; failures while locked are not counted, so the time the page
names holds. Sign-in through the identity provider, the participants' e-mail links,
API tokens and SCIM do not pass through here.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


class SignInGuard(AxesStandaloneBackend):
    """django-axes' guard in front of the password check. A sign-in made by code
    without a request (tests, management commands) is not a guess over the network
    and is left to the next backend."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def _cool_off(request: HttpRequest) -> dt.timedelta:
    return get_cool_off(request) or dt.timedelta(0)


def _from_address(request: HttpRequest, cool_off: dt.timedelta) -> Any:
    """The failures from the request's address still counted: those after the start
    of the lock period."""
    return AccessAttempt.objects.filter(
        attempt_time__gte=timezone.now() - cool_off,
        ip_address=request.axes_ip_address,  # type: ignore[attr-defined]  # set by axes
    )


def _address_failures(request: HttpRequest) -> int:
    found = _from_address(request, _cool_off(request))
    return found.aggregate(total=Sum("failures_since_start"))["total"] or 0


class SignInThrottle(AxesDatabaseHandler):
    """django-axes' database handler (per account and address, AXES_FAILURE_LIMIT),
    plus the limit of failures per address for any accounts."""

    def is_locked(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        return (
            super().is_locked(request, credentials)
            or _address_failures(request) >= settings.SIGN_IN_FAILURES_PER_ADDRESS
        )


def seconds_until_unlocked(request: HttpRequest, credentials: dict[str, Any] | None) -> int:
    """When the lock on this sign-in ends: the lock period after the last counted
    failure of the account from this address or, when the address as a whole is
    locked, of the address."""
    cool_off = _cool_off(request)
    # One query for both: the address's failures, its last and the account's last.
    found = _from_address(request, cool_off).aggregate(
        total=Sum("failures_since_start"),
        address_last=Max("attempt_time"),
        account_last=Max(
            "attempt_time", filter=Q(username=get_client_username(request, credentials))
        ),
    )
    address_locked = (found["total"] or 0) >= settings.SIGN_IN_FAILURES_PER_ADDRESS
    last = found["address_last"] if address_locked else found["account_last"]
    if last is None:
        return int(cool_off.total_seconds())
    return max(1, math.ceil((last + cool_off - timezone.now()).total_seconds()))


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The page a locked sign-in gets (django-axes' AXES_LOCKOUT_CALLABLE): in the
    site's layout, saying when to try again, with Retry-After."""
    seconds = seconds_until_unlocked(request, credentials)
    response = render(
        request,
        "accounts/locked_out.html",
        {
            "minutes": max(1, math.ceil(seconds / 60)),
            "until": timezone.localtime() + dt.timedelta(seconds=seconds),
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response
