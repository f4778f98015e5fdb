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
from django.db import connections, router
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


def _key(action: str, client: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}|{action}|{client}".encode()).hexdigest()


def seconds_left(action: str, client: str) -> int:
    """Seconds until the current window of ``client`` for ``action`` ends (what a
    refused client is told to wait, as Retry-After)."""
    start = (
        RateLimit.objects.filter(key=_key(action, client))
        .values_list("window_start", flat=True)
        .first()
    )
    if start is None:
        return 0
    return max(1, int((start + WINDOW - timezone.now()).total_seconds()) + 1)


def hit(action: str, client: str, limit: int) -> bool:
    """Counts one use; false when ``client`` used ``action`` more than ``limit`` times
    in the current hour.

    One statement (an upsert, on PostgreSQL and SQLite alike): however many web
    processes count the same client at the same moment, each use is counted once,
    and no row stays locked beyond the statement."""
    key = _key(action, client)
    now = timezone.now()
    connection = connections[router.db_for_write(RateLimit)]
    quote = connection.ops.quote_name
    table, key_column, start, count = (
        quote(RateLimit._meta.db_table),
        quote("key"),
        quote("window_start"),
        quote("count"),
    )
    expired = connection.ops.adapt_datetimefield_value(now - WINDOW)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_column}, {start}, {count}) VALUES (%s, %s, 1) "
            f"ON CONFLICT ({key_column}) DO UPDATE SET "
            f"{count} = CASE WHEN {table}.{start} <= %s THEN 1 ELSE {table}.{count} + 1 END, "
            f"{start} = CASE WHEN {table}.{start} <= %s "
            f"THEN excluded.{start} ELSE {table}.{start} END "
            f"RETURNING {count}",
            [key, connection.ops.adapt_datetimefield_value(now), expired, expired],
        )
        (used,) = cursor.fetchone()
    return used <= limit


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
