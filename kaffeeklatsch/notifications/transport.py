"""Sends the outbox.

Sending is at least once, with the duplicate window made as small as it can be:

1. *Claim*: a short transaction takes a batch of due messages with ``SELECT ... FOR
   UPDATE SKIP LOCKED``, marks them ``sending`` and gives them a lease
   (``EMAIL_SEND_LEASE_SECONDS``), so several workers on several machines never take
   the same message.
2. *Render* what is not rendered yet (the e-mails of a round are written as light
   rows, see :func:`.emails.render_messages`) and store it on the rows, so every
   later attempt sends the same e-mail; a message that cannot be rendered is a
   failed attempt of that message (step 4) and the others go on.
3. *Send* the batch over one SMTP connection; each message the server accepts is
   marked ``sent`` at once, in its own small transaction.
4. A failure (refused, timed out, connection dropped, server away) puts the message
   back to ``pending`` with a later ``next_attempt_at`` (exponential back-off with
   jitter); after ``MAX_ATTEMPTS`` it is ``failed`` and shown in the admin.

If a worker dies, the messages it held in ``sending`` are taken again when their lease
has run out. A message is therefore never lost. It reaches its recipient twice only if
the worker dies in the moment between the mail server's "250 accepted" and the commit
of ``sent`` (microseconds on a healthy database); the second copy carries the same
``Message-ID`` (``outbox-<id>@<domain>``), which lets mail systems recognise it.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import smtplib
from collections.abc import Sequence
from email.mime.text import MIMEText
from email.utils import formataddr

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.db import connections, router, transaction
from django.db.models import F, Q
from django.utils import timezone

from kaffeeklatsch.jobs.faults import pause_point
from kaffeeklatsch.lib.text import clean_one_line
from kaffeeklatsch.notifications.emails import render_messages
from kaffeeklatsch.notifications.ics import calendar_method, uid_domain
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.tokens import unsubscribe_url

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
MAX_DELAY = dt.timedelta(hours=6)


def backoff(attempts: int, rng: random.Random | None = None) -> dt.timedelta:
    """The wait after the ``attempts``-th failure: ``EMAIL_RETRY_SECONDS`` doubled after
    each failure, at most six hours, of which the second half is random ("equal
    jitter"), so messages that failed together do not all come back together."""
    base = settings.EMAIL_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    full = min(base, MAX_DELAY.total_seconds())
    return dt.timedelta(seconds=full / 2 + (rng or random).uniform(0, full / 2))


def message_id(message: OutboxMessage) -> str:
    """The same for every attempt, so a repeated delivery can be recognised."""
    return f"<outbox-{message.pk}@{uid_domain()}>"


def list_headers(participant: Participant) -> dict[str, str]:
    """The bulk-sender headers of an e-mail to a participant: the programme as a list
    (``List-Id``, RFC 2919) and the one-click way to leave it (``List-Unsubscribe``
    with ``List-Unsubscribe-Post``, RFC 8058)."""
    programme = participant.programme
    return {
        # A name is one line (the form refuses others); older names are made so.
        "List-Id": formataddr(
            (clean_one_line(programme.name).text, f"programme-{programme.pk}.{uid_domain()}")
        ),
        "List-Unsubscribe": f"<{unsubscribe_url(participant)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def build(message: OutboxMessage) -> EmailMultiAlternatives:
    headers = {"Message-ID": message_id(message), "Auto-Submitted": "auto-generated"}
    if message.participant_id is not None:
        headers.update(list_headers(message.participant))
    mail = EmailMultiAlternatives(
        # Subjects name people and programmes. Their forms refuse line breaks and
        # controls, but a name stored before that (or written around the forms) must
        # not make the message undeliverable: Django refuses a header with a newline.
        subject=clean_one_line(message.subject).text,
        body=message.body_text,
        to=[message.to],
        reply_to=message.reply_to or None,
        headers=headers,
    )
    if message.body_html:
        mail.attach_alternative(message.body_html, "text/html")
    if message.ics:
        # Built by hand: Django's attach() would repeat the charset parameter. Base64
        # keeps the CRLF line endings RFC 5545 asks for, byte for byte.
        calendar = MIMEText(message.ics, "calendar", "utf-8")
        calendar.set_param("method", calendar_method(message.ics))
        calendar.add_header("Content-Disposition", "attachment", filename="invitation.ics")
        mail.attach(calendar)
    return mail


def claim(limit: int) -> list[OutboxMessage]:
    """Takes up to ``limit`` due messages for this worker (see the module's docstring)."""
    now = timezone.now()
    lease = now + dt.timedelta(seconds=settings.EMAIL_SEND_LEASE_SECONDS)
    due = Q(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxMessage.Status.SENDING, claimed_until__lt=now
    )
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("next_attempt_at", "id")[:limit]
        )
        if rows:
            OutboxMessage.objects.filter(pk__in=[r.pk for r in rows]).update(
                status=OutboxMessage.Status.SENDING,
                claimed_until=lease,
                attempts=F("attempts") + 1,
            )
    for row in rows:
        row.status = OutboxMessage.Status.SENDING
        row.claimed_until = lease
        row.attempts += 1
    return rows


def _describe(exc: BaseException) -> str:
    """The failure without the addresses smtplib puts into some of its messages, and
    without the header value Django quotes when it refuses one (a subject names
    people)."""
    if isinstance(exc, BadHeaderError):
        return f"{type(exc).__name__}: a header holds a line break"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        return f"SMTPRecipientsRefused: {', '.join(str(c) for c in codes)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return f"{type(exc).__name__}: {exc.smtp_code} {text}"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


def _log_reason(exc: BaseException) -> str:
    """The failure as the log may have it: its type, and the SMTP code of a server's
    answer or the text of a lost connection ("timed out"), never a server's words or
    another exception's text (a mail server's answer, or Django's refusal of a header,
    may quote an address or a name). The message's row keeps the text for the
    administrator."""
    code = getattr(exc, "smtp_code", None)
    if isinstance(code, int):
        return f"{type(exc).__name__} {code}"
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError | TimeoutError):
        # Written by smtplib and the socket layer from the connection's state only.
        return f"{type(exc).__name__}: {exc}"[:200]
    return type(exc).__name__


