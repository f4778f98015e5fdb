"""Limits on actions that send e-mail (signing up, asking for a link, inviting a
co-organiser), counted in the database so that every web process shares them.

A client is known by its IP address (behind a reverse proxy: the address the proxy
puts last into X-Forwarded-For) or, for organisers, by their account. Only a hash of
action and client is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kaffeeklatsch.front.models import RateLimit

WINDOW = dt.timedelta(hours=1)


def client_ip(request: HttpRequest) -> str:
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR", "")


def hit(action: str, client: str, limit: int) -> bool:
    """Counts one use; false when ``client`` used ``action`` more than ``limit`` times
    in the current hour."""
    key = hashlib.sha256(f"{settings.SECRET_KEY}|{action}|{client}".encode()).hexdigest()
    now = timezone.now()
    for _ in range(2):
        try:
            with transaction.atomic():
                row, created = RateLimit.objects.select_for_update().get_or_create(
                    key=key, defaults={"window_start": now, "count": 1}
                )
                if created:
                    return True
                if row.window_start <= now - WINDOW:
                    row.window_start, row.count = now, 0
                row.count += 1
                row.save(update_fields=["window_start", "count"])
                return row.count <= limit
        except IntegrityError:  # another process created the row at the same moment
            continue
    return False


def forget_expired() -> int:
    return RateLimit.objects.filter(window_start__lt=timezone.now() - WINDOW).delete()[0]


def limited(action: str, by_user: bool = False) -> Callable[[Any], Any]:
    """Refuses a POST with 429 and a page that says so when the limit is reached."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST":
                user = getattr(request, "user", None)
                client = (
                    f"user:{user.pk}"
                    if by_user and user is not None and user.is_authenticated
                    else f"ip:{client_ip(request)}"
                )
                if not hit(action, client, settings.RATE_LIMIT_PER_HOUR):
                    return render(request, "front/too_many.html", status=429)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
