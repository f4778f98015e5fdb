"""A real SMTP server's inbox and what the tests read from the messages it received."""

from __future__ import annotations

import email
import re
import threading
from email import policy
from email.message import EmailMessage
from typing import Any


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []
        self.lock = threading.Lock()
        self.refuse = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "451 Try again later"
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.envelopes.append(envelope)
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.envelopes.clear()


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content()


def ics_part(message: EmailMessage) -> str | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            return payload.decode("utf-8") if isinstance(payload, bytes) else str(payload)
    return None


def links(text: str, base: str = "") -> list[str]:
    return [u for u in re.findall(r"https?://[^\s<>\"]+", text) if u.startswith(base)]


# Signed links carry the time they were made: two renderings differ only there.
_SIGNED = re.compile(r"/(sign-in|feedback)/[^/\s\"<>]+/")
_STAMP = re.compile(r"DTSTAMP:\d{8}T\d{6}Z")


def comparable(text: str) -> str:
    """An e-mail's text or calendar with CRLF line ends (as SMTP carries text parts)
    made LF, and without what changes from one rendering to the next: the time in
    signed links and the calendar's DTSTAMP."""
    text = _STAMP.sub("DTSTAMP:…", text.replace("\r\n", "\n"))
    return _SIGNED.sub(lambda m: f"/{m.group(1)}/…/", text)


def send_outbox() -> int:
    """What the worker does, once."""
    from kaffeeklatsch.jobs.management.commands.worker import work_once

    return work_once()["emails"]