def _mark_sent(message: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.SENDING).update(
        status=OutboxMessage.Status.SENT,
        sent_at=timezone.now(),
        claimed_until=None,
        last_error="",
    )


def _mark_failed(messages: Sequence[OutboxMessage], exc: BaseException) -> None:
    error = _describe(exc)
    now = timezone.now()
    for message in messages:
        gave_up = message.attempts >= MAX_ATTEMPTS
        OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.SENDING).update(
            status=OutboxMessage.Status.FAILED if gave_up else OutboxMessage.Status.PENDING,
            next_attempt_at=now + backoff(message.attempts),
            claimed_until=None,
            last_error=error,
        )
        log.warning(
            "outbox %s: attempt %s failed (%s)%s",
            message.pk,
            message.attempts,
            _log_reason(exc),
            ", giving up" if gave_up else "",
        )


def _release(messages: Sequence[OutboxMessage]) -> None:
    """Gives back messages this worker took but did not try, uncounted."""
    OutboxMessage.objects.filter(
        pk__in=[m.pk for m in messages], status=OutboxMessage.Status.SENDING
    ).update(status=OutboxMessage.Status.PENDING, claimed_until=None, attempts=F("attempts") - 1)


# What rendering fills in.
RENDERED_FIELDS = ["subject", "body_text", "body_html", "reply_to", "ics"]


def _store_rendered(messages: Sequence[OutboxMessage]) -> None:
    """Writes the rendered fields of messages this worker holds: one statement run for
    every message (``executemany``), since ``bulk_update``'s ``CASE`` over large texts
    cost as much as the rendering itself."""
    meta = OutboxMessage._meta
    fields = [meta.get_field(name) for name in RENDERED_FIELDS]
    connection = connections[router.db_for_write(OutboxMessage)]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s AND {} = %s".format(
        quote(meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in fields),
        quote(meta.pk.column),
        quote(meta.get_field("status").column),
    )
    rows = [
        [f.get_db_prep_save(getattr(m, f.attname), connection) for f in fields]
        + [m.pk, OutboxMessage.Status.SENDING]
        for m in messages
    ]
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _render(batch: Sequence[OutboxMessage]) -> list[OutboxMessage]:
    """Renders the claimed messages not rendered yet and stores them (see the module's
    docstring); returns the messages ready to send."""
    result = render_messages(batch)
    if result.rendered:
        _store_rendered(result.rendered)
    for message, exc in result.failed:
        _mark_failed([message], exc)
    failed = {message.pk for message, _ in result.failed}
    return [message for message in batch if message.pk not in failed]


def _load_recipients(batch: Sequence[OutboxMessage]) -> None:
    """The participants the batch goes to, with their programmes, in one query (the
    list headers name both)."""
    ids = {m.participant_id for m in batch if m.participant_id is not None}
    people = Participant.objects.select_related("programme").in_bulk(ids)
    for message in batch:
        if message.participant_id in people:
            message.participant = people[message.participant_id]


# Failures after which the connection is of no more use for the rest of the batch.
BROKEN = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError)


def deliver(batch: Sequence[OutboxMessage]) -> None:
    """Sends claimed messages over one SMTP connection, marking each as it goes."""
    if not batch:
        return
    # Stop well before the lease runs out, or another worker could take the rest. The
    # lease runs from the claim, so the time spent rendering counts too.
    lease = dt.timedelta(seconds=settings.EMAIL_SEND_LEASE_SECONDS)
    claimed_until = min((m.claimed_until for m in batch if m.claimed_until), default=None)
    stop_at = (claimed_until or timezone.now() + lease) - lease / 2
    batch = _render(batch)
    if not batch:
        return
    _load_recipients(batch)
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as exc:  # noqa: BLE001 - a server away is a failed attempt for all
        _mark_failed(batch, exc)
        return
    try:
        for index, message in enumerate(batch):
            if timezone.now() >= stop_at:
                _release(batch[index:])
                return
            try:
                connection.send_messages([build(message)])
            except BROKEN as exc:
                _mark_failed([message], exc)
                _release(batch[index + 1 :])
                return
            except Exception as exc:  # noqa: BLE001 - refused: retried later
                if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 421:
                    _mark_failed([message], exc)
                    _release(batch[index + 1 :])
                    return
                _mark_failed([message], exc)
            else:
                pause_point("send.accepted")
                _mark_sent(message)
                pause_point("send.marked")
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001, S110 - closing a dead connection may fail too
            pass


def send_due(limit: int = 1000) -> int:
    """Sends due messages in batches; returns how many were tried (sent or failed)."""
    tried = 0
    while tried < limit:
        batch = claim(min(settings.EMAIL_BATCH_SIZE, limit - tried))
        if not batch:
            break
        deliver(batch)
        tried += len(batch)
    return tried


def send_one() -> bool:
    """Sends the oldest due message; false when there is none."""
    batch = claim(1)
    deliver(batch)
    return bool(batch)
