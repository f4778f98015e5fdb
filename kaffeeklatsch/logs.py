"""Log lines without tokens, e-mail addresses or names.

Django writes the path of every 4xx and 5xx answer to its request log (and
``runserver`` and gunicorn every path to their access logs), and the product's links
carry their tokens in the path: a log that anyone with shell access reads would hand
out sign-in and unsubscribe links. Exception texts quote the data that caused them: a
database error the duplicate address, a refused e-mail header the name in it, an SMTP
server the recipient it refused.

So every log record is cleaned when it is made, whoever made it and whichever handler
writes it (:func:`configure` installs a record factory): its message is formatted
once, tokens in the product's tokenised paths, query strings and e-mail addresses are
replaced with placeholders, and of an exception only its type and where it happened
are kept, never its text. :class:`PersonalDataFilter` does the same as a filter, for
handlers whose records come from elsewhere (gunicorn's master process, see
:mod:`kaffeeklatsch.serving`). The product's own log calls name rows by their id only.

Nothing from Django is imported here: gunicorn uses this module before Django is set up.
"""

from __future__ import annotations

import logging
import logging.config
import re
import traceback
from types import TracebackType
from typing import Any

# Characters of one path segment.
_SEGMENT = r"[^/\s?#\"'<>]+"
# The product's paths with a token (see the URL configuration; a test checks every
# route with a token against this): the segment after one of these prefixes.
_TOKEN_PATHS = re.compile(
    rf"(/(?:sign-in|confirm|unsubscribe|feedback|meeting|join)/){_SEGMENT}"
    # Password reset (and co-organiser invitation) links: user id and token.
    rf"|(/reset/){_SEGMENT}/{_SEGMENT}"
)
# Any other path segment that is a value signed by Django (``payload:signature`` or
# ``payload:time:signature``), should a tokenised path be added without a prefix here.
_SIGNED = re.compile(r"(?<=/)[A-Za-z0-9_\-]{4,}:[A-Za-z0-9_\-:]{8,}(?=[/\s?#\"'<>]|$)")
_QUERY = re.compile(r"(/[^\s?\"'<>]*)\?[^\s\"'<>]+")
_EMAIL = re.compile(r"[\w.!#$%&'*+=^`{|}~-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+")

TOKEN = "[token]"
QUERY = "?[query]"
EMAIL = "[e-mail]"


def scrub(text: str) -> str:
    """``text`` with the tokens of the product's links, query strings and e-mail
    addresses replaced by placeholders."""
    text = _TOKEN_PATHS.sub(
        lambda m: f"{m.group(1)}{TOKEN}" if m.group(1) else f"{m.group(2)}{TOKEN}/{TOKEN}", text
    )
    text = _SIGNED.sub(TOKEN, text)
    text = _QUERY.sub(lambda m: m.group(1) + QUERY, text)
    return _EMAIL.sub(EMAIL, text)


def exception_without_text(
    exc_info: tuple[type[BaseException], BaseException, TracebackType | None],
) -> str:
    """The traceback of an exception and of those that led to it, with each one's type
    and where it was raised, but not its text (which may quote personal data)."""
    chain: list[BaseException] = []
    exc: BaseException | None = exc_info[1]
    while exc is not None and not any(exc is seen for seen in chain):
        chain.append(exc)
        exc = exc.__cause__ if exc.__cause__ is not None else exc.__context__
        if chain[-1].__suppress_context__ and chain[-1].__cause__ is None:
            exc = None
    parts = []
    for position, exc in enumerate(reversed(chain)):
        if position:
            parts.append("\nWhile handling it, another exception was raised:\n\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(exc.__traceback__))
        kind = type(exc)
        parts.append(f"{kind.__module__}.{kind.__qualname__} (its text is not logged)\n")
    return "".join(parts).rstrip("\n")


def clean(record: logging.LogRecord) -> logging.LogRecord:
    """Cleans ``record`` in place (see the module's description); cleaning twice
    changes nothing more."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError, KeyError):
        message = str(record.msg)
    record.msg, record.args = scrub(message), None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = exception_without_text(record.exc_info)
    elif record.exc_text:
        record.exc_text = scrub(record.exc_text)
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)
    return record


class PersonalDataFilter(logging.Filter):
    """Cleans every record it sees; drops none."""

    def filter(self, record: logging.LogRecord) -> bool:
        clean(record)
        return True


_made = logging.getLogRecordFactory()


def _clean_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    return clean(_made(*args, **kwargs))


def configure(config: dict[str, Any]) -> None:
    """Django's ``LOGGING_CONFIG``: the configuration of ``LOGGING``, and every record
    of every logger cleaned when it is made."""
    logging.config.dictConfig(config)
    logging.setLogRecordFactory(_clean_record)
