"""The small interface every chat channel implements, and the HTTP it shares.

A transport gets its configuration as a plain dict (validated once by
:meth:`Transport.validate`), and offers :meth:`Transport.announce` and, where the
platform allows it, :meth:`Transport.direct_message`. Failures raise
:class:`TransportError` with a message that never contains the configuration, so
neither secrets nor webhook addresses reach a log.

Every request goes through :mod:`kaffeeklatsch.lib.outbound`: to public addresses or
those the administrator allows, pinned to the address checked, never redirected. A
refused, unresolvable or unreachable address, a timeout and a closed port all end in the
same :data:`CONNECTION_FAILED`, so what an organiser sees of a failure tells nothing
about the network behind the server.
"""

from __future__ import annotations

import base64
import email.utils
import json as jsonlib
import random
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.lib import outbound

if TYPE_CHECKING:
    from email.message import Message

    from django_stubs_ext import StrOrPromise

    from kaffeeklatsch.reach.channels.escaping import Line
    from kaffeeklatsch.rounds.models import Round

TIMEOUT_SECONDS = 15
USER_AGENT = "Kaffeeklatsch"
MAX_REPLY_BYTES = 1_000_000
#: A rate limit that asks for at most this many seconds is waited out in the request;
#: a longer one goes back to the job queue, which tries again after that time.
MAX_INLINE_WAIT = 30.0
#: How often one request waits out a rate limit before the job queue takes over.
RATE_LIMIT_TRIES = 20
#: The one message for every failure below HTTP: refused, unresolvable or unreachable.
CONNECTION_FAILED = "connection failed"


def _alone(name: str) -> AbstractContextManager[object]:
    return nullcontext()


