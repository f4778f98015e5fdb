"""Sends the outbox.

Sending is at least once, with the duplicate window made as small as it can be. The
outbox is leased work (:mod:`kaffeeklatsch.lib.leases`):

1. *Claim*: a short transaction takes a batch of due messages, marks them ``sending``
   and gives them to this worker with a lease (``EMAIL_SEND_LEASE_SECONDS``), so
   several workers on several machines never take the same message. The worker renews
   the lease of what it still holds as it sends.
2. *Render* what is not rendered yet (the e-mails of a round are written as light
   rows, see :func:`.emails.render_messages`) and store it on the rows, so every
   later attempt sends the same e-mail; a message that cannot be rendered is a
   failed attempt of that message (step 4) and the others go on.
3. *Send* the batch over one SMTP connection; each message the server accepts is
   recorded ``sent`` at once, in its own small transaction.
4. A refusal of one message (a 4xx or 5xx answer to it) is a failed attempt of that
   message only, and the batch goes on: the message goes back to ``pending`` with a
   later ``next_attempt_at`` (exponential back-off with jitter); after
   ``MAX_ATTEMPTS`` it is ``failed`` and shown in the admin. A broken connection
   (dropped, timed out, 421) is a failed attempt of the message being sent, and ends
   the batch: the rest is given back at once, its attempt not counted.

A message the server accepted is recorded ``sent`` even while the database is away:
the worker keeps it in memory and records it first when the database answers again,
before it sends anything else, and only then gives back what the interrupted batch
still held. A worker that starts gives back what dead workers on its machine held;
those of other machines are taken again when their lease has run out. A message is
therefore never lost. It reaches its recipient twice only if the worker dies in the
moment between the mail server's "250 accepted" and the commit of ``sent``
(microseconds on a healthy database); the second copy carries the same ``Message-ID``
(``outbox-<id>@<domain>``), which lets mail systems recognise it.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import smtplib
import time
from collections.abc import Sequence
from email.mime.text import MIMEText
from email.utils import formataddr

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.db import Error as DatabaseError
from django.db import connections, router, transaction
from django.utils import timezone

from kaffeeklatsch.lib import leases
from kaffeeklatsch.lib.fields import model_field
from kaffeeklatsch.matching.text import clean_one_line
from kaffeeklatsch.notifications.emails import render_messages
from kaffeeklatsch.notifications.ics import calendar_method, uid_domain
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.tokens import unsubscribe_url

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
MAX_DELAY = dt.timedelta(hours=6)

OUTBOX = leases.define(
    OutboxMessage,
    waiting=OutboxMessage.Status.PENDING,
    running=OutboxMessage.Status.SENDING,
    lease_seconds=lambda: settings.EMAIL_SEND_LEASE_SECONDS,
    order=("next_attempt_at", "id"),
    due="next_attempt_at",
)

#: Messages the mail server accepted while the database could not record it: this
#: process records them before it sends anything else (:func:`record_accepted`).
_accepted: list[OutboxMessage] = []


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
    if message.participant is not None:
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
    return leases.claim(OUTBOX, limit=limit)


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


def record_sent(message: OutboxMessage) -> None:
    """Records that the mail server accepted the message. Whoever holds it now: the
    server has it, and no worker may send it again."""
    OutboxMessage.objects.filter(
        pk=message.pk,
        status__in=[OutboxMessage.Status.SENDING, OutboxMessage.Status.PENDING],
    ).update(
        status=OutboxMessage.Status.SENT,
        sent_at=timezone.now(),
        claimed_until=None,
        claimed_by="",
        last_error="",
    )


def accepted(message: OutboxMessage) -> None:
    """The mail server accepted ``message``: recorded now, or kept in memory while the
    database is away (the database's error is raised, for the worker to wait)."""
    try:
        record_sent(message)
    except DatabaseError:
        _accepted.append(message)
        raise


def record_accepted() -> None:
    """Records what the mail server accepted while the database was away; raises the
    database's error while it still is."""
    while _accepted:
        record_sent(_accepted[0])
        _accepted.pop(0)


def _mark_failed(messages: Sequence[OutboxMessage], exc: BaseException) -> None:
    error = _describe(exc)
    now = timezone.now()
    for message in messages:
        gave_up = message.attempts >= MAX_ATTEMPTS
        leases.finish(
            OUTBOX,
            message,
            OutboxMessage.Status.FAILED if gave_up else OutboxMessage.Status.PENDING,
            next_attempt_at=now + backoff(message.attempts),
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
    leases.release(OUTBOX, messages, uncount=True)


# What rendering fills in.
RENDERED_FIELDS = ["subject", "body_text", "body_html", "reply_to", "ics"]


def _store_rendered(messages: Sequence[OutboxMessage]) -> None:
    """Writes the rendered fields of messages this worker holds: one statement run for
    every message (``executemany``), since ``bulk_update``'s ``CASE`` over large texts
    cost as much as the rendering itself."""
    meta = OutboxMessage._meta
    fields = [model_field(OutboxMessage, name) for name in RENDERED_FIELDS]
    connection = connections[router.db_for_write(OutboxMessage)]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s AND {} = %s".format(
        quote(meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in fields),
        quote(meta.pk.column),
        quote(model_field(OutboxMessage, "status").column),
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


def refused(exc: BaseException) -> bool:
    """Whether ``exc`` is the mail server's refusal of one message (a 4xx or 5xx
    answer to its sender, recipients or data), after which the connection serves the
    next message. 421 is the server closing the connection. Every ``smtplib`` error is
    an ``OSError``, so this is asked before :func:`broken`."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 600 and exc.smtp_code != 421
    return False


def broken(exc: BaseException) -> bool:
    """Whether the connection is of no more use for the rest of the batch: dropped,
    timed out, refused or closed by the server (421)."""
    return isinstance(exc, OSError) and not refused(exc)


def deliver(batch: Sequence[OutboxMessage]) -> None:
    """Sends claimed messages over one SMTP connection, recording each as it goes.

    A database error is raised (after keeping in memory what the server accepted),
    for the worker to wait and give back the rest when the database is back."""
    if not batch:
        return
    held = _render(batch)
    if not held:
        return
    _load_recipients(held)
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as exc:  # noqa: BLE001 - a server away is a failed attempt for all
        _mark_failed(held, exc)
        return
    # The lease is renewed well before it runs out, so no other worker takes what
    # this one still holds while a slow server keeps it busy.
    every = settings.EMAIL_SEND_LEASE_SECONDS / 4
    renewed = time.monotonic()
    try:
        while held:
            if time.monotonic() - renewed >= every:
                held = leases.renew(OUTBOX, held)
                renewed = time.monotonic()
                if not held:
                    return
            message, held = held[0], held[1:]
            try:
                connection.send_messages([build(message)])
            except Exception as exc:  # noqa: BLE001 - each failure is that message's attempt
                _mark_failed([message], exc)
                if broken(exc):
                    _release(held)
                    return
            else:
                accepted(message)
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001, S110 - closing a dead connection may fail too
            pass


def send_due(limit: int = 1000) -> int:
    """Sends due messages in batches; returns how many were tried (sent or failed)."""
    record_accepted()
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
    record_accepted()
    batch = claim(1)
    deliver(batch)
    return bool(batch)


def recover() -> None:
    """Records what the server accepted while the database was away, then gives back
    what an interrupted batch (or a dead worker on this machine) still held."""
    record_accepted()
    leases.release_abandoned(OUTBOX)


def erase_old(now: dt.datetime) -> int:
    """Sent and failed e-mails older than ``RETENTION_EMAIL_DAYS``: they hold
    profiles."""
    keep = now - dt.timedelta(days=settings.RETENTION_EMAIL_DAYS)
    return (
        OutboxMessage.objects.filter(
            status__in=[OutboxMessage.Status.SENT, OutboxMessage.Status.FAILED]
        )
        .filter(created_at__lt=keep)
        .delete()[0]
    )
