"""Sends the outbox.

Each message is taken with ``SELECT ... FOR UPDATE SKIP LOCKED`` inside a transaction
and marked sent in that same transaction, so several workers (on several machines,
through PostgreSQL) never send one message twice at the same time. If a worker dies
after the mail server accepted a message but before the commit, the row is still
pending and is sent again with the same Message-ID, which lets mail systems recognise
the duplicate; a message is never lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from email.mime.text import MIMEText

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from kaffeeklatsch.notifications.ics import uid_domain
from kaffeeklatsch.notifications.models import OutboxMessage

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4 ... minutes after each failure, at most six hours."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def build(message: OutboxMessage) -> EmailMultiAlternatives:
    mail = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        to=[message.to],
        reply_to=message.reply_to or None,
        headers={
            "Message-ID": f"<outbox-{message.pk}@{uid_domain()}>",
            "Auto-Submitted": "auto-generated",
        },
    )
    if message.body_html:
        mail.attach_alternative(message.body_html, "text/html")
    if message.ics:
        # Built by hand: Django's attach() would repeat the charset parameter. Base64
        # keeps the CRLF line endings RFC 5545 asks for, byte for byte.
        calendar = MIMEText(message.ics, "calendar", "utf-8")
        calendar.set_param("method", "PUBLISH")
        calendar.add_header("Content-Disposition", "attachment", filename="invitation.ics")
        mail.attach(calendar)
    return mail


def send_one() -> bool:
    """Sends the oldest due message; false when there is none."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=timezone.now())
            .order_by("next_attempt_at", "id")
            .first()
        )
        if message is None:
            return False
        message.attempts += 1
        try:
            with get_connection(fail_silently=False) as connection:
                connection.send_messages([build(message)])
        except Exception as exc:  # noqa: BLE001 - any failure of the mail server is retried
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxMessage.Status.FAILED
            message.next_attempt_at = timezone.now() + backoff(message.attempts)
            log.warning("outbox %s: attempt %s failed: %s", message.pk, message.attempts, exc)
        else:
            message.status = OutboxMessage.Status.SENT
            message.sent_at = timezone.now()
            message.last_error = ""
        message.save()
    return True


def send_due(limit: int = 100) -> int:
    sent = 0
    while sent < limit and send_one():
        sent += 1
    return sent