class TransportError(Exception):
    """Sending failed. ``permanent`` failures (bad token, unknown room) are not retried;
    ``retry_after`` is the wait in seconds a rate-limited server asked for."""

    def __init__(
        self,
        message: str,
        permanent: bool = False,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.status = status
        self.retry_after = retry_after


class HandleRefused(TransportError):
    """The platform refuses this person's handle for good (a Matrix ID on a server that
    cannot be reached): later rounds do not try it again."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message, permanent=True, status=status)


class HandleUnreachable(TransportError):
    """The server of this person's handle cannot be reached now. Tried again like any
    passing failure; only when it stays unreachable until the message gives up is the
    handle remembered as refused."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message, status=status)


def retry_after(headers: Mapping[str, str] | Message[str, str], body: bytes) -> float | None:
    """The wait a rate-limited answer asks for: Matrix's ``retry_after_ms`` in the body,
    or the ``Retry-After`` header in seconds or as an HTTP date (RFC 9110 §10.2.3)."""
    try:
        reply = jsonlib.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        reply = None
    if isinstance(reply, dict):
        millis = reply.get("retry_after_ms")
        if isinstance(millis, int | float) and not isinstance(millis, bool) and millis >= 0:
            return float(millis) / 1000
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


@dataclass(frozen=True)
class Setting:
    """One configuration value of a channel, as the organiser's form shows it."""

    name: str
    label: StrOrPromise
    secret: bool = False
    required: bool = True
    url: bool = False
    help: StrOrPromise = ""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        try:
            return jsonlib.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None


def http(
    method: str,
    url: str,
    *,
    json: Any = None,
    form: Mapping[str, str] | None = None,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    basic_auth: tuple[str, str] | None = None,
    max_wait: float | None = None,
) -> Response:
    """One HTTP request; any status outside 2xx raises :class:`TransportError`. A rate
    limit of up to ``max_wait`` seconds (default :data:`MAX_INLINE_WAIT`) is waited out
    here; ``max_wait=0`` never waits (a caller holding a lock)."""
    inline = MAX_INLINE_WAIT if max_wait is None else max_wait
    all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    if json is not None:
        body = jsonlib.dumps(json, ensure_ascii=False).encode("utf-8")
        all_headers.setdefault("Content-Type", "application/json; charset=utf-8")
    elif form is not None:
        body = urllib.parse.urlencode(form).encode("ascii")
        all_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    if basic_auth is not None:
        token = base64.b64encode(f"{basic_auth[0]}:{basic_auth[1]}".encode()).decode("ascii")
        all_headers["Authorization"] = f"Basic {token}"
    for _try in range(RATE_LIMIT_TRIES):
        try:
            return _request(method, url, body, all_headers)
        except TransportError as exc:
            wait = exc.retry_after
            if exc.status != 429 or wait is None or wait > inline:
                raise
            # Waited out here, a little longer than asked, so that many messages in a
            # row keep to the server's pace instead of ending as failed attempts.
            time.sleep(wait + random.uniform(0, 0.1 + wait / 10))
    raise TransportError("HTTP 429", status=429, retry_after=MAX_INLINE_WAIT)


def _request(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Response:
    try:
        reply = outbound.request(
            method,
            url,
            body=body,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            max_bytes=MAX_REPLY_BYTES,
        )
    except outbound.OutboundError:
        # Passing like any network failure, and retried: a refusal that ended the job at
        # once would tell the organiser it was a refusal.
        raise TransportError(CONNECTION_FAILED) from None
    code = reply.status
    if 200 <= code < 300:
        return Response(code, reply.body)
    # Redirects (never followed: a token goes to the checked server only) and 4xx other
    # than rate limits mean the configuration is wrong: retrying won't help.
    permanent = 300 <= code < 500 and code not in (408, 429)
    raise TransportError(
        f"HTTP {code}",
        permanent=permanent,
        status=code,
        retry_after=retry_after(reply.headers, reply.body) if code in (429, 503) else None,
    )


def check_url(value: str) -> str:
    """An address the server may send to, normalised; resolves its host to check it."""
    value = value.strip()
    try:
        outbound.target(value)
    except outbound.Malformed:
        raise ValidationError(_("Please enter an address starting with https://.")) from None
    except outbound.NotFound:
        raise ValidationError(
            _("No server was found at this address. Please check it, or try again later.")
        ) from None
    except outbound.Refused:
        raise ValidationError(
            _(
                "Kaffeeklatsch may not send to addresses in the local network. "
                "Your administrator can allow it (KAFFEEKLATSCH_OUTBOUND_ALLOW)."
            )
        ) from None
    path = urllib.parse.urlsplit(value).path
    return value.rstrip("/") if path in ("", "/") else value


@dataclass(frozen=True)
class _TestRound:
    """Stands in for a round in a test message: announcements only read these."""

    pk: str
    number: int = 0

    class programme:  # noqa: N801 - the attribute announcements read
        name = ""


class Transport:
    """A chat platform. Subclasses set ``kind``, ``label`` and ``settings``."""

    kind: ClassVar[str]
    label: ClassVar[StrOrPromise]
    settings: ClassVar[Sequence[Setting]]
    #: Whether the platform can deliver a person's match to them directly.
    direct_messages: ClassVar[bool] = False
    handle_label: ClassVar[StrOrPromise] = ""
    handle_help: ClassVar[StrOrPromise] = ""

    def __init__(self, config: Mapping[str, str]) -> None:
        self.config = dict(config)
        #: ``exclusive(name)`` guards what must not interleave between workers (a bot's
        #: direct rooms); the job sets a lock shared by all workers.
        self.exclusive: Callable[[str], AbstractContextManager[object]] = _alone

    @classmethod
    def validate(cls, config: Mapping[str, str]) -> dict[str, str]:
        """Checks and normalises a configuration; raises ``ValidationError`` per field."""
        cleaned: dict[str, str] = {}
        errors: dict[str, list[ValidationError]] = {}
        for setting in cls.settings:
            value = (config.get(setting.name) or "").strip()
            try:
                if not value:
                    if setting.required:
                        raise ValidationError(_("This field is required."))
                elif setting.url:
                    value = check_url(value)
                cleaned[setting.name] = value
            except ValidationError as exc:
                errors[setting.name] = [exc]
        if not errors:
            try:
                cls.check(cleaned)
            except ValidationError as exc:
                errors.update(exc.error_dict if hasattr(exc, "error_dict") else {"__all__": [exc]})
        if errors:
            raise ValidationError(errors)
        return cleaned

    @classmethod
    def check(cls, config: dict[str, str]) -> None:
        """Platform-specific checks beyond required fields and URLs."""

    @classmethod
    def validate_handle(cls, handle: str) -> str:
        return handle.strip()

    def can_send_direct(self) -> bool:
        return self.direct_messages

    def announce(self, rnd: Round, lines: Sequence[Line]) -> None:
        """Posts a round's announcement; ``lines[0]`` is the headline, the others are
        its entries. Each transport escapes every text for its format (see
        :mod:`.escaping`)."""
        raise NotImplementedError

    def test_message(self, lines: Sequence[Line], key: str) -> None:
        """Posts a test message so an organiser sees the connection works; ``key`` makes
        it unique where the platform deduplicates (Matrix transaction ids)."""
        self.announce(_TestRound(key), lines)  # type: ignore[arg-type]

    def direct_message(self, handle: str, lines: Sequence[Line]) -> None:
        """Sends a person their match; ``lines`` as for :meth:`announce`."""
        raise TransportError("direct messages are not possible on this platform", permanent=True)
